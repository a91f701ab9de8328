//! Online membership payments: a checkout through the provider's stand-in
//! (over HTTP, in the provider's wire format), then its signed webhook.
//! Bad signatures, stale or replayed deliveries, events in any order,
//! amounts a plan does not take.

use http::StatusCode;
use loaf::local_payments::{self, Delivery};
use loaf_domain::payments::signature;
use loaf_tests::{spawn_app, Reply, TestApp, TestUser};
use serde_json::{json, Value};
use uuid::Uuid;

/// A yearly plan at 30.00, pay-what-you-can from 20.00 when `minimum`.
async fn yearly_plan(app: &TestApp, minimum: Option<i64>) -> Uuid {
    let admin = app.user_with_role("finance").await;
    let mut body = json!({"name": "Yearly", "price_cents": 3000, "billing_cycle": "yearly"});
    if let Some(m) = minimum {
        body["minimum_price_cents"] = json!(m);
    }
    let r = app.as_user(&admin).await.plans().create(body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().unwrap().parse().unwrap()
}

async fn payer(app: &TestApp, status: &str) -> (TestUser, String) {
    let email = format!("payer-{}@example.org", Uuid::new_v4().simple());
    let user = app.person("Pat", "Payer", &email, status, "member").await;
    let token = app.token_for(&user).await;
    (user, token)
}

async fn checkout(app: &TestApp, token: &str, body: Value) -> Reply {
    app.with_token(token).subscriptions().checkout(body).await
}

fn session_id(reply: &Reply) -> String {
    let url = reply.body["checkout_url"].as_str().expect("a checkout url");
    url.rsplit('/').next().unwrap().to_string()
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

/// A delivery of `event`, signed now (or `age` seconds ago) with `secret`.
fn signed(event: &Value, secret: &str, age: i64) -> Delivery {
    let body = event.to_string();
    Delivery {
        signature: signature::sign(
            secret,
            chrono::Utc::now().timestamp() - age,
            body.as_bytes(),
        ),
        body,
    }
}

#[tokio::test]
async fn a_validated_member_pays_online_once_even_when_the_event_is_redelivered() {
    let app = spawn_app().await;
    let plan = yearly_plan(&app, Some(2000)).await;
    let (member, token) = payer(&app, "payment_pending").await;
    // Registration makes guests: paying makes a member.
    sqlx::query("UPDATE users SET role = 'guest', role_id = (SELECT id FROM roles WHERE code = 'guest') WHERE id = $1")
        .bind(member.id)
        .execute(&app.db)
        .await
        .unwrap();

    let r = checkout(
        &app,
        &token,
        json!({"plan_id": plan, "amount_cents": 2500, "donation_cents": 500}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["total_cents"], 3000);
    assert_eq!(r.body["currency"], "EUR");
    // The member is sent to the provider's hosted page.
    let page = reqwest::get(r.body["checkout_url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("EUR 30.00"));
    assert_eq!(app.status_of(member.id).await, "payment_pending");
    // The return page asks where the payment stands: not counted yet.
    let member_calls = app.with_token(&token);
    let waiting = member_calls
        .subscriptions()
        .checkout_status(&session_id(&r))
        .await;
    assert_eq!(waiting.status, StatusCode::OK, "{:?}", waiting.body);
    assert_eq!(waiting.body["status"], "open");
    assert!(waiting.body["subscription_id"].is_null());
    // Nobody else's checkout is found this way.
    let (_, other) = payer(&app, "active").await;
    let theirs = app
        .with_token(&other)
        .subscriptions()
        .checkout_status(&session_id(&r))
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);

    let paid = app.payments.pay(&session_id(&r)).await.expect("paid");
    let first = app.deliver(&paid).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(first.body["outcome"], "membership_paid");
    assert_eq!(app.status_of(member.id).await, "active");
    let counted = member_calls
        .subscriptions()
        .checkout_status(&session_id(&r))
        .await;
    assert_eq!(counted.body["status"], "paid");
    assert_eq!(counted.body["total_cents"], 3000);
    assert!(counted.body["ends_at"].is_string());
    let role: String = sqlx::query_scalar(
        "SELECT r.code FROM users u JOIN roles r ON r.id = u.role_id WHERE u.id = $1",
    )
    .bind(member.id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(role, "member");
    let since: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT member_since FROM users WHERE id = $1")
            .bind(member.id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(since.is_some(), "the first payment sets member_since");

    // The provider retries (and two retries race): nothing more happens.
    let (a, b) = tokio::join!(app.deliver(&paid), app.deliver(&paid));
    for again in [a, b] {
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(again.body["duplicate"], true);
    }
    assert_eq!(count(&app, "SELECT count(*) FROM subscriptions").await, 1);
    // One confirmation, however often the event came.
    let confirmations: Vec<_> = app
        .mail_to(&member.email)
        .await
        .into_iter()
        .filter(|m| m.kind == "membership_paid")
        .collect();
    assert_eq!(confirmations.len(), 1);
    assert!(confirmations[0]
        .text_body
        .contains("EUR 30.00 for your Yearly membership"));

    let mine = member_calls.subscriptions().mine().await;
    assert_eq!(mine.body["total"], 1);
    let sub = &mine.body["items"][0];
    assert_eq!(
        (
            sub["base_cents"].clone(),
            sub["donation_cents"].clone(),
            sub["total_cents"].clone()
        ),
        (json!(2500), json!(500), json!(3000))
    );
    assert_eq!(sub["payment_method"], "online");
    assert_eq!(sub["status"], "active");
    assert!(sub["end_date"].is_string());
    let audit: String = sqlx::query_scalar(
        "SELECT to_value FROM audit_log WHERE subject_id = $1 AND action = 'status'",
    )
    .bind(member.id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(audit, "active");
}

#[tokio::test]
async fn deliveries_that_are_not_signed_by_the_provider_change_nothing() {
    let app = spawn_app().await;
    let plan = yearly_plan(&app, None).await;
    let (member, token) = payer(&app, "payment_pending").await;
    let r = checkout(&app, &token, json!({"plan_id": plan})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let good = app.payments.pay(&session_id(&r)).await.unwrap();
    let event: Value = serde_json::from_str(&good.body).unwrap();

    let tampered = {
        let mut e = event.clone();
        e["data"]["object"]["amount_total"] = json!(1);
        Delivery {
            signature: good.signature.clone(),
            body: e.to_string(),
        }
    };
    // Same JSON, re-serialised with other spacing: the signature covers bytes.
    let reformatted = Delivery {
        signature: good.signature.clone(),
        body: serde_json::to_string_pretty(&event).unwrap(),
    };
    let cases = [
        (
            "wrong secret",
            signed(&event, "whsec_someone_else", 0),
            "invalid_signature",
        ),
        ("tampered body", tampered, "invalid_signature"),
        ("re-serialised body", reformatted, "invalid_signature"),
        (
            "stale timestamp",
            signed(&event, local_payments::WEBHOOK_SECRET, 301),
            "stale_signature",
        ),
        (
            "no signature",
            Delivery {
                signature: String::new(),
                body: good.body.clone(),
            },
            "invalid_signature",
        ),
    ];
    for (what, delivery, code) in cases {
        let r = app.deliver(&delivery).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{what}: {:?}", r.body);
        assert_eq!(r.error_code(), code, "{what}");
    }
    // Signed, but not an event.
    let junk = Delivery {
        signature: signature::sign(
            local_payments::WEBHOOK_SECRET,
            chrono::Utc::now().timestamp(),
            b"[1, 2]",
        ),
        body: "[1, 2]".into(),
    };
    assert_eq!(app.deliver(&junk).await.status, StatusCode::BAD_REQUEST);

    assert_eq!(count(&app, "SELECT count(*) FROM payment_events").await, 0);
    assert_eq!(count(&app, "SELECT count(*) FROM subscriptions").await, 0);
    assert_eq!(app.status_of(member.id).await, "payment_pending");

    // The real delivery still works afterwards.
    assert_eq!(app.deliver(&good).await.body["outcome"], "membership_paid");
}

#[tokio::test]
async fn unknown_event_types_are_acknowledged_and_recorded_once() {
    let app = spawn_app().await;
    let event = json!({"id": "evt_unknown_1", "type": "customer.created", "data": {"object": {"id": "cus_1"}}});
    let d = signed(&event, local_payments::WEBHOOK_SECRET, 0);
    let r = app.deliver(&d).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["outcome"], "ignored");
    assert_eq!(app.deliver(&d).await.body["duplicate"], true);
    assert_eq!(count(&app, "SELECT count(*) FROM payment_events").await, 1);
}

#[tokio::test]
async fn events_in_any_order_end_in_the_right_state() {
    let app = spawn_app().await;
    let plan = yearly_plan(&app, None).await;

    // A declined card, then the payer retries and pays: paid wins.
    let (first, token) = payer(&app, "payment_pending").await;
    let r = checkout(&app, &token, json!({"plan_id": plan})).await;
    let session = session_id(&r);
    let declined = app.payments.decline(&session).await.unwrap();
    assert_eq!(
        app.deliver(&declined).await.body["outcome"],
        "payment_failed"
    );
    let paid = app.payments.pay(&session).await.unwrap();
    assert_eq!(app.deliver(&paid).await.body["outcome"], "membership_paid");
    // A late "expired" for the same session changes nothing.
    let mut expired: Value = serde_json::from_str(&paid.body).unwrap();
    expired["id"] = json!("evt_late_expiry");
    expired["type"] = json!("checkout.session.expired");
    let expired = signed(&expired, local_payments::WEBHOOK_SECRET, 0);
    assert_eq!(
        app.deliver(&expired).await.body["outcome"],
        "already_settled"
    );
    assert_eq!(app.status_of(first.id).await, "active");

    // The refund arrives before the payment it refunds.
    let (second, token) = payer(&app, "payment_pending").await;
    let r = checkout(&app, &token, json!({"plan_id": plan})).await;
    let session = session_id(&r);
    let paid = app.payments.pay(&session).await.unwrap();
    let refunded = app.payments.refund(&session, None).await.unwrap();
    assert_eq!(
        app.deliver(&refunded).await.body["outcome"],
        "refund_before_payment"
    );
    assert_eq!(
        app.deliver(&paid).await.body["outcome"],
        "membership_paid_then_refunded"
    );
    let (status, refunded_cents): (String, i64) =
        sqlx::query_as("SELECT status::text, refunded_cents FROM subscriptions WHERE user_id = $1")
            .bind(second.id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((status.as_str(), refunded_cents), ("cancelled", 3000));
    assert_eq!(app.status_of(second.id).await, "expired");

    // In order: a partial refund keeps the membership, the rest ends it.
    let partial = app
        .payments
        .refund(
            &{
                let r =
                    checkout(&app, &app.token_for(&first).await, json!({"plan_id": plan})).await;
                assert_eq!(r.status, StatusCode::CREATED, "renewal: {:?}", r.body);
                let s = session_id(&r);
                let paid = app.payments.pay(&s).await.unwrap();
                assert_eq!(app.deliver(&paid).await.body["outcome"], "membership_paid");
                s
            },
            Some(1000),
        )
        .await
        .unwrap();
    assert_eq!(
        app.deliver(&partial).await.body["outcome"],
        "partial_refund"
    );
    assert_eq!(app.status_of(first.id).await, "active");
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM subscriptions WHERE refunded_cents = 1000 AND status = 'active'"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn a_paid_amount_that_differs_from_the_checkout_is_not_applied() {
    let app = spawn_app().await;
    let plan = yearly_plan(&app, None).await;
    let (member, token) = payer(&app, "payment_pending").await;
    let r = checkout(&app, &token, json!({"plan_id": plan})).await;
    let paid = app.payments.pay(&session_id(&r)).await.unwrap();
    let mut event: Value = serde_json::from_str(&paid.body).unwrap();
    event["data"]["object"]["amount_total"] = json!(100);
    let forged = signed(&event, local_payments::WEBHOOK_SECRET, 0);
    let r = app.deliver(&forged).await;
    assert_eq!(r.body["outcome"], "amount_mismatch");
    assert_eq!(app.status_of(member.id).await, "payment_pending");
    assert_eq!(count(&app, "SELECT count(*) FROM subscriptions").await, 0);
}

#[tokio::test]
async fn checkouts_refuse_what_the_plan_does_not_take_and_write_nothing() {
    let app = spawn_app().await;
    let fixed = yearly_plan(&app, None).await;
    let flexible = yearly_plan(&app, Some(2000)).await;
    let (_, token) = payer(&app, "payment_pending").await;
    let no_donation: Uuid = sqlx::query_scalar(
        "INSERT INTO subscription_plans (name, price_cents, minimum_price_cents, allow_donation) \
         VALUES ('Plain', 1000, 1000, false) RETURNING id",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let free: Uuid = sqlx::query_scalar(
        "INSERT INTO subscription_plans (name, price_cents, minimum_price_cents) \
         VALUES ('Free will', 1000, 0) RETURNING id",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let cases = [
        (
            json!({"plan_id": flexible, "amount_cents": 1999}),
            "amount_cents",
        ),
        (
            json!({"plan_id": fixed, "amount_cents": 2999}),
            "amount_cents",
        ),
        (
            json!({"plan_id": fixed, "amount_cents": 3001}),
            "amount_cents",
        ),
        (
            json!({"plan_id": fixed, "donation_cents": -1}),
            "donation_cents",
        ),
        (
            json!({"plan_id": flexible, "amount_cents": -5}),
            "amount_cents",
        ),
        (
            json!({"plan_id": flexible, "amount_cents": 2500.5}),
            "amount_cents",
        ),
        (
            json!({"plan_id": flexible, "amount_cents": "2500"}),
            "amount_cents",
        ),
        (
            json!({"plan_id": flexible, "amount_cents": 99_999_999_999i64}),
            "amount_cents",
        ),
        (
            json!({"plan_id": no_donation, "donation_cents": 100}),
            "donation_cents",
        ),
        // A total past what an amount can hold is past the maximum, not a crash.
        (
            json!({"plan_id": fixed, "donation_cents": i64::MAX - 5}),
            "amount_cents",
        ),
        (json!({"plan_id": free, "amount_cents": 10}), "amount_cents"),
        (json!({"plan_id": Uuid::new_v4()}), "plan_id"),
        (json!({"plan_id": "not-a-uuid"}), "plan_id"),
        (json!({"amount_cents": 3000}), ""),
        (json!({"plan_id": fixed, "surprise": 1}), ""),
    ];
    for (body, field) in cases {
        let r = checkout(&app, &token, body.clone()).await;
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

    sqlx::query("UPDATE subscription_plans SET active = false WHERE id = $1")
        .bind(fixed)
        .execute(&app.db)
        .await
        .unwrap();
    let r = checkout(&app, &token, json!({"plan_id": fixed})).await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "plan_retired")
    );

    let (_, applicant) = payer(&app, "pending_validation").await;
    let r = checkout(&app, &applicant, json!({"plan_id": flexible})).await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "not_validated")
    );
    let r = app
        .anonymous()
        .subscriptions()
        .checkout(json!({"plan_id": flexible}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    assert_eq!(
        count(&app, "SELECT count(*) FROM membership_checkouts").await,
        0
    );
}

#[tokio::test]
async fn the_webhook_reads_the_body_api_gateway_base64_encoded() {
    use base64::Engine;
    use tower::ServiceExt;
    let app = spawn_app().await;
    let plan = yearly_plan(&app, None).await;
    let (member, token) = payer(&app, "payment_pending").await;
    let r = checkout(&app, &token, json!({"plan_id": plan})).await;
    let paid = app.payments.pay(&session_id(&r)).await.unwrap();
    // What API Gateway (HTTP API, payload 2.0) hands the function.
    let event = json!({
        "version": "2.0",
        "routeKey": "POST /api/payments/webhook",
        "rawPath": "/api/payments/webhook",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/json",
            "stripe-signature": paid.signature,
            "host": "api.example.org"
        },
        "requestContext": {
            "accountId": "123456789012", "apiId": "api", "domainName": "api.example.org",
            "domainPrefix": "api", "requestId": "id", "routeKey": "POST /api/payments/webhook",
            "stage": "$default", "time": "25/Nov/2026:10:00:00 +0000", "timeEpoch": 1795600000000i64,
            "http": {"method": "POST", "path": "/api/payments/webhook", "protocol": "HTTP/1.1",
                     "sourceIp": "203.0.113.9", "userAgent": "Stripe/1.0"}
        },
        "body": base64::engine::general_purpose::STANDARD.encode(&paid.body),
        "isBase64Encoded": true
    });
    let request = lambda_http::request::from_str(&event.to_string()).expect("an HTTP API event");
    let (parts, body) = request.into_parts();
    let request = http::Request::from_parts(parts, axum::body::Body::from(body.to_vec()));
    let response = loaf_donations::router(app.state.clone())
        .oneshot(request)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.status_of(member.id).await, "active");
}

#[tokio::test]
async fn without_a_provider_checkout_and_webhook_answer_503() {
    let mut app = spawn_app().await;
    let plan = yearly_plan(&app, None).await;
    let (_, token) = payer(&app, "payment_pending").await;
    let mut config = (*app.state.config).clone();
    config.payments = None;
    app.state = loaf_http::AppState::new(
        config,
        app.db.clone(),
        app.state.storage.clone(),
        (*app.state.mailer).clone(),
    );
    let r = checkout(&app, &token, json!({"plan_id": plan})).await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::SERVICE_UNAVAILABLE, "payments_unavailable")
    );
    let d = signed(&json!({"id": "evt_1"}), local_payments::WEBHOOK_SECRET, 0);
    assert_eq!(
        app.deliver(&d).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn keys_put_in_the_secret_after_deploy_reach_a_warm_container() {
    // In AWS the stack creates the keys' secret empty; the deployer fills
    // it (`aws secretsmanager put-secret-value`) while containers run.
    const ARN: &str = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:loaf/payments";
    let empty = json!({"secret_key": "", "webhook_secret": ""}).to_string();
    let secrets =
        loaf_tests::secrets_manager::SecretsManager::start([(ARN.to_string(), empty)].into()).await;
    let mut app = spawn_app().await;
    let settings = app.state.config.payments.clone().unwrap();
    app.state.payments = loaf_domain::payments::Payments::from_secret(
        settings.clone(),
        None,
        ARN.into(),
        secrets.client(),
        std::time::Duration::ZERO,
    );
    let plan = yearly_plan(&app, None).await;
    let (_, token) = payer(&app, "payment_pending").await;
    let off = checkout(&app, &token, json!({"plan_id": plan})).await;
    assert_eq!(
        (off.status, off.error_code()),
        (StatusCode::SERVICE_UNAVAILABLE, "payments_unavailable")
    );

    secrets.put(
        ARN,
        json!({"secret_key": settings.secret_key.expose(), "webhook_secret": settings.webhook_secret.expose()})
            .to_string(),
    );
    let on = checkout(&app, &token, json!({"plan_id": plan})).await;
    assert_eq!(on.status, StatusCode::CREATED, "{:?}", on.body);
    let d = signed(
        &json!({"id": "evt_1", "type": "ping", "data": {"object": {}}}),
        local_payments::WEBHOOK_SECRET,
        0,
    );
    assert_eq!(app.deliver(&d).await.status, StatusCode::OK);
}
