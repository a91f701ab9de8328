//! The scheduled Lambda: EventBridge's event is ignored (only its arrival
//! matters); the answer is the run's summary.

use lambda_runtime::{service_fn, LambdaEvent};
use loaf_shared::config::DbConfig;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loaf_shared::telemetry::init();
    let env = loaf_shared::secrets::resolve_env(loaf_shared::secrets::Needs::Database)
        .await
        .inspect_err(|e| tracing::error!("{e}"))?;
    let config = DbConfig::from_source(&env).inspect_err(|e| tracing::error!("{e}"))?;
    let pool = loaf_shared::db::connect_lazy(&config)?;
    lambda_runtime::run(service_fn(|_: LambdaEvent<Value>| {
        let pool = &pool;
        async move {
            let summary = loaf_jobs::run(pool).await?;
            tracing::info!(?summary, "scheduled jobs done");
            Ok::<_, lambda_runtime::Error>(summary)
        }
    }))
    .await
}
