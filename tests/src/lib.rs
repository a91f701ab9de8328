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
//!
//! On the private cluster, the application reaches its database as in AWS:
//! as the application role `loaf_app` (which migrate creates, with its
//! grants and statement limit), through a PgBouncer standing in for RDS
//! Proxy (`loaf::local_pooler`), which refuses startup parameters the
//! proxy refuses. Test set-up that needs the owner goes straight to the
//! server.

pub mod accounts;
pub mod cfn_response;
pub mod client;
pub mod runtime_api;
pub mod secrets_manager;
pub mod ses;
pub mod session_guard;
pub mod sigv4_check;

use anyhow::Context;
use axum::body::Body;
use axum::Router;
use http::{Method, Request, StatusCode};
use loaf::local_payments::{self, LocalPayments};
use loaf::local_pooler::Pooler;
use loaf::local_postgres::{ensure_database, Cluster, Durability};
use loaf::local_s3::{self, LocalS3};
use loaf_core::config::{
    AppRoleConfig, AuthConfig, Config, DbConfig, EmailConfig, PaymentsConfig, StorageConfig,
    DEFAULT_APP_ROLE,
};
use loaf_core::storage::Storage;
use loaf_domain::email::Mailer;
use loaf_http::AppState;
use serde_json::Value;
use sqlx::{Connection, PgConnection, PgPool};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::sync::OnceCell;
use tower::ServiceExt;

/// The JWT secret of test apps.
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret!";

static SERVER: OnceCell<Server> = OnceCell::const_new();
static NEXT_DB: AtomicU32 = AtomicU32::new(0);

/// The test server and how the application reaches it.
struct Server {
    /// A maintenance database, as a role allowed to create databases.
    admin_url: String,
    /// The pooler in front of the private cluster; `None` with an external
    /// `DATABASE_URL`, whose role the application then uses directly.
    pooler: Option<Pooler>,
}

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

async fn server() -> &'static Server {
    SERVER
        .get_or_init(|| async {
            if let Ok(url) = std::env::var("DATABASE_URL") {
                return Server {
                    admin_url: url,
                    pooler: None,
                };
            }
            let cluster = Cluster::new(&harness_dir().join("postgres"), Durability::Throwaway)
                .expect("test cluster folder");
            cluster
                .start()
                .await
                .expect("test PostgreSQL cluster starts");
            let pooler = Pooler::start(
                &harness_dir().join("pgbouncer"),
                cluster.port().expect("test cluster port"),
            )
            .await
            .expect("the pooler in front of the test cluster starts");
            Server {
                admin_url: cluster.url("postgres").expect("test cluster URL"),
                pooler: Some(pooler),
            }
        })
        .await
}

/// The URL of a maintenance database on the test server, as its owner,
/// starting the private cluster if needed.
pub async fn server_url() -> &'static str {
    &server().await.admin_url
}

/// The URL the application uses for database `name`: through the pooler as
/// the application role on the private cluster, else as `DATABASE_URL`'s
/// role.
async fn app_url(name: &str) -> String {
    let server = server().await;
    match &server.pooler {
        Some(pooler) => pooler.url_as(DEFAULT_APP_ROLE, name).expect("pooler URL"),
        None => with_database(&server.admin_url, name),
    }
}

/// The URL the application would use for database `name` without the
/// pooler: straight to the server, as the application role.
async fn direct_app_url(name: &str) -> String {
    let server = server().await;
    let direct = with_database(&server.admin_url, name);
    match &server.pooler {
        Some(_) => direct.replacen(
            &format!("//{}@", loaf::local_postgres::SUPERUSER),
            &format!("//{DEFAULT_APP_ROLE}@"),
            1,
        ),
        None => direct,
    }
}

/// The URL of database `name` as its owner, through the pooler when there
/// is one (as migrate reaches it through RDS Proxy).
async fn owner_url(name: &str) -> String {
    let server = server().await;
    match &server.pooler {
        Some(pooler) => pooler
            .url_as(loaf::local_postgres::SUPERUSER, name)
            .expect("pooler URL"),
        None => with_database(&server.admin_url, name),
    }
}

/// The application role the template keeps, on the private cluster (an
/// external server's role may not be allowed to create roles).
async fn app_role() -> Option<AppRoleConfig> {
    server().await.pooler.as_ref().map(|_| AppRoleConfig {
        name: DEFAULT_APP_ROLE.into(),
        password: None,
        statement_timeout: Duration::from_secs(5),
    })
}

fn with_database(server: &str, name: &str) -> String {
    let (base, query) = match server.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (server, String::new()),
    };
    let base = base.rsplit_once('/').map(|(b, _)| b).unwrap_or(base);
    format!("{base}/{name}{query}")
}

/// A new, empty database (no schema): for tests of migrate itself, which
/// reach it as its owner.
pub async fn empty_database() -> (PgPool, String) {
    let server = server_url().await;
    let name = new_db_name();
    ensure_database(server, &name)
        .await
        .expect("create database");
    let url = owner_url(&name).await;
    (pool(&url), url)
}

/// A new database holding the migrated, seeded schema and no users: the
/// application's pool and URL, and the owner's URL.
pub async fn migrated_database() -> (PgPool, String, String) {
    migrated_database_via(Route::Pooled).await
}

async fn migrated_database_via(route: Route) -> (PgPool, String, String) {
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
    match route {
        Route::Pooled => {
            let url = app_url(&name).await;
            (pool(&url), url, owner_url(&name).await)
        }
        Route::Direct => {
            let url = direct_app_url(&name).await;
            let config = DbConfig {
                url: url.clone(),
                max_connections: 5,
                acquire_timeout: Duration::from_secs(10),
            };
            let pool = loaf_core::db::connect_lazy(&config).expect("bench pool");
            (pool, url, with_database(server, &name))
        }
    }
}

fn pool(url: &str) -> PgPool {
    let config = DbConfig {
        url: url.into(),
        max_connections: 5,
        acquire_timeout: Duration::from_secs(10),
    };
    session_guard::guarded(loaf_core::db::pool_options(&config))
        .connect_lazy_with(loaf_core::db::connect_options(&config).expect("test pool URL"))
}

/// How an app reaches its database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// Through the pooler, every reused connection checked for session
    /// state (the tests).
    Pooled,
    /// Straight to the server, unchecked: what pgbench, the benchmarks'
    /// floor, measures too.
    Direct,
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
    // The seed and the application role are part of the template too: a
    // change to the catalogue (or to how the role is kept: bump the tag)
    // must rebuild it.
    let role_tag = ["app-role-1"];
    for code in loaf_domain::permissions::PERMISSIONS
        .iter()
        .map(|p| p.code)
        .chain(role_tag)
    {
        for b in code.bytes() {
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
        loaf_migrate::run(
            &pool,
            &loaf_migrate::MIGRATOR,
            None,
            app_role().await.as_ref(),
        )
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
    /// The pool for the test's own statements: the application's pool (the
    /// application role, through the pooler); a benchmark's is the owner's.
    pub db: PgPool,
    pub db_url: String,
    /// The same database as its owner (what migrate connects as).
    pub owner_db_url: String,
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
        },
        auth: AuthConfig {
            jwt_secret: TEST_JWT_SECRET.into(),
            jwt_issuer: "loaf".into(),
            access_token_ttl: Duration::from_secs(1800),
            refresh_token_ttl: Duration::from_secs(30 * 86_400),
            terms_version: "2026-01".into(),
            invitation_ttl: std::time::Duration::from_secs(7 * 86_400),
            permission_cache_ttl: Duration::from_secs(30),
            edge_token: None,
        },
        storage: StorageConfig {
            bucket: "loaf-test".into(),
            endpoint: Some(s3_endpoint.into()),
            force_path_style: Some(true),
            region: Some("us-east-1".into()),
            access_key_id: Some(local_s3::ACCESS_KEY_ID.into()),
            secret_access_key: Some(local_s3::SECRET_ACCESS_KEY.into()),
        },
        email: EmailConfig {
            from: "LOAF Test <no-reply@example.org>".into(),
            mail_dir: Some(mail_dir.to_path_buf()),
            frontend_url: "https://members.example.org".into(),
            org_name: "LOAF Test".into(),
            configuration_set: None,
        },
        payments: None,
        uploads: loaf_core::config::UploadsConfig {
            document_types: ["pdf", "docx", "txt", "png", "jpg"]
                .map(String::from)
                .to_vec(),
            max_document_bytes: 1024 * 1024,
            max_image_bytes: 512 * 1024,
        },
    }
}

/// Starts a test app on a fresh migrated database, reached through the
/// pooler.
pub async fn spawn_app() -> TestApp {
    spawn_app_via(Route::Pooled).await
}

/// Starts an app for a benchmark: its database reached straight, as the
/// floor it is measured against (pgbench) reaches it.
pub async fn spawn_bench_app() -> TestApp {
    spawn_app_via(Route::Direct).await
}

async fn spawn_app_via(route: Route) -> TestApp {
    let (db, db_url, owner_db_url) = migrated_database_via(route).await;
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
    let storage = Storage::new(&config.storage);
    storage.ensure_bucket().await.expect("test bucket");
    let mailer = Mailer::from_config(config.email.clone());
    // Benchmarks seed 100,000 rows and vacuum: their own statements run as
    // the owner, the application's as the application role.
    let setup_db = match route {
        Route::Pooled => db.clone(),
        Route::Direct => loaf_core::db::connect_lazy(&DbConfig {
            url: owner_db_url.clone(),
            max_connections: 2,
            acquire_timeout: Duration::from_secs(10),
        })
        .expect("owner pool"),
    };
    TestApp {
        state: AppState::new(config, db, storage, mailer),
        s3_endpoint: s3.endpoint(),
        mail_dir,
        payments,
        db: setup_db,
        db_url,
        owner_db_url,
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

    /// Runs a bulk `INSERT … SELECT` that sets a test's stage, then has the
    /// table's statistics gathered, as autovacuum would after it. The insert
    /// runs outside the application role's statement limit (every row keeps
    /// the trigram and look-alike indexes up to date: seconds on a busy CI
    /// machine); `ANALYZE` runs as the owner, the only role that may.
    pub async fn bulk_load(&self, table: &str, insert: &str) {
        let mut seed = self.db.begin().await.expect("begin");
        sqlx::query("SET LOCAL statement_timeout = 0")
            .execute(&mut *seed)
            .await
            .expect("no statement limit");
        sqlx::query(insert)
            .execute(&mut *seed)
            .await
            .expect("bulk insert");
        seed.commit().await.expect("commit");
        let owner = loaf_core::db::connect_lazy(&DbConfig {
            url: self.owner_db_url.clone(),
            max_connections: 1,
            acquire_timeout: Duration::from_secs(10),
        })
        .expect("owner pool");
        sqlx::query(&format!("ANALYZE {table}"))
            .execute(&owner)
            .await
            .expect("analyze");
        owner.close().await;
    }

    /// Inserts an active user holding the system role `role`.
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
            "INSERT INTO users (email, password_hash, first_name, last_name, status, role_id) \
             SELECT $1, 'not-a-hash', $2, $3, $4::userstatus, r.id \
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
    pub async fn plan(&self, name: &str, price_cents: i64) -> uuid::Uuid {
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
            &loaf_core::config::RemindersConfig::default(),
            at,
        )
        .await
        .expect("the daily jobs run")
    }

    /// Runs the hourly jobs as of `at`, with the default reminder timings.
    pub async fn run_hourly(&self, at: chrono::DateTime<chrono::Utc>) -> loaf_jobs::HourlySummary {
        loaf_jobs::hourly(
            &self.db,
            &self.state.config.email,
            &loaf_core::config::RemindersConfig::default(),
            at,
        )
        .await
        .expect("the hourly jobs run")
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
        self.state
            .tokens
            .issue(user.id, version, None)
            .expect("token")
    }
}
