//! Payments promised offline: a member chooses a bank transfer or a cheque
//! and is given the organisation's instructions and a reference; the
//! payment waits; the daily job reminds; an admin confirms it when the
//! money arrives (once, even when two confirm at once) or cancels it; and
//! the organisation chooses whether waiting opens the members' content.

use http::StatusCode;
use loaf_tests::{spawn_app, TestApp};
use serde_json::{json, Value};

async fn instructions(app: &TestApp, token: &str, body: Value) {
    let r = app.with_token(token).settings().update(body).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

/// A yearly plan at 30.00, no less.
async fn fixed_plan(app: &TestApp) -> uuid::Uuid {
    sqlx::query_scalar(
        "INSERT INTO subscription_plans (name, price_cents, minimum_price_cents) \
         VALUES ('Yearly', 3000, 3000) RETURNING id",
    )
    .fetch_one(&app.db)
    .await
    .unwrap()
}

fn kinds(mail: &[loaf_tests::Mail]) -> Vec<&str> {
    mail.iter().map(|m| m.kind.as_str()).collect()
}

#[tokio::test]
async fn a_promised_transfer_waits_is_reminded_and_counts_once_confirmed() {
    let app = spawn_app().await;
    let plan = fixed_plan(&app).await;
    let admin = app.token_for(&app.user_with_role("admin").await).await;
    let member = app
        .person(
            "Pia",
            "Promise",
            "pia@example.org",
            "payment_pending",
            "member",
        )
        .await;
    let pia = app.as_user(&member).await;
    let promise = |method: &str| json!({"plan_id": plan, "method": method});

    // Without instructions the organisation takes no offline payment.
    let r = pia.subscriptions().promise(promise("bank_transfer")).await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "offline_unavailable")
    );
    instructions(&app, &admin, json!({"payment_instructions": "IBAN FR76 3000 6000 0112 3456 7890 189\nFriends of the Park"})).await;
    assert!(
        app.anonymous().settings().show().await.body["payment_instructions"]
            .as_str()
            .unwrap()
            .starts_with("IBAN")
    );

    // Each way the request can be wrong changes nothing.
    let r = app
        .anonymous()
        .subscriptions()
        .promise(promise("cheque"))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = pia.subscriptions().promise(promise("cash")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let r = pia
        .subscriptions()
        .promise(json!({"plan_id": plan, "method": "cheque", "amount_cents": 100}))
        .await;
    assert_eq!(r.body["error"]["field"], "amount_cents", "{:?}", r.body);
    let applicant = app
        .person(
            "App",
            "Licant",
            "app@example.org",
            "pending_validation",
            "guest",
        )
        .await;
    let r = app
        .as_user(&applicant)
        .await
        .subscriptions()
        .promise(promise("cheque"))
        .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "not_validated")
    );
    assert_eq!(
        pia.subscriptions().my_promise().await.status,
        StatusCode::NOT_FOUND
    );

    // Pia promises a transfer: the instructions and a reference, by email too.
    let first = pia.subscriptions().promise(promise("bank_transfer")).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(
        (&first.body["status"], &first.body["total_cents"]),
        (&json!("pending"), &json!(3000))
    );
    let reference = first.body["reference"].as_str().unwrap().to_string();
    assert!(
        reference.starts_with("M-") && reference.len() == 10,
        "{reference}"
    );
    let mail = app.mail_to("pia@example.org").await;
    assert_eq!(kinds(&mail), ["offline_payment"]);
    assert!(mail[0].text_body.contains(&reference) && mail[0].text_body.contains("IBAN FR76"));
    // She changes her mind: a cheque replaces the transfer.
    let second = pia.subscriptions().promise(promise("cheque")).await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(
        pia.subscriptions().my_promise().await.body["id"],
        second.body["id"]
    );
    let admins = app.with_token(&admin);
    let listed = admins.subscriptions().promised("").await;
    assert_eq!(listed.body["total"], 1, "{:?}", listed.body);
    assert_eq!(listed.body["items"][0]["method"], "cheque");
    assert_eq!(
        pia.subscriptions().promised("").await.status,
        StatusCode::FORBIDDEN
    );

    // Waiting opens nothing, unless the organisation says so.
    assert_eq!(pia.auth().me().await.body["membership_in_force"], false);
    let reports = |token: String| {
        let app = &app;
        async move {
            app.with_token(&token)
                .documents("financial-reports")
                .list("")
                .await
                .status
        }
    };
    let pia_token = app.token_for(&member).await;
    assert_eq!(reports(pia_token.clone()).await, StatusCode::FORBIDDEN);
    instructions(&app, &admin, json!({"pending_payment_access": true})).await;
    assert_eq!(pia.auth().me().await.body["membership_in_force"], true);
    assert_eq!(reports(pia_token.clone()).await, StatusCode::OK);
    instructions(&app, &admin, json!({"pending_payment_access": false})).await;
    assert_eq!(reports(pia_token.clone()).await, StatusCode::FORBIDDEN);

    // A week on, two runs at once remind her once, with the instructions
    // (and not with the "please pay" reminder of those who chose nothing).
    let later = chrono::Utc::now() + chrono::Duration::days(8);
    let (a, b) = tokio::join!(app.run_jobs(later), app.run_jobs(later));
    assert_eq!(a.offline_payment_reminders + b.offline_payment_reminders, 1);
    let mail = app.mail_to("pia@example.org").await;
    assert_eq!(
        kinds(&mail)
            .iter()
            .filter(|k| **k == "offline_payment_reminder")
            .count(),
        1
    );
    assert!(!kinds(&mail).contains(&"payment_reminder"));

    // The cheque arrives: two admins confirm at once, one counts.
    let id = second.body["id"].as_str().unwrap().to_string();
    let other_admin = app.token_for(&app.user_with_role("finance").await).await;
    let (first_admin, second_admin) = (app.with_token(&admin), app.with_token(&other_admin));
    let (first_calls, second_calls) = (first_admin.subscriptions(), second_admin.subscriptions());
    let (x, y) = tokio::join!(
        first_calls.confirm_promise(&id, json!({})),
        second_calls.confirm_promise(&id, json!({}))
    );
    let mut statuses = [x.status, y.status];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::CONFLICT],
        "{:?} {:?}",
        x.body,
        y.body
    );
    let confirmed = if x.status == StatusCode::CREATED {
        &x
    } else {
        &y
    };
    assert_eq!(confirmed.body["payment_method"], "cheque");
    assert!(confirmed.body["manual_payment_notes"]
        .as_str()
        .unwrap()
        .contains(second.body["reference"].as_str().unwrap()));
    assert_eq!(app.status_of(member.id).await, "active");
    assert_eq!(
        pia.subscriptions().my_promise().await.status,
        StatusCode::NOT_FOUND
    );
    let r = admins.subscriptions().cancel_promise(&id, json!({})).await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "not_pending")
    );
}

#[tokio::test]
async fn an_admin_cancels_a_promised_payment_that_never_came_and_the_member_is_told() {
    let app = spawn_app().await;
    let plan = fixed_plan(&app).await;
    let admin = app.token_for(&app.user_with_role("admin").await).await;
    instructions(
        &app,
        &admin,
        json!({"payment_instructions": "Cheques to: 1 Park Lane"}),
    )
    .await;
    let member = app
        .person("Cal", "Cheque", "cal@example.org", "expired", "member")
        .await;
    let cal = app.as_user(&member).await;
    let r = cal
        .subscriptions()
        .promise(json!({"plan_id": plan, "method": "cheque", "donation_cents": 500}))
        .await;
    assert_eq!(
        (r.status, &r.body["total_cents"]),
        (StatusCode::CREATED, &json!(3500))
    );
    let id = r.body["id"].as_str().unwrap().to_string();
    let admins = app.with_token(&admin);
    let r = cal.subscriptions().cancel_promise(&id, json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = admins
        .subscriptions()
        .cancel_promise(uuid::Uuid::new_v4(), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = admins
        .subscriptions()
        .cancel_promise(&id, json!({"reason": "No cheque after two months"}))
        .await;
    assert_eq!(
        (r.status, &r.body["status"]),
        (StatusCode::OK, &json!("cancelled")),
        "{:?}",
        r.body
    );
    let mail = app.mail_to("cal@example.org").await;
    let told = mail.last().unwrap();
    assert_eq!(told.kind, "offline_payment_cancelled");
    assert!(told.text_body.contains("No cheque after two months"));
    assert_eq!(app.status_of(member.id).await, "expired");
    // The member may withdraw their own promise; then there is none.
    let r = cal
        .subscriptions()
        .promise(json!({"plan_id": plan, "method": "cheque"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = cal.subscriptions().withdraw_promise().await;
    assert_eq!(
        (r.status, &r.body["status"]),
        (StatusCode::OK, &json!("cancelled")),
        "{:?}",
        r.body
    );
    assert_eq!(
        cal.subscriptions().my_promise().await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        cal.subscriptions().withdraw_promise().await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.anonymous()
            .subscriptions()
            .withdraw_promise()
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    // Clearing the instructions stops offering offline payment.
    instructions(&app, &admin, json!({"payment_instructions": ""})).await;
    let r = cal
        .subscriptions()
        .promise(json!({"plan_id": plan, "method": "cheque"}))
        .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "offline_unavailable")
    );
}
