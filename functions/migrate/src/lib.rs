//! Brings a database to the current schema: applies migrations, seeds the
//! permission catalogue and system roles, and can create the first
//! superadmin. The same work runs as a Lambda (on every deploy, as a
//! CloudFormation custom resource, or invoked by hand), as `loaf migrate`,
//! and at the start of `loaf serve` and of every test database.

pub mod admin;
mod app_role;
mod baseline;
pub mod invoke;
mod rbac;

use loaf_core::config::AppRoleConfig;
use serde::Serialize;
use sqlx::migrate::{Migrate, MigrateError, Migrator};
use sqlx::{Connection, PgConnection, PgPool};

pub use admin::NewAdmin;
pub use rbac::SeedSummary;

/// The migrations in `migrations/`, embedded at build time.
pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// The key of the session advisory lock that keeps two runs (two deploys,
/// a deploy and a `loaf migrate`) from interleaving. Arbitrary but fixed:
/// "LOAF" in ASCII.
const LOCK_KEY: i64 = 0x4C4F_4146;

/// Why a run failed; each message is one actionable line.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot reach the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration {version} ({description}) failed and was rolled back: {cause}")]
    Migration {
        version: i64,
        description: String,
        cause: String,
    },
    #[error("the database has migration {0} applied, which this build does not know: deploy the newer build")]
    UnknownApplied(i64),
    #[error("migration {0} was changed after it was applied: restore its original text and add a new migration instead")]
    Modified(i64),
    #[error("migration {0} is marked as failed in _sqlx_migrations: repair the schema by hand, delete that row, and run again")]
    Dirty(i64),
    #[error("{0}")]
    Legacy(String),
    #[error(transparent)]
    Admin(#[from] admin::AdminError),
    #[error("cannot create or update the application role {0}: {1}")]
    AppRole(String, #[source] sqlx::Error),
    #[error("password hashing failed: {0}")]
    Hashing(#[source] anyhow::Error),
}

impl From<MigrateError> for Error {
    fn from(err: MigrateError) -> Self {
        match err {
            MigrateError::Execute(e) => Error::Database(e),
            MigrateError::VersionMissing(v) => Error::UnknownApplied(v),
            MigrateError::VersionMismatch(v) => Error::Modified(v),
            MigrateError::Dirty(v) => Error::Dirty(v),
            other => Error::Database(sqlx::Error::Migrate(Box::new(other))),
        }
    }
}

/// A migration this run applied.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Applied {
    pub version: i64,
    pub description: String,
}

/// What happened to the superadmin request.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SuperadminOutcome {
    NotRequested,
    Created,
    /// A superadmin already exists, so the bootstrap request was ignored.
    AlreadyPresent,
}

/// The seed guide's verification query: `users | permissions | roles | plans`.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Counts {
    pub users: i64,
    pub permissions: i64,
    pub roles: i64,
    pub plans: i64,
}

/// The JSON summary a run answers.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The old platform's schema was found without a migration record and
    /// recorded as migration 1.
    pub baseline_adopted: bool,
    pub applied: Vec<Applied>,
    pub seed: SeedSummary,
    pub superadmin: SuperadminOutcome,
    /// The application role brought in line, when one was asked for.
    pub app_role: Option<String>,
    pub counts: Counts,
}

/// Runs everything under the advisory lock, on a connection of its own that
/// is closed afterwards, so a failed run can never leave the lock held.
/// `bootstrap` creates a superadmin only when the database has none;
/// `app_role` creates or updates the application's role.
pub async fn run(
    pool: &PgPool,
    migrator: &Migrator,
    bootstrap: Option<&NewAdmin>,
    app_role: Option<&AppRoleConfig>,
) -> Result<Summary, Error> {
    let mut conn = pool.acquire().await.map_err(Error::Connect)?.detach();
    sqlx::query!("SELECT pg_advisory_lock($1)", LOCK_KEY,)
        .fetch_optional(&mut conn)
        .await?;
    let result = run_locked(&mut conn, migrator, bootstrap, app_role).await;
    // Closing the session releases the lock even if unlocking fails.
    let _ = conn.close().await;
    result
}

async fn run_locked(
    conn: &mut PgConnection,
    migrator: &Migrator,
    bootstrap: Option<&NewAdmin>,
    app_role: Option<&AppRoleConfig>,
) -> Result<Summary, Error> {
    let baseline_adopted = baseline::adopt_legacy_schema(conn, migrator).await?;
    let applied = apply_pending(conn, migrator).await?;
    let seed = rbac::seed(conn).await?;
    if let Some(role) = app_role {
        app_role::ensure(conn, role)
            .await
            .map_err(|e| Error::AppRole(role.name.clone(), e))?;
    }
    let superadmin = match bootstrap {
        None => SuperadminOutcome::NotRequested,
        Some(_) if admin::superadmin_exists(conn).await? => SuperadminOutcome::AlreadyPresent,
        Some(new) => {
            admin::create_superadmin(conn, new).await?;
            SuperadminOutcome::Created
        }
    };
    Ok(Summary {
        baseline_adopted,
        applied,
        seed,
        superadmin,
        app_role: app_role.map(|r| r.name.clone()),
        counts: counts(conn).await?,
    })
}

/// Applies, each in its own transaction, the migrations the database lacks.
async fn apply_pending(
    conn: &mut PgConnection,
    migrator: &Migrator,
) -> Result<Vec<Applied>, Error> {
    conn.ensure_migrations_table().await?;
    if let Some(version) = conn.dirty_version().await? {
        return Err(Error::Dirty(version));
    }
    let done = conn.list_applied_migrations().await?;
    if let Some(unknown) = done.iter().find(|a| !migrator.version_exists(a.version)) {
        return Err(Error::UnknownApplied(unknown.version));
    }
    let mut applied = Vec::new();
    for migration in migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
    {
        match done.iter().find(|a| a.version == migration.version) {
            Some(a) if a.checksum != migration.checksum => {
                return Err(Error::Modified(migration.version))
            }
            Some(_) => {}
            None => {
                conn.apply(migration).await.map_err(|e| Error::Migration {
                    version: migration.version,
                    description: migration.description.to_string(),
                    cause: match e {
                        MigrateError::ExecuteMigration(cause, _) => cause.to_string(),
                        other => other.to_string(),
                    },
                })?;
                tracing::info!(version = migration.version, description = %migration.description, "migration applied");
                applied.push(Applied {
                    version: migration.version,
                    description: migration.description.to_string(),
                });
            }
        }
    }
    Ok(applied)
}

/// The seed guide's verification counts.
pub async fn counts(conn: &mut PgConnection) -> Result<Counts, sqlx::Error> {
    sqlx::query_as!(
        Counts,
        r#"SELECT (SELECT COUNT(*) FROM users) AS "users!",
                  (SELECT COUNT(*) FROM permissions) AS "permissions!",
                  (SELECT COUNT(*) FROM roles) AS "roles!",
                  (SELECT COUNT(*) FROM subscription_plans) AS "plans!""#,
    )
    .fetch_one(conn)
    .await
}
