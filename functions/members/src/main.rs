//! The members Lambda function.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    loaf_http::lambda::run(loaf_members::router).await
}
