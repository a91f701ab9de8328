//! What RDS Proxy imposes, exercised here: the suite runs through PgBouncer
//! (which refuses what the proxy refuses) as the application role; no
//! session keeps state past its transaction; the database password rotates
//! under a running container without a request failing.

use http::{Method, StatusCode};
use loaf_core::config::{AppRoleConfig, DbConfig};
use loaf_core::secrets::Rotation;
use loaf_core::storage::Storage;
use loaf_domain::email::Mailer;
use loaf_http::AppState;
use loaf_tests::secrets_manager::SecretsManager;
use loaf_tests::{call, server_url, session_guard, spawn_app, test_config, TestApp};
use serde_json::json;
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};
use std::time::Duration;

fn app_config(url: &str) -> DbConfig {
    DbConfig {
        url: url.into(),
        max_connections: 2,
        acquire_timeout: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn the_pooler_refuses_a_startup_option_as_rds_proxy_does() {
    let app = spawn_app().await;
    // What every connection sent before: the statement limit as a startup
    // option. RDS Proxy answers "Feature not supported: RDS Proxy currently
    // doesn't support command-line options"; PgBouncer refuses it too.
    let with_option = loaf_core::db::connect_options(&app_config(&app.db_url))
        .unwrap()
        .options([("statement_timeout", "5000ms")]);
    let err = PgConnection::connect_with(&with_option)
        .await
        .expect_err("the pooler refuses startup options");
    assert!(
        err.to_string()
            .contains("unsupported startup parameter: options"),
        "{err}"
    );

    // Today's connections pass, as the application role, and carry the
    // role's own limit without sending it.
    let options = loaf_core::db::connect_options(&app_config(&app.db_url)).unwrap();
    let mut conn = PgConnection::connect_with(&options).await.unwrap();
    let (user, limit): (String, String) =
        sqlx::query_as("SELECT current_user::text, current_setting('statement_timeout')")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    assert_eq!(user, "loaf_app");
    assert_eq!(limit, "5s");
}

#[tokio::test]
async fn the_application_role_reads_and_writes_data_but_not_the_schema() {
    let app = spawn_app().await;
    let options = loaf_core::db::connect_options(&app_config(&app.db_url)).unwrap();
    let mut conn = PgConnection::connect_with(&options).await.unwrap();
    for sql in [
        "CREATE TABLE intruder (id int)",
        "ALTER TABLE users ADD COLUMN intruder int",
        "DROP TABLE events",
        "SELECT * FROM _sqlx_migrations",
        "CREATE ROLE intruder",
        "TRUNCATE donations",
    ] {
        let err = sqlx::query(sql).execute(&mut conn).await.unwrap_err();
        let code = err
            .as_database_error()
            .and_then(|e| e.code())
            .unwrap_or_default();
        assert_eq!(code, "42501", "{sql}: {err}");
    }
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(users, 0);
}

#[tokio::test]
async fn a_session_level_set_is_caught_and_a_set_local_is_not() {
    let app = spawn_app().await;
    let pool = session_guard::guarded(
        loaf_core::db::pool_options(&app_config(&app.db_url)).max_connections(1),
    )
    .connect_lazy_with(loaf_core::db::connect_options(&app_config(&app.db_url)).unwrap());

    // SET LOCAL ends with its transaction: the next borrower sees nothing.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL work_mem = '1MB'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("SELECT 1").execute(&pool).await.unwrap();

    // A plain SET stays with the session: the next borrower of the
    // connection would inherit it (and RDS Proxy would pin the session).
    sqlx::query("SET work_mem = '1MB'")
        .execute(&pool)
        .await
        .unwrap();
    let next = tokio::spawn({
        let pool = pool.clone();
        async move { sqlx::query("SELECT 1").execute(&pool).await.map(|_| ()) }
    })
    .await;
    let panic = next.expect_err("the guard refuses the connection");
    let message = panic
        .into_panic()
        .downcast::<String>()
        .map(|m| *m)
        .unwrap_or_default();
    assert!(message.contains("SET work_mem = 1024"), "{message}");
}

/// An app on `app`'s database whose pool connects as `role` with `password`
/// straight to the server (which checks the password), its credentials read
/// from `secrets` if `rotation` is on.
async fn app_as(
    app: &TestApp,
    role: &str,
    password: &str,
    secrets: &SecretsManager,
    rotation: bool,
) -> axum::Router {
    let server: PgConnectOptions = server_url().await.parse().unwrap();
    let database = app
        .owner_db_url
        .parse::<PgConnectOptions>()
        .unwrap()
        .get_database()
        .unwrap()
        .to_string();
    let url = format!(
        "postgres://{role}:{password}@{}:{}/{database}",
        server.get_host(),
        server.get_port()
    );
    let config = test_config(&url, &app.s3_endpoint, &app.mail_dir);
    let pool = loaf_core::db::connect_lazy(&config.db).unwrap();
    let storage = Storage::new(&config.storage);
    let mailer = Mailer::from_config(config.email.clone());
    let state = AppState::new(config, pool, storage, mailer)
        .with_rotation(rotation.then(|| Rotation::new(SECRET_ARN.into(), secrets.client())));
    loaf::gateway::router(state)
}

const SECRET_ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:loaf/app-rotated";

/// What a rotation does to the database: the role gets a new password;
/// sessions already open go on.
async fn set_password(role: &str, password: &str) {
    let mut owner = PgConnection::connect(server_url().await).await.unwrap();
    sqlx::query(&format!("ALTER ROLE \"{role}\" PASSWORD '{password}'"))
        .execute(&mut owner)
        .await
        .unwrap();
}

/// The pool's connections retire (RDS Proxy's idle timeout, the pool's own
/// lifetime): simulated by ending the role's sessions.
async fn retire_connections_of(role: &str) {
    let mut owner = PgConnection::connect(server_url().await).await.unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1")
        .bind(role)
        .execute(&mut owner)
        .await
        .unwrap();
}

async fn events(api: &axum::Router, token: &str) -> StatusCode {
    call(api, Method::GET, "/api/events", Some(token), None)
        .await
        .status
}

#[tokio::test]
async fn a_rotated_database_password_never_fails_a_request_of_a_warm_container() {
    let app = spawn_app().await;
    let member = app.user_with_role("member").await;
    let token = app.token_for(&member).await;
    // A role of this test's own (the shared one is trusted on loopback, and
    // other tests use it), kept by migrate as in AWS.
    let role = format!("rot_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let owner = loaf_core::db::connect_lazy(&app_config(&app.owner_db_url)).unwrap();
    loaf_migrate::run(
        &owner,
        &loaf_migrate::MIGRATOR,
        None,
        Some(&AppRoleConfig {
            name: role.clone(),
            password: Some("first-password".into()),
            statement_timeout: Duration::from_secs(5),
        }),
    )
    .await
    .unwrap();
    let secret = |password: &str| json!({"username": role, "password": password}).to_string();
    let secrets =
        SecretsManager::start([(SECRET_ARN.to_string(), secret("first-password"))].into()).await;
    let api = app_as(&app, &role, "first-password", &secrets, true).await;
    let without_rotation = app_as(&app, &role, "first-password", &secrets, false).await;
    assert_eq!(events(&api, &token).await, StatusCode::OK);
    assert_eq!(events(&without_rotation, &token).await, StatusCode::OK);

    // The weekly rotation: a new password in the database and the secret.
    set_password(&role, "second-password").await;
    secrets.put(SECRET_ARN, secret("second-password"));
    assert_eq!(
        events(&api, &token).await,
        StatusCode::OK,
        "open sessions go on"
    );

    retire_connections_of(&role).await;
    for _ in 0..5 {
        assert_eq!(events(&api, &token).await, StatusCode::OK);
    }
    // Without re-reading the secret, the container's new connections fail.
    assert_eq!(
        events(&without_rotation, &token).await,
        StatusCode::SERVICE_UNAVAILABLE
    );

    // And again a week later, with a connection retired mid-way.
    set_password(&role, "third-password").await;
    secrets.put(SECRET_ARN, secret("third-password"));
    retire_connections_of(&role).await;
    assert_eq!(events(&api, &token).await, StatusCode::OK);
    owner.close().await;
}
