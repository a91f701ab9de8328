//! The `main` of every route function: tracing, state once per container,
//! then the runtime loop.

use crate::state::AppState;
use axum::Router;

/// Runs `router` under the Lambda runtime. Configuration errors end the
/// container's init with a one-line message naming the variable.
pub async fn run(router: fn(AppState) -> Router) -> Result<(), lambda_http::Error> {
    loaf_core::telemetry::init();
    let state = AppState::from_env().await.map_err(|e| {
        tracing::error!("{e}");
        e
    })?;
    lambda_http::run(router(state)).await
}
