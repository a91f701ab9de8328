//! The one audit trail: every change an admin makes through the API, and
//! what the scheduler and the payment provider change on their own, is an
//! entry written with the change, attributed, with the changed fields (a
//! secret named, never shown); `GET /api/audit` filters and pages it, and
//! refuses bad filters and callers without `users.audit`.

use chrono::{Duration, Utc};
use http::StatusCode;
use loaf_tests::{spawn_app, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

async fn entries(app: &TestApp, sql: &str) -> Vec<(String, Option<Uuid>, Option<String>)> {
    sqlx::query_as(sql).fetch_all(&app.db).await.unwrap()
}

#[tokio::test]
async fn every_admin_change_is_an_attributed_entry_with_its_changed_fields() {
    let app = spawn_app().await;
    let admin = app.user_with_role("superadmin").await;
    let calls = app.as_user(&admin).await;
    let started = Utc::now();

    // A plan made, then repriced.
    let plan = calls
        .plans()
        .create(json!({"name": "Yearly", "price_cents": 2500}))
        .await;
    assert_eq!(plan.status, StatusCode::CREATED, "{:?}", plan.body);
    let plan_id = plan.body["id"].as_str().unwrap().to_string();
    let r = calls
        .plans()
        .update(&plan_id, json!({"price_cents": 3000}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // A setting, an event, an invitation (its token is a secret), a payment
    // recorded by hand.
    assert_eq!(
        calls
            .settings()
            .update(json!({"name": "Friends of the Loaf"}))
            .await
            .status,
        StatusCode::OK
    );
    let start = Utc::now() + Duration::days(10);
    let event = calls
        .events()
        .create(
            json!({"title": "Bake-off", "start_at": start, "end_at": start + Duration::hours(2)}),
        )
        .await;
    assert_eq!(event.status, StatusCode::CREATED, "{:?}", event.body);
    let invited = calls
        .invitations()
        .create(json!({"email": "guest.baker@example.org"}))
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{:?}", invited.body);
    let member = app.user_with_role("member").await;
    let paid = calls
        .subscriptions()
        .record_payment(json!({"user_id": member.id, "plan_id": plan_id, "method": "cash"}))
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{:?}", paid.body);

    // Every entry the API wrote names the admin; none is unattributed.
    let by_hand = entries(
        &app,
        "SELECT action, actor_id, actor_job FROM audit_log \
         WHERE actor_job = 'database' ORDER BY created_at",
    )
    .await;
    // The harness's own fixtures (`user_with_role`) write no audited rows.
    assert!(by_hand.is_empty(), "unattributed: {by_hand:?}");
    let mine = entries(
        &app,
        &format!(
            "SELECT action, actor_id, actor_job FROM audit_log WHERE actor_id = '{}' ORDER BY created_at, id",
            admin.id
        ),
    )
    .await;
    let actions: Vec<&str> = mine.iter().map(|(a, _, _)| a.as_str()).collect();
    for expected in [
        "plan.insert",
        "plan.update",
        "settings.update",
        "event.insert",
        "invitation.insert",
        "subscription.insert",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }

    // Read back through the API, filtered.
    let trail = calls.audit_trail(&format!("target_id={plan_id}")).await;
    assert_eq!(trail.status, StatusCode::OK, "{:?}", trail.body);
    assert_eq!(trail.body["total"], 2);
    let update = &trail.body["items"][0];
    assert_eq!(update["action"], "plan.update");
    assert_eq!(update["actor_id"], admin.id.to_string());
    assert_eq!(
        update["actor_name"],
        json!(admin_name(&app, admin.id).await)
    );
    assert_eq!(update["changes"]["price_cents"], json!([2500, 3000]));
    assert!(
        update["changes"].get("updated_at").is_none(),
        "bookkeeping is not a change: {update}"
    );
    let invitation = calls.audit_trail("action=invitation.insert").await;
    let changes = &invitation.body["items"][0]["changes"];
    assert_eq!(changes["email"], json!([null, "guest.baker@example.org"]));
    assert_eq!(changes["token"], "[secret]", "{changes}");
    let payment = calls
        .audit_trail(&format!(
            "subject_id={}&target_type=subscription",
            member.id
        ))
        .await;
    assert_eq!(payment.body["total"], 1, "{:?}", payment.body);
    assert_eq!(
        payment.body["items"][0]["subject_id"],
        member.id.to_string()
    );
    let window = |from: chrono::DateTime<Utc>, to: chrono::DateTime<Utc>| {
        format!(
            "actor_id={}&from={}&to={}",
            admin.id,
            urlencode(&from.to_rfc3339()),
            urlencode(&to.to_rfc3339())
        )
    };
    let now = calls
        .audit_trail(&window(started, Utc::now() + Duration::seconds(1)))
        .await;
    assert_eq!(now.body["total"], json!(mine.len()));
    let before = calls
        .audit_trail(&window(started - Duration::hours(1), started))
        .await;
    assert_eq!(before.body["total"], 0);
    let paged = calls.audit_trail("page=1&per_page=2").await;
    assert_eq!(paged.body["items"].as_array().unwrap().len(), 2);

    // What the scheduler does is the scheduler's: the period ends.
    app.run_jobs(Utc::now() + Duration::days(800)).await;
    let ended = calls
        .audit_trail(&format!(
            "actor_job=scheduler&subject_id={}&action=subscription.update",
            member.id
        ))
        .await;
    assert_eq!(ended.body["total"], 1, "{:?}", ended.body);
    assert_eq!(ended.body["items"][0]["actor_id"], Value::Null);
    assert_eq!(
        ended.body["items"][0]["changes"]["status"],
        json!(["active", "expired"])
    );
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

async fn admin_name(app: &TestApp, id: Uuid) -> String {
    sqlx::query_scalar(
        "SELECT trim(concat_ws(' ', first_name, last_name)) FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_trail_is_for_auditors_and_refuses_bad_filters() {
    let app = spawn_app().await;
    let member = app.as_user(&app.user_with_role("member").await).await;
    assert_eq!(member.audit_trail("").await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.anonymous().audit_trail("").await.status,
        StatusCode::UNAUTHORIZED
    );
    let admin = app.as_user(&app.user_with_role("superadmin").await).await;
    for (query, field) in [
        ("action=plan.update%27%3B", "action"),
        ("action=Plan", "action"),
        ("from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
    ] {
        let r = admin.audit_trail(query).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {:?}",
            r.body
        );
        assert_eq!(r.body["error"]["field"], field, "{query}");
    }
    for query in ["actor_id=nobody", "from=yesterday", "target_id=7"] {
        let r = admin.audit_trail(query).await;
        assert!(r.status.is_client_error(), "{query}: {:?}", r.status);
        assert!(r.body["error"]["code"].is_string(), "{query}: {:?}", r.body);
    }
    let r = admin
        .audit_trail(&format!("actor_id={}", Uuid::new_v4()))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["total"], 0);
}
