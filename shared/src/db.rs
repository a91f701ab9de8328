//! The Postgres pool, built once per container.

use crate::config::DbConfig;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::time::Duration;

/// Builds the pool without connecting: a Lambda container's init stays fast
/// and does not fail when the database is briefly unreachable; the first
/// query connects, and an outage answers 503 instead of killing the container.
///
/// TLS follows the URL's `sslmode` (`require` or `verify-full` against RDS
/// Proxy, whose certificate chains to a public root). sqlx has no separate
/// connect timeout: the acquire timeout bounds connecting too.
pub fn connect_lazy(cfg: &DbConfig) -> Result<PgPool, sqlx::Error> {
    let mut options: PgConnectOptions = cfg.url.parse()?;
    if let Some(limit) = cfg.statement_timeout {
        // A startup parameter, not a `SET`: RDS Proxy pins a session on
        // `SET` but passes startup options through.
        options = options.options([("statement_timeout", format!("{}ms", limit.as_millis()))]);
    }
    Ok(PgPoolOptions::new()
        .max_connections(cfg.max_connections)
        .min_connections(0)
        .acquire_timeout(cfg.acquire_timeout)
        // RDS Proxy closes idle client connections after its own timeout
        // (30 min by default); dropping ours sooner avoids handing out a
        // connection the proxy already closed while the container was frozen.
        .idle_timeout(Duration::from_secs(300))
        .max_lifetime(Duration::from_secs(1800))
        .connect_lazy_with(options.application_name("loaf")))
}

/// `true` when a trivial query succeeds: what `GET /api/health` reports.
pub async fn is_reachable(pool: &PgPool) -> bool {
    sqlx::query_scalar::<_, i32>("SELECT 1")
        .fetch_one(pool)
        .await
        .is_ok()
}

/// A `LIKE` pattern matching `term` anywhere, its wildcards escaped.
pub fn like_contains(term: &str) -> String {
    let escaped = term
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}
