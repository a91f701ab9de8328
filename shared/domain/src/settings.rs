//! The organisation's settings (one row, `organisation_settings`): what the
//! settings routes read and write, and the single values other rules need.
//! Statements that only need the time zone on a row's date read it in
//! place (`CROSS JOIN organisation_settings o`), where a separate read
//! would cost a round trip.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// The organisation's time zone (IANA).
pub async fn time_zone(conn: &mut PgConnection) -> sqlx::Result<String> {
    sqlx::query_scalar!("SELECT time_zone FROM organisation_settings")
        .fetch_one(conn)
        .await
}

/// The organisation's currency (ISO 4217, upper case): what payments are
/// taken in.
pub async fn currency(conn: &mut PgConnection) -> sqlx::Result<String> {
    sqlx::query_scalar!(r#"SELECT currency::text AS "currency!" FROM organisation_settings"#)
        .fetch_one(conn)
        .await
}

/// How to pay offline, if the organisation offers it.
pub async fn payment_instructions(conn: &mut PgConnection) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT payment_instructions FROM organisation_settings")
        .fetch_one(conn)
        .await
}

/// The organisation's own name (`None`: the deployment's default) and its
/// logo's object, for a letterhead.
pub async fn name_and_logo(
    conn: &mut PgConnection,
) -> sqlx::Result<(Option<String>, Option<String>)> {
    let found = sqlx::query!("SELECT name, logo_key FROM organisation_settings")
        .fetch_optional(conn)
        .await?;
    Ok(found.map_or((None, None), |o| (o.name, o.logo_key)))
}

/// The organisation's postal address, if set.
pub async fn postal_address(conn: &mut PgConnection) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!("SELECT postal_address FROM organisation_settings")
        .fetch_one(conn)
        .await
}

/// Today on the organisation's calendar.
pub async fn today(conn: &mut PgConnection) -> sqlx::Result<NaiveDate> {
    sqlx::query_scalar!(
        r#"SELECT (now() AT TIME ZONE time_zone)::date AS "today!" FROM organisation_settings"#
    )
    .fetch_one(conn)
    .await
}

/// Today on the organisation's calendar, and the instant money received
/// on `day` (today if `None`) counts from: that day's local midnight.
pub async fn paid_day(
    conn: &mut PgConnection,
    day: Option<NaiveDate>,
) -> sqlx::Result<(NaiveDate, DateTime<Utc>)> {
    sqlx::query!(
        "SELECT (now() AT TIME ZONE o.time_zone)::date AS \"today!\", \
                (COALESCE($1, (now() AT TIME ZONE o.time_zone)::date)::timestamp \
                    AT TIME ZONE o.time_zone) AS \"paid_at!\" \
         FROM organisation_settings o",
        day,
    )
    .map(|r| (r.today, r.paid_at))
    .fetch_one(conn)
    .await
}

/// The instant `last_day` (on the organisation's calendar) ends, and
/// whether that day is more than ten years ahead.
pub async fn end_of_day(
    conn: &mut PgConnection,
    last_day: NaiveDate,
) -> sqlx::Result<(DateTime<Utc>, bool)> {
    sqlx::query!(
        "SELECT (($1::date + 1)::timestamp AT TIME ZONE time_zone) AS \"ends_at!\", \
                $1::date > (now() AT TIME ZONE time_zone)::date + interval '10 years' AS \"too_far!\" \
         FROM organisation_settings",
        last_day,
    )
    .map(|r| (r.ends_at, r.too_far))
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

/// The settings as stored (the logo as its object's key).
#[derive(Debug)]
pub struct Stored {
    /// `None`: the deployment's default name.
    pub name: Option<String>,
    pub contact_email: Option<String>,
    pub time_zone: String,
    pub currency: String,
    pub logo_key: Option<String>,
    pub staff_need_membership: bool,
    pub grace_days: i32,
    pub payment_instructions: Option<String>,
    pub pending_payment_access: bool,
    pub record_retention_years: i32,
    pub postal_address: Option<String>,
}

/// Every setting.
pub async fn read(conn: &mut PgConnection) -> sqlx::Result<Stored> {
    sqlx::query_as!(
        Stored,
        "SELECT name, contact_email, time_zone, currency::text AS \"currency!\", logo_key, \
                staff_need_membership, grace_days, payment_instructions, pending_payment_access, \
                record_retention_years, postal_address \
         FROM organisation_settings",
    )
    .fetch_one(conn)
    .await
}

/// A change of the settings, checked by the caller: `None` keeps a value;
/// for the instructions and the address, `Some(None)` clears it.
#[derive(Debug, Default)]
pub struct Changes<'a> {
    pub name: Option<&'a str>,
    pub contact_email: Option<&'a str>,
    pub time_zone: Option<&'a str>,
    pub currency: Option<&'a str>,
    pub staff_need_membership: Option<bool>,
    pub grace_days: Option<i32>,
    pub payment_instructions: Option<Option<&'a str>>,
    pub pending_payment_access: Option<bool>,
    pub record_retention_years: Option<i32>,
    pub postal_address: Option<Option<&'a str>>,
}

/// Applies `changes`, made by `by`.
pub async fn update(conn: &mut PgConnection, changes: &Changes<'_>, by: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE organisation_settings SET name = COALESCE($1, name), \
             contact_email = COALESCE($2, contact_email), time_zone = COALESCE($3, time_zone), \
             currency = COALESCE($4, currency), \
             staff_need_membership = COALESCE($5, staff_need_membership), \
             grace_days = COALESCE($6, grace_days), \
             payment_instructions = CASE WHEN $8 THEN $9 ELSE payment_instructions END, \
             pending_payment_access = COALESCE($10, pending_payment_access), \
             record_retention_years = COALESCE($11, record_retention_years), \
             postal_address = CASE WHEN $12 THEN $13 ELSE postal_address END, \
             updated_at = now(), updated_by = $7",
        changes.name,
        changes.contact_email,
        changes.time_zone,
        changes.currency,
        changes.staff_need_membership,
        changes.grace_days,
        by,
        changes.payment_instructions.is_some(),
        changes.payment_instructions.flatten(),
        changes.pending_payment_access,
        changes.record_retention_years,
        changes.postal_address.is_some(),
        changes.postal_address.flatten(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Replaces the logo's object and size (`None`: no logo), made by `by`, in
/// the caller's transaction; the old object leaves the storage usage.
/// Answers the old key, for the caller to delete once committed.
pub async fn swap_logo(
    conn: &mut PgConnection,
    new: Option<(&str, i64)>,
    by: Uuid,
) -> sqlx::Result<Option<String>> {
    let (old_key, old_size): (Option<String>, i64) =
        sqlx::query!("SELECT logo_key, logo_size FROM organisation_settings FOR UPDATE")
            .map(|r| (r.logo_key, r.logo_size))
            .fetch_one(&mut *conn)
            .await?;
    if let Some(old) = &old_key {
        crate::uploads::forget(conn, old, old_size).await?;
    }
    sqlx::query!(
        "UPDATE organisation_settings SET logo_key = $1, logo_size = $2, updated_at = now(), \
             updated_by = $3",
        new.map(|(key, _)| key),
        new.map_or(0, |(_, size)| size),
        by,
    )
    .execute(conn)
    .await?;
    Ok(old_key)
}
