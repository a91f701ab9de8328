//! The migrate Lambda's two input shapes, against a local listener standing
//! in for CloudFormation's presigned response URL.

use loaf_migrate::invoke::{handle, InvokeError};
use loaf_migrate::MIGRATOR;
use loaf_tests::cfn_response::{cfn_event, response_listener};
use loaf_tests::empty_database;
use serde_json::json;
use sqlx::PgPool;
use std::time::Duration;

fn unreachable_pool() -> PgPool {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    loaf_shared::db::connect_lazy(&loaf_shared::config::DbConfig {
        url: format!("postgres://loaf@127.0.0.1:{port}/none"),
        max_connections: 1,
        acquire_timeout: Duration::from_secs(1),
        statement_timeout: None,
    })
    .unwrap()
}

const BUDGET: Duration = Duration::from_secs(120);

#[tokio::test]
async fn create_migrates_and_reports_success() {
    let (pool, _) = empty_database().await;
    let (url, received) = response_listener().await;
    let http = reqwest::Client::new();

    handle(&pool, &MIGRATOR, &http, cfn_event("Create", &url), BUDGET)
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
    assert_eq!(body["RequestId"], "req-1");
    assert_eq!(body["LogicalResourceId"], "DatabaseMigrations");
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
    loaf_migrate::run(&pool, &MIGRATOR, None).await.unwrap();

    let mut event = cfn_event("Update", &url);
    event["PhysicalResourceId"] = json!("loaf-database-migrations");
    handle(&pool, &MIGRATOR, &http, event, BUDGET)
        .await
        .unwrap();

    let body = received.lock().unwrap()[0].1.clone();
    assert_eq!(body["Status"], "SUCCESS");
    assert_eq!(body["PhysicalResourceId"], "loaf-database-migrations");
    assert_eq!(body["Data"]["AppliedMigrations"], "");
}

#[tokio::test]
async fn delete_succeeds_without_touching_the_database() {
    // The pool points nowhere: any attempt to touch data would fail.
    let (url, received) = response_listener().await;
    let http = reqwest::Client::new();
    let mut event = cfn_event("Delete", &url);
    event["PhysicalResourceId"] = json!("loaf-database-migrations");

    handle(&unreachable_pool(), &MIGRATOR, &http, event, BUDGET)
        .await
        .unwrap();

    let body = received.lock().unwrap()[0].1.clone();
    assert_eq!(body["Status"], "SUCCESS");
}

#[tokio::test]
async fn a_failure_is_reported_to_cloudformation_not_left_hanging() {
    let (url, received) = response_listener().await;
    let http = reqwest::Client::new();

    handle(
        &unreachable_pool(),
        &MIGRATOR,
        &http,
        cfn_event("Create", &url),
        BUDGET,
    )
    .await
    .unwrap();

    let body = received.lock().unwrap()[0].1.clone();
    assert_eq!(body["Status"], "FAILED");
    let reason = body["Reason"].as_str().unwrap();
    assert!(reason.contains("cannot reach the database"), "{reason}");
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
        &pool,
        &MIGRATOR,
        &http,
        cfn_event("Create", &url),
        Duration::from_millis(500),
    )
    .await
    .unwrap();

    let body = received.lock().unwrap()[0].1.clone();
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

    let summary = handle(&pool, &MIGRATOR, &http, input, BUDGET)
        .await
        .unwrap();

    assert_eq!(summary["superadmin"], "created");
    assert_eq!(
        summary["counts"],
        json!({"users": 1, "permissions": 59, "roles": 5, "plans": 0})
    );
    let empty = handle(&pool, &MIGRATOR, &http, json!({}), BUDGET)
        .await
        .unwrap();
    assert_eq!(empty["applied"], json!([]));
    assert_eq!(empty["superadmin"], "not_requested");
}

#[tokio::test]
async fn a_direct_invocation_with_unknown_input_is_refused() {
    let http = reqwest::Client::new();
    let err = handle(
        &unreachable_pool(),
        &MIGRATOR,
        &http,
        json!({"superadmn": {}}),
        BUDGET,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, InvokeError::BadInput(_)), "{err}");
    assert!(err.to_string().contains("superadmn"), "{err}");
}
