//! Subscription plans: open to read, managed with `subscriptions.plans`,
//! checked as a whole, retired rather than deleted once used.

use http::{Method, StatusCode};
use loaf_tests::{call, spawn_app, Reply};
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn plan_managers_create_edit_retire_and_delete_plans() {
    let app = spawn_app().await;
    let finance = app.as_user(&app.user_with_role("finance").await).await;
    let plans = finance.plans();
    let id = |r: &Reply| -> Uuid { r.body["id"].as_str().unwrap().parse().unwrap() };

    let r = plans
        .create(json!({
            "name": "Calendar year", "price_cents": 3650, "billing_cycle": "custom",
            "minimum_price_cents": 1000, "suggested_price_cents": 5000,
            "custom_period": {"start_month": 1, "start_day": 1, "end_month": 12, "end_day": 31, "prorate": true}
        }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let year = id(&r);
    assert_eq!(r.body["custom_cycle_end_day"], 31);
    assert_eq!(r.body["custom_cycle_prorate"], true);
    let r = plans
        .create(json!({"name": "Monthly", "price_cents": 500, "billing_cycle": "monthly"}))
        .await;
    let monthly = id(&r);
    assert_eq!(r.body["minimum_price_cents"], 500, "fixed price by default");
    assert_eq!(r.body["allow_donation"], true);

    // A price change on a fixed-price plan moves its minimum along; a
    // cycle change drops the custom period.
    let r = plans
        .update(
            monthly,
            json!({"price_cents": 600, "description": "Month by month"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (
            r.body["price_cents"].clone(),
            r.body["minimum_price_cents"].clone()
        ),
        (json!(600), json!(600))
    );
    let r = plans.update(year, json!({"billing_cycle": "yearly"})).await;
    assert!(r.body["custom_cycle_start_month"].is_null(), "{:?}", r.body);

    // Anyone lists the active plans.
    let anyone = app.anonymous();
    let listed = anyone.plans().list("").await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.body["total"], 2);

    // Retired: off the public list and its page, still there for managers.
    let r = plans.update(monthly, json!({"active": false})).await;
    assert_eq!(r.body["active"], false);
    assert_eq!(anyone.plans().list("").await.body["total"], 1);
    assert_eq!(
        anyone.plans().show(monthly).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(plans.show(monthly).await.status, StatusCode::OK);
    assert_eq!(plans.list("include_retired=true").await.body["total"], 2);

    // Used by a subscription: cannot be deleted; unused: can.
    let member = app.user_with_role("member").await;
    sqlx::query("INSERT INTO subscriptions (user_id, plan_id) VALUES ($1, $2)")
        .bind(member.id)
        .bind(year)
        .execute(&app.db)
        .await
        .unwrap();
    let r = plans.delete(year).await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "plan_in_use")
    );
    assert_eq!(plans.delete(monthly).await.status, StatusCode::NO_CONTENT);
    assert_eq!(plans.show(monthly).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_plans_are_refused_naming_the_field() {
    let app = spawn_app().await;
    let admin = app.as_user(&app.user_with_role("admin").await).await;
    let cases = [
        (json!({"price_cents": 100}), "name"),
        (json!({"name": "X"}), "price_cents"),
        (json!({"name": "", "price_cents": 100}), "name"),
        (json!({"name": "X", "price_cents": -1}), "price_cents"),
        (json!({"name": "X", "price_cents": 1.5}), "price_cents"),
        (
            json!({"name": "X", "price_cents": 100_000_000_000i64}),
            "price_cents",
        ),
        (
            json!({"name": "X", "price_cents": 100, "billing_cycle": "weekly"}),
            "billing_cycle",
        ),
        (
            json!({"name": "X", "price_cents": 100, "minimum_price_cents": 200}),
            "minimum_price_cents",
        ),
        (
            json!({"name": "X", "price_cents": 100, "minimum_price_cents": 50, "suggested_price_cents": 10}),
            "suggested_price_cents",
        ),
        (
            json!({"name": "X", "price_cents": 100, "billing_cycle": "custom"}),
            "custom_period",
        ),
        (
            json!({"name": "X", "price_cents": 100, "billing_cycle": "custom",
                   "custom_period": {"start_month": 2, "start_day": 29, "end_month": 12, "end_day": 31}}),
            "custom_period",
        ),
        (
            json!({"name": "X", "price_cents": 100, "billing_cycle": "custom",
                   "custom_period": {"start_month": 13, "start_day": 1, "end_month": 12, "end_day": 31}}),
            "custom_period",
        ),
        (
            json!({"name": "X", "price_cents": 100, "colour": "red"}),
            "",
        ),
    ];
    for (body, field) in cases {
        let r = admin.plans().create(body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        if !field.is_empty() {
            assert_eq!(r.body["error"]["field"], field, "{body}");
        }
    }
    let plans: i64 = sqlx::query_scalar("SELECT count(*) FROM subscription_plans")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(plans, 0);
}

#[tokio::test]
async fn members_and_strangers_cannot_manage_plans() {
    let app = spawn_app().await;
    let api = app.api();
    let plan = app.plan("Yearly", 3000).await;
    let member = app.user_with_role("member").await;
    let token = app.token_for(&member).await;
    let path = format!("/api/plans/{plan}");
    let body = json!({"name": "Mine", "price_cents": 1});
    for (method, path, body) in [
        (Method::POST, "/api/plans", Some(body.clone())),
        (Method::PATCH, path.as_str(), Some(body)),
        (Method::DELETE, path.as_str(), None),
        (Method::GET, "/api/plans?include_retired=true", None),
    ] {
        let r = call(&api, method.clone(), path, Some(&token), body.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{method} {path}");
        let r = call(&api, method.clone(), path, None, body).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{method} {path}");
    }
    let name: String = sqlx::query_scalar("SELECT name FROM subscription_plans")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(name, "Yearly");
}
