//! The organisation's settings (one row, `organisation_settings`): what the
//! settings routes read and write, and the single values other rules need.
//! Statements that only need the time zone on a row's date read it in
//! place (`CROSS JOIN organisation_settings o`), where a separate read
//! would cost a round trip.

use sqlx::PgConnection;

/// The organisation's time zone (IANA).
pub async fn time_zone(conn: &mut PgConnection) -> sqlx::Result<String> {
    sqlx::query_scalar!("SELECT time_zone FROM organisation_settings")
        .fetch_one(conn)
        .await
}

/// Whether PostgreSQL knows `zone` as an IANA zone name.
pub async fn zone_known(conn: &mut PgConnection, zone: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1) AS \"n!\"",
        zone,
    )
    .fetch_one(conn)
    .await
}
