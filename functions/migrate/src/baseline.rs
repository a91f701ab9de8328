//! Adopting a database the old platform created: its schema is what
//! migration 1 builds, but it has no `_sqlx_migrations` record. Running
//! migration 1 over it would be wrong (it is the record, not the DDL, that
//! is missing), so the run records migration 1 as applied and goes on with
//! what is newer.

use sqlx::migrate::{Migrate, Migrator};
use sqlx::PgConnection;

/// The old platform's tables, as its database guide names them.
const LEGACY_TABLES: [&str; 16] = [
    "users",
    "events",
    "event_rsvps",
    "event_galleries",
    "subscription_plans",
    "subscriptions",
    "donations",
    "newsletter_archives",
    "financial_reports",
    "bylaws_documents",
    "permissions",
    "roles",
    "role_permissions",
    "storage_usage",
    "user_invitations",
    "import_jobs",
];

/// The old platform's enum types.
const LEGACY_ENUMS: [&str; 8] = [
    "userstatus",
    "userrole",
    "rsvpstatus",
    "subscriptionstatus",
    "donationtype",
    "donationstatus",
    "invitationstatus",
    "importjobstatus",
];

/// Records migration 1 as applied when the database holds the old schema
/// and no migration record; answers whether it did. A database holding only
/// part of the old schema is refused with the list of what is missing.
pub async fn adopt_legacy_schema(
    conn: &mut PgConnection,
    migrator: &Migrator,
) -> Result<bool, super::Error> {
    let has_table: bool =
        sqlx::query_scalar!("SELECT to_regclass('_sqlx_migrations') IS NOT NULL AS \"present!\"",)
            .fetch_one(&mut *conn)
            .await?;
    if has_table {
        let has_record: bool =
            sqlx::query_scalar!("SELECT EXISTS (SELECT 1 FROM _sqlx_migrations) AS \"n!\"",)
                .fetch_one(&mut *conn)
                .await?;
        if has_record {
            return Ok(false);
        }
    }
    let tables: Vec<String> = sqlx::query_scalar!(
        "SELECT table_name::text AS \"name!\" FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_name = ANY($1)",
        &LEGACY_TABLES[..] as _,
    )
    .fetch_all(&mut *conn)
    .await?;
    if tables.is_empty() {
        return Ok(false); // a fresh database: migration 1 will build it
    }
    let enums: Vec<String> = sqlx::query_scalar!(
        "SELECT t.typname::text AS \"name!\" FROM pg_type t \
         JOIN pg_namespace n ON n.oid = t.typnamespace \
         WHERE n.nspname = current_schema() AND t.typtype = 'e' AND t.typname = ANY($1)",
        &LEGACY_ENUMS[..] as _,
    )
    .fetch_all(&mut *conn)
    .await?;
    let missing: Vec<&str> = LEGACY_TABLES
        .iter()
        .chain(LEGACY_ENUMS.iter())
        .filter(|name| !tables.iter().chain(enums.iter()).any(|have| have == *name))
        .copied()
        .collect();
    if !missing.is_empty() {
        return Err(super::Error::Legacy(format!(
            "the database holds part of the old platform's schema but lacks {}: \
             run the old platform's migrations up to 000_initial_schema first, or start from an empty database",
            missing.join(", ")
        )));
    }
    let first = migrator
        .iter()
        .find(|m| m.migration_type.is_up_migration())
        .ok_or_else(|| super::Error::Legacy("this build embeds no migrations".into()))?;
    conn.ensure_migrations_table().await?;
    sqlx::query!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES ($1, $2, TRUE, $3, 0)",
        first.version,
        format!("{} (baseline: adopted existing schema)", first.description),
        first.checksum.as_ref(),
    )
    .execute(&mut *conn)
    .await?;
    tracing::info!(
        version = first.version,
        "adopted the old platform's schema as the baseline"
    );
    Ok(true)
}
