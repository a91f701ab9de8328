//! `loaf serve`: the whole API on one local port, on embedded defaults.

use crate::gateway;
use crate::local_payments::{self, LocalPayments};
use crate::local_postgres::{self, ensure_database, Cluster, Durability};
use crate::local_s3::{self, LocalS3};
use crate::project::{random_hex, write_private, Project};
use crate::web;
use anyhow::Context;
use loaf_core::config::{AppRoleConfig, Config, DbConfig, DEFAULT_APP_ROLE};
use loaf_core::storage::Storage;
use loaf_domain::email::transport::Transport;
use loaf_domain::email::Mailer;
use loaf_http::AppState;
use loaf_migrate::NewAdmin;
use sqlx::PgPool;
use std::collections::HashMap;
use std::time::Instant;
use tokio::net::TcpListener;

/// The local bucket's name.
pub(crate) const LOCAL_BUCKET: &str = "loaf-local";
/// The development superadmin's email.
const DEV_ADMIN_EMAIL: &str = "admin@loaf.local";

/// Serves until Ctrl-C or SIGTERM, then stops what it started.
pub async fn serve(port: u16) -> anyhow::Result<()> {
    let started = Instant::now();
    // Installed first, so a Ctrl-C or SIGTERM arriving while the cluster
    // starts, or just after the banner, still shuts down cleanly.
    let shutdown = shutdown_signal()?;
    let project = Project::locate()?;
    let _lock = project.lock_serve()?;
    let listener = TcpListener::bind(("127.0.0.1", port)).await.with_context(|| {
        format!("cannot listen on 127.0.0.1:{port}: stop what uses it, or choose another port with PORT=… or --port")
    })?;
    let state_dir = project.state_dir()?;

    let mut local: HashMap<&'static str, String> = HashMap::new();
    let cluster = if env_is_set("DATABASE_URL") {
        None
    } else {
        let cluster = Cluster::new(&cluster_dir(&state_dir), Durability::Safe)?;
        cluster.start().await?;
        Some(cluster)
    };
    let result = async {
        // The owner migrates; the API connects as the application role that
        // migrate keeps, with its grants and statement limit, as in AWS.
        let mut owner_url = None;
        if let Some(cluster) = &cluster {
            ensure_database(&cluster.url("postgres")?, "loaf").await?;
            owner_url = Some(cluster.url("loaf")?);
            local.insert("DATABASE_URL", cluster.url_as(DEFAULT_APP_ROLE, "loaf")?);
            local.insert("DB_APP_USER", DEFAULT_APP_ROLE.into());
            local.insert("DB_MAX_CONNECTIONS", "10".into());
        }
        let s3 = if env_is_set("S3_BUCKET") {
            None
        } else {
            let s3 = LocalS3::start(&state_dir.join("s3"), 0).await?;
            local.insert("S3_BUCKET", LOCAL_BUCKET.into());
            local.insert("S3_ENDPOINT", s3.endpoint());
            local.insert("S3_ACCESS_KEY_ID", local_s3::ACCESS_KEY_ID.into());
            local.insert("S3_SECRET_ACCESS_KEY", local_s3::SECRET_ACCESS_KEY.into());
            Some(s3)
        };
        let payments = if env_is_set("PAYMENT_SECRET_KEY") {
            None
        } else {
            let webhook = format!("http://{}/api/payments/webhook", listener.local_addr()?);
            let payments = LocalPayments::start(0, Some(webhook)).await?;
            local.insert("PAYMENT_API_URL", payments.api_url());
            local.insert("PAYMENT_SECRET_KEY", local_payments::SECRET_KEY.into());
            local.insert("PAYMENT_WEBHOOK_SECRET", local_payments::WEBHOOK_SECRET.into());
            Some(payments)
        };
        if !env_is_set("JWT_SECRET") {
            local.insert("JWT_SECRET", project.secret("jwt-secret")?);
        }
        // Links in emails open the web app this server serves.
        let url = format!("http://{}", listener.local_addr()?);
        local.insert("FRONTEND_URL", url.clone());
        if !env_is_set("EMAIL_FROM") && !env_is_set("MAIL_DIR") {
            let mail_dir = state_dir.join("mail");
            local.insert("MAIL_DIR", mail_dir.to_string_lossy().into_owned());
        }
        let source = |var: &str| std::env::var(var).ok().or_else(|| local.get(var).cloned());
        let config = Config::read(&source)?;
        let app_role = AppRoleConfig::managed(&source)?;
        let pool = loaf_core::db::connect_lazy(&config.db)?;
        // The banner names the owner's URL: what `loaf migrate` and
        // `loaf create-admin` take.
        let database = redact(owner_url.as_deref().unwrap_or(&config.db.url));
        let login = match owner_url {
            Some(url) => {
                let owner = loaf_core::db::connect_lazy(&DbConfig {
                    url,
                    ..config.db.clone()
                })?;
                loaf_migrate::run(&owner, &loaf_migrate::MIGRATOR, None, app_role.as_ref())
                    .await?;
                let login = dev_admin(&project, &owner).await;
                owner.close().await;
                login?
            }
            None => {
                loaf_migrate::run(&pool, &loaf_migrate::MIGRATOR, None, app_role.as_ref())
                    .await?;
                dev_admin(&project, &pool).await?
            }
        };
        let storage = Storage::new(&config.storage);
        if s3.is_some() {
            storage
                .ensure_bucket()
                .await
                .context("cannot create the local bucket")?;
        }
        let bucket = config.storage.bucket.clone();
        let mailer = Mailer::from_config(config.email.clone());
        let mail = mail_description(&mailer);
        // What the jobs function's schedule does in AWS: deliver whatever
        // the handlers left in the outbox (retries, anonymous flows).
        let sender = tokio::spawn(send_mail_forever(
            pool.clone(),
            mailer.clone(),
            Storage::new(&config.storage),
        ));
        let storage_origin = config
            .storage
            .endpoint
            .clone()
            .unwrap_or_else(|| format!("https://{}.s3.amazonaws.com", config.storage.bucket));
        let api = gateway::router(AppState::new(config, pool, storage, mailer));
        let (app, web_line) = match web::prepare(&web::source_dir(project.root())) {
            web::Prepared::Ready(dist) => (
                gateway::with_web(api, web::router(dist.clone(), &storage_origin)),
                format!("{url}/ (built in {})", dist.display()),
            ),
            web::Prepared::Skipped(why) => (api, why),
        };

        println!(
            "LOAF API ready on {url} ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
        println!("  web app     {web_line}");
        println!("  health      curl {url}/api/health");
        match &cluster {
            Some(c) => println!(
                "  database    {database} (local cluster in {}; the API connects as {DEFAULT_APP_ROLE})",
                c.dir().display()
            ),
            None => println!("  database    {database}"),
        }
        match &s3 {
            Some(s3) => println!(
                "  storage     bucket {bucket} at {} (local S3 in .loaf/s3)",
                s3.endpoint()
            ),
            None => println!("  storage     bucket {bucket}"),
        }
        println!("  mail        {mail}");
        match &payments {
            Some(p) => println!(
                "  payments    local checkout stand-in at {} (test mode: checkout links open its Pay page)",
                p.api_url()
            ),
            None => println!("  payments    the provider at PAYMENT_API_URL (default api.stripe.com)"),
        }
        match login {
            Some((email, password)) => {
                println!("  superadmin  {email} / {password} (kept in .loaf/dev-admin.json)")
            }
            None => println!("  superadmin  sign in with the existing superadmin account"),
        }
        println!(
            "Ctrl-C stops the server{}.",
            if cluster.is_some() {
                ", the local database and storage"
            } else {
                ""
            }
        );

        // The peer address feeds login throttling per source address, as
        // API Gateway's request context does in AWS.
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("the server stopped unexpectedly")?;
        sender.abort();
        drop(s3);
        drop(payments);
        anyhow::Ok(())
    }
    .await;
    if let Some(cluster) = cluster {
        if let Err(e) = cluster.stop().await {
            eprintln!("warning: could not stop the local PostgreSQL: {e:#}");
        }
    }
    result
}

/// How often the local sender looks at the outbox (and the exports).
const MAIL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(2);

/// What the jobs function's every-minute schedules do in AWS: build the
/// data exports asked for, deliver the outbox.
async fn send_mail_forever(pool: PgPool, mailer: Mailer, storage: Storage) {
    let mut tick = tokio::time::interval(MAIL_INTERVAL);
    loop {
        tick.tick().await;
        if let Err(e) = loaf_jobs::exports(&pool, &storage, &mailer.config).await {
            tracing::warn!(error = %e, "local data exports failed");
        }
        if let Err(e) = mailer.deliver_due(&pool, 50).await {
            tracing::warn!(error = %e, "local mail delivery failed");
        }
    }
}

fn mail_description(mailer: &Mailer) -> String {
    match &mailer.transport {
        Transport::Directory(dir) => format!(
            "written to {} (links printed below as they are sent)",
            dir.display()
        ),
        Transport::Ses { .. } => format!("sent through Amazon SES from {}", mailer.config.from),
    }
}

/// `.loaf/postgres`, unless the server's user cannot reach it (we are root
/// and the checkout is somewhere like /root): then a folder of the temp
/// area named after the project, so the embedded default still works.
pub(crate) fn cluster_dir(state_dir: &std::path::Path) -> std::path::PathBuf {
    if local_postgres::server_can_reach(state_dir) {
        return state_dir.join("postgres");
    }
    let hash = state_dir
        .to_string_lossy()
        .bytes()
        .fold(0xcbf29ce484222325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
        });
    std::env::temp_dir()
        .join(format!("loaf-serve-{hash:016x}"))
        .join("postgres")
}

pub(crate) fn env_is_set(var: &str) -> bool {
    std::env::var(var).is_ok_and(|v| !v.trim().is_empty())
}

/// Makes sure a superadmin exists; when this run (or an earlier one) made
/// the development superadmin, answers its credentials.
async fn dev_admin(project: &Project, pool: &PgPool) -> anyhow::Result<Option<(String, String)>> {
    let path = project.state_dir()?.join("dev-admin.json");
    let mut conn = pool.acquire().await?;
    if !loaf_migrate::admin::superadmin_exists(&mut conn).await? {
        let password = random_hex(12);
        let admin = NewAdmin {
            email: DEV_ADMIN_EMAIL.into(),
            password: password.clone(),
            first_name: "Development".into(),
            last_name: "Admin".into(),
        };
        loaf_migrate::admin::create_superadmin(&mut conn, &admin).await?;
        let json = serde_json::json!({"email": DEV_ADMIN_EMAIL, "password": password});
        write_private(&path, &json.to_string())?;
    }
    let saved: Option<serde_json::Value> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    Ok(saved.and_then(|v| {
        Some((
            v.get("email")?.as_str()?.to_string(),
            v.get("password")?.as_str()?.to_string(),
        ))
    }))
}

/// The URL without its password, for printing.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM. The handlers are
/// registered when this is called, not when the future is first polled.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot handle Ctrl-C")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot handle SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        println!("stopping…");
    })
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redact_hides_the_password() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
    }
}
