//! The events Lambda function.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    loaf_http::lambda::run(loaf_events::router).await
}
