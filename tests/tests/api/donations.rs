//! Donations: online gifts through the provider's stand-in and its signed
//! webhook, offline gifts, receipts, privacy, totals on the organisation's
//! calendar, the export.

use http::{Method, StatusCode};
use loaf_tests::{call, spawn_app, Reply, TestApp};
use serde_json::{json, Value};
use uuid::Uuid;

async fn give(app: &TestApp, token: Option<&str>, body: Value) -> Reply {
    let caller = match token {
        Some(token) => app.with_token(token),
        None => app.anonymous(),
    };
    caller.donations().checkout(body).await
}

async fn record(app: &TestApp, token: &str, body: Value) -> Reply {
    app.with_token(token).donations().record(body).await
}

fn session_id(reply: &Reply) -> String {
    let url = reply.body["checkout_url"].as_str().expect("a checkout url");
    url.rsplit('/').next().unwrap().to_string()
}

async fn finance(app: &TestApp) -> String {
    let user = app.user_with_role("finance").await;
    app.token_for(&user).await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}

#[tokio::test]
async fn a_public_donation_completes_once_with_a_numbered_receipt() {
    let app = spawn_app().await;
    let r = give(
        &app,
        None,
        json!({"amount_cents": 2500, "donor_name": "Grace Hopper", "donor_email": "grace@example.org",
               "message": "Keep it up", "dedication": "In memory of Ada", "currency": "eur"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["currency"], "EUR");
    let id = r.body["donation_id"].as_str().unwrap().to_string();
    let admin = finance(&app).await;
    let finance_calls = app.with_token(&admin);
    let donations = finance_calls.donations();
    let pending = donations.show(&id).await;
    assert_eq!(pending.body["status"], "pending");
    assert_eq!(pending.body["donation_type"], "public");

    let paid = app.payments.pay(&session_id(&r)).await.unwrap();
    let first = app.deliver(&paid).await;
    assert_eq!(
        first.body["outcome"], "donation_completed",
        "{:?}",
        first.body
    );
    let again = app.deliver(&paid).await;
    assert_eq!(again.body["duplicate"], true);

    let done = donations.show(&id).await;
    assert_eq!(done.body["status"], "completed");
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(done.body["receipt_number"], format!("{year}-000001"));
    // The anonymous donor's return page finds the gift by its checkout.
    let returned = app
        .anonymous()
        .donations()
        .gift_status(session_id(&r))
        .await;
    assert_eq!(returned.status, StatusCode::OK, "{:?}", returned.body);
    assert_eq!(
        (
            returned.body["status"].as_str(),
            returned.body["receipt_number"].as_str()
        ),
        (Some("completed"), Some(format!("{year}-000001").as_str()))
    );
    let unknown = app
        .anonymous()
        .donations()
        .gift_status("cs_test_nothing")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let mail = app.mail_to("grace@example.org").await;
    assert_eq!(mail.len(), 1, "one receipt, however often the event comes");
    assert_eq!(mail[0].kind, "donation_receipt");
    assert!(
        mail[0].text_body.contains("EUR 25.00"),
        "{}",
        mail[0].text_body
    );
    assert!(mail[0].text_body.contains(&format!("{year}-000001")));
    assert!(mail[0].text_body.contains("In memory of Ada"));

    // The receipt again, on an admin's request.
    let resent = donations.resend_receipt(&id).await;
    assert_eq!(resent.status, StatusCode::OK, "{:?}", resent.body);
    assert_eq!(app.mail_to("grace@example.org").await.len(), 2);
}

#[tokio::test]
async fn members_give_as_themselves_and_see_only_their_own_donations() {
    let app = spawn_app().await;
    let ann = app
        .person("Ann", "Giver", "ann@example.org", "active", "member")
        .await;
    let bob = app
        .person("Bob", "Giver", "bob@example.org", "active", "member")
        .await;
    let ann_token = app.token_for(&ann).await;
    let bob_token = app.token_for(&bob).await;
    let r = give(&app, Some(&ann_token), json!({"amount_cents": 1000})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let ann_gift = r.body["donation_id"].as_str().unwrap().to_string();
    let r = give(
        &app,
        Some(&bob_token),
        json!({"amount_cents": 2000, "anonymous": true}),
    )
    .await;
    let bob_gift = r.body["donation_id"].as_str().unwrap().to_string();

    let own = app.with_token(&ann_token).donations().list("").await;
    assert_eq!(own.body["total"], 1);
    let mine = &own.body["items"][0];
    assert_eq!(mine["id"], ann_gift.as_str());
    assert_eq!(mine["donation_type"], "member");
    assert_eq!(mine["donor_email"], "ann@example.org");
    assert_eq!(mine["donor_name"], "Ann Giver");
    let theirs = app.with_token(&ann_token).donations().show(&bob_gift).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let unknown = format!("/api/donations/{}", Uuid::new_v4());
    assert_eq!(
        call(&app.api(), Method::GET, &unknown, Some(&ann_token), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let admin = finance(&app).await;
    // Both gifts are unpaid yet: out of the admins' default view (anyone
    // may start one), there when asked for.
    let default_view = app.with_token(&admin).donations().list("").await;
    assert_eq!(default_view.body["total"], 0);
    let all = app
        .with_token(&admin)
        .donations()
        .list("status=pending")
        .await;
    assert_eq!(all.body["total"], 2);
    let filtered = app
        .with_token(&admin)
        .donations()
        .list("q=bob&type=member&min_cents=1500&status=pending")
        .await;
    assert_eq!(filtered.body["total"], 1);
    assert_eq!(filtered.body["items"][0]["anonymous"], true);

    for (method, path) in [
        (Method::GET, "/api/donations/stats"),
        (Method::GET, "/api/donations/export"),
        (Method::POST, "/api/donations/manual"),
    ] {
        let body = (method == Method::POST).then(|| json!({"amount_cents": 100, "method": "cash"}));
        let r = call(
            &app.api(),
            method.clone(),
            path,
            Some(&ann_token),
            body.clone(),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        let r = call(&app.api(), method, path, None, body).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let r = app
        .with_token(&ann_token)
        .donations()
        .resend_receipt(&ann_gift)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.anonymous().donations().list("").await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn bad_amounts_and_donor_details_are_refused_and_write_nothing() {
    let app = spawn_app().await;
    let donor = json!({"donor_name": "Pat", "donor_email": "pat@example.org"});
    let with = |extra: Value| {
        let mut body = donor.clone();
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    let cases = [
        (with(json!({"amount_cents": -500})), "amount_cents"),
        (with(json!({"amount_cents": 0})), "amount_cents"),
        (with(json!({"amount_cents": 49})), "amount_cents"),
        (with(json!({"amount_cents": 10_000_001})), "amount_cents"),
        (
            with(json!({"amount_cents": 9_223_372_036_854_775_807i64})),
            "amount_cents",
        ),
        (with(json!({"amount_cents": 1e30})), "amount_cents"),
        (with(json!({"amount_cents": 12.5})), "amount_cents"),
        (with(json!({"amount_cents": "1000"})), "amount_cents"),
        (
            with(json!({"amount_cents": 1000, "currency": "USD"})),
            "currency",
        ),
        (
            with(json!({"amount_cents": 1000, "donor_email": "not-an-email"})),
            "donor_email",
        ),
        (
            json!({"amount_cents": 1000, "donor_name": "Pat"}),
            "donor_email",
        ),
        (
            json!({"amount_cents": 1000, "donor_email": "pat@example.org"}),
            "donor_name",
        ),
        (
            with(json!({"amount_cents": 1000, "message": "x".repeat(2001)})),
            "message",
        ),
        (
            json!({"donor_name": "Pat", "donor_email": "pat@example.org"}),
            "",
        ),
        (with(json!({"amount_cents": 1000, "tip": 5})), ""),
    ];
    for (body, field) in cases {
        let r = give(&app, None, body.clone()).await;
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
    let admin = finance(&app).await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(2)).date_naive();
    let offline = [
        (json!({"amount_cents": 0, "method": "cash"}), "amount_cents"),
        (json!({"amount_cents": 100, "method": "crypto"}), "method"),
        (
            json!({"amount_cents": 100, "method": "in_kind"}),
            "in_kind_description",
        ),
        (
            json!({"amount_cents": 100, "method": "cash", "in_kind_description": "a piano"}),
            "in_kind_description",
        ),
        (
            json!({"amount_cents": 100, "method": "cash", "donated_on": tomorrow}),
            "donated_on",
        ),
        (
            json!({"amount_cents": 100, "method": "cash", "user_id": Uuid::new_v4()}),
            "user_id",
        ),
    ];
    for (body, field) in offline {
        let r = record(&app, &admin, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        assert_eq!(r.body["error"]["field"], field, "{body}");
    }
    assert_eq!(count(&app, "SELECT count(*) FROM donations").await, 0);
}

#[tokio::test]
async fn offline_gifts_are_receipted_in_order_and_failures_and_refunds_are_recorded() {
    let app = spawn_app().await;
    let admin = finance(&app).await;
    let member = app
        .person("Ida", "Member", "ida@example.org", "active", "member")
        .await;
    let year = chrono::Utc::now().format("%Y").to_string();
    let cash = record(
        &app,
        &admin,
        json!({"amount_cents": 5000, "method": "cash", "user_id": member.id, "notes": "at the door"}),
    )
    .await;
    assert_eq!(cash.status, StatusCode::CREATED, "{:?}", cash.body);
    assert_eq!(cash.body["donation_type"], "member");
    assert_eq!(cash.body["donor_email"], "ida@example.org");
    assert_eq!(cash.body["receipt_number"], format!("{year}-000001"));
    let piano = record(
        &app,
        &admin,
        json!({"amount_cents": 120000, "method": "in_kind", "in_kind_description": "an upright piano",
               "donor_name": "Anonymous friend"}),
    )
    .await;
    assert_eq!(piano.body["receipt_number"], format!("{year}-000002"));
    assert!(
        piano.body["receipt_sent_at"].is_null(),
        "no address, no email"
    );
    let r = call(
        &app.api(),
        Method::POST,
        &format!(
            "/api/donations/{}/receipt",
            piano.body["id"].as_str().unwrap()
        ),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "no_email")
    );
    let receipt = &app.mail_to("ida@example.org").await[0];
    assert!(receipt.text_body.contains("EUR 50.00"));

    // Declined, then paid on a retry: the payment wins.
    let r = give(
        &app,
        None,
        json!({"amount_cents": 3000, "donor_name": "Lin", "donor_email": "lin@example.org"}),
    )
    .await;
    let session = session_id(&r);
    let id = r.body["donation_id"].as_str().unwrap().to_string();
    let declined = app.payments.decline(&session).await.unwrap();
    assert_eq!(
        app.deliver(&declined).await.body["outcome"],
        "donation_failed"
    );
    let pending_receipt = app.with_token(&admin).donations().resend_receipt(&id).await;
    assert_eq!(pending_receipt.error_code(), "no_receipt");
    let paid = app.payments.pay(&session).await.unwrap();
    assert_eq!(
        app.deliver(&paid).await.body["outcome"],
        "donation_completed"
    );
    // A partial refund, then the rest.
    let part = app.payments.refund(&session, Some(1000)).await.unwrap();
    assert_eq!(
        app.deliver(&part).await.body["outcome"],
        "donation_refunded"
    );
    let rest = app.payments.refund(&session, None).await.unwrap();
    assert_eq!(
        app.deliver(&rest).await.body["outcome"],
        "donation_refunded"
    );
    let done = app.with_token(&admin).donations().show(&id).await;
    assert_eq!(
        (
            done.body["status"].clone(),
            done.body["refunded_cents"].clone()
        ),
        (json!("completed"), json!(3000))
    );

    // The export: every gift, formula-safe.
    record(
        &app,
        &admin,
        json!({"amount_cents": 100, "method": "cheque", "donor_name": "=SUM(A1:A9)"}),
    )
    .await;
    let export = app
        .with_token(&admin)
        .donations()
        .export("status=completed")
        .await;
    assert_eq!(export.body["rows"], 4, "{:?}", export.body);
    let csv = reqwest::get(export.body["download_url"].as_str().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("'=SUM(A1:A9)"), "{csv}");
    assert!(csv.contains("an upright piano"));
}

#[tokio::test]
async fn totals_follow_the_organisations_calendar_across_new_year() {
    let app = spawn_app().await;
    sqlx::query("UPDATE organisation_settings SET time_zone = 'Pacific/Auckland'")
        .execute(&app.db)
        .await
        .unwrap();
    // 31 Dec 2025 10:30 UTC is 23:30 that day in Auckland (2025); 11:30
    // UTC is 00:30 on 1 January there (2026).
    for (amount, at, kind, status, refunded, email) in [
        (
            1000,
            "2025-12-31T10:30:00Z",
            "public",
            "completed",
            0,
            "a@example.org",
        ),
        (
            2000,
            "2025-12-31T11:30:00Z",
            "public",
            "completed",
            0,
            "b@example.org",
        ),
        (
            4000,
            "2026-06-15T00:00:00Z",
            "member",
            "completed",
            500,
            "b@example.org",
        ),
        (
            8000,
            "2026-07-01T00:00:00Z",
            "public",
            "pending",
            0,
            "c@example.org",
        ),
        (
            16000,
            "2026-12-31T12:00:00Z",
            "public",
            "completed",
            0,
            "c@example.org",
        ),
    ] {
        sqlx::query(
            "INSERT INTO donations (amount_cents, currency, donation_type, status, donor_email, donor_name, \
                 donated_at, refunded_cents) \
             VALUES ($1, 'EUR', $3::donationtype, $4::donationstatus, $6, $6, \
                 CASE WHEN $4 = 'completed' THEN $2::timestamptz END, $5)",
        )
        .bind(amount)
        .bind(at)
        .bind(kind)
        .bind(status)
        .bind(refunded)
        .bind(email)
        .execute(&app.db)
        .await
        .unwrap();
    }
    let admin = finance(&app).await;
    let stats = app.with_token(&admin).donations().stats("year=2026").await;
    assert_eq!(stats.status, StatusCode::OK, "{:?}", stats.body);
    let b = &stats.body;
    // 2,000 + (4,000 - 500); the last one is 2027-01-01 01:00 in Auckland.
    assert_eq!(b["total_cents"], 5500);
    assert_eq!(b["count"], 2);
    assert_eq!(b["previous_year_cents"], 1000);
    assert_eq!(b["by_month"].as_array().unwrap().len(), 12);
    assert_eq!(
        b["by_month"][0],
        json!({"key": "2026-01", "total_cents": 2000, "count": 1})
    );
    assert_eq!(b["by_month"][5]["total_cents"], 3500);
    assert_eq!(
        b["by_type"],
        json!([{"key": "member", "total_cents": 3500, "count": 1}, {"key": "public", "total_cents": 2000, "count": 1}])
    );
    assert_eq!(b["top_donors"][0]["donor_email"], "b@example.org");
    assert_eq!(b["top_donors"][0]["total_cents"], 5500);
    let next = app.with_token(&admin).donations().stats("year=2027").await;
    assert_eq!(next.body["total_cents"], 16000);
    assert_eq!(next.body["previous_year_cents"], 5500);
    let bad = app
        .with_token(&admin)
        .donations()
        .stats("year=twenty")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Totals without donor details for a role that may only count.
    let counter = app.user_with_role("member").await;
    let role: Uuid = sqlx::query_scalar(
        "INSERT INTO roles (code, name) VALUES ('counter', 'Counter') RETURNING id",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO role_permissions (role_id, permission_id) \
         SELECT $1, id FROM permissions WHERE code = 'donations.stats'",
    )
    .bind(role)
    .execute(&app.db)
    .await
    .unwrap();
    sqlx::query("UPDATE users SET role_id = $1 WHERE id = $2")
        .bind(role)
        .bind(counter.id)
        .execute(&app.db)
        .await
        .unwrap();
    let token = app.token_for(&counter).await;
    let r = app.with_token(&token).donations().stats("year=2026").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["total_cents"], 5500);
    assert!(r.body.get("top_donors").is_none());
}
