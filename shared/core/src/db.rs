//! The Postgres pool, built once per container, and the credentials it
//! connects with.
//!
//! In AWS every connection goes through RDS Proxy, which shapes three rules
//! here:
//!
//! - **No startup options.** The proxy refuses any `options` parameter at
//!   connect time, so nothing is set that way: the per-statement limit is
//!   the application role's own setting (migrate keeps it), and no session
//!   ever runs a plain `SET` (the proxy would pin the session to one
//!   database connection; `SET LOCAL` ends with its transaction).
//! - **Credentials rotate.** The database secret changes every week while
//!   containers stay warm. Connections already open keep working; a new one
//!   made with the old password is refused. `secrets::Rotation` re-reads
//!   the secret when that happens, before a request needs the connection,
//!   so no request sees the refusal.
//! - **Small pools.** The proxy multiplexes; a container serves one request
//!   at a time.

use crate::config::DbConfig;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::time::Duration;

/// Builds the pool without connecting: a Lambda container's init stays fast
/// and does not fail when the database is briefly unreachable; the first
/// query connects, and an outage answers 503 instead of killing the container.
///
/// TLS follows the URL's `sslmode` (`verify-full` against RDS Proxy, whose
/// certificate chains to a public root). sqlx has no separate connect
/// timeout: the acquire timeout bounds connecting too.
pub fn connect_lazy(cfg: &DbConfig) -> Result<PgPool, sqlx::Error> {
    Ok(pool_options(cfg).connect_lazy_with(connect_options(cfg)?))
}

/// The pool's sizing and lifetimes for `cfg`.
pub fn pool_options(cfg: &DbConfig) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(cfg.max_connections)
        .min_connections(0)
        .acquire_timeout(cfg.acquire_timeout)
        // RDS Proxy closes idle client connections after its own timeout
        // (30 min by default); dropping ours sooner avoids handing out a
        // connection the proxy already closed while the container was frozen.
        .idle_timeout(Duration::from_secs(300))
        .max_lifetime(Duration::from_secs(1800))
}

/// What each connection of `cfg` says at startup: only the parameters RDS
/// Proxy and PgBouncer both accept (sqlx's `DateStyle`, `client_encoding`
/// and `TimeZone`, and `application_name`). sqlx would also send
/// `extra_float_digits`, which PgBouncer refuses unless told to ignore it;
/// PostgreSQL 12 and later send floats at full precision anyway (and the
/// schema has none).
pub fn connect_options(cfg: &DbConfig) -> Result<PgConnectOptions, sqlx::Error> {
    let options: PgConnectOptions = cfg.url.parse()?;
    Ok(options.application_name("loaf").extra_float_digits(None))
}

/// `true` when the pool hands out a connection that answers a round trip
/// (the protocol's `Sync`, no statement): what `GET /api/health` reports.
/// A new connection costs exactly its opening plus that round trip; a
/// statement would add its preparation.
pub async fn is_reachable(pool: &PgPool) -> bool {
    use sqlx::Connection;
    match pool.acquire().await {
        Ok(mut conn) => conn.ping().await.is_ok(),
        Err(_) => false,
    }
}

/// `true` when the server refused the connection's credentials (SQLSTATE
/// class 28: a wrong password, or a role that may not log in).
pub fn is_authentication_failure(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(e) => e.code().is_some_and(|code| code.starts_with("28")),
        _ => false,
    }
}

/// A `LIKE` pattern matching `term` anywhere, its wildcards escaped.
pub fn like_contains(term: &str) -> String {
    let escaped = term
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// `sqlx::query_as!($out, $sql, args…)`, checked when it compiles like any
/// other, but run as an unprepared statement (`persistent(false)`), which
/// the checked macros' own type cannot be: for searches whose best plan
/// depends on the term (a trigram `LIKE`), where a cached generic plan
/// would be the wrong one for most terms. `$out` derives `sqlx::FromRow`.
#[macro_export]
macro_rules! query_as_unprepared {
    ($out:ty, $sql:literal $(, $arg:expr)* $(,)?) => {{
        if false {
            // Never runs: it is here to be checked against the schema.
            let _ = sqlx::query_as!($out, $sql $(, $arg)*);
        }
        sqlx::query_as::<_, $out>($sql)$(.bind($arg))*.persistent(false)
    }};
}
