//! Faults: the database stopped mid-run, S3 gone, a database too slow to
//! answer. Each answers a clean JSON error, changes nothing it should not,
//! and the same router serves again once the dependency is back.

use http::{Method, StatusCode};
use loaf::local_postgres::{ensure_database, Cluster, Durability};
use loaf_core::storage::Storage;
use loaf_domain::email::Mailer;
use loaf_http::AppState;
use loaf_tests::{call, spawn_app, test_config, upload_to, TestApp};
use serde_json::json;
use sqlx::Connection;
use std::time::Duration;

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n";

/// A guard against a hang, not a performance claim: every request below
/// must answer, and well before this.
async fn answered<F: std::future::Future>(request: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), request)
        .await
        .expect("the request answered")
}

#[tokio::test]
async fn postgres_stopped_mid_run_answers_503_and_service_resumes_without_a_restart() {
    let app = spawn_app().await;
    // A cluster of this test's own: the shared test server must stay up.
    let dir = std::env::temp_dir().join(format!("loaf-fault-pg-{}", uuid::Uuid::new_v4()));
    let cluster = Cluster::new(&dir, Durability::Throwaway).unwrap();
    cluster.start().await.unwrap();
    ensure_database(&cluster.url("postgres").unwrap(), "loaf")
        .await
        .unwrap();
    let url = cluster.url("loaf").unwrap();
    let mut config = test_config(&url, &app.s3_endpoint, &app.mail_dir);
    config.db.acquire_timeout = Duration::from_secs(2);
    let pool = loaf_core::db::connect_lazy(&config.db).unwrap();
    loaf_migrate::run(&pool, &loaf_migrate::MIGRATOR, None, None)
        .await
        .unwrap();
    let storage = Storage::new(&config.storage);
    let mailer = Mailer::from_config(config.email.clone());
    let api = loaf::gateway::router(AppState::new(config, pool, storage, mailer));
    let login = json!({"email": "nobody@example.org", "password": "not the password"});

    let up = call(&api, Method::GET, "/api/events", None, None).await;
    assert_eq!(up.status, StatusCode::OK, "{:?}", up.body);

    cluster.stop().await.unwrap();
    for (method, path, body) in [
        (Method::GET, "/api/health", None),
        (Method::GET, "/api/events", None),
        (Method::POST, "/api/auth/login", Some(login.clone())),
    ] {
        let down = answered(call(&api, method, path, None, body)).await;
        assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert_eq!(down.error_code(), "service_unavailable", "{path}");
    }

    // Same router, same pool: its dead connections are replaced.
    cluster.start().await.unwrap();
    let back = answered(call(&api, Method::GET, "/api/events", None, None)).await;
    assert_eq!(back.status, StatusCode::OK, "{:?}", back.body);
    let login = answered(app.anonymous().auth().login(login)).await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED, "{:?}", login.body);

    cluster.stop().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

async fn admin(app: &TestApp) -> String {
    let user = app.user_with_role("admin").await;
    app.token_for(&user).await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn s3_down_answers_503_and_no_row_claims_a_file() {
    let mut app = spawn_app().await;
    let token = admin(&app).await;
    let api = app.api();
    let reserved = call(
        &api,
        Method::POST,
        "/api/documents/newsletters/uploads",
        Some(&token),
        Some(json!({"file_name": "letter.pdf", "content_type": "application/pdf", "size_bytes": PDF.len()})),
    )
    .await;
    assert_eq!(reserved.status, StatusCode::CREATED, "{:?}", reserved.body);
    assert!(upload_to(&reserved, PDF).await.is_success());
    let used_before = count(&app, "SELECT total_bytes_used FROM storage_usage").await;

    app.stop_s3();
    // Claiming checks the object in S3 (size, first bytes): it cannot.
    let claim = answered(call(
        &api,
        Method::POST,
        "/api/documents/newsletters",
        Some(&token),
        Some(json!({"upload_id": reserved.body["upload_id"], "title": "Spring", "published_date": "2026-03-01"})),
    ))
    .await;
    assert_eq!(
        claim.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        claim.body
    );
    assert_eq!(claim.error_code(), "service_unavailable");
    assert_eq!(
        count(&app, "SELECT count(*) FROM newsletter_archives").await,
        0
    );
    assert_eq!(
        count(&app, "SELECT total_bytes_used FROM storage_usage").await,
        used_before
    );
    // The reservation is still there to claim once S3 is back.
    assert_eq!(count(&app, "SELECT count(*) FROM pending_uploads").await, 1);

    // An export streams to S3: it fails cleanly, nothing half-written.
    let export = answered(call(
        &api,
        Method::GET,
        "/api/members/export",
        Some(&token),
        None,
    ))
    .await;
    assert_eq!(
        export.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        export.body
    );
    assert_eq!(export.error_code(), "service_unavailable");
}

#[tokio::test]
async fn a_database_too_slow_to_answer_is_cut_off_with_a_503() {
    let app = spawn_app().await;
    // The limit is the application role's own setting (5 s by default),
    // never sent by the connection: shortened here for this database only,
    // before any session of the role starts.
    let options: sqlx::postgres::PgConnectOptions = app.db_url.parse().unwrap();
    let mut owner = sqlx::PgConnection::connect(loaf_tests::server_url().await)
        .await
        .unwrap();
    sqlx::query(&format!(
        "ALTER ROLE \"{}\" IN DATABASE \"{}\" SET statement_timeout = '300ms'",
        options.get_username(),
        options.get_database().unwrap()
    ))
    .execute(&mut owner)
    .await
    .unwrap();
    let member = app.user_with_role("member").await;
    let token = app.token_for(&member).await;
    let api = app.api();

    // Another session holds the events table: reading it has to wait.
    let mut blocker = app.db.begin().await.unwrap();
    sqlx::query("LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *blocker)
        .await
        .unwrap();
    let slow = answered(call(&api, Method::GET, "/api/events", Some(&token), None)).await;
    assert_eq!(
        slow.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        slow.body
    );
    assert_eq!(slow.error_code(), "service_unavailable");
    blocker.rollback().await.unwrap();

    let fine = answered(call(&api, Method::GET, "/api/events", Some(&token), None)).await;
    assert_eq!(fine.status, StatusCode::OK, "{:?}", fine.body);
}
