//! Manual payments, the subscription lists and export, cancellation, and
//! the daily jobs that end memberships and remind members.

use chrono::{DateTime, Duration, TimeZone, Utc};
use http::{Method, StatusCode};
use loaf_tests::{call, spawn_app, Reply, TestApp, TestUser};
use serde_json::{json, Value};
use uuid::Uuid;

async fn fixed_plan(app: &TestApp, name: &str, cycle: &str, price: i64) -> Uuid {
    sqlx::query_scalar(
        "INSERT INTO subscription_plans (name, price_cents, minimum_price_cents, billing_cycle) \
         VALUES ($1, $2, $2, $3) RETURNING id",
    )
    .bind(name)
    .bind(price)
    .bind(cycle)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

async fn manual(app: &TestApp, token: &str, body: Value) -> Reply {
    app.with_token(token)
        .subscriptions()
        .record_payment(body)
        .await
}

async fn member(app: &TestApp, first: &str, status: &str) -> TestUser {
    let email = format!(
        "{}-{}@example.org",
        first.to_lowercase(),
        Uuid::new_v4().simple()
    );
    app.person(first, "Member", &email, status, "member").await
}

#[tokio::test]
async fn a_cash_payment_recorded_by_an_admin_activates_the_member() {
    let app = spawn_app().await;
    let plan = fixed_plan(&app, "Yearly", "yearly", 3000).await;
    let finance = app.user_with_role("finance").await;
    let token = app.token_for(&finance).await;
    let ann = member(&app, "Ann", "payment_pending").await;

    let r = manual(
        &app,
        &token,
        json!({"user_id": ann.id, "plan_id": plan, "method": "cash", "donation_cents": 200,
               "notes": "paid at the spring fair"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["payment_method"], "cash");
    assert_eq!(r.body["total_cents"], 3200);
    assert_eq!(r.body["recorded_by"], json!(finance.id));
    assert_eq!(r.body["manual_payment"], true);
    assert_eq!(app.status_of(ann.id).await, "active");
    let paid = app.mail_to(&ann.email).await;
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0].kind, "membership_paid");
    assert!(
        paid[0].text_body.contains("runs until"),
        "{}",
        paid[0].text_body
    );

    // The member sees the payment, not the admins' notes.
    let own = app.as_user(&ann).await.subscriptions().mine().await;
    assert_eq!(own.body["total"], 1);
    assert!(own.body["items"][0]["manual_payment_notes"].is_null());
    assert!(own.body["items"][0]["recorded_by"].is_null());

    // Paying again extends: the new period starts where the first ends.
    let r2 = manual(
        &app,
        &token,
        json!({"user_id": ann.id, "plan_id": plan, "method": "cheque"}),
    )
    .await;
    assert_eq!(r2.status, StatusCode::CREATED, "{:?}", r2.body);
    assert_eq!(r2.body["start_date"], r.body["end_date"]);
}

#[tokio::test]
async fn an_admin_grants_or_extends_a_membership_without_payment_with_a_reason() {
    let app = spawn_app().await;
    let plan = fixed_plan(&app, "Yearly", "yearly", 3000).await;
    let finance = app.user_with_role("finance").await;
    let finance = app.as_user(&finance).await;
    let lapsed = member(&app, "Lapsed", "payment_pending").await;
    let paid = manual(
        &app,
        &app.token_for(&app.user_with_role("admin").await).await,
        json!({"user_id": lapsed.id, "plan_id": plan, "method": "cash"}),
    )
    .await;
    let first_end: DateTime<Utc> = serde_json::from_value(paid.body["end_date"].clone()).unwrap();
    sqlx::query("UPDATE users SET status = 'expired' WHERE id = $1")
        .bind(lapsed.id)
        .execute(&app.db)
        .await
        .unwrap();

    // Extended past the paid year: the period starts where it ends, under
    // the member's plan, and the member is active again.
    let until = (first_end + Duration::days(60)).date_naive();
    let r = finance
        .subscriptions()
        .grant(json!({"user_id": lapsed.id, "until": until, "reason": "Volunteer of the year"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["payment_method"], "complimentary");
    assert_eq!(r.body["total_cents"], 0);
    assert_eq!(r.body["plan_id"], json!(plan));
    assert_eq!(r.body["start_date"], paid.body["end_date"]);
    assert_eq!(r.body["manual_payment_notes"], "Volunteer of the year");
    assert_eq!(app.status_of(lapsed.id).await, "active");
    let mail = app.mail_to(&lapsed.email).await;
    let granted = mail
        .iter()
        .find(|m| m.kind == "membership_granted")
        .unwrap();
    assert!(
        granted.text_body.contains(&until.to_string()),
        "{granted:?}"
    );
    let trail: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT action, to_value, reason FROM audit_log WHERE subject_id = $1 AND target_type = 'member' ORDER BY created_at, id",
    )
    .bind(lapsed.id)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert!(
        trail.contains(&(
            "membership".into(),
            Some(until.to_string()),
            Some("complimentary period: Volunteer of the year".into())
        )),
        "{trail:?}"
    );
    assert!(
        trail.contains(&(
            "status".into(),
            Some("active".into()),
            Some("complimentary period: Volunteer of the year".into())
        )),
        "{trail:?}"
    );

    // Each way to be wrong is named, and changes nothing.
    let never = member(&app, "Never", "payment_pending").await;
    let applicant = member(&app, "Applicant", "pending_validation").await;
    let later = (Utc::now() + Duration::days(30)).date_naive();
    for (body, status, field) in [
        (
            json!({"user_id": lapsed.id, "until": until, "reason": "  "}),
            422,
            "reason",
        ),
        (
            json!({"user_id": lapsed.id, "until": first_end.date_naive(), "reason": "x"}),
            422,
            "until",
        ),
        (
            json!({"user_id": lapsed.id, "until": "2200-01-01", "reason": "x"}),
            422,
            "until",
        ),
        (
            json!({"user_id": lapsed.id, "plan_id": Uuid::new_v4(), "until": later, "reason": "x"}),
            422,
            "plan_id",
        ),
        (
            json!({"user_id": never.id, "until": later, "reason": "x"}),
            422,
            "plan_id",
        ),
        (
            json!({"user_id": Uuid::new_v4(), "until": later, "reason": "x"}),
            422,
            "user_id",
        ),
        (
            json!({"user_id": applicant.id, "plan_id": plan, "until": later, "reason": "x"}),
            409,
            "",
        ),
    ] {
        let r = finance.subscriptions().grant(body.clone()).await;
        assert_eq!(r.status.as_u16(), status, "{body}: {:?}", r.body);
        assert_eq!(
            r.body["error"]["field"].as_str().unwrap_or(""),
            field,
            "{body}"
        );
    }
    let periods: i64 = sqlx::query_scalar("SELECT count(*) FROM subscriptions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(periods, 2);

    // An honorary membership for someone who never paid, under a plan named.
    let r = finance
        .subscriptions()
        .grant(json!({"user_id": never.id, "plan_id": plan, "until": later, "reason": "Honorary member"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(app.status_of(never.id).await, "active");
    // A member may not grant themselves one.
    let own = app
        .as_user(&never)
        .await
        .subscriptions()
        .grant(json!({"user_id": never.id, "until": later, "reason": "please"}))
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn manual_payments_refuse_members_bad_input_and_applicants() {
    let app = spawn_app().await;
    let plan = fixed_plan(&app, "Yearly", "yearly", 3000).await;
    let ann = member(&app, "Ann", "payment_pending").await;
    let admin = app.user_with_role("admin").await;
    let token = app.token_for(&admin).await;
    let body = json!({"user_id": ann.id, "plan_id": plan, "method": "cash"});

    // A member, even paying for themselves, and a stranger.
    let own = app.token_for(&ann).await;
    assert_eq!(
        manual(&app, &own, body.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app
        .anonymous()
        .subscriptions()
        .record_payment(body.clone())
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let tomorrow = (Utc::now() + Duration::days(2)).date_naive();
    let cases = [
        (
            json!({"user_id": ann.id, "plan_id": plan, "method": "bitcoin"}),
            "method",
        ),
        (
            json!({"user_id": ann.id, "plan_id": plan, "method": "cash", "amount_cents": 100}),
            "amount_cents",
        ),
        (
            json!({"user_id": ann.id, "plan_id": plan, "method": "cash", "paid_on": tomorrow}),
            "paid_on",
        ),
        (
            json!({"user_id": ann.id, "plan_id": plan, "method": "cash", "paid_on": "2020-01-01"}),
            "paid_on",
        ),
        (
            json!({"user_id": ann.id, "plan_id": plan, "method": "cash", "paid_on": "01/02/2026"}),
            "paid_on",
        ),
        (
            json!({"user_id": Uuid::new_v4(), "plan_id": plan, "method": "cash"}),
            "user_id",
        ),
        (
            json!({"user_id": ann.id, "plan_id": Uuid::new_v4(), "method": "cash"}),
            "plan_id",
        ),
    ];
    for (body, field) in cases {
        let r = manual(&app, &token, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            r.body
        );
        assert_eq!(r.body["error"]["field"], field, "{body}");
    }
    let applicant = member(&app, "Al", "pending_validation").await;
    let r = manual(
        &app,
        &token,
        json!({"user_id": applicant.id, "plan_id": plan, "method": "cash"}),
    )
    .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "not_payable")
    );

    let written: i64 = sqlx::query_scalar("SELECT count(*) FROM subscriptions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(written, 0);
    assert_eq!(app.status_of(ann.id).await, "payment_pending");
}

#[tokio::test]
async fn admins_list_filter_and_export_subscriptions_members_cannot() {
    let app = spawn_app().await;
    let api = app.api();
    let plan = fixed_plan(&app, "Yearly", "yearly", 3000).await;
    let finance = app.user_with_role("finance").await;
    let token = app.token_for(&finance).await;
    let ann = member(&app, "Ann", "payment_pending").await;
    let bob = member(&app, "=HYPERLINK(evil)", "expired").await;
    for (who, method) in [(&ann, "cash"), (&bob, "bank_transfer")] {
        let r = manual(
            &app,
            &token,
            json!({"user_id": who.id, "plan_id": plan, "method": method}),
        )
        .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }

    let finance = app.with_token(&token);
    let subscriptions = finance.subscriptions();
    let list = |query: &'static str| subscriptions.list(query);
    assert_eq!(list("").await.body["total"], 2);
    assert_eq!(list("method=cash").await.body["total"], 1);
    assert_eq!(
        list("q=hyperlink").await.body["items"][0]["user_id"],
        json!(bob.id)
    );
    let ann_only = format!("user_id={}", ann.id);
    assert_eq!(subscriptions.list(&ann_only).await.body["total"], 1);
    assert_eq!(list("status=expired").await.body["total"], 0);
    assert_eq!(
        list("sort=-total&per_page=1").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    for bad in [
        "status=gone",
        "method=gold",
        "sort=colour",
        "from=2026-02-01&to=2026-01-01",
        "from=yesterday",
    ] {
        let r = list(bad).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }

    let export = subscriptions.export("sort=member").await;
    assert_eq!(export.status, StatusCode::OK, "{:?}", export.body);
    assert_eq!(export.body["rows"], 2);
    let csv = reqwest::get(export.body["download_url"].as_str().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csv = csv.trim_start_matches('\u{feff}');
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter().any(|r| &r[2] == "'=HYPERLINK(evil) Member"),
        "{csv}"
    );
    assert!(rows
        .iter()
        .any(|r| &r[12] == "bank_transfer" && &r[9] == "30.00"));

    let own = app.token_for(&ann).await;
    for path in ["/api/subscriptions", "/api/subscriptions/export"] {
        let r = call(&api, Method::GET, path, Some(&own), None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        let r = call(&api, Method::GET, path, None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    // A member's own history holds only their own rows.
    let mine = app.with_token(&own).subscriptions().mine().await;
    assert_eq!(mine.body["total"], 1);
    assert_eq!(mine.body["items"][0]["user_id"], json!(ann.id));
}

#[tokio::test]
async fn cancelling_now_ends_the_membership_and_at_period_end_lets_it_run_out() {
    let app = spawn_app().await;
    let plan = fixed_plan(&app, "Yearly", "yearly", 3000).await;
    let lifetime = fixed_plan(&app, "Forever", "lifetime", 50000).await;
    let admin = app.user_with_role("admin").await;
    let token = app.token_for(&admin).await;
    let admin_calls = app.with_token(&token);
    let subscriptions = admin_calls.subscriptions();
    let cancel = |id: Uuid, body: Value| subscriptions.cancel(id, body);
    let id_of = |r: &Reply| -> Uuid { r.body["id"].as_str().unwrap().parse().unwrap() };

    let now_member = member(&app, "Nora", "payment_pending").await;
    let r = manual(
        &app,
        &token,
        json!({"user_id": now_member.id, "plan_id": plan, "method": "cash"}),
    )
    .await;
    let id = id_of(&r);
    let r = cancel(id, json!({"when": "now", "reason": "moved away"})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "cancelled");
    assert_eq!(app.status_of(now_member.id).await, "canceled");
    let again = cancel(id, json!({"when": "now"})).await;
    assert_eq!(
        (again.status, again.error_code()),
        (StatusCode::CONFLICT, "not_active")
    );

    let later = member(&app, "Leo", "payment_pending").await;
    let r = manual(
        &app,
        &token,
        json!({"user_id": later.id, "plan_id": plan, "method": "cash"}),
    )
    .await;
    let end: DateTime<Utc> = serde_json::from_value(r.body["end_date"].clone()).unwrap();
    let r = cancel(id_of(&r), json!({})).await;
    assert_eq!(r.body["cancel_at_period_end"], true);
    assert_eq!(app.status_of(later.id).await, "active");
    assert_eq!(
        app.run_jobs(end - Duration::seconds(1))
            .await
            .subscriptions_expired,
        0
    );
    let summary = app.run_jobs(end).await;
    assert_eq!(
        (summary.subscriptions_expired, summary.members_lapsed),
        (1, 1)
    );
    assert_eq!(app.status_of(later.id).await, "canceled");

    let forever = member(&app, "Fay", "payment_pending").await;
    let r = manual(
        &app,
        &token,
        json!({"user_id": forever.id, "plan_id": lifetime, "method": "cheque"}),
    )
    .await;
    let r = cancel(id_of(&r), json!({"when": "period_end"})).await;
    assert_eq!(r.body["error"]["field"], "when");
    let r = cancel(Uuid::new_v4(), json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let bad = cancel(Uuid::new_v4(), json!({"when": "tomorrow"})).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .as_user(&forever)
        .await
        .subscriptions()
        .cancel(Uuid::new_v4(), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_member_cancels_their_own_membership_at_its_end_and_may_keep_it_until_then() {
    let app = spawn_app().await;
    let plan = fixed_plan(&app, "Yearly", "yearly", 3000).await;
    let lifetime = fixed_plan(&app, "Forever", "lifetime", 50000).await;
    let admin = app.user_with_role("admin").await;
    let token = app.token_for(&admin).await;
    let paid = |user: Uuid, plan: Uuid| {
        manual(
            &app,
            &token,
            json!({"user_id": user, "plan_id": plan, "method": "cash"}),
        )
    };

    let ann = member(&app, "Ann", "payment_pending").await;
    let end: DateTime<Utc> =
        serde_json::from_value(paid(ann.id, plan).await.body["end_date"].clone()).unwrap();
    let ann_token = app.token_for(&ann).await;
    let own = app.with_token(&ann_token);

    // Each way the request can be wrong changes nothing.
    let r = app.anonymous().subscriptions().cancel_mine(json!({})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    for body in [
        json!({"reason": "x".repeat(2001)}),
        json!({"when": "now"}),
        json!({"reason": 3}),
    ] {
        let r = own.subscriptions().cancel_mine(body.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
    let unpaid = app
        .as_user(&member(&app, "Una", "payment_pending").await)
        .await;
    let r = unpaid.subscriptions().cancel_mine(json!({})).await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "not_active")
    );
    let fay = member(&app, "Fay", "payment_pending").await;
    paid(fay.id, lifetime).await;
    let r = app
        .as_user(&fay)
        .await
        .subscriptions()
        .cancel_mine(json!({}))
        .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "already_lifetime")
    );
    let r = own.subscriptions().resume_mine().await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "not_cancelled")
    );
    assert!(app
        .mail_to(&ann.email)
        .await
        .iter()
        .all(|m| m.kind != "membership_cancelled"));

    // Ann cancels: the membership runs to its end, confirmed by email; asking
    // again changes nothing.
    let r = own
        .subscriptions()
        .cancel_mine(json!({"reason": "Moving abroad"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["cancelled"], true);
    assert_eq!(
        serde_json::from_value::<DateTime<Utc>>(r.body["ends_at"].clone()).unwrap(),
        end
    );
    let again = own.subscriptions().cancel_mine(json!({})).await;
    assert_eq!((again.status, &again.body), (StatusCode::OK, &r.body));
    let cancelled: Vec<_> = app
        .mail_to(&ann.email)
        .await
        .into_iter()
        .filter(|m| m.kind == "membership_cancelled")
        .collect();
    assert_eq!(cancelled.len(), 1);
    assert!(cancelled[0]
        .text_body
        .contains(r.body["last_day"].as_str().unwrap()));
    let mine = own.subscriptions().mine().await;
    assert_eq!(mine.body["items"][0]["cancel_at_period_end"], true);
    assert_eq!(
        mine.body["items"][0]["cancellation_reason"],
        "Moving abroad"
    );
    assert_eq!(app.status_of(ann.id).await, "active");
    let trail = app.with_token(&token).members().audit(ann.id).await;
    assert!(
        trail.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "membership" && e["reason"] == "Moving abroad"),
        "{:?}",
        trail.body
    );

    // She changes her mind, then cancels for good: no renewal reminder.
    let r = own.subscriptions().resume_mine().await;
    assert_eq!(
        (r.status, &r.body["cancelled"]),
        (StatusCode::OK, &json!(false))
    );
    assert_eq!(
        own.subscriptions().mine().await.body["items"][0]["cancel_at_period_end"],
        false
    );
    assert_eq!(
        own.subscriptions().cancel_mine(json!({})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.run_jobs(end - Duration::days(29))
            .await
            .renewal_reminders,
        0
    );

    // A cancellation the organisation made is not the member's to undo.
    let leo = member(&app, "Leo", "payment_pending").await;
    let leos = paid(leo.id, plan).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .with_token(&token)
        .subscriptions()
        .cancel(&leos, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app.as_user(&leo).await.subscriptions().resume_mine().await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::CONFLICT, "not_cancelled")
    );

    // At the end she becomes `canceled`: she still signs in, sees her
    // payments, not the members' content, and may come back by paying.
    app.run_jobs(end).await;
    assert_eq!(app.status_of(ann.id).await, "canceled");
    let me = own.auth().me().await;
    assert_eq!(
        (me.status, &me.body["status"]),
        (StatusCode::OK, &json!("canceled"))
    );
    assert_eq!(me.body["membership_in_force"], false);
    assert_eq!(own.subscriptions().mine().await.body["total"], 1);
    let r = call(
        &app.api(),
        Method::GET,
        "/api/members/directory",
        Some(&ann_token),
        None,
    )
    .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::FORBIDDEN, "membership_required")
    );
    let r = own.subscriptions().checkout(json!({"plan_id": plan})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(paid(ann.id, plan).await.status, StatusCode::CREATED);
    assert_eq!(app.status_of(ann.id).await, "active");
}

#[tokio::test]
async fn a_period_ends_at_midnight_in_the_organisations_time_zone() {
    let app = spawn_app().await;
    sqlx::query("UPDATE organisation_settings SET time_zone = 'Pacific/Auckland'")
        .execute(&app.db)
        .await
        .unwrap();
    let plan = fixed_plan(&app, "Yearly", "yearly", 3000).await;
    let admin = app.user_with_role("admin").await;
    let token = app.token_for(&admin).await;
    let kiri = member(&app, "Kiri", "payment_pending").await;
    let paid_on = (Utc::now() - Duration::days(30)).date_naive();
    let r = manual(
        &app,
        &token,
        json!({"user_id": kiri.id, "plan_id": plan, "method": "cash", "paid_on": paid_on}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    // Paid on day D in Auckland: covered until D + 1 year begins there.
    let local_end = paid_on
        .checked_add_months(chrono::Months::new(12))
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let end: DateTime<Utc> = serde_json::from_value(r.body["end_date"].clone()).unwrap();
    let expected: DateTime<Utc> =
        sqlx::query_scalar("SELECT $1::timestamp AT TIME ZONE 'Pacific/Auckland'")
            .bind(local_end)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(end, expected);
    assert_ne!(end, Utc.from_utc_datetime(&local_end), "not UTC midnight");

    let before = app.run_jobs(end - Duration::seconds(1)).await;
    assert_eq!(before.subscriptions_expired, 0);
    assert_eq!(app.status_of(kiri.id).await, "active");
    let at = app.run_jobs(end).await;
    assert_eq!((at.subscriptions_expired, at.members_lapsed), (1, 1));
    assert_eq!(app.status_of(kiri.id).await, "expired");
    let reason: String = sqlx::query_scalar(
        "SELECT reason FROM audit_log WHERE subject_id = $1 AND to_value = 'expired'",
    )
    .bind(kiri.id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(reason, "membership period ended");
}
