//! The migrate Lambda: runs on every deploy as a CloudFormation custom
//! resource, or by hand (`aws lambda invoke`). See `invoke.rs` for the inputs.

use lambda_runtime::{service_fn, LambdaEvent};
use loaf_core::config::{AppRoleConfig, DbConfig};
use loaf_core::db;
use loaf_core::secrets::Rotation;
use loaf_migrate::invoke::{self, Target};
use serde_json::Value;
use sqlx::PgPool;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Kept back from the Lambda deadline to send CloudFormation its answer.
const RESPONSE_MARGIN: Duration = Duration::from_secs(10);

/// What the container builds once.
struct Setup {
    pool: PgPool,
    rotation: Option<Rotation>,
    app_role: Option<AppRoleConfig>,
}

/// Reads the configuration and the secrets it points at. A failure is kept,
/// not returned: the container must still take the invocation and answer
/// CloudFormation, or the stack would wait out the service timeout.
async fn setup() -> Result<Setup, String> {
    let env = loaf_core::secrets::resolve_env(loaf_core::secrets::Needs::Migrate)
        .await
        .map_err(|e| e.to_string())?;
    // As the owner, with no statement limit: migrations (index builds) may
    // run long; the function's timeout bounds them.
    let config = DbConfig::read(&env).map_err(|e| e.to_string())?;
    let app_role = AppRoleConfig::managed(&env).map_err(|e| e.to_string())?;
    let pool = db::connect_lazy(&config).map_err(|e| e.to_string())?;
    Ok(Setup {
        pool,
        rotation: env.db_rotation(),
        app_role,
    })
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loaf_core::telemetry::init();
    let setup = setup().await.inspect_err(|e| tracing::error!("{e}"));
    let http = reqwest::Client::new();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let (setup, http) = (&setup, &http);
        async move {
            let setup = match setup {
                Ok(setup) => setup,
                Err(reason) => {
                    return invoke::fail_init(http, event.payload, reason)
                        .await
                        .map_err(lambda_runtime::Error::from)
                }
            };
            if let Some(rotation) = &setup.rotation {
                rotation.ready(&setup.pool).await;
            }
            let now_ms = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0);
            let left = Duration::from_millis(event.context.deadline.saturating_sub(now_ms));
            let budget = left
                .saturating_sub(RESPONSE_MARGIN)
                .max(Duration::from_secs(1));
            let target = Target {
                pool: &setup.pool,
                migrator: &loaf_migrate::MIGRATOR,
                app_role: setup.app_role.as_ref(),
            };
            invoke::handle(&target, http, event.payload, budget)
                .await
                .map_err(lambda_runtime::Error::from)
        }
    }))
    .await
}
