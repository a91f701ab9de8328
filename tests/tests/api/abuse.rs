//! Findings of an outside probe of the running stack, each held by a test
//! that failed before its fix: the sign-in limit under concurrent guesses,
//! abuse of the open routes (registration, anonymous checkout), an upload
//! URL used again after its claim, text that forges calendar events,
//! response headers, pre-registration takeover, sessions that outlive what
//! ended them.

use futures_util::future::join_all;
use http::{Method, StatusCode};
use loaf_domain::auth::password;
use loaf_tests::{call, call_from, spawn_app, Reply, TestApp, TestUser};
use serde_json::{json, Value};
use std::net::SocketAddr;

/// Guesses sent at once: what the probe sent.
const AT_ONCE: usize = 40;

fn from(ip: &str) -> Option<SocketAddr> {
    Some(format!("{ip}:50000").parse().unwrap())
}

/// A member who signs in with `secret`.
async fn member_with_password(app: &TestApp, secret: &str) -> TestUser {
    let user = app.user_with_role("member").await;
    let hash = password::hash(secret.into()).await.unwrap();
    sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(user.id)
        .bind(hash)
        .execute(&app.db)
        .await
        .unwrap();
    user
}

async fn login(app: &TestApp, ip: &str, email: &str, secret: &str) -> Reply {
    call_from(
        &app.api(),
        from(ip),
        Method::POST,
        "/api/auth/login",
        None,
        Some(json!({"email": email, "password": secret})),
    )
    .await
}

fn count(replies: &[Reply], status: StatusCode) -> usize {
    replies.iter().filter(|r| r.status == status).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guesses_at_one_account_verify_no_more_than_its_limit() {
    let app = spawn_app().await;
    let user = member_with_password(&app, "the one right passphrase").await;
    // 39 wrong guesses and the right password last, all at once, each from
    // its own address (so only the account's limit applies).
    let guesses = (0..AT_ONCE).map(|i| {
        let secret = if i == AT_ONCE - 1 {
            "the one right passphrase".to_string()
        } else {
            format!("wrong guess number {i}")
        };
        let ip = format!("198.51.100.{}", i + 1);
        let (app, email) = (&app, user.email.clone());
        async move { login(app, &ip, &email, &secret).await }
    });
    let replies = join_all(guesses).await;

    let verified = AT_ONCE - count(&replies, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        verified <= 5,
        "{verified} passwords verified, the limit is 5"
    );
    assert_eq!(
        count(&replies, StatusCode::OK),
        0,
        "the right password, sent after the limit was spent, does not get in"
    );
    for refused in replies
        .iter()
        .filter(|r| r.status == StatusCode::TOO_MANY_REQUESTS)
    {
        assert_eq!(refused.error_code(), "too_many_attempts");
        assert!(refused.headers.contains_key("retry-after"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guesses_from_one_address_verify_no_more_than_its_limit() {
    let app = spawn_app().await;
    // Forty different accounts (unknown ones count the same), one address.
    let guesses = (0..AT_ONCE).map(|i| {
        let app = &app;
        async move {
            login(
                app,
                "203.0.113.9",
                &format!("someone{i}@example.org"),
                "a wrong guess",
            )
            .await
        }
    });
    let replies = join_all(guesses).await;

    let verified = AT_ONCE - count(&replies, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        verified <= 20,
        "{verified} verified, the address limit is 20"
    );
    assert_eq!(verified, count(&replies, StatusCode::UNAUTHORIZED));
}

#[tokio::test]
async fn a_right_password_within_the_limit_signs_in_and_gives_its_attempt_back() {
    let app = spawn_app().await;
    let user = member_with_password(&app, "the one right passphrase").await;
    for i in 0..4 {
        let r = login(&app, "192.0.2.1", &user.email, &format!("wrong {i}")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let ok = login(&app, "192.0.2.1", &user.email, "the one right passphrase").await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);
    // The account's count is forgotten: five more guesses before a lock.
    for i in 0..5 {
        let r = login(&app, "192.0.2.2", &user.email, &format!("again {i}")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "guess {i}");
    }
    let locked = login(&app, "192.0.2.2", &user.email, "the one right passphrase").await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_imported_member_without_a_password_is_refused_like_anyone() {
    let app = spawn_app().await;
    // Imported members have the unusable hash `!` until they set one; the
    // refusal (and its cost: a dummy verification) is that of a wrong
    // password for any account.
    let user = app.user_with_role("member").await;
    sqlx::query("UPDATE users SET password_hash = '!' WHERE id = $1")
        .bind(user.id)
        .execute(&app.db)
        .await
        .unwrap();
    let r = login(&app, "192.0.2.3", &user.email, "!").await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::UNAUTHORIZED, "invalid_credentials")
    );
}

/// The JSON body of `reply`, for assertion messages.
fn body(reply: &Reply) -> &Value {
    &reply.body
}

#[tokio::test]
async fn answers_are_never_cached_or_sniffed() {
    let app = spawn_app().await;
    let user = member_with_password(&app, "the one right passphrase").await;
    let session = login(&app, "192.0.2.4", &user.email, "the one right passphrase").await;
    assert_eq!(session.status, StatusCode::OK, "{:?}", body(&session));
    let token = session.body["access_token"].as_str().unwrap().to_string();
    let api = app.api();
    for (path, token) in [
        ("/api/auth/me", Some(token.as_str())),
        ("/api/health", None),
        ("/api/no-such-route", None),
        ("/api/events", None),
    ] {
        let r = call(&api, Method::GET, path, token, None).await;
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(r.headers["cache-control"], "no-store", "{path}");
    }
    assert_eq!(session.headers["cache-control"], "no-store");
    // The API reference page runs no script but its own bundle, in no frame.
    let docs = call(&api, Method::GET, "/api/docs", None, None).await;
    let csp = docs.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert_eq!(docs.headers["x-frame-options"], "DENY");
}

/// An event published by an admin with `body`'s fields; answers its id.
async fn published_event(app: &TestApp, admin: &str, body: Value) -> String {
    let start = chrono::Utc::now() + chrono::Duration::days(3);
    let mut fields = json!({"title": "Picnic", "start_at": start,
                            "end_at": start + chrono::Duration::hours(2),
                            "time_zone": "Europe/Paris", "visibility": "public"});
    for (k, v) in body.as_object().unwrap() {
        fields[k] = v.clone();
    }
    let api = app.api();
    let created = call(&api, Method::POST, "/api/events", Some(admin), Some(fields)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    let published = call(
        &api,
        Method::POST,
        &format!("/api/events/{id}/publish"),
        Some(admin),
        None,
    )
    .await;
    assert_eq!(published.status, StatusCode::OK, "{:?}", published.body);
    id
}

async fn ics(app: &TestApp, path: &str) -> String {
    use tower::ServiceExt;
    let res = app
        .api()
        .oneshot(
            http::Request::get(path)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn a_bare_carriage_return_cannot_forge_a_calendar_event() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let admin = app.token_for(&admin).await;
    // A parser that ends lines at CR would read a second VEVENT here.
    let forged = "Bring food\rEND:VEVENT\rBEGIN:VEVENT\rUID:evil@attacker\r\
                  ATTENDEE:mailto:victim@example.org\rSUMMARY:Free money";
    let id = published_event(
        &app,
        &admin,
        json!({"title": "Picnic, games; music", "description": forged}),
    )
    .await;
    let text = ics(&app, &format!("/api/events/{id}/calendar.ics")).await;

    // CR appears only in the CRLF that ends each content line.
    assert!(
        !text.replace("\r\n", "").contains('\r'),
        "a bare CR reached the file"
    );
    let events: Vec<&str> = text
        .lines()
        .filter(|l| l.trim() == "BEGIN:VEVENT")
        .collect();
    assert_eq!(events.len(), 1);
    assert!(!text.lines().any(|l| l.starts_with("UID:evil")));
    // The text comes back as line breaks, escaped.
    assert!(
        text.contains("Bring food\\nEND:VEVENT\\nBEGIN:VEVENT"),
        "{text}"
    );
    // A URI in every URL, the name's comma escaped, the product named.
    for line in text.lines().filter(|l| l.starts_with("URL")) {
        assert!(line.len() > "URL:".len() + 8, "{line:?}");
    }
    assert!(text.contains("NAME:Picnic\\, games\\; music"), "{text}");
    let prodid = text.lines().find(|l| l.starts_with("PRODID:")).unwrap();
    assert!(prodid.contains("LOAF"), "{prodid}");
}

const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89";

/// Bytes of `like`'s length that are an HTML page (what an attacker would
/// put behind a trusted file's link).
fn html_like(like: &[u8]) -> Vec<u8> {
    let mut page = b"<html><script>alert(document.cookie)</script>".to_vec();
    page.resize(like.len(), b' ');
    page
}

async fn fetch(url: &str) -> Vec<u8> {
    reqwest::get(url)
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn an_upload_url_cannot_change_a_file_after_its_claim() {
    let app = spawn_app().await;
    let admin = app.user_with_role("superadmin").await;
    let token = app.token_for(&admin).await;
    let api = app.api();
    let post = |path: String, body: Value| {
        let (api, token) = (api.clone(), token.clone());
        async move { call(&api, Method::POST, &path, Some(&token), Some(body)).await }
    };

    // A newsletter.
    let reserved = post(
        "/api/documents/newsletters/uploads".into(),
        json!({"file_name": "letter.pdf", "content_type": "application/pdf", "size_bytes": PDF.len()}),
    )
    .await;
    assert!(loaf_tests::upload_to(&reserved, PDF).await.is_success());
    let doc = post(
        "/api/documents/newsletters".into(),
        json!({"upload_id": reserved.body["upload_id"], "title": "Spring", "published_date": "2026-03-01"}),
    )
    .await;
    assert_eq!(doc.status, StatusCode::CREATED, "{:?}", doc.body);
    // The same signed URL, again, with a page of the same length and type.
    let again = loaf_tests::upload_to(&reserved, &html_like(PDF)).await;
    let link = call(
        &api,
        Method::GET,
        &format!(
            "/api/documents/newsletters/{}/download",
            doc.body["id"].as_str().unwrap()
        ),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(
        fetch(link.body["url"].as_str().unwrap()).await,
        PDF,
        "the download still serves what was checked (second PUT: {again})"
    );

    // A gallery photo.
    let start = chrono::Utc::now() - chrono::Duration::days(1);
    let event = published_event(
        &app,
        &token,
        json!({"start_at": start, "end_at": start + chrono::Duration::hours(1)}),
    )
    .await;
    let reserved = post(
        format!("/api/events/{event}/gallery/uploads"),
        json!({"file_name": "p.png", "content_type": "image/png", "size_bytes": PNG.len()}),
    )
    .await;
    assert_eq!(reserved.status, StatusCode::CREATED, "{:?}", reserved.body);
    assert!(loaf_tests::upload_to(&reserved, PNG).await.is_success());
    let photo = post(
        format!("/api/events/{event}/gallery"),
        json!({"upload_id": reserved.body["upload_id"]}),
    )
    .await;
    assert_eq!(photo.status, StatusCode::CREATED, "{:?}", photo.body);
    loaf_tests::upload_to(&reserved, &html_like(PNG)).await;
    let gallery = call(
        &api,
        Method::GET,
        &format!("/api/events/{event}/gallery"),
        Some(&token),
        None,
    )
    .await;
    let url = gallery.body["items"][0]["url"].as_str().unwrap();
    assert_eq!(fetch(url).await, PNG);

    // The logo, shown to everyone.
    let reserved = post(
        "/api/settings/logo/uploads".into(),
        json!({"file_name": "logo.png", "content_type": "image/png", "size_bytes": PNG.len()}),
    )
    .await;
    assert!(loaf_tests::upload_to(&reserved, PNG).await.is_success());
    let set = call(
        &api,
        Method::PUT,
        "/api/settings/logo",
        Some(&token),
        Some(json!({"upload_id": reserved.body["upload_id"]})),
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{:?}", set.body);
    loaf_tests::upload_to(&reserved, &html_like(PNG)).await;
    assert_eq!(fetch(set.body["logo_url"].as_str().unwrap()).await, PNG);
}

fn registration_of(email: &str, secret: &str) -> Value {
    let mut body = loaf_tests::accounts::registration(email);
    body["password"] = json!(secret);
    body
}

async fn post_from(app: &TestApp, ip: &str, path: &str, body: Value) -> Reply {
    call_from(&app.api(), from(ip), Method::POST, path, None, Some(body)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn registrations_cannot_fill_an_inbox_or_hash_without_limit() {
    let app = spawn_app().await;
    let victim = app.user_with_role("member").await;
    // 51 registrations of the victim's address, 8 at a time, each from its
    // own address: every answer is the one a new registration gets...
    let mut replies = Vec::new();
    for batch in (0..51).collect::<Vec<_>>().chunks(8) {
        let round = batch.iter().map(|i| {
            let (app, email) = (&app, victim.email.clone());
            async move {
                post_from(
                    app,
                    &format!("198.51.100.{}", i + 1),
                    "/api/auth/register",
                    registration_of(&email, "a password of the attacker's"),
                )
                .await
            }
        });
        replies.extend(join_all(round).await);
    }
    for r in &replies {
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    }
    // ...and the victim's inbox gets one notice, not 51.
    let notices = app
        .mail_to(&victim.email)
        .await
        .into_iter()
        .filter(|m| m.kind == "already_registered")
        .count();
    assert_eq!(notices, 1);

    // One source address registers ten times an hour; then 429, whatever
    // the addresses (which says nothing about any of them).
    let mut statuses = Vec::new();
    for i in 0..12 {
        let r = post_from(
            &app,
            "203.0.113.50",
            "/api/auth/register",
            registration_of(&format!("new{i}@example.org"), "a long enough passphrase"),
        )
        .await;
        statuses.push(r.status);
    }
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::ACCEPTED)
            .count(),
        10
    );
    assert_eq!(statuses[10], StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn anonymous_gift_checkouts_are_limited_hidden_and_expired() {
    let app = spawn_app().await;
    let gift = |i: usize, donor: String| {
        let app = &app;
        async move {
            post_from(
                app,
                "192.0.2.77",
                "/api/donations/checkout",
                json!({"amount_cents": 500 + i, "donor_name": "Flood", "donor_email": donor}),
            )
            .await
        }
    };
    // Sixty from one address, thirty at a time (the probe sent 300; the
    // test's pool has 5 connections, and a load test this is not).
    let mut flood = Vec::new();
    for batch in (0..60).collect::<Vec<_>>().chunks(30) {
        flood.extend(join_all(batch.iter().map(|i| gift(*i, format!("d{i}@example.org")))).await);
    }
    let started = count(&flood, StatusCode::CREATED);
    let other: Vec<_> = flood
        .iter()
        .filter(|r| r.status != StatusCode::CREATED && r.status != StatusCode::TOO_MANY_REQUESTS)
        .map(|r| (r.status, r.body.clone()))
        .collect();
    assert!(other.is_empty(), "{:?}", other.first());
    assert_eq!(started, 10, "ten gifts per source address per ten minutes");
    assert_eq!(count(&flood, StatusCode::TOO_MANY_REQUESTS), 50);
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM donations")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(rows, 10, "a refused gift writes nothing");

    // One donor address, from many sources: five an hour.
    let mut donor = Vec::new();
    for i in 0..7 {
        donor.push(
            post_from(
                &app,
                &format!("192.0.2.{}", 100 + i),
                "/api/donations/checkout",
                json!({"amount_cents": 700, "donor_name": "Same", "donor_email": "same@example.org"}),
            )
            .await
            .status,
        );
    }
    assert_eq!(&donor[..5], &[StatusCode::CREATED; 5]);
    assert_eq!(donor[5], StatusCode::TOO_MANY_REQUESTS);

    // Unpaid gifts stay out of the admins' default list...
    let admin = app.user_with_role("finance").await;
    let admin = app.token_for(&admin).await;
    let list = call(
        &app.api(),
        Method::GET,
        "/api/donations",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(list.body["total"], 0);
    // ...and the daily job gives them up after two days.
    sqlx::query(
        "UPDATE donations SET created_at = now() - interval '3 days' WHERE donor_name = 'Flood'",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let summary = app.run_jobs(chrono::Utc::now()).await;
    assert_eq!(summary.gifts_abandoned, 10);
    let failed = call(
        &app.api(),
        Method::GET,
        "/api/donations?status=failed",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(failed.body["total"], 10);
}

#[tokio::test]
async fn a_stranger_s_registration_is_not_activated_by_the_address_owner() {
    let app = spawn_app().await;
    let victim = "victim@example.org";
    // The attacker registers the victim's address with their own password.
    let r = post_from(
        &app,
        "198.51.100.66",
        "/api/auth/register",
        registration_of(victim, "the attacker's own secret"),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let token = app.token_mailed(victim, "verify_email").await;

    // The victim clicks the link: confirming asks for the password chosen
    // at registration, which they do not know.
    let r = post_from(
        &app,
        "192.0.2.10",
        "/api/auth/verify-email",
        json!({"token": token, "password": "whatever I guess"}),
    )
    .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "wrong_password")
    );
    let attacker = login(&app, "198.51.100.66", victim, "the attacker's own secret").await;
    assert_eq!(
        (attacker.status, attacker.error_code()),
        (StatusCode::FORBIDDEN, "email_not_verified"),
        "the stranger's password opens nothing"
    );

    // The owner takes the address back by resetting the password, which
    // confirms the address too; the stranger's password is gone.
    let r = post_from(
        &app,
        "192.0.2.10",
        "/api/auth/forgot-password",
        json!({"email": victim}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let reset = app.token_mailed(victim, "password_reset").await;
    let r = post_from(
        &app,
        "192.0.2.10",
        "/api/auth/reset-password",
        json!({"token": reset, "new_password": "the owner's own passphrase"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let owner = login(&app, "192.0.2.10", victim, "the owner's own passphrase").await;
    assert_eq!(owner.status, StatusCode::OK, "{:?}", owner.body);
    assert_eq!(owner.body["user"]["status"], "pending_validation");
    let attacker = login(&app, "198.51.100.66", victim, "the attacker's own secret").await;
    assert_eq!(attacker.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_calendar_feed_ends_with_its_holder_s_deactivation() {
    let app = spawn_app().await;
    let admin = app.user_with_role("superadmin").await;
    let admin = app.token_for(&admin).await;
    let member = app.user_with_role("member").await;
    let token = app.token_for(&member).await;
    let api = app.api();
    let feed = call(
        &api,
        Method::POST,
        "/api/calendar/token",
        Some(&token),
        None,
    )
    .await;
    assert_eq!(feed.status, StatusCode::CREATED, "{:?}", feed.body);
    let path = format!(
        "/api/calendar/feed.ics?token={}",
        feed.body["token"].as_str().unwrap()
    );
    assert_eq!(
        call(&api, Method::GET, &path, None, None).await.status,
        StatusCode::OK
    );
    for status in ["inactive", "active"] {
        let r = call(
            &api,
            Method::POST,
            &format!("/api/members/{}/status", member.id),
            Some(&admin),
            Some(json!({"status": status, "reason": "probe"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{status}: {:?}", r.body);
    }
    // Reactivated, the member asks for a new link; the old one stays dead.
    assert_eq!(
        call(&api, Method::GET, &path, None, None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_access_token_ends_when_its_session_is_revoked_for_a_reused_refresh_token() {
    let app = spawn_app().await;
    let user = member_with_password(&app, "the one right passphrase").await;
    let session = login(&app, "192.0.2.20", &user.email, "the one right passphrase").await;
    let access = session.body["access_token"].as_str().unwrap().to_string();
    let stolen = session.body["refresh_token"].as_str().unwrap().to_string();
    let api = app.api();
    let refresh = |token: String| {
        let api = api.clone();
        async move {
            call(
                &api,
                Method::POST,
                "/api/auth/refresh",
                None,
                Some(json!({"refresh_token": token})),
            )
            .await
        }
    };
    let next = refresh(stolen.clone()).await;
    assert_eq!(next.status, StatusCode::OK);
    let new_access = next.body["access_token"].as_str().unwrap().to_string();
    // The copy is used again: the whole chain is revoked...
    assert_eq!(refresh(stolen).await.error_code(), "refresh_token_reused");
    // ...and with it every access token of the session, at once.
    for token in [&access, &new_access] {
        let me = call(&api, Method::GET, "/api/auth/me", Some(token), None).await;
        assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    }
}
