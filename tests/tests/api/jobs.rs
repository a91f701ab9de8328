//! The scheduled jobs: expiries happen once, and only to what is due.

use loaf_tests::spawn_app;
use sqlx::PgPool;

async fn invitation(db: &PgPool, email: &str, status: &str, expires_in_days: i32) {
    sqlx::query(
        "INSERT INTO user_invitations (email, token, status, expires_at) \
         VALUES ($1, $1, $2::invitationstatus, now() + make_interval(days => $3))",
    )
    .bind(email)
    .bind(status)
    .bind(expires_in_days)
    .execute(db)
    .await
    .unwrap();
}

async fn subscription(db: &PgPool, user: uuid::Uuid, plan: uuid::Uuid, end_in_days: Option<i32>) {
    sqlx::query(
        "INSERT INTO subscriptions (user_id, plan_id, status, end_date) \
         VALUES ($1, $2, 'active', now() + make_interval(days => $3))",
    )
    .bind(user)
    .bind(plan)
    .bind(end_in_days)
    .execute(db)
    .await
    .unwrap();
}

async fn statuses(db: &PgPool, sql: &str) -> Vec<String> {
    sqlx::query_scalar(sql).fetch_all(db).await.unwrap()
}

#[tokio::test]
async fn due_invitations_and_subscriptions_expire_once() {
    let app = spawn_app().await;
    let db = &app.db;
    invitation(db, "late@example.org", "pending", -1).await;
    invitation(db, "early@example.org", "pending", 3).await;
    invitation(db, "done@example.org", "accepted", -10).await;
    let member = app.user_with_role("member").await;
    let plan: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO subscription_plans (name, price_cents) VALUES ('Yearly', 3000) RETURNING id",
    )
    .fetch_one(db)
    .await
    .unwrap();
    subscription(db, member.id, plan, Some(-1)).await;
    subscription(db, member.id, plan, Some(30)).await;
    subscription(db, member.id, plan, None).await; // lifetime

    let first = app.run_jobs(chrono::Utc::now()).await;
    assert_eq!(
        (first.invitations_expired, first.subscriptions_expired),
        (1, 1)
    );
    assert_eq!(
        statuses(
            db,
            "SELECT status::text FROM user_invitations ORDER BY email"
        )
        .await,
        ["accepted", "pending", "expired"]
    );
    assert_eq!(
        statuses(
            db,
            "SELECT status::text FROM subscriptions ORDER BY end_date NULLS LAST"
        )
        .await,
        ["expired", "active", "active"]
    );

    let second = app.run_jobs(chrono::Utc::now()).await;
    assert_eq!(second, loaf_jobs::Summary::default());
}

#[tokio::test]
async fn housekeeping_deletes_spent_tokens_stale_counters_and_old_mail_only() {
    let app = spawn_app().await;
    let db = &app.db;
    let user = app.user_with_role("member").await;
    for (hash, days_past_expiry) in [(vec![1u8], 8), (vec![2u8], 1)] {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, user_id, family_id, token_version, expires_at) \
             VALUES ($1, $2, gen_random_uuid(), 0, now() - make_interval(days => $3))",
        )
        .bind(&hash)
        .bind(user.id)
        .bind(days_past_expiry)
        .execute(db)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at) \
             VALUES ($1, $2, 'verify_email', now() - make_interval(days => $3))",
        )
        .bind(&hash)
        .bind(user.id)
        .bind(days_past_expiry)
        .execute(db)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO login_throttle (key, failures, last_failure_at) VALUES \
         ('account:old@example.org', 3, now() - interval '2 days'), \
         ('account:new@example.org', 3, now())",
    )
    .execute(db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO email_outbox (kind, to_address, subject, text_body, html_body, status, sent_at) VALUES \
         ('validated', 'a@example.org', 's', 't', 'h', 'sent', now() - interval '91 days'), \
         ('validated', 'b@example.org', 's', 't', 'h', 'sent', now() - interval '1 day'), \
         ('validated', 'c@example.org', 's', 't', 'h', 'failed', NULL)",
    )
    .execute(db)
    .await
    .unwrap();

    let summary = app.run_jobs(chrono::Utc::now()).await;
    assert_eq!(summary.rows_cleaned, 4);
    for (table, left) in [
        ("refresh_tokens", 1),
        ("account_tokens", 1),
        ("login_throttle", 1),
        ("email_outbox", 2),
    ] {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(db)
            .await
            .unwrap();
        assert_eq!(n, left, "{table}");
    }
    assert_eq!(app.run_jobs(chrono::Utc::now()).await.rows_cleaned, 0);
}

#[test]
fn the_event_names_the_job() {
    use loaf_jobs::Job;
    use serde_json::json;
    assert_eq!(Job::of(&json!({"job": "send-email"})), Job::SendEmail);
    assert_eq!(Job::of(&json!({})), Job::Daily);
    assert_eq!(
        Job::of(&json!({"detail-type": "Scheduled Event"})),
        Job::Daily
    );
}
