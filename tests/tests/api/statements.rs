//! Annual donation statements: a year's donors with their net totals, a
//! numbered PDF for the donor and for finance, and an email to every
//! donor of a finished year, once.

use chrono::{Datelike, NaiveDate, Utc};
use http::StatusCode;
use loaf_domain::statements::{self, Donor};
use loaf_tests::spawn_app;
use serde_json::json;
use std::time::Instant;

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

    let listed = app
        .as_user(&finance)
        .await
        .donations()
        .statements(last_year)
        .await;
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
    let own = app
        .as_user(&member)
        .await
        .donations()
        .my_statement(last_year)
        .await;
    assert_eq!(own.status, StatusCode::OK, "{:?}", own.body);
    let pdf = reqwest::get(own.body["download_url"].as_str().unwrap())
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    app.as_user(&member)
        .await
        .donations()
        .my_statement(last_year)
        .await;
    let numbers: Vec<String> = sqlx::query_scalar(
        "SELECT number FROM donation_statements WHERE year = $1 ORDER BY number",
    )
    .bind(last_year)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(numbers, [format!("S{last_year}-000001")]);
    // Finance downloads anyone's; a member neither lists nor downloads others'.
    let finances = app.as_user(&finance).await;
    let guest = finances
        .donations()
        .statement_pdf(last_year, "email=grace.guest@example.org")
        .await;
    assert_eq!(guest.status, StatusCode::OK, "{:?}", guest.body);
    let other = app.user_with_role("member").await;
    let others = app.as_user(&other).await;
    assert_eq!(
        others.donations().statements(last_year).await.status,
        StatusCode::FORBIDDEN
    );
    let anyones = format!("user_id={}", member.id);
    assert_eq!(
        others
            .donations()
            .statement_pdf(last_year, &anyones)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        others.donations().my_statement(last_year).await.status,
        StatusCode::NOT_FOUND,
        "gave nothing"
    );
    let donations = finances.donations();
    for (what, r, field) in [
        ("1999", donations.statements(1999).await, "year"),
        (
            "five years on",
            donations.statements(last_year + 5).await,
            "year",
        ),
        (
            "nobody named",
            donations.statement_pdf(last_year, "").await,
            "user_id",
        ),
        (
            "not an address",
            donations.statement_pdf(last_year, "email=nobody").await,
            "user_id",
        ),
    ] {
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {:?}",
            r.body
        );
        assert_eq!(r.body["error"]["field"], field, "{what}");
    }

    // A donor erased since: their statement stays for finance, unsent.
    let gone = app.user_with_role("member").await;
    gift(
        json!({"amount_cents": 800, "method": "cash", "user_id": gone.id, "donated_on": day(8, 8)}),
    )
    .await;
    let admin = app.user_with_role("superadmin").await;
    let erased = app.as_user(&admin).await.members().erase(gone.id).await;
    assert_eq!(erased.status, StatusCode::OK, "{:?}", erased.body);

    // Sent to every donor of a finished year, once.
    let this_year = app
        .as_user(&finance)
        .await
        .donations()
        .send_statements(last_year + 1)
        .await;
    assert_eq!(
        this_year.status,
        StatusCode::CONFLICT,
        "the year is not over"
    );
    assert_eq!(
        app.as_user(&member)
            .await
            .donations()
            .send_statements(last_year)
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let sent = app
        .as_user(&finance)
        .await
        .donations()
        .send_statements(last_year)
        .await;
    assert_eq!(sent.status, StatusCode::OK, "{:?}", sent.body);
    assert_eq!(sent.body, json!({"emailed": 2, "already_emailed": 0}));
    let again = app
        .as_user(&finance)
        .await
        .donations()
        .send_statements(last_year)
        .await;
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
    let listed = app
        .as_user(&finance)
        .await
        .donations()
        .statements(last_year)
        .await;
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
