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

    let first = loaf_jobs::run(db).await.unwrap();
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

    let second = loaf_jobs::run(db).await.unwrap();
    assert_eq!(second, loaf_jobs::Summary::default());
}
