//! The test harness: a real PostgreSQL server and a real S3-protocol
//! endpoint, a fresh database per test, and helpers that drive the real
//! routers.
//!
//! Without `DATABASE_URL` the harness runs a private cluster from the
//! machine's PostgreSQL binaries in the temp folder. It starts on the first
//! test, is shared by every test process of the run (they take turns on a
//! lock file) and stays up for the next run; `.ci/run` stops it at the end.
//! With `DATABASE_URL` (a role allowed to CREATE DATABASE) that server is
//! used instead. Each test gets its own database, copied from a template
//! that was migrated and seeded once per set of migrations.

pub mod accounts;
pub mod cfn_response;
pub mod runtime_api;
pub mod secrets_manager;
pub mod ses;

use anyhow::Context;
use axum::body::Body;
use axum::Router;
use http::{Method, Request, StatusCode};
use loaf::local_payments::{self, LocalPayments};
use loaf::local_postgres::{ensure_database, Cluster, Durability};
use loaf::local_s3::{self, LocalS3};
use loaf_shared::config::{
    AuthConfig, Config, DbConfig, EmailConfig, PaymentsConfig, StaticCredentials, StorageConfig,
};
use loaf_shared::email::Mailer;
use loaf_shared::storage::Storage;
use loaf_shared::AppState;
use serde_json::Value;
use sqlx::{Connection, PgConnection, PgPool};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::sync::OnceCell;
use tower::ServiceExt;

/// The JWT secret of test apps.
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret!";

static SERVER: OnceCell<String> = OnceCell::const_new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

fn harness_dir() -> PathBuf {
    // One cluster per checkout and user, in the temp folder: the postgres
    // user (when we are root) can always reach it, unlike a checkout in /root.
    let checkout = env!("CARGO_MANIFEST_DIR");
    let hash = checkout.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    });
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    std::env::temp_dir().join(format!("loaf-test-{uid}-{hash:016x}"))
}

/// The URL of a maintenance database on the test server, starting the
/// private cluster if needed.
pub async fn server_url() -> &'static str {
    SERVER
        .get_or_init(|| async {
            if let Ok(url) = std::env::var("DATABASE_URL") {
                return url;
            }
            let cluster = Cluster::new(&harness_dir().join("postgres"), Durability::Throwaway)
                .expect("test cluster folder");
            cluster
                .start()
                .await
                .expect("test PostgreSQL cluster starts");
            cluster.url("postgres").expect("test cluster URL")
        })
        .await
}

fn with_database(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server, String::new()),
    };
    let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
    format!("{base}/{name}{query}")
}

/// A new, empty database (no schema): for tests of migrate itself.
pub async fn empty_database() -> (PgPool, String) {
    let server = server_url().await;
    let name = new_db_name();
    ensure_database(server, &name)
        .await
        .expect("create database");
    let url = with_database(server, &name);
    (pool(&url), url)
}

/// A new database holding the migrated, seeded schema and no users.
pub async fn migrated_database() -> (PgPool, String) {
    let server = server_url().await;
    let template = template(server).await.expect("template database");
    let name = new_db_name();
    let mut conn = PgConnection::connect(server)
        .await
        .expect("connect to test server");
    drop_databases_of_finished_tests(&mut conn).await;
    // Copying a template fails while another session is connected to it;
    // only the template builder ever connects, and briefly, so retry.
    for attempt in 0.. {
        let sql = format!("CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"");
        match sqlx::query(&sql).execute(&mut conn).await {
            Ok(_) => break,
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("55006") && attempt < 50 =>
            {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("cannot copy the template database: {e}"),
        }
    }
    let _ = conn.close().await;
    let url = with_database(server, &name);
    (pool(&url), url)
}

fn pool(url: &str) -> PgPool {
    loaf_shared::db::connect_lazy(&DbConfig {
        url: url.into(),
        max_connections: 5,
        acquire_timeout: Duration::from_secs(10),
        statement_timeout: None,
    })
    .expect("test pool")
}

/// `t_<pid>_<n>`: the pid lets later processes drop what finished tests left.
fn new_db_name() -> String {
    format!(
        "t_{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::Relaxed)
    )
}

async fn drop_databases_of_finished_tests(conn: &mut PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE 't\\_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    for name in names {
        let pid = name.split('_').nth(1).and_then(|p| p.parse::<u32>().ok());
        if pid.is_some_and(|pid| !std::path::Path::new(&format!("/proc/{pid}")).exists()) {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .execute(&mut *conn)
                .await;
        }
    }
}

/// The template for this set of migrations, built once across processes.
async fn template(server: &str) -> anyhow::Result<String> {
    let mut hash = 0xcbf29ce484222325u64;
    for m in loaf_migrate::MIGRATOR.iter() {
        for b in m.checksum.iter() {
            hash = (hash ^ u64::from(*b)).wrapping_mul(0x100000001b3);
        }
    }
    // The seed is part of the template too: a change to the catalogue must
    // rebuild it.
    for p in loaf_shared::permissions::PERMISSIONS {
        for b in p.code.bytes() {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x100000001b3);
        }
    }
    let name = format!("loaf_tpl_{hash:016x}");
    let mut conn = PgConnection::connect(server).await?;
    // A session advisory lock serialises template builders across the test
    // processes sharing this server; closing the connection releases it.
    sqlx::query("SELECT pg_advisory_lock(7411)")
        .execute(&mut conn)
        .await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        // Built under another name and renamed when complete, so a build
        // that died half-way is never used as a template.
        let building = format!("{name}_build");
        sqlx::query(&format!(
            "DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)"
        ))
        .execute(&mut conn)
        .await?;
        sqlx::query(&format!("CREATE DATABASE \"{building}\""))
            .execute(&mut conn)
            .await?;
        let pool = pool(&with_database(server, &building));
        loaf_migrate::run(&pool, &loaf_migrate::MIGRATOR, None)
            .await
            .context("migrating the template")?;
        pool.close().await;
        sqlx::query(&format!(
            "ALTER DATABASE \"{building}\" RENAME TO \"{name}\""
        ))
        .execute(&mut conn)
        .await?;
    }
    conn.close().await?;
    Ok(name)
}

/// One test's application: a migrated database, a local S3 endpoint and a
/// mail folder of its own, and the state and routers built from them.
pub struct TestApp {
    pub state: AppState,
    pub db: PgPool,
    pub db_url: String,
    pub s3_endpoint: String,
    /// Where delivered emails are written as `.eml` files.
    pub mail_dir: PathBuf,
    /// The payment provider's stand-in the app's checkouts go to.
    pub payments: LocalPayments,
    s3: Option<LocalS3>,
    dir: PathBuf,
}

impl TestApp {
    /// Stops the app's S3 endpoint: what follows runs as if S3 were down.
    pub fn stop_s3(&mut self) {
        drop(self.s3.take());
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        drop(self.s3.take());
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Config for a test app over `db_url`, an S3 endpoint and a mail folder.
pub fn test_config(db_url: &str, s3_endpoint: &str, mail_dir: &std::path::Path) -> Config {
    Config {
        db: DbConfig {
            url: db_url.into(),
            max_connections: 5,
            acquire_timeout: Duration::from_secs(10),
            statement_timeout: None,
        },
        auth: AuthConfig {
            jwt_secret: TEST_JWT_SECRET.as_bytes().to_vec(),
            jwt_issuer: "loaf".into(),
            access_token_ttl: Duration::from_secs(1800),
            refresh_token_ttl: Duration::from_secs(30 * 86_400),
            terms_version: "2026-01".into(),
            invitation_ttl: std::time::Duration::from_secs(7 * 86_400),
            permission_cache_ttl: Duration::from_secs(30),
        },
        storage: StorageConfig {
            bucket: "loaf-test".into(),
            endpoint: Some(s3_endpoint.into()),
            force_path_style: true,
            region: Some("us-east-1".into()),
            static_credentials: Some(StaticCredentials {
                access_key_id: local_s3::ACCESS_KEY_ID.into(),
                secret_access_key: local_s3::SECRET_ACCESS_KEY.into(),
            }),
        },
        email: EmailConfig {
            from: "LOAF Test <no-reply@example.org>".into(),
            mail_dir: Some(mail_dir.to_path_buf()),
            frontend_url: "https://members.example.org".into(),
            org_name: "LOAF Test".into(),
        },
        payments: None,
        uploads: loaf_shared::config::UploadsConfig {
            document_types: ["pdf", "docx", "txt", "png", "jpg"]
                .map(String::from)
                .to_vec(),
            max_document_bytes: 1024 * 1024,
            max_image_bytes: 512 * 1024,
        },
    }
}

/// Starts a test app on a fresh migrated database.
pub async fn spawn_app() -> TestApp {
    let (db, db_url) = migrated_database().await;
    let dir = std::env::temp_dir().join(format!(
        "loaf-test-app-{}-{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::Relaxed)
    ));
    let mail_dir = dir.join("mail");
    let s3 = LocalS3::start(&dir.join("s3"), 0)
        .await
        .expect("local S3 starts");
    let payments = LocalPayments::start(0, None)
        .await
        .expect("payment stand-in starts");
    let mut config = test_config(&db_url, &s3.endpoint(), &mail_dir);
    config.payments = Some(PaymentsConfig {
        api_url: payments.api_url(),
        secret_key: local_payments::SECRET_KEY.into(),
        webhook_secret: local_payments::WEBHOOK_SECRET.into(),
        min_cents: 50,
        max_cents: 10_000_000,
    });
    let storage = Storage::new(&config.storage).await;
    storage.ensure_bucket().await.expect("test bucket");
    let mailer = Mailer::from_config(config.email.clone()).await;
    TestApp {
        state: AppState::new(config, db.clone(), storage, mailer),
        s3_endpoint: s3.endpoint(),
        mail_dir,
        payments,
        db,
        db_url,
        s3: Some(s3),
        dir,
    }
}

/// A response read whole: status, headers and JSON body (`Null` if empty or
/// not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The error code of a JSON error body.
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }
}

/// Sends one request through `router`, as API Gateway or `loaf serve` would.
pub async fn call(
    router: &Router,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    call_from(router, None, method, path, token, body).await
}

/// Sends `body` as is with `content_type`: for bodies that are not JSON.
pub async fn call_raw(
    router: &Router,
    method: Method,
    path: &str,
    content_type: &str,
    body: &str,
) -> Reply {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", content_type)
        .body(Body::from(body.to_string()))
        .expect("valid request");
    reply(router, req).await
}

/// PUTs `bytes` to the presigned upload URL of a reservation reply
/// (`{upload: {url, headers}}`) with its signed headers, the length being
/// the body's own, as a client sends it.
pub async fn upload_to(reserved: &Reply, bytes: &[u8]) -> reqwest::StatusCode {
    let up = &reserved.body["upload"];
    let mut req = reqwest::Client::new()
        .put(up["url"].as_str().expect("an upload url"))
        .body(bytes.to_vec());
    for pair in up["headers"].as_array().expect("signed headers") {
        let name = pair[0].as_str().expect("a header name");
        if !name.eq_ignore_ascii_case("content-length") {
            req = req.header(name, pair[1].as_str().expect("a header value"));
        }
    }
    req.send().await.expect("the S3 endpoint answers").status()
}

/// Posts a payment-provider webhook delivery (its `Stripe-Signature` and
/// body) to `/api/payments/webhook`.
pub async fn post_webhook(router: &Router, signature: &str, body: &str) -> Reply {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/payments/webhook")
        .header("content-type", "application/json")
        .header("stripe-signature", signature)
        .body(Body::from(body.to_string()))
        .expect("valid request");
    reply(router, req).await
}

/// [`call`] from the network address `from`, as `loaf serve` sees its peer.
pub async fn call_from(
    router: &Router,
    from: Option<std::net::SocketAddr>,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(addr) = from {
        req = req.extension(axum::extract::ConnectInfo(addr));
    }
    if let Some(token) = token {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    let req = match body {
        Some(json) => req
            .header("content-type", "application/json")
            .body(Body::from(json.to_string())),
        None => req.body(Body::empty()),
    }
    .expect("valid request");
    reply(router, req).await
}

async fn reply(router: &Router, req: Request<Body>) -> Reply {
    let res = router.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), 16 << 20)
        .await
        .expect("body");
    Reply {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    }
}

/// `payload` (a JWT's middle part) with its `sub` replaced by `sub`: a
/// forgery whose signature no longer matches.
pub fn jwt_payload_with_sub(payload: &str, sub: uuid::Uuid) -> String {
    use base64::Engine;
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: Value =
        serde_json::from_slice(&engine.decode(payload).expect("base64")).expect("json");
    claims["sub"] = Value::String(sub.to_string());
    engine.encode(claims.to_string())
}

/// A row of the email outbox.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Mail {
    pub kind: String,
    pub subject: String,
    pub text_body: String,
    pub status: String,
    pub attempts: i32,
}

impl Mail {
    /// The token carried by the email's first link.
    pub fn link_token(&self) -> String {
        let link = self
            .text_body
            .split_whitespace()
            .find(|w| w.contains("token=") || w.contains("/invitations/"))
            .unwrap_or_else(|| panic!("no token link in {}", self.text_body));
        link.rsplit(['=', '/']).next().unwrap().to_string()
    }
}

/// A user created straight in the database, for tests that need one.
pub struct TestUser {
    pub id: uuid::Uuid,
    pub email: String,
}

impl TestApp {
    /// The whole API, as `loaf serve` mounts it.
    pub fn api(&self) -> Router {
        loaf::gateway::router(self.state.clone())
    }

    /// Inserts an active user holding the system role `role` (both the
    /// dynamic role and the legacy enum).
    pub async fn user_with_role(&self, role: &str) -> TestUser {
        let email = format!("{role}-{}@example.org", uuid::Uuid::new_v4().simple());
        self.person("Test", "User", &email, "active", role).await
    }

    /// Inserts a user named `first last` with `email`, in `status`, holding
    /// the system role `role`.
    pub async fn person(
        &self,
        first: &str,
        last: &str,
        email: &str,
        status: &str,
        role: &str,
    ) -> TestUser {
        let id = sqlx::query_scalar(
            "INSERT INTO users (email, password_hash, first_name, last_name, status, role, role_id) \
             SELECT $1, 'not-a-hash', $2, $3, $4::userstatus, $5::userrole, r.id \
             FROM roles r WHERE r.code = $5 RETURNING id",
        )
        .bind(email)
        .bind(first)
        .bind(last)
        .bind(status)
        .bind(role)
        .fetch_one(&self.db)
        .await
        .expect("insert person");
        TestUser {
            id,
            email: email.to_string(),
        }
    }

    /// Inserts an active subscription plan; answers its id.
    pub async fn plan(&self, name: &str, price_cents: i32) -> uuid::Uuid {
        sqlx::query_scalar(
            "INSERT INTO subscription_plans (name, price_cents) VALUES ($1, $2) RETURNING id",
        )
        .bind(name)
        .bind(price_cents)
        .fetch_one(&self.db)
        .await
        .expect("insert plan")
    }

    /// Runs the daily jobs as of `at`, with the default reminder timings.
    pub async fn run_jobs(&self, at: chrono::DateTime<chrono::Utc>) -> loaf_jobs::Summary {
        loaf_jobs::run(
            &self.db,
            &self.state.storage,
            &self.state.config.email,
            &loaf_shared::config::RemindersConfig::default(),
            at,
        )
        .await
        .expect("the daily jobs run")
    }

    /// The status of user `id`.
    pub async fn status_of(&self, id: uuid::Uuid) -> String {
        sqlx::query_scalar("SELECT status::text FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(&self.db)
            .await
            .expect("status")
    }

    /// The emails queued for `to`, oldest first.
    pub async fn mail_to(&self, to: &str) -> Vec<Mail> {
        sqlx::query_as(
            "SELECT kind, subject, text_body, status, attempts FROM email_outbox \
             WHERE to_address = $1 ORDER BY created_at, id",
        )
        .bind(to)
        .fetch_all(&self.db)
        .await
        .expect("read the outbox")
    }

    /// The token in the newest email of `kind` to `to` (the part of its link
    /// after `token=` or `/invitations/`).
    pub async fn token_mailed(&self, to: &str, kind: &str) -> String {
        let mail = self.mail_to(to).await;
        let mail = mail
            .iter()
            .rev()
            .find(|m| m.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} email to {to}: {mail:?}"));
        mail.link_token()
    }

    /// A valid access token for `user` at their current token version.
    pub async fn token_for(&self, user: &TestUser) -> String {
        let version: i32 = sqlx::query_scalar("SELECT token_version FROM users WHERE id = $1")
            .bind(user.id)
            .fetch_one(&self.db)
            .await
            .expect("token version");
        self.state.tokens.issue(user.id, version).expect("token")
    }
}
