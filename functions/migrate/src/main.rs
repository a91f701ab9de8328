//! The migrate Lambda: runs on every deploy as a CloudFormation custom
//! resource, or by hand (`aws lambda invoke`). See `invoke.rs` for the inputs.

use lambda_runtime::{service_fn, LambdaEvent};
use loaf_shared::config::DbConfig;
use serde_json::Value;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Kept back from the Lambda deadline to send CloudFormation its answer.
const RESPONSE_MARGIN: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loaf_shared::telemetry::init();
    let env = loaf_shared::secrets::resolve_env(loaf_shared::secrets::Needs::Database)
        .await
        .inspect_err(|e| tracing::error!("{e}"))?;
    let mut config = DbConfig::from_source(&env).inspect_err(|e| tracing::error!("{e}"))?;
    // Migrations (index builds) may run long; the function's timeout bounds them.
    config.statement_timeout = None;
    let pool = loaf_shared::db::connect_lazy(&config)?;
    let http = reqwest::Client::new();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let (pool, http) = (&pool, &http);
        async move {
            let now_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            let left = Duration::from_millis(event.context.deadline.saturating_sub(now_ms));
            let budget = left
                .saturating_sub(RESPONSE_MARGIN)
                .max(Duration::from_secs(1));
            loaf_migrate::invoke::handle(pool, &loaf_migrate::MIGRATOR, http, event.payload, budget)
                .await
                .map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
