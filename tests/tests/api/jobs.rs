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
    assert_eq!(Job::of(&json!({"job": "hourly"})), Job::Hourly);
    assert_eq!(Job::of(&json!({})), Job::Daily);
    assert_eq!(
        Job::of(&json!({"detail-type": "Scheduled Event"})),
        Job::Daily
    );
}

/// Inserts a member in `status` created `days_ago`, validated then too.
async fn aged(app: &loaf_tests::TestApp, status: &str, days_ago: i32) -> loaf_tests::TestUser {
    let email = format!("{status}-{}@example.org", uuid::Uuid::new_v4().simple());
    let user = app
        .person("Rita", "Reminded", &email, status, "member")
        .await;
    sqlx::query(
        "UPDATE users SET created_at = now() - make_interval(days => $2), \
         validated_at = CASE WHEN status = 'payment_pending' THEN now() - make_interval(days => $2) END \
         WHERE id = $1",
    )
    .bind(user.id)
    .bind(days_ago)
    .execute(&app.db)
    .await
    .unwrap();
    user
}

fn kinds(mail: &[loaf_tests::Mail]) -> Vec<&str> {
    mail.iter().map(|m| m.kind.as_str()).collect()
}

/// Runs the jobs `days` from `now`; answers how many renewal reminders went.
async fn renewals_on(
    app: &loaf_tests::TestApp,
    now: chrono::DateTime<chrono::Utc>,
    days: i64,
) -> u64 {
    app.run_jobs(now + chrono::Duration::days(days))
        .await
        .renewal_reminders
}

#[tokio::test]
async fn renewal_reminders_follow_the_schedule_once_per_membership_end() {
    let app = spawn_app().await;
    let plan = app.plan("Yearly", 3000).await;
    let soon = app.user_with_role("member").await;
    let renewing = app.user_with_role("member").await;
    let leaving = app.user_with_role("member").await;
    let long_gone = app
        .person("Long", "Gone", "long.gone@example.org", "expired", "member")
        .await;
    subscription(&app.db, soon.id, plan, Some(20)).await;
    subscription(&app.db, renewing.id, plan, Some(20)).await;
    subscription(&app.db, leaving.id, plan, Some(10)).await;
    subscription(&app.db, long_gone.id, plan, Some(-200)).await;
    sqlx::query("UPDATE subscriptions SET cancel_at_period_end = true WHERE user_id = $1")
        .bind(leaving.id)
        .execute(&app.db)
        .await
        .unwrap();
    sqlx::query("UPDATE subscriptions SET status = 'expired' WHERE user_id = $1")
        .bind(long_gone.id)
        .execute(&app.db)
        .await
        .unwrap();

    // The default schedule: 30 and 7 days before, the day, 30 and 60 after.
    // Two runs at once send each reminder once.
    let now = chrono::Utc::now();
    let (a, b) = tokio::join!(renewals_on(&app, now, 0), renewals_on(&app, now, 0));
    assert_eq!(a + b, 2, "30 days before, for the two ending in 20");
    assert_eq!(kinds(&app.mail_to(&soon.email).await), ["renewal_reminder"]);
    assert!(
        app.mail_to(&leaving.email).await.is_empty(),
        "cancelled: no reminder"
    );
    assert!(
        app.mail_to(&long_gone.email).await.is_empty(),
        "an old end is history"
    );
    assert_eq!(renewals_on(&app, now, 5).await, 0);

    // One renews: a later period moves their end a year on.
    subscription(&app.db, renewing.id, plan, Some(385)).await;
    assert_eq!(
        renewals_on(&app, now, 14).await,
        1,
        "7 days before, the other only"
    );
    // The end: the membership lapses and its member hears it has ended,
    // with the grace period's last day.
    assert_eq!(renewals_on(&app, now, 20).await, 1);
    assert_eq!(app.status_of(soon.id).await, "expired");
    let mail = app.mail_to(&soon.email).await;
    assert_eq!(
        kinds(&mail),
        ["renewal_reminder", "renewal_reminder", "membership_ended"]
    );
    assert!(
        mail[2].text_body.contains("stay open to you until"),
        "{:?}",
        mail[2]
    );
    assert_eq!(renewals_on(&app, now, 21).await, 0);
    // A month after, then two; then nothing more.
    assert_eq!(renewals_on(&app, now, 50).await, 1);
    assert!(!app.mail_to(&soon.email).await[3]
        .text_body
        .contains("stay open"));
    assert_eq!(renewals_on(&app, now, 80).await, 1);
    assert_eq!(renewals_on(&app, now, 81).await, 0);
    assert_eq!(renewals_on(&app, now, 200).await, 0);
    assert_eq!(kinds(&app.mail_to(&soon.email).await).len(), 5);
    assert_eq!(
        kinds(&app.mail_to(&renewing.email).await),
        ["renewal_reminder"]
    );
    // The old platform's counters follow.
    let counted: i32 = sqlx::query_scalar("SELECT renewal_reminders_sent FROM users WHERE id = $1")
        .bind(soon.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(counted, 5);
}

#[tokio::test]
async fn payment_and_verification_reminders_repeat_up_to_their_limit_then_registrations_are_abandoned(
) {
    let app = spawn_app().await;
    let unpaid = aged(&app, "payment_pending", 8).await;
    let fresh = aged(&app, "payment_pending", 2).await;
    let unconfirmed = aged(&app, "pending_email", 4).await;

    let now = chrono::Utc::now();
    let first = app.run_jobs(now).await;
    assert_eq!(
        (first.payment_reminders, first.verification_reminders),
        (1, 1)
    );
    assert!(app.mail_to(&fresh.email).await.is_empty());
    let token = app.token_mailed(&unconfirmed.email, "verify_email").await;
    // The fresh link works, with the password chosen at registration.
    let hash = loaf_domain::auth::password::hash("chosen at registration".into())
        .await
        .unwrap();
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(unconfirmed.id)
        .bind(hash)
        .execute(&app.db)
        .await
        .unwrap();
    let r = loaf_tests::call(
        &app.api(),
        http::Method::POST,
        "/api/auth/verify-email",
        None,
        Some(serde_json::json!({"token": token, "password": "chosen at registration"})),
    )
    .await;
    assert_eq!(r.status, http::StatusCode::OK, "{:?}", r.body);

    // Every seven days, three at most.
    let mut total = 1;
    for week in 1..=4 {
        total += app
            .run_jobs(now + chrono::Duration::days(7 * week))
            .await
            .payment_reminders;
    }
    let unpaid_mail = app.mail_to(&unpaid.email).await;
    assert_eq!(kinds(&unpaid_mail), ["payment_reminder"; 3]);
    assert_eq!(total, 6, "three each");

    let gone = aged(&app, "pending_email", 31).await;
    let summary = app.run_jobs(chrono::Utc::now()).await;
    assert_eq!(summary.registrations_abandoned, 1);
    assert_eq!(app.status_of(gone.id).await, "abandoned");
    assert!(
        app.mail_to(&gone.email).await.is_empty(),
        "no reminder on the day they are given up on"
    );
}

#[tokio::test]
async fn two_runs_at_once_send_each_reminder_once() {
    let app = spawn_app().await;
    let mut members = Vec::new();
    for _ in 0..40 {
        members.push(aged(&app, "payment_pending", 8).await);
    }
    let plan = app.plan("Yearly", 3000).await;
    for m in &members[..10] {
        sqlx::query("UPDATE users SET status = 'active' WHERE id = $1")
            .bind(m.id)
            .execute(&app.db)
            .await
            .unwrap();
        subscription(&app.db, m.id, plan, Some(-1)).await;
    }
    let now = chrono::Utc::now();
    let (a, b) = tokio::join!(app.run_jobs(now), app.run_jobs(now));
    assert_eq!(a.payment_reminders + b.payment_reminders, 30);
    assert_eq!(a.subscriptions_expired + b.subscriptions_expired, 10);
    assert_eq!(a.members_lapsed + b.members_lapsed, 10);
    let queued: i64 =
        sqlx::query_scalar("SELECT count(*) FROM email_outbox WHERE kind = 'payment_reminder'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(queued, 30);
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE to_value = 'expired'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(audited, 10);
}
