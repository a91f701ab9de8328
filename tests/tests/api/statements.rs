//! Annual donation statements: a year's donors with their net totals, a
//! numbered PDF for the donor and for finance, and an email to every
//! donor of a finished year, once.

use chrono::{Datelike, NaiveDate, Utc};
use http::{Method, StatusCode};
use loaf_domain::statements::{self, Donor};
use loaf_tests::{call, spawn_app, TestApp, TestUser};
use serde_json::json;
use std::time::Instant;

async fn get(app: &TestApp, path: &str, user: &TestUser) -> loaf_tests::Reply {
    let token = app.token_for(user).await;
    call(&app.api(), Method::GET, path, Some(&token), None).await
}

async fn post(app: &TestApp, path: &str, user: &TestUser) -> loaf_tests::Reply {
    let token = app.token_for(user).await;
    call(
        &app.api(),
        Method::POST,
        path,
        Some(&token),
        Some(json!({})),
    )
    .await
}

#[tokio::test]
async fn each_donor_gets_one_numbered_statement_of_their_year_net_of_refunds() {
    let app = spawn_app().await;
    let last_year = Utc::now().year() - 1;
    let day = |m, d| NaiveDate::from_ymd_opt(last_year, m, d).unwrap();
    let finance = app.user_with_role("finance").await;
    let finance_calls = app.as_user(&finance).await;
    let member = app.user_with_role("member").await;
    let gift = |body: serde_json::Value| {
        let calls = &finance_calls;
        async move {
            let r = calls.donations().record(body).await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
            r.body["id"].as_str().unwrap().to_string()
        }
    };
    gift(json!({"amount_cents": 5000, "method": "cheque", "user_id": member.id, "donated_on": day(3, 1)})).await;
    let refunded = gift(json!({"amount_cents": 3000, "method": "cash", "user_id": member.id, "donated_on": day(6, 15)})).await;
    let r = finance_calls
        .donations()
        .refund(
            &refunded,
            json!({"amount_cents": 1000, "reason": "half back"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let gone = gift(json!({"amount_cents": 700, "method": "cash", "user_id": member.id, "donated_on": day(7, 1)})).await;
    finance_calls
        .donations()
        .refund(&gone, json!({"reason": "all back"}))
        .await;
    gift(json!({"amount_cents": 900, "method": "cash", "user_id": member.id})).await; // this year
    gift(
        json!({"amount_cents": 1200, "method": "cash", "donor_name": "Grace Guest",
                "donor_email": "Grace.Guest@example.org", "donated_on": day(11, 30)}),
    )
    .await;
    gift(json!({"amount_cents": 300, "method": "cash", "donated_on": day(2, 2)})).await; // nobody to write to

    let path = format!("/api/donations/statements/{last_year}");
    let listed = get(&app, &path, &finance).await;
    assert_eq!(listed.status, StatusCode::OK, "{:?}", listed.body);
    let items = listed.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    let of = |id: &str| {
        items
            .iter()
            .find(|d| d["user_id"] == id || d["email"] == id)
            .unwrap()
    };
    let mine = of(&member.id.to_string());
    assert_eq!(mine["gifts"], 2);
    assert_eq!(
        mine["totals"],
        json!({"EUR": 7000}),
        "net of refunds, refunded in full left out"
    );
    assert_eq!(
        of("grace.guest@example.org")["totals"],
        json!({"EUR": 1200})
    );
    assert_eq!(mine["number"], serde_json::Value::Null, "not issued yet");

    // The member's own PDF, numbered once.
    let own = get(&app, &format!("{path}/mine"), &member).await;
    assert_eq!(own.status, StatusCode::OK, "{:?}", own.body);
    let pdf = reqwest::get(own.body["download_url"].as_str().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    get(&app, &format!("{path}/mine"), &member).await;
    let numbers: Vec<String> = sqlx::query_scalar(
        "SELECT number FROM donation_statements WHERE year = $1 ORDER BY number",
    )
    .bind(last_year)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(numbers, [format!("S{last_year}-000001")]);
    // Finance downloads anyone's; a member neither lists nor downloads others'.
    let guest = get(
        &app,
        &format!("{path}/pdf?email=grace.guest@example.org"),
        &finance,
    )
    .await;
    assert_eq!(guest.status, StatusCode::OK, "{:?}", guest.body);
    let other = app.user_with_role("member").await;
    assert_eq!(get(&app, &path, &other).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&app, &format!("{path}/pdf?user_id={}", member.id), &other)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&app, &format!("{path}/mine"), &other).await.status,
        StatusCode::NOT_FOUND,
        "gave nothing"
    );
    for (bad, field) in [
        ("/api/donations/statements/1999", "year"),
        (
            &*format!("/api/donations/statements/{}", last_year + 5),
            "year",
        ),
        (&*format!("{path}/pdf"), "user_id"),
        (&*format!("{path}/pdf?email=nobody"), "user_id"),
    ] {
        let r = get(&app, bad, &finance).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {:?}",
            r.body
        );
        assert_eq!(r.body["error"]["field"], field, "{bad}");
    }

    // A donor erased since: their statement stays for finance, unsent.
    let gone = app.user_with_role("member").await;
    gift(
        json!({"amount_cents": 800, "method": "cash", "user_id": gone.id, "donated_on": day(8, 8)}),
    )
    .await;
    let admin = app.user_with_role("superadmin").await;
    let erased = post(&app, &format!("/api/members/{}/erase", gone.id), &admin).await;
    assert_eq!(erased.status, StatusCode::OK, "{:?}", erased.body);

    // Sent to every donor of a finished year, once.
    let this_year = post(
        &app,
        &format!("/api/donations/statements/{}/send", last_year + 1),
        &finance,
    )
    .await;
    assert_eq!(
        this_year.status,
        StatusCode::CONFLICT,
        "the year is not over"
    );
    assert_eq!(
        post(&app, &format!("{path}/send"), &member).await.status,
        StatusCode::FORBIDDEN
    );
    let sent = post(&app, &format!("{path}/send"), &finance).await;
    assert_eq!(sent.status, StatusCode::OK, "{:?}", sent.body);
    assert_eq!(sent.body, json!({"emailed": 2, "already_emailed": 0}));
    let again = post(&app, &format!("{path}/send"), &finance).await;
    assert_eq!(again.body, json!({"emailed": 0, "already_emailed": 2}));
    let mail = app.mail_to(&member.email).await;
    let statement = mail
        .iter()
        .find(|m| m.kind == "donation_statement")
        .unwrap();
    assert!(statement
        .text_body
        .contains(&format!("S{last_year}-000001")));
    assert!(
        statement.text_body.contains("EUR 70.00"),
        "{}",
        statement.text_body
    );
    let guest_mail = app.mail_to("grace.guest@example.org").await;
    assert_eq!(
        guest_mail
            .iter()
            .filter(|m| m.kind == "donation_statement")
            .count(),
        1
    );
    let listed = get(&app, &path, &finance).await;
    let emailed = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["emailed_at"].is_string())
        .count();
    assert_eq!(emailed, 2, "everyone but the erased donor");
}

#[tokio::test]
async fn a_statement_is_made_per_donor_in_milliseconds() {
    let app = spawn_app().await;
    let last_year = Utc::now().year() - 1;
    // 200 donors without an account, 12 monthly gifts each.
    sqlx::query(
        "INSERT INTO donations (amount_cents, currency, donation_type, status, donor_email, donor_name, \
             donated_at, receipt_number) \
         SELECT 1000 + m, 'EUR', 'public', 'completed', 'donor' || d || '@example.org', 'Donor ' || d, \
             make_timestamptz($1, m, 10, 12, 0, 0, 'UTC'), 'R' || $1 || '-' || lpad((d * 12 + m)::text, 6, '0') \
         FROM generate_series(1, 200) d, generate_series(1, 12) m",
    )
    .bind(last_year)
    .execute(&app.db)
    .await
    .unwrap();
    let mut conn = app.db.acquire().await.unwrap();
    let started = Instant::now();
    let mut bytes = 0;
    for d in 1..=200 {
        let statement = statements::issue(
            &mut conn,
            last_year,
            &Donor::Guest(format!("donor{d}@example.org")),
        )
        .await
        .unwrap()
        .expect("a statement");
        assert_eq!(statement.gifts.len(), 12);
        bytes += statement
            .receipt("LOAF".into(), None, Some("1 Rue du Parc, Paris".into()))
            .render()
            .len();
    }
    let per_donor = started.elapsed() / 200;
    println!("statements: 200 donors x 12 gifts, {per_donor:?} per donor (numbered and rendered), {} bytes each", bytes / 200);
}
