//! The migrate Lambda's two input shapes, against a local listener standing
//! in for CloudFormation's presigned response URL. The custom resource
//! events are fixtures in CloudFormation's own format
//! (`tests/fixtures/cfn-*.json`): a create, an update, the update a failed
//! deploy's rollback sends, and a delete.

use loaf_migrate::invoke::{fail_init, handle, InvokeError, Target};
use loaf_migrate::MIGRATOR;
use loaf_tests::cfn_response::{cfn_event, response_listener, Received};
use loaf_tests::empty_database;
use serde_json::{json, Value};
use sqlx::migrate::Migrator;
use sqlx::PgPool;
use std::time::Duration;

fn unreachable_pool() -> PgPool {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    loaf_core::db::connect_lazy(&loaf_core::config::DbConfig {
        url: format!("postgres://loaf@127.0.0.1:{port}/none"),
        max_connections: 1,
        acquire_timeout: Duration::from_secs(1),
    })
    .unwrap()
}

const BUDGET: Duration = Duration::from_secs(120);

fn target<'a>(pool: &'a PgPool, migrator: &'a Migrator) -> Target<'a> {
    Target {
        pool,
        migrator,
        app_role: None,
    }
}

/// The one answer CloudFormation received.
fn answer(received: &Received) -> Value {
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "one answer per request: {got:?}");
    got[0].1.clone()
}

/// The shipped migrations plus a 9000th that fails half-way: a release
/// whose new migration is broken.
async fn broken_release() -> Migrator {
    let dir = std::env::temp_dir().join(format!("loaf-broken-release-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), dir.join(entry.file_name())).unwrap();
    }
    std::fs::write(
        dir.join("9000_broken_step.sql"),
        "CREATE TABLE half_done (id INT);\nSELECT * FROM no_such_table;\n",
    )
    .unwrap();
    Migrator::new(dir.as_path()).await.unwrap()
}

async fn applied_versions(pool: &PgPool) -> Vec<i64> {
    sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY 1")
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn create_migrates_and_reports_success() {
    let (pool, _) = empty_database().await;
    let (url, received) = response_listener().await;
    let http = reqwest::Client::new();

    handle(
        &target(&pool, &MIGRATOR),
        &http,
        cfn_event("create", &url),
        BUDGET,
    )
    .await
    .unwrap();

    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (content_type, body) = &got[0];
    assert_eq!(
        content_type.as_deref(),
        Some(""),
        "CloudFormation's URL is signed without a type"
    );
    assert_eq!(body["Status"], "SUCCESS");
    assert_eq!(body["PhysicalResourceId"], "loaf-database-migrations");
    assert_eq!(body["RequestId"], "0f9e8d7c-6b5a-4321-9fed-cba987654321");
    assert_eq!(body["LogicalResourceId"], "DatabaseMigrations");
    assert_eq!(
        body["StackId"],
        "arn:aws:cloudformation:eu-west-1:123456789012:stack/loaf-dev/5b1e2c40-8f2a-11f0-9c7d-0a1b2c3d4e5f"
    );
    let all: Vec<String> = loaf_migrate::MIGRATOR
        .iter()
        .map(|m| m.version.to_string())
        .collect();
    assert_eq!(body["Data"]["AppliedMigrations"], all.join(","));
    assert_eq!(body["Data"]["Permissions"], "59");
    let roles: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM roles")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(roles, 5);
}

#[tokio::test]
async fn update_keeps_the_physical_id_and_is_idempotent() {
    let (pool, _) = empty_database().await;
    let (url, received) = response_listener().await;
    let http = reqwest::Client::new();
    loaf_migrate::run(&pool, &MIGRATOR, None, None)
        .await
        .unwrap();

    handle(
        &target(&pool, &MIGRATOR),
        &http,
        cfn_event("update", &url),
        BUDGET,
    )
    .await
    .unwrap();

    let body = answer(&received);
    assert_eq!(body["Status"], "SUCCESS");
    assert_eq!(body["PhysicalResourceId"], "loaf-database-migrations");
    assert_eq!(body["Data"]["AppliedMigrations"], "");
}

#[tokio::test]
async fn a_failed_update_answers_failed_and_its_rollback_succeeds_without_migrating() {
    let (pool, _) = empty_database().await;
    loaf_migrate::run(&pool, &MIGRATOR, None, None)
        .await
        .unwrap();
    let before = applied_versions(&pool).await;
    let broken = broken_release().await;
    let http = reqwest::Client::new();

    // The deploy: the new migrate version's broken migration fails.
    let (url, received) = response_listener().await;
    handle(
        &target(&pool, &broken),
        &http,
        cfn_event("update", &url),
        BUDGET,
    )
    .await
    .unwrap();
    let failed = answer(&received);
    assert_eq!(failed["Status"], "FAILED");
    let reason = failed["Reason"].as_str().unwrap();
    assert!(
        reason.contains("migration 9000 (broken step) failed"),
        "{reason}"
    );

    // CloudFormation rolls back: an Update carrying the old version, sent
    // to the same (new) binary. Running the broken migration again would
    // leave the stack in UPDATE_ROLLBACK_FAILED.
    let (url, received) = response_listener().await;
    handle(
        &target(&pool, &broken),
        &http,
        cfn_event("update-rollback", &url),
        BUDGET,
    )
    .await
    .unwrap();
    let rolled_back = answer(&received);
    assert_eq!(rolled_back["Status"], "SUCCESS", "{rolled_back}");
    assert_eq!(rolled_back["Data"]["RolledBack"], "true");
    assert_eq!(applied_versions(&pool).await, before);
    let half_done: bool = sqlx::query_scalar("SELECT to_regclass('half_done') IS NOT NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(!half_done);
}

#[tokio::test]
async fn a_rollback_never_touches_the_database() {
    // The pool points nowhere: any attempt to migrate would fail.
    let (url, received) = response_listener().await;
    let http = reqwest::Client::new();
    let pool = unreachable_pool();

    handle(
        &target(&pool, &MIGRATOR),
        &http,
        cfn_event("update-rollback", &url),
        BUDGET,
    )
    .await
    .unwrap();

    assert_eq!(answer(&received)["Status"], "SUCCESS");
}

#[tokio::test]
async fn delete_succeeds_without_touching_the_database() {
    let (url, received) = response_listener().await;
    let http = reqwest::Client::new();
    let pool = unreachable_pool();

    handle(
        &target(&pool, &MIGRATOR),
        &http,
        cfn_event("delete", &url),
        BUDGET,
    )
    .await
    .unwrap();

    let body = answer(&received);
    assert_eq!(body["Status"], "SUCCESS");
    assert_eq!(body["RequestId"], "1a2b3c4d-0000-4000-8000-000000000004");
}

#[tokio::test]
async fn a_failure_is_reported_to_cloudformation_not_left_hanging() {
    let (url, received) = response_listener().await;
    let http = reqwest::Client::new();
    let pool = unreachable_pool();

    handle(
        &target(&pool, &MIGRATOR),
        &http,
        cfn_event("create", &url),
        BUDGET,
    )
    .await
    .unwrap();

    let body = answer(&received);
    assert_eq!(body["Status"], "FAILED");
    let reason = body["Reason"].as_str().unwrap();
    assert!(reason.contains("cannot reach the database"), "{reason}");
}

#[tokio::test]
async fn a_start_up_failure_answers_cloudformation_at_once() {
    let (url, received) = response_listener().await;
    let http = reqwest::Client::new();
    let reason = "configuration error: DB_SECRET_ARN names a secret that cannot be read";

    fail_init(&http, cfn_event("create", &url), reason)
        .await
        .unwrap();
    let body = answer(&received);
    assert_eq!(body["Status"], "FAILED");
    assert!(
        body["Reason"].as_str().unwrap().contains("DB_SECRET_ARN"),
        "{body}"
    );

    // A direct invocation gets the error itself.
    let err = fail_init(&http, json!({}), reason).await.unwrap_err();
    assert!(matches!(err, InvokeError::Init(_)), "{err}");
}

#[tokio::test]
async fn running_out_of_time_is_reported_as_a_failure() {
    let (pool, _) = empty_database().await;
    let (url, received) = response_listener().await;
    let http = reqwest::Client::new();
    // Hold the migration lock so the run cannot finish within its budget.
    let mut holder = pool.acquire().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock(1280262470)")
        .execute(&mut *holder)
        .await
        .unwrap();

    handle(
        &target(&pool, &MIGRATOR),
        &http,
        cfn_event("create", &url),
        Duration::from_millis(500),
    )
    .await
    .unwrap();

    let body = answer(&received);
    assert_eq!(body["Status"], "FAILED");
    assert!(
        body["Reason"].as_str().unwrap().contains("did not finish"),
        "{}",
        body["Reason"]
    );
}

#[tokio::test]
async fn a_direct_invocation_answers_the_summary() {
    let (pool, _) = empty_database().await;
    let http = reqwest::Client::new();
    let input = json!({"superadmin": {"email": "ada@example.org", "password": "a long and unusual passphrase"}});

    let summary = handle(&target(&pool, &MIGRATOR), &http, input, BUDGET)
        .await
        .unwrap();

    assert_eq!(summary["superadmin"], "created");
    assert_eq!(
        summary["counts"],
        json!({"users": 1, "permissions": 59, "roles": 5, "plans": 0})
    );
    let empty = handle(&target(&pool, &MIGRATOR), &http, json!({}), BUDGET)
        .await
        .unwrap();
    assert_eq!(empty["applied"], json!([]));
    assert_eq!(empty["superadmin"], "not_requested");
}

#[tokio::test]
async fn a_direct_invocation_with_unknown_input_is_refused() {
    let http = reqwest::Client::new();
    let pool = unreachable_pool();
    let err = handle(
        &target(&pool, &MIGRATOR),
        &http,
        json!({"superadmn": {}}),
        BUDGET,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, InvokeError::BadInput(_)), "{err}");
    assert!(err.to_string().contains("superadmn"), "{err}");
}
