//! The member directory and the admin dashboard's figures.

use http::StatusCode;
use loaf_tests::{spawn_app, TestApp, TestUser};

/// Lists `user` in the directory with the fields they chose to show.
async fn list(app: &TestApp, user: &TestUser, directory_email: Option<&str>) {
    sqlx::query(
        "UPDATE users SET show_in_directory = true, directory_email = $2, directory_bio = 'Hello', \
                phone = '+1 555 0199', address = '1 Private Road' WHERE id = $1",
    )
    .bind(user.id)
    .bind(directory_email)
    .execute(&app.db)
    .await
    .unwrap();
}

#[tokio::test]
async fn listed_members_see_each_others_chosen_fields_and_nothing_more() {
    let app = spawn_app().await;
    let me = app
        .person("Mae", "Jemison", "mae@example.org", "active", "member")
        .await;
    let shown = app
        .person("Sally", "Ride", "sally@example.org", "active", "member")
        .await;
    let hidden = app
        .person("Hidden", "Figure", "hidden@example.org", "active", "member")
        .await;
    let lapsed = app
        .person(
            "Lapsed",
            "Member",
            "lapsed@example.org",
            "expired",
            "member",
        )
        .await;
    list(&app, &me, None).await;
    list(&app, &shown, Some("sally.public@example.org")).await;
    list(&app, &lapsed, None).await;
    let token = app.token_for(&me).await;

    let reply = app.with_token(&token).members().directory("").await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    assert_eq!(reply.body["total"], 2, "{:?}", reply.body);
    let items = reply.body["items"].as_array().unwrap();
    let sally = items.iter().find(|e| e["last_name"] == "Ride").unwrap();
    assert_eq!(sally["email"], "sally.public@example.org");
    assert_eq!(sally["bio"], "Hello");
    assert!(sally["phone"].is_null(), "the account phone stays private");
    assert!(sally["address"].is_null());
    let text = reply.body.to_string();
    for private in [
        "sally@example.org",
        "hidden",
        "Lapsed",
        "1 Private Road",
        "status",
        "role",
    ] {
        assert!(!text.contains(private), "{private} leaked: {text}");
    }
    let reply = app.with_token(&token).members().directory("q=sally").await;
    assert_eq!(reply.body["total"], 1);

    // Not listed yourself: the directory is closed to you.
    let token = app.token_for(&hidden).await;
    let reply = app.with_token(&token).members().directory("").await;
    assert_eq!(
        (reply.status, reply.error_code()),
        (StatusCode::FORBIDDEN, "not_listed")
    );
    // Listed but never paid: no membership in force, no directory (they
    // would see everyone's chosen fields without appearing themselves).
    let unpaid = app
        .person(
            "Un",
            "Paid",
            "unpaid@example.org",
            "payment_pending",
            "member",
        )
        .await;
    list(&app, &unpaid, None).await;
    let reply = app.as_user(&unpaid).await.members().directory("").await;
    assert_eq!(
        (reply.status, reply.error_code()),
        (StatusCode::FORBIDDEN, "membership_required")
    );
    // A guest holds no directory permission at all.
    let guest = app
        .person(
            "Guest",
            "One",
            "guest@example.org",
            "pending_validation",
            "guest",
        )
        .await;
    let reply = app.as_user(&guest).await.members().directory("").await;
    assert_eq!(
        (reply.status, reply.error_code()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    // Admins may look without being listed.
    let admin = app.user_with_role("admin").await;
    let reply = app.as_user(&admin).await.members().directory("").await;
    assert_eq!(reply.body["total"], 2);
}

#[tokio::test]
async fn the_dashboard_counts_members_money_and_events_in_one_answer() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    app.person("P", "One", "p1@example.org", "pending_validation", "guest")
        .await;
    app.person("P", "Two", "p2@example.org", "pre_validated", "guest")
        .await;
    let paying = app
        .person("M", "Three", "m3@example.org", "active", "member")
        .await;
    sqlx::query("UPDATE users SET member_since = now() WHERE id = $1")
        .bind(paying.id)
        .execute(&app.db)
        .await
        .unwrap();
    let plan = app.plan("Yearly", 3000).await;
    sqlx::query(
        "INSERT INTO subscriptions (user_id, plan_id, base_subscription_cents, donation_cents, amount_paid_cents) \
         VALUES ($1, $2, 3000, 500, 3500)",
    )
    .bind(paying.id)
    .bind(plan)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO donations (amount_cents, status) VALUES (2000, 'completed'), (9999, 'pending')",
    )
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO events (title, start_at, end_at, published, created_by) VALUES \
         ('Picnic', now() + interval '3 days', now() + interval '3 days 2 hours', true, $1), \
         ('Draft', now() + interval '4 days', now() + interval '4 days 2 hours', false, $1), \
         ('Past', now() - interval '3 days', now() - interval '3 days' + interval '2 hours', true, $1)",
    )
    .bind(admin.id)
    .execute(&app.db)
    .await
    .unwrap();

    let reply = app.as_user(&admin).await.dashboard_stats().await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    let b = &reply.body;
    assert_eq!(b["members_by_status"]["active"], 2);
    assert_eq!(b["members_by_status"]["pending_validation"], 1);
    assert_eq!(b["members_by_status"]["rejected"], 0);
    assert_eq!(b["members_by_status"].as_object().unwrap().len(), 10);
    assert_eq!(b["pending_validations"], 2);
    assert_eq!(b["new_members_this_month"], 1);
    assert_eq!(b["active_subscriptions"], 1);
    assert_eq!(b["subscription_revenue_this_year_cents"], 3500);
    assert_eq!(b["donations_this_year_cents"], 2000);
    let events = b["upcoming_events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["title"], "Picnic");
    // Twelve months for the charts, oldest first, this month last.
    let monthly = b["monthly"].as_array().unwrap();
    assert_eq!(monthly.len(), 12);
    let this_month: String = sqlx::query_scalar(
        "SELECT to_char(now() AT TIME ZONE time_zone, 'YYYY-MM') FROM organisation_settings",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let last = &monthly[11];
    assert_eq!(last["month"], this_month.as_str());
    assert_eq!(last["new_members"], 1);
    assert_eq!(last["membership_cents"], 3500);
    assert_eq!(
        last["donations_cents"], 2000,
        "the pending gift is not counted"
    );
    assert!(monthly[..11]
        .iter()
        .all(|m| m["new_members"] == 0 && m["donations_cents"] == 0));
    let mut months: Vec<&str> = monthly
        .iter()
        .map(|m| m["month"].as_str().unwrap())
        .collect();
    months.dedup();
    assert_eq!(months.len(), 12, "{months:?}");

    // Someone who may see members but not money sees no money.
    let viewer_role: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO roles (code, name) VALUES ('viewer', 'Viewer') RETURNING id",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO role_permissions (role_id, permission_id) \
         SELECT $1, id FROM permissions WHERE code = 'users.view'",
    )
    .bind(viewer_role)
    .execute(&app.db)
    .await
    .unwrap();
    let viewer = app.user_with_role("member").await;
    sqlx::query("UPDATE users SET role_id = $2 WHERE id = $1")
        .bind(viewer.id)
        .bind(viewer_role)
        .execute(&app.db)
        .await
        .unwrap();
    let reply = app.as_user(&viewer).await.dashboard_stats().await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply
        .body
        .get("subscription_revenue_this_year_cents")
        .is_none());
    assert!(reply.body.get("donations_this_year_cents").is_none());
    assert_eq!(reply.body["pending_validations"], 2);
    let last = &reply.body["monthly"][11];
    assert_eq!(last["new_members"], 1);
    assert!(last.get("membership_cents").is_none() && last.get("donations_cents").is_none());
}
