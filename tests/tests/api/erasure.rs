//! Erasure: a member with data in every table that holds personal data is
//! erased, then the whole database (every table, every row as text) and the
//! whole bucket are searched for each of their values: only the financial
//! amounts and dates are left, on records that still point at the
//! anonymised account. Also: the member's own request, confirmed by a link;
//! the refusals (permission, the last superadmin, twice); the retention job.

use chrono::{Duration, Utc};
use http::StatusCode;
use loaf_tests::{spawn_app, TestApp, TestUser};
use serde_json::json;
use uuid::Uuid;

/// Values no other test uses, each of which must be gone after.
struct Person {
    first: String,
    last: String,
    email: String,
    phone: String,
    street: String,
    note: String,
}

impl Person {
    fn new() -> Self {
        let tag = Uuid::new_v4().simple().to_string()[..8].to_string();
        Person {
            first: format!("Zephyrine{tag}"),
            last: format!("Quillfeather{tag}"),
            email: format!("zq.{tag}@example.org"),
            phone: format!(
                "+3361{}",
                &tag.bytes()
                    .map(|b| (b % 10).to_string())
                    .collect::<String>()
            ),
            street: format!("17 Rue {tag}"),
            note: format!("sourdough-{tag}"),
        }
    }

    fn values(&self) -> [&str; 6] {
        [
            &self.first,
            &self.last,
            &self.email,
            &self.phone,
            &self.street,
            &self.note,
        ]
    }
}

/// Every base table of the schema and, for each, the rows whose text
/// holds `value` (case ignored).
async fn found_in_database(app: &TestApp, value: &str) -> (usize, Vec<String>) {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let mut hits = Vec::new();
    for table in &tables {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM \"{table}\" t WHERE lower(t::text) LIKE '%' || lower($1) || '%'"
        ))
        .bind(value)
        .fetch_one(&app.db)
        .await
        .unwrap();
        if n > 0 {
            hits.push(format!("{table} ({n})"));
        }
    }
    (tables.len(), hits)
}

/// Every object of the bucket whose bytes hold `value`, and the prefixes
/// (first path segment) searched.
async fn found_in_bucket(app: &TestApp, value: &str) -> (Vec<String>, Vec<String>) {
    let storage = &app.state.storage;
    let mut prefixes: Vec<String> = Vec::new();
    let mut hits = Vec::new();
    for (key, _) in storage.list("").await.unwrap() {
        let prefix = key.split('/').next().unwrap_or_default().to_string();
        if !prefixes.contains(&prefix) {
            prefixes.push(prefix);
        }
        let bytes = storage
            .get_bytes(&key, i64::MAX)
            .await
            .unwrap()
            .unwrap_or_default();
        if String::from_utf8_lossy(&bytes)
            .to_lowercase()
            .contains(&value.to_lowercase())
        {
            hits.push(key);
        }
    }
    (prefixes, hits)
}

/// A member with data everywhere: profile, sessions, links, calendar feed,
/// throttles, mail, a membership paid by hand with notes, a gift with a
/// message, a refund, an invitation to their address, an RSVP, a gallery
/// photo, trail entries, an import file and report naming them, a
/// confirmation PDF made for them, an annual statement, a data export
/// (built), and a bounce of their address.
async fn member_with_history(app: &TestApp, p: &Person, admin: &str) -> TestUser {
    let member = app
        .person(&p.first, &p.last, &p.email, "active", "member")
        .await;
    let admin_calls = app.with_token(admin);
    // An invitation to the address, before the account existed.
    sqlx::query(
        "INSERT INTO user_invitations (email, token, status, first_name, last_name, phone, expires_at) \
         VALUES ($1, $2, 'accepted', $3, $4, $5, now())",
    )
    .bind(&p.email)
    .bind(Uuid::new_v4().to_string())
    .bind(&p.first)
    .bind(&p.last)
    .bind(&p.phone)
    .execute(&app.db)
    .await
    .unwrap();
    // The profile, changed by an admin (so the trail holds its values).
    let r = admin_calls
        .members()
        .update(
            member.id,
            json!({"phone": p.phone,
                   "address": {"street": p.street, "city": "Vexelbourg"},
                   "directory": {"listed": true, "bio": p.note, "phone": p.phone}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // A membership paid by hand, with notes; its confirmation as PDF.
    let plan = app.plan("Yearly", 3000).await;
    let paid = admin_calls
        .subscriptions()
        .record_payment(
            json!({"user_id": member.id, "plan_id": plan, "method": "cash",
                               "notes": format!("paid at the desk by {} {}", p.first, p.last)}),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{:?}", paid.body);
    let subscription = paid.body["id"].as_str().unwrap().to_string();
    let token = app.token_for(&member).await;
    let member_calls = app.with_token(&token);
    let pdf = member_calls
        .subscriptions()
        .confirmation_pdf(&subscription)
        .await;
    assert_eq!(pdf.status, StatusCode::OK, "{:?}", pdf.body);
    // A gift in their name with a message, partly refunded with a reason.
    let gift = admin_calls
        .donations()
        .record(
            json!({"amount_cents": 4200, "method": "cheque", "user_id": member.id,
                       "notes": format!("cheque signed {}", p.last),
                       "donor_name": format!("{} {}", p.first, p.last), "donor_email": p.email,
                       "message": p.note, "dedication": format!("for {}", p.last)}),
        )
        .await;
    assert_eq!(gift.status, StatusCode::CREATED, "{:?}", gift.body);
    let gift_id = gift.body["id"].as_str().unwrap().to_string();
    let refund = admin_calls
        .donations()
        .refund(
            &gift_id,
            json!({"amount_cents": 200, "reason": format!("{} asked", p.first)}),
        )
        .await;
    assert_eq!(refund.status, StatusCode::OK, "{:?}", refund.body);
    // Sessions, a calendar feed, a reset link, a throttle, an RSVP.
    let login = app
        .anonymous()
        .auth()
        .login(json!({"email": p.email, "password": "wrong password, twice"}))
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        member_calls.events().calendar_token().await.status,
        StatusCode::CREATED
    );
    let forgot = app
        .anonymous()
        .auth()
        .forgot_password(json!({"email": p.email}))
        .await;
    assert_eq!(forgot.status, StatusCode::ACCEPTED);
    let start = Utc::now() + Duration::days(3);
    let event = admin_calls
        .events()
        .create(json!({"title": "Picnic", "start_at": start, "end_at": start + Duration::hours(2)}))
        .await;
    assert_eq!(event.status, StatusCode::CREATED, "{:?}", event.body);
    let event_id = event.body["id"].as_str().unwrap().to_string();
    admin_calls.events().publish(&event_id).await;
    let rsvp = member_calls
        .events()
        .rsvp(&event_id, json!({"status": "yes"}))
        .await;
    assert_eq!(rsvp.status, StatusCode::OK, "{:?}", rsvp.body);
    // A gallery photo of theirs, an import file and its report naming them.
    let photo_key = format!("gallery/{event_id}/{}.jpg", Uuid::new_v4());
    let storage = &app.state.storage;
    storage
        .put_bytes(
            &photo_key,
            "image/jpeg",
            format!("{} {}", p.first, p.note).into_bytes(),
        )
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO event_galleries (event_id, image_url, image_key, caption, uploaded_by, file_size_bytes) \
         VALUES ($1::uuid, $2, $2, 'picnic', $3, 30)",
    )
    .bind(&event_id)
    .bind(&photo_key)
    .bind(member.id)
    .execute(&app.db)
    .await
    .unwrap();
    let import = Uuid::new_v4();
    let csv = format!(
        "email,first_name,last_name\nother.{import}@example.org,Other,Person\n{},{},{}\n",
        p.email, p.first, p.last
    );
    storage
        .put_bytes(
            &format!("imports/{import}.csv"),
            "text/csv",
            csv.into_bytes(),
        )
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO import_jobs (id, filename, file_key, status, errors) \
         VALUES ($1, 'members.csv', $2, 'completed', $3)",
    )
    .bind(import)
    .bind(format!("imports/{import}.csv"))
    .bind(
        json!([{"row": 3, "field": "email", "message": format!("{} has an account", p.email)},
                 {"row": 9, "field": "email", "message": "not an address"}]),
    )
    .execute(&app.db)
    .await
    .unwrap();
    // Last year's gift and its statement (numbered, as PDF under their
    // prefix); an export of their data, built; a bounce of their address.
    let last_year = chrono::Datelike::year(&Utc::now()) - 1;
    let old_gift = admin_calls
        .donations()
        .record(
            json!({"amount_cents": 1500, "method": "cash", "user_id": member.id,
                       "donated_on": format!("{last_year}-05-01")}),
        )
        .await;
    assert_eq!(old_gift.status, StatusCode::CREATED, "{:?}", old_gift.body);
    let statement = loaf_tests::call(
        &app.api(),
        http::Method::GET,
        &format!("/api/donations/statements/{last_year}/mine"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(statement.status, StatusCode::OK, "{:?}", statement.body);
    let export = app.with_token(&token).auth().ask_export().await;
    assert_eq!(export.status, StatusCode::ACCEPTED);
    let built = loaf_jobs::exports(&app.db, storage, &app.state.config.email)
        .await
        .unwrap();
    assert_eq!(built.exports_ready, 1);
    loaf_jobs::email_events(&app.db, &loaf::local_ses::event(&p.email, false))
        .await
        .unwrap();
    // Mail naming them to someone else (an admin's notice).
    sqlx::query(
        "INSERT INTO email_outbox (kind, to_address, subject, text_body, html_body) \
         VALUES ('notice', 'board@example.org', 'New applicant', $1, $1)",
    )
    .bind(format!("{} {} applied.", p.first, p.last))
    .execute(&app.db)
    .await
    .unwrap();
    member
}

#[tokio::test]
async fn an_erased_member_leaves_nothing_but_amounts_and_dates_in_the_database_and_the_bucket() {
    let app = spawn_app().await;
    let admin = app.user_with_role("superadmin").await;
    let admin_token = app.token_for(&admin).await;
    let p = Person::new();
    let member = member_with_history(&app, &p, &admin_token).await;
    for value in p.values() {
        let (_, hits) = found_in_database(&app, value).await;
        assert!(!hits.is_empty(), "{value} is somewhere before");
    }
    let (prefixes_before, before) = found_in_bucket(&app, &p.first).await;
    assert!(
        before.len() >= 2,
        "the photo and the import report name them: {before:?}"
    );

    let r = app
        .with_token(&admin_token)
        .members()
        .erase(member.id)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(
        r.body["files_changed"].as_u64().unwrap() >= 3,
        "{:?}",
        r.body
    );

    let mut tables = 0;
    let mut prefixes = Vec::new();
    for value in p.values() {
        let (searched, hits) = found_in_database(&app, value).await;
        tables = searched;
        assert!(hits.is_empty(), "{value} is still in {hits:?}");
        let (searched, hits) = found_in_bucket(&app, value).await;
        prefixes = searched;
        assert!(hits.is_empty(), "{value} is still in {hits:?}");
    }
    println!(
        "searched {tables} tables; bucket prefixes {prefixes_before:?} before, {prefixes:?} after"
    );
    assert!(tables >= 38, "{tables}");
    assert!(
        app.state
            .storage
            .list(&format!("exports/people/{}/", member.id))
            .await
            .unwrap()
            .is_empty(),
        "the files made for them are gone"
    );

    // What stays: the financial records, their amounts and dates, on the
    // anonymised account.
    let (paid, given, refunded): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT sum(amount_paid_cents) FROM subscriptions WHERE user_id = $1)::bigint, \
                (SELECT sum(amount_cents) FROM donations WHERE user_id = $1)::bigint, \
                (SELECT sum(refunded_cents) FROM donations WHERE user_id = $1)::bigint",
    )
    .bind(member.id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((paid, given, refunded), (3000, 4200 + 1500, 200));
    let shown = app.with_token(&admin_token).members().show(member.id).await;
    assert_eq!(
        shown.body["profile"]["first_name"], "Erased",
        "{:?}",
        shown.body
    );
    assert_eq!(shown.body["status"], "inactive");
    assert_eq!(shown.body["status_moves"], json!([]));
    assert!(shown.body["erased_at"].is_string());
    // A tombstone is not brought back.
    let revived = app
        .with_token(&admin_token)
        .members()
        .set_status(member.id, json!({"status": "active"}))
        .await;
    assert_eq!(revived.status, StatusCode::NOT_FOUND, "{:?}", revived.body);
    // No way back in, and the trail says it happened (not what was there).
    let login = app
        .anonymous()
        .auth()
        .login(json!({"email": p.email, "password": "anything at all"}))
        .await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED);
    let trail = app
        .with_token(&admin_token)
        .audit_trail(&format!("subject_id={}&action=erasure", member.id))
        .await;
    assert_eq!(trail.body["total"], 1, "{:?}", trail.body);
    assert_eq!(trail.body["items"][0]["actor_id"], admin.id.to_string());
    assert_eq!(
        trail.body["items"][0]["changes"]["asked_by"], "admin",
        "{:?}",
        trail.body
    );
    // Twice is refused.
    let again = app
        .with_token(&admin_token)
        .members()
        .erase(member.id)
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.error_code(), "already_erased");
}

#[tokio::test]
async fn a_member_erases_their_own_account_by_the_link_sent_to_them() {
    let app = spawn_app().await;
    let p = Person::new();
    let member = app
        .person(&p.first, &p.last, &p.email, "active", "member")
        .await;
    let token = app.token_for(&member).await;
    let asked = app
        .with_token(&token)
        .auth()
        .request_erasure(json!({}))
        .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED, "{:?}", asked.body);
    assert_eq!(app.status_of(member.id).await, "active", "nothing yet");
    let link = app.token_mailed(&p.email, "confirm_erasure").await;
    for bad in ["", "not-a-token"] {
        let r = app
            .anonymous()
            .auth()
            .confirm_erasure(json!({"token": bad}))
            .await;
        assert!(r.status.is_client_error(), "{bad}: {:?}", r.status);
    }
    assert_eq!(
        app.anonymous()
            .auth()
            .confirm_erasure(json!({"tokn": link}))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let done = app
        .anonymous()
        .auth()
        .confirm_erasure(json!({"token": link}))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(app.status_of(member.id).await, "inactive");
    let me = app.with_token(&token).auth().me().await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "the session ended");
    for value in p.values() {
        let (_, hits) = found_in_database(&app, value).await;
        assert!(hits.is_empty(), "{value} is still in {hits:?}");
    }
    let reused = app
        .anonymous()
        .auth()
        .confirm_erasure(json!({"token": link}))
        .await;
    assert!(reused.status.is_client_error());
}

#[tokio::test]
async fn erasure_is_refused_without_the_permission_and_for_the_last_superadmin() {
    let app = spawn_app().await;
    let member = app.user_with_role("member").await;
    let other = app.user_with_role("member").await;
    let member_token = app.token_for(&member).await;
    let r = app
        .with_token(&member_token)
        .members()
        .erase(other.id)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.anonymous().members().erase(other.id).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(app.status_of(other.id).await, "active");

    let admin = app.user_with_role("superadmin").await;
    let admin_token = app.token_for(&admin).await;
    let r = app
        .with_token(&admin_token)
        .members()
        .erase(Uuid::new_v4())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.with_token(&admin_token).members().erase(admin.id).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "not one's own, from here");
    // The only superadmin who can sign in cannot erase themselves.
    let only: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM users u JOIN roles r ON r.id = u.role_id \
         WHERE r.code = 'superadmin' AND u.status = 'active'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(only, 1);
    let asked = app
        .with_token(&admin_token)
        .auth()
        .request_erasure(json!({}))
        .await;
    assert_eq!(asked.status, StatusCode::ACCEPTED);
    let link = app.token_mailed(&admin.email, "confirm_erasure").await;
    let r = app
        .anonymous()
        .auth()
        .confirm_erasure(json!({"token": link}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.error_code(), "last_superadmin");
    assert_eq!(app.status_of(admin.id).await, "active", "nothing changed");
}

#[tokio::test]
async fn past_the_retention_period_the_records_lose_their_payment_references() {
    let app = spawn_app().await;
    let admin = app.user_with_role("superadmin").await;
    let admin_token = app.token_for(&admin).await;
    let member = app.user_with_role("member").await;
    sqlx::query(
        "INSERT INTO donations (amount_cents, status, user_id, stripe_payment_intent_id, donated_at) \
         VALUES (1500, 'completed', $1, 'pi_kept_for_now', now())",
    )
    .bind(member.id)
    .execute(&app.db)
    .await
    .unwrap();
    let r = app
        .with_token(&admin_token)
        .members()
        .erase(member.id)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let intent = || async {
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT stripe_payment_intent_id FROM donations WHERE user_id = $1",
        )
        .bind(member.id)
        .fetch_one(&app.db)
        .await
        .unwrap()
    };
    assert_eq!(
        app.run_jobs(Utc::now() + Duration::days(365 * 9))
            .await
            .records_anonymised,
        0
    );
    assert_eq!(intent().await.as_deref(), Some("pi_kept_for_now"));
    let after = app
        .run_jobs(Utc::now() + Duration::days(365 * 10 + 3))
        .await;
    assert_eq!(after.records_anonymised, 1);
    assert_eq!(intent().await, None);
    let amount: i64 = sqlx::query_scalar("SELECT amount_cents FROM donations WHERE user_id = $1")
        .bind(member.id)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(amount, 1500, "the amount stays");
    let again = app.run_jobs(Utc::now() + Duration::days(365 * 11)).await;
    assert_eq!(again.records_anonymised, 0, "once");
}
