//! A check on every connection the tests' pools hand out again: nothing a
//! request did may outlive its transaction in the session. Behind RDS Proxy,
//! a session-level `SET`, an advisory lock, a temporary table, a `LISTEN`
//! or a holdable cursor pins the client to one database connection (and
//! behind PgBouncer's session mode, or in our own pool, it would leak into
//! the next request). The check runs before each reuse, so the whole suite
//! proves it for every route it drives; a finding panics in the request
//! that would have inherited it.

use sqlx::postgres::PgPoolOptions;

/// Whatever the session holds beyond a transaction, one line each.
/// PgBouncer hands a client's startup parameters to a shared server
/// connection with `SET` (RDS Proxy tracks them likewise), so those show as
/// session settings: they pass when they hold the values our connections
/// start with (`loaf::db::connect_options`), and only then.
pub const LEFTOVERS: &str = "SELECT ARRAY( \
       SELECT 'SET ' || name || ' = ' || setting FROM pg_settings \
                 WHERE source = 'session' AND (name, setting) NOT IN ( \
                   ('application_name', 'loaf'), ('TimeZone', 'UTC'), \
                   ('DateStyle', 'ISO, MDY'), ('client_encoding', 'UTF8')) \
       UNION ALL SELECT 'advisory lock ' || objid FROM pg_locks \
                 WHERE locktype = 'advisory' AND pid = pg_backend_pid() \
       UNION ALL SELECT 'temporary table ' || relname FROM pg_class \
                 WHERE relnamespace = pg_my_temp_schema() \
       UNION ALL SELECT 'LISTEN ' || channel FROM pg_listening_channels() AS channel \
       UNION ALL SELECT 'cursor ' || name FROM pg_cursors WHERE is_holdable \
     )::text[]";

/// `options` with the check installed.
pub fn guarded(options: PgPoolOptions) -> PgPoolOptions {
    options.before_acquire(|conn, _meta| {
        Box::pin(async move {
            let left: Vec<String> = sqlx::query_scalar(LEFTOVERS).fetch_one(&mut *conn).await?;
            assert!(
                left.is_empty(),
                "a session kept state past its transaction, which would pin it at RDS Proxy: {left:?}"
            );
            Ok(true)
        })
    })
}
