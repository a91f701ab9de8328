//! `loaf migrate`, `loaf create-admin`, `loaf jobs run` and `loaf storage
//! reconcile`, against `DATABASE_URL` (the last two also against the local
//! stack of `loaf serve`).

use crate::local_stack::LocalStack;
use crate::serve::redact;
use anyhow::Context;
use loaf_core::config::{AppRoleConfig, DbConfig, EmailConfig, RemindersConfig, StorageConfig};
use loaf_core::secrets::{resolve_env, Needs};
use loaf_core::storage::Storage;
use loaf_domain::email::Mailer;
use loaf_migrate::{NewAdmin, Summary};
use sqlx::PgPool;
use std::io::{BufRead, IsTerminal, Write};

/// The pool for `DATABASE_URL` (or `DB_SECRET_ARN` and friends, as in
/// AWS), as the owner: migrations and admin commands, with no statement
/// limit; and the application role to keep, if `DB_APP_USER` (or
/// `DB_APP_SECRET_ARN`) names one.
async fn pool_from_env() -> anyhow::Result<(PgPool, String, Option<AppRoleConfig>)> {
    let env = resolve_env(Needs::Migrate).await?;
    let config = DbConfig::read(&env)?;
    let pool = loaf_core::db::connect_lazy(&config)?;
    Ok((pool, redact(&config.url), AppRoleConfig::managed(&env)?))
}

/// Applies migrations and the seed, and keeps the application role when
/// one is named; prints what changed.
pub async fn migrate(json: bool) -> anyhow::Result<()> {
    let (pool, url, app_role) = pool_from_env().await?;
    let summary = loaf_migrate::run(&pool, &loaf_migrate::MIGRATOR, None, app_role.as_ref())
        .await
        .with_context(|| format!("migrating {url}"))?;
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print_summary(&summary);
    }
    Ok(())
}

fn print_summary(s: &Summary) {
    if s.baseline_adopted {
        println!("adopted the old platform's schema as migration 1 (baseline)");
    }
    if s.applied.is_empty() {
        println!("schema up to date: no migration to apply");
    }
    for a in &s.applied {
        println!("applied {:04} {}", a.version, a.description);
    }
    println!(
        "seed: {} permissions, {} roles, {} grants added; {} users linked to roles",
        s.seed.permissions_added,
        s.seed.roles_added,
        s.seed.grants_added,
        s.seed.users_linked_to_roles
    );
    if let Some(role) = &s.app_role {
        println!("application role {role}: grants, password and statement limit in place");
    }
    println!(
        "users | permissions | roles | plans = {} | {} | {} | {}",
        s.counts.users, s.counts.permissions, s.counts.roles, s.counts.plans
    );
}

/// Flags of `loaf create-admin`; what is missing comes from `ADMIN_*`
/// variables, then from prompts when a terminal is attached.
pub struct AdminArgs {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// Creates a superadmin, asking for what flags and variables do not give.
pub async fn create_admin(args: AdminArgs) -> anyhow::Result<()> {
    let interactive = std::io::stdin().is_terminal();
    let env = |var: &str| std::env::var(var).ok().filter(|v| !v.trim().is_empty());
    let ask = |label: &str, default: Option<&str>| -> anyhow::Result<String> {
        if !interactive {
            return default.map(str::to_string).ok_or_else(|| {
                anyhow::anyhow!("{label} is required: pass it as a flag or an ADMIN_* variable (no terminal to ask on)")
            });
        }
        match default {
            Some(d) => print!("{label} [{d}]: "),
            None => print!("{label}: "),
        }
        std::io::stdout().flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let line = line.trim();
        Ok(if line.is_empty() {
            default.unwrap_or_default()
        } else {
            line
        }
        .to_string())
    };

    let email = match args.email.or_else(|| env("ADMIN_EMAIL")) {
        Some(e) => e,
        None => ask("Email", None)?,
    };
    let first_name = match args.first_name.or_else(|| env("ADMIN_FIRST_NAME")) {
        Some(v) => v,
        None => ask("First name", Some("Super"))?,
    };
    let last_name = match args.last_name.or_else(|| env("ADMIN_LAST_NAME")) {
        Some(v) => v,
        None => ask("Last name", Some("Admin"))?,
    };
    let password = match env("ADMIN_PASSWORD") {
        Some(p) => p,
        None if interactive => {
            let first = rpassword::prompt_password("Password (8+ characters): ")?;
            let again = rpassword::prompt_password("Password again: ")?;
            anyhow::ensure!(
                first == again,
                "the two passwords differ: nothing was created"
            );
            first
        }
        None => anyhow::bail!("ADMIN_PASSWORD is required when no terminal is attached"),
    };
    let admin = NewAdmin {
        email,
        password,
        first_name,
        last_name,
    };
    // Refuse bad input before touching the database.
    admin.validate()?;
    let (pool, url, _) = pool_from_env().await?;
    let mut conn = pool
        .acquire()
        .await
        .with_context(|| format!("cannot reach the database at {url}"))?;
    loaf_migrate::admin::create_superadmin(&mut conn, &admin).await?;
    println!("created superadmin {}", admin.email.trim().to_lowercase());
    Ok(())
}

/// Which scheduled job `loaf jobs run` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum JobChoice {
    /// Expiries, reminders and housekeeping, then the mail they queued.
    Daily,
    /// Reminders before events, then the mail they queued.
    Hourly,
    /// Only deliver the email outbox.
    SendEmail,
    /// Build the data exports people asked for, then mail their links.
    Exports,
}

/// An instant given on the command line (RFC 3339).
pub fn instant(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| format!("{e}: write it as 2027-01-31T09:00:00Z"))
}

/// Runs a scheduled job once as of `at` (now, unless `--now` says), as
/// EventBridge does in AWS. Without
/// `DATABASE_URL` it works on `loaf serve`'s local cluster (starting it if
/// needed, and stopping it again if `loaf serve` is not running), without
/// `S3_BUCKET` on its local storage folder, and writes mail where `loaf
/// serve` does.
pub async fn run_jobs(job: JobChoice, at: chrono::DateTime<chrono::Utc>) -> anyhow::Result<()> {
    let local = LocalStack::for_commands().await?;
    let result = async {
        let resolved = resolve_env(Needs::Database).await?;
        let source =
            |var: &str| loaf_core::config::Source::get(&resolved, var).or_else(|| local.get(var));
        let db = DbConfig::read(&source)?;
        let email = EmailConfig::read(&source)?;
        let reminders = RemindersConfig::read(&source)?;
        let storage = Storage::new(&StorageConfig::read(&source)?);
        let pool = loaf_core::db::connect_lazy(&db)?;
        let mailer = Mailer::from_config(email);
        if job == JobChoice::Daily {
            let summary = loaf_jobs::run(&pool, &storage, &mailer.config, &reminders, at)
                .await
                .with_context(|| format!("running the daily jobs on {}", redact(&db.url)))?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        if job == JobChoice::Exports {
            let summary = loaf_jobs::exports(&pool, &storage, &mailer.config)
                .await
                .with_context(|| format!("building the exports on {}", redact(&db.url)))?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        if job == JobChoice::Hourly {
            let summary = loaf_jobs::hourly(&pool, &mailer.config, &reminders, at)
                .await
                .with_context(|| format!("running the hourly jobs on {}", redact(&db.url)))?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
        }
        let delivery = loaf_jobs::send_email(&pool, &mailer).await?;
        println!("{}", serde_json::to_string_pretty(&delivery)?);
        pool.close().await;
        anyhow::Ok(())
    }
    .await;
    local.finish().await?;
    result
}

/// Runs the jobs function's handler on the SNS event SES would publish for
/// a hard bounce (or a complaint) of mail to `address`.
pub async fn simulate_bounce(address: &str, complaint: bool) -> anyhow::Result<()> {
    let local = LocalStack::for_commands().await?;
    let result = async {
        let resolved = resolve_env(Needs::Database).await?;
        let source =
            |var: &str| loaf_core::config::Source::get(&resolved, var).or_else(|| local.get(var));
        let db = DbConfig::read(&source)?;
        let pool = loaf_core::db::connect_lazy(&db)?;
        let event = crate::local_ses::event(address, complaint);
        let done = loaf_jobs::email_events(&pool, &event)
            .await
            .with_context(|| format!("recording the event on {}", redact(&db.url)))?;
        println!("{}", serde_json::to_string_pretty(&done)?);
        pool.close().await;
        anyhow::Ok(())
    }
    .await;
    local.finish().await?;
    result
}

/// Recomputes the storage usage from what S3 holds: retries the queued
/// deletions, lists the managed prefixes, sets the usage to the bytes of
/// the objects rows own, and reports orphans and missing objects.
pub async fn reconcile_storage() -> anyhow::Result<()> {
    let local = LocalStack::for_commands().await?;
    let result = async {
        let resolved = resolve_env(Needs::Database).await?;
        let source =
            |var: &str| loaf_core::config::Source::get(&resolved, var).or_else(|| local.get(var));
        let db = DbConfig::read(&source)?;
        let storage = Storage::new(&StorageConfig::read(&source)?);
        let pool = loaf_core::db::connect_lazy(&db)?;
        let report = loaf_domain::uploads::reconcile(&pool, &storage)
            .await
            .with_context(|| format!("reconciling storage on {}", redact(&db.url)))?;
        println!("{}", serde_json::to_string_pretty(&report)?);
        pool.close().await;
        anyhow::Ok(())
    }
    .await;
    local.finish().await?;
    result
}

/// `loaf openapi [PATH]`: the document `GET /api/openapi.json` serves, for
/// the frontend team's client generators. `-` writes to standard output.
pub fn write_openapi(path: &str) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(&loaf_docs::openapi())?;
    text.push('\n');
    if path == "-" {
        std::io::stdout().write_all(text.as_bytes())?;
    } else {
        std::fs::write(path, text).with_context(|| format!("writing {path}"))?;
        eprintln!("wrote {path}");
    }
    Ok(())
}
