//! The auth Lambda function.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    loaf_http::lambda::run(loaf_auth::router).await
}
