//! The donations Lambda function.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    loaf_http::lambda::run(loaf_donations::router).await
}
