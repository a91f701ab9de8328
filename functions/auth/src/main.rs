//! The auth Lambda function.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    loaf_shared::lambda::run(loaf_auth::router).await
}
