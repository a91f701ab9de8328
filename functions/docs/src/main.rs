//! The docs Lambda function. It needs neither the database nor secrets.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    loaf_core::telemetry::init();
    lambda_http::run(loaf_docs::router()).await
}
