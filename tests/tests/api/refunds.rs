//! Refunds by admins: an online membership payment through the provider's
//! refund API (the stand-in, over HTTP), in part then in full, its
//! `charge.refunded` event finding it recorded; offline payments recorded
//! by hand; a gift's receipt voided and replaced; and every way a refund
//! request can be wrong.

use http::StatusCode;
use loaf_tests::{spawn_app, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

/// A member who paid 30.00 online for a yearly plan; answers the member,
/// the subscription and the checkout's session.
async fn paid_online(app: &TestApp) -> (loaf_tests::TestUser, String, String) {
    let plan = app.plan("Yearly", 3000).await;
    let email = format!("payer-{}@example.org", Uuid::new_v4().simple());
    let member = app
        .person("Pat", "Payer", &email, "payment_pending", "member")
        .await;
    let token = app.token_for(&member).await;
    let r = app
        .with_token(&token)
        .subscriptions()
        .checkout(json!({"plan_id": plan}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let session = r.body["checkout_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let paid = app.payments.pay(&session).await.expect("paid");
    assert_eq!(app.deliver(&paid).await.body["outcome"], "membership_paid");
    let mine = app.with_token(&token).subscriptions().mine().await;
    let subscription = mine.body["items"][0]["id"].as_str().unwrap().to_string();
    (member, subscription, session)
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn an_online_membership_payment_is_refunded_through_the_provider_in_part_then_in_full() {
    let app = spawn_app().await;
    let (member, subscription, session) = paid_online(&app).await;
    let finance = app.as_user(&app.user_with_role("finance").await).await;
    let refunds = finance.subscriptions();

    // Each way the request can be wrong changes nothing.
    let member_calls = app.as_user(&member).await;
    let r = member_calls
        .subscriptions()
        .refund(&subscription, json!({"reason": "mine"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .anonymous()
        .subscriptions()
        .refund(&subscription, json!({"reason": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = refunds
        .refund(Uuid::new_v4(), json!({"reason": "who?"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    for (body, field) in [
        (json!({"amount_cents": 0, "reason": "x"}), "amount_cents"),
        (json!({"amount_cents": 3001, "reason": "x"}), "amount_cents"),
        (json!({"amount_cents": 1000, "reason": "  "}), "reason"),
        (
            json!({"amount_cents": 1000, "reason": "x".repeat(501)}),
            "reason",
        ),
    ] {
        let r = refunds.refund(&subscription, body.clone()).await;
        assert_eq!(
            (r.status, r.body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{body}"
        );
    }
    let r = refunds
        .refund(&subscription, json!({"amount_cents": 1000}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is required"
    );
    assert_eq!(count(&app, "SELECT count(*) FROM payment_refunds").await, 0);
    assert!(app
        .payments
        .deliveries()
        .iter()
        .all(|d| !d.body.contains("charge.refunded")));

    // 10.00 back: the provider refunds it and says so; the event finds it
    // recorded. The membership runs on.
    let r = refunds
        .refund(
            &subscription,
            json!({"amount_cents": 1000, "reason": "Joined mid-year"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (&r.body["refunded_cents"], &r.body["status"]),
        (&json!(1000), &json!("active"))
    );
    let event = app.payments.deliveries().last().unwrap().clone();
    assert!(
        event.body.contains("\"amount_refunded\":1000"),
        "{}",
        event.body
    );
    assert_eq!(app.deliver(&event).await.body["outcome"], "partial_refund");
    assert_eq!(app.status_of(member.id).await, "active");

    // The rest: the period is cancelled and the member lapses.
    let r = refunds
        .refund(&subscription, json!({"reason": "Moved abroad"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (&r.body["refunded_cents"], &r.body["status"]),
        (&json!(3000), &json!("cancelled"))
    );
    assert_eq!(app.status_of(member.id).await, "expired");
    let event = app.payments.deliveries().last().unwrap().clone();
    assert_eq!(
        app.deliver(&event).await.body["outcome"],
        "already_refunded"
    );
    let r = refunds
        .refund(&subscription, json!({"reason": "again"}))
        .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "nothing_to_refund")
    );

    let ledger: Vec<(i64, bool, String)> = sqlx::query_as(
        "SELECT amount_cents, provider_refund_id LIKE 're_%', reason FROM payment_refunds ORDER BY created_at",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        ledger,
        [
            (1000, true, "Joined mid-year".into()),
            (2000, true, "Moved abroad".into())
        ]
    );
    let admin = app.as_user(&app.user_with_role("admin").await).await;
    let trail = admin.members().audit(member.id).await;
    let refunded: Vec<&Value> = trail.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "membership")
        .collect();
    assert_eq!(refunded.len(), 2, "{:?}", trail.body);
    assert_eq!(refunded[0]["to_value"], "refunded EUR 20.00");

    // The provider refused (it refunded more meanwhile, from its own
    // dashboard): 502, nothing recorded.
    let (_, other, other_session) = paid_online(&app).await;
    app.payments
        .refund(&other_session, Some(2500))
        .await
        .expect("refunded at the provider");
    let r = refunds.refund(&other, json!({"reason": "Too late"})).await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::BAD_GATEWAY, "payment_provider_error")
    );
    assert_eq!(count(&app, "SELECT count(*) FROM payment_refunds").await, 2);
    let _ = session;
}

#[tokio::test]
async fn offline_payments_are_refunded_by_hand_and_a_gifts_receipt_is_voided_and_replaced() {
    let app = spawn_app().await;
    let admin = app.as_user(&app.user_with_role("admin").await).await;
    // A membership paid in cash, refunded in full: cancelled, lapsed.
    let plan = app.plan("Yearly", 3000).await;
    let member = app
        .person(
            "Cass",
            "Cash",
            "cass@example.org",
            "payment_pending",
            "member",
        )
        .await;
    let r = admin
        .subscriptions()
        .record_payment(json!({"user_id": member.id, "plan_id": plan, "method": "cash"}))
        .await;
    let subscription = r.body["id"].as_str().unwrap().to_string();
    let r = admin
        .subscriptions()
        .refund(&subscription, json!({"reason": "Paid twice"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (&r.body["refunded_cents"], &r.body["status"]),
        (&json!(3000), &json!("cancelled"))
    );
    assert_eq!(app.status_of(member.id).await, "expired");
    assert!(
        app.payments.deliveries().is_empty(),
        "no provider call for cash"
    );

    // A complimentary period has nothing to refund.
    let honorary = app
        .person("Hon", "Orary", "hon@example.org", "active", "member")
        .await;
    let r = admin.subscriptions().grant(json!({"user_id": honorary.id, "plan_id": plan, "until": (chrono::Utc::now() + chrono::Duration::days(300)).date_naive(), "reason": "Founder"})).await;
    let r = admin
        .subscriptions()
        .refund(r.body["id"].as_str().unwrap(), json!({"reason": "x"}))
        .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "nothing_to_refund")
    );

    // A gift by cheque: 5.00 of 50.00 back voids its receipt, and the 45.00
    // kept gets a new number; the rest back leaves no receipt at all.
    let r = admin
        .donations()
        .record(json!({"amount_cents": 5000, "method": "cheque",
        "donor_name": "Grace Hopper", "donor_email": "grace@example.org"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let gift = r.body["id"].as_str().unwrap().to_string();
    let first = r.body["receipt_number"].as_str().unwrap().to_string();
    let member_calls = app.as_user(&member).await;
    let r = member_calls
        .donations()
        .refund(&gift, json!({"reason": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = admin
        .donations()
        .refund(
            &gift,
            json!({"amount_cents": 500, "reason": "Gave too much"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["refunded_cents"], 500);
    assert_eq!(r.body["voided_receipt_numbers"], json!([first]));
    let second = r.body["receipt_number"].as_str().unwrap().to_string();
    assert_ne!(second, first, "a number is never reused");
    let mail = app.mail_to("grace@example.org").await;
    let last = mail.last().unwrap();
    assert_eq!(last.kind, "donation_receipt");
    assert!(last.text_body.contains("EUR 45.00"), "{}", last.text_body);
    assert!(
        last.text_body
            .contains(&format!("replaces receipt {first}")),
        "{}",
        last.text_body
    );
    let r = admin
        .donations()
        .refund(&gift, json!({"amount_cents": 4501, "reason": "x"}))
        .await;
    assert_eq!(r.body["error"]["field"], "amount_cents");
    let r = admin
        .donations()
        .refund(&gift, json!({"reason": "Returned"}))
        .await;
    assert_eq!(
        (&r.body["refunded_cents"], &r.body["receipt_number"]),
        (&json!(5000), &Value::Null)
    );
    assert_eq!(r.body["voided_receipt_numbers"], json!([first, second]));
    let r = admin
        .donations()
        .refund(&gift, json!({"reason": "x"}))
        .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "nothing_to_refund")
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM payment_refunds WHERE donation_id IS NOT NULL"
        )
        .await,
        2
    );
}
