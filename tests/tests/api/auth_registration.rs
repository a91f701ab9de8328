//! Registration and email verification: an applicant registers with the
//! whole profile, confirms the address, and nobody learns which addresses
//! have accounts.

use crate::auth_support::{count, login, registration, verified_applicant, PASSWORD};
use http::{Method, StatusCode};
use loaf_tests::{call, spawn_app};
use serde_json::{json, Value};

#[tokio::test]
async fn an_applicant_registers_confirms_and_can_sign_in() {
    let app = spawn_app().await;
    let reply = app
        .anonymous()
        .auth()
        .register(registration("Ada@Example.org"))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);

    let (status, role, tos, interests, city): (String, String, Option<String>, Value, Option<String>) = sqlx::query_as(
        "SELECT status::text, role::text, tos_version, interests, city FROM users WHERE email = 'ada@example.org'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((status.as_str(), role.as_str()), ("pending_email", "guest"));
    assert_eq!(tos.as_deref(), Some("2026-01"));
    assert_eq!(interests, json!(["mathematics", "music"]));
    assert_eq!(city.as_deref(), Some("London"));

    // The verification email was delivered at once (written to the mail folder).
    let mail = app.mail_to("ada@example.org").await;
    assert_eq!(mail.len(), 1);
    assert_eq!(
        (mail[0].kind.as_str(), mail[0].status.as_str()),
        ("verify_email", "sent")
    );
    assert!(mail[0]
        .text_body
        .contains("https://members.example.org/verify-email?token="));
    let files = std::fs::read_dir(&app.mail_dir).unwrap().count();
    assert_eq!(files, 1);

    // Before confirming, signing in says what to do.
    let early = login(&app, "ada@example.org", PASSWORD).await;
    assert_eq!(early.status, StatusCode::FORBIDDEN);
    assert_eq!(early.error_code(), "email_not_verified");

    let token = app.token_mailed("ada@example.org", "verify_email").await;
    let verified = app
        .anonymous()
        .auth()
        .verify_email(json!({"token": token, "password": PASSWORD}))
        .await;
    assert_eq!(verified.status, StatusCode::OK);
    assert_eq!(verified.body["status"], "pending_validation");

    // The link works once.
    let again = app
        .anonymous()
        .auth()
        .verify_email(json!({"token": token, "password": PASSWORD}))
        .await;
    assert_eq!(
        (again.status, again.error_code()),
        (StatusCode::GONE, "token_used")
    );

    let signed_in = login(&app, "ADA@example.org", PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::OK, "{:?}", signed_in.body);
    assert_eq!(signed_in.body["user"]["status"], "pending_validation");
}

#[tokio::test]
async fn a_taken_address_gets_the_same_answer_and_its_owner_is_told() {
    let app = spawn_app().await;
    verified_applicant(&app, "grace@example.org").await;
    let before: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE email = 'grace@example.org'")
            .fetch_one(&app.db)
            .await
            .unwrap();

    let fresh = app
        .anonymous()
        .auth()
        .register(registration("new@example.org"))
        .await;
    let mut again = registration("GRACE@example.org");
    again["password"] = json!("a different passphrase");
    let taken = app.anonymous().auth().register(again).await;
    assert_eq!(taken.status, fresh.status);
    assert_eq!(taken.body, fresh.body);

    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM users WHERE lower(email) = 'grace@example.org'"
        )
        .await,
        1
    );
    let after: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE email = 'grace@example.org'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(before, after, "the stranger's password was not set");
    let kinds: Vec<String> = app
        .mail_to("grace@example.org")
        .await
        .into_iter()
        .map(|m| m.kind)
        .collect();
    assert_eq!(kinds, ["verify_email", "already_registered"]);
}

/// Each way a registration can be wrong: the status, the code and the
/// field it names, and nothing written.
#[tokio::test]
async fn every_bad_registration_is_refused_naming_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    let api = app.api();
    type Edit = fn(&mut Value);
    let cases: &[(&str, Edit, &str, &str)] = &[
        (
            "missing first name",
            |b| {
                b["profile"].as_object_mut().unwrap().remove("first_name");
            },
            "profile.first_name",
            "required",
        ),
        (
            "blank last name",
            |b| b["profile"]["last_name"] = json!("   "),
            "profile.last_name",
            "required",
        ),
        (
            "long name",
            |b| b["profile"]["first_name"] = json!("x".repeat(101)),
            "profile.first_name",
            "too_long",
        ),
        (
            "bad email",
            |b| b["email"] = json!("not-an-email"),
            "email",
            "invalid",
        ),
        (
            "short password",
            |b| b["password"] = json!("short"),
            "password",
            "weak_password",
        ),
        (
            "common password",
            |b| b["password"] = json!("password123"),
            "password",
            "weak_password",
        ),
        (
            "password with the email",
            |b| b["password"] = json!("my bad.actor secret"),
            "password",
            "weak_password",
        ),
        (
            "password too long",
            |b| b["password"] = json!("x".repeat(129)),
            "password",
            "weak_password",
        ),
        (
            "terms refused",
            |b| b["accept_terms"] = json!(false),
            "accept_terms",
            "invalid",
        ),
        (
            "old terms",
            |b| b["terms_version"] = json!("2020-01"),
            "terms_version",
            "invalid",
        ),
        (
            "bad phone",
            |b| b["profile"]["phone"] = json!("call me maybe"),
            "profile.phone",
            "invalid",
        ),
        (
            "bad emergency phone",
            |b| b["profile"]["emergency_contact"]["phone"] = json!("12"),
            "profile.emergency_contact.phone",
            "invalid",
        ),
        (
            "future birth date",
            |b| b["profile"]["date_of_birth"] = json!("2999-01-01"),
            "profile.date_of_birth",
            "invalid",
        ),
        (
            "malformed birth date",
            |b| b["profile"]["date_of_birth"] = json!("10/12/1985"),
            "profile.date_of_birth",
            "invalid",
        ),
        (
            "control characters",
            |b| b["profile"]["address"]["city"] = json!("Lon\u{7}don"),
            "profile.address.city",
            "invalid",
        ),
        (
            "blank interest",
            |b| b["profile"]["interests"] = json!(["music", ""]),
            "profile.interests[1]",
            "required",
        ),
        (
            "unknown field",
            |b| b["status"] = json!("active"),
            "status",
            "invalid",
        ),
        (
            "unknown profile field",
            |b| b["profile"]["role"] = json!("superadmin"),
            "profile.role",
            "invalid",
        ),
        (
            "wrong type",
            |b| b["profile"]["scholarship_requested"] = json!("yes"),
            "profile.scholarship_requested",
            "invalid",
        ),
        (
            "bad directory email",
            |b| b["profile"]["directory"]["email"] = json!("nope"),
            "profile.directory.email",
            "invalid",
        ),
    ];
    for (what, edit, field, code) in cases {
        let mut body = registration("bad.actor@example.org");
        edit(&mut body);
        let reply = app.anonymous().auth().register(body).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {:?}",
            reply.body
        );
        assert_eq!(reply.error_code(), *code, "{what}: {:?}", reply.body);
        if !field.is_empty() {
            assert_eq!(
                reply.body["error"]["field"], *field,
                "{what}: {:?}",
                reply.body
            );
        }
    }
    let not_json = loaf_tests::call_raw(
        &api,
        Method::POST,
        "/api/auth/register",
        "text/plain",
        "hello",
    )
    .await;
    assert_eq!(not_json.status, StatusCode::BAD_REQUEST);
    let broken = loaf_tests::call_raw(
        &api,
        Method::POST,
        "/api/auth/register",
        "application/json",
        "{\"email\":",
    )
    .await;
    assert_eq!(broken.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM users WHERE email LIKE 'bad.actor%'"
        )
        .await,
        0
    );
    assert_eq!(count(&app, "SELECT count(*) FROM email_outbox").await, 0);
}

#[tokio::test]
async fn verification_links_that_are_wrong_expired_or_replaced_are_refused_clearly() {
    let app = spawn_app().await;
    let api = app.api();
    app.anonymous()
        .auth()
        .register(registration("lin@example.org"))
        .await;
    let first = app.token_mailed("lin@example.org", "verify_email").await;

    for junk in ["", "abc", "' OR 1=1 --", &"A".repeat(43)] {
        let reply = app
            .anonymous()
            .auth()
            .verify_email(json!({"token": junk, "password": PASSWORD}))
            .await;
        assert_eq!(
            (reply.status, reply.error_code()),
            (StatusCode::BAD_REQUEST, "token_invalid"),
            "{junk}"
        );
    }

    // Resend inside the cool-down: same answer, no new link.
    let resend = || {
        call(
            &api,
            Method::POST,
            "/api/auth/resend-verification",
            None,
            Some(json!({"email": "lin@example.org"})),
        )
    };
    assert_eq!(resend().await.status, StatusCode::ACCEPTED);
    assert_eq!(app.mail_to("lin@example.org").await.len(), 1);

    // After the cool-down a new link replaces the first.
    sqlx::query("UPDATE account_tokens SET created_at = now() - interval '2 minutes'")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(resend().await.status, StatusCode::ACCEPTED);
    let mail = app.mail_to("lin@example.org").await;
    assert_eq!(mail.len(), 2);
    assert_eq!(mail[1].status, "pending", "left to the scheduled sender");
    let second = app.token_mailed("lin@example.org", "verify_email").await;
    assert_ne!(first, second);
    let replaced = app
        .anonymous()
        .auth()
        .verify_email(json!({"token": first, "password": PASSWORD}))
        .await;
    assert_eq!(replaced.error_code(), "token_invalid");

    sqlx::query("UPDATE account_tokens SET expires_at = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .unwrap();
    let expired = app
        .anonymous()
        .auth()
        .verify_email(json!({"token": second, "password": PASSWORD}))
        .await;
    assert_eq!(
        (expired.status, expired.error_code()),
        (StatusCode::GONE, "token_expired")
    );
    assert!(expired.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("resend-verification"));
    let status: String =
        sqlx::query_scalar("SELECT status::text FROM users WHERE email = 'lin@example.org'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(status, "pending_email");
}

#[tokio::test]
async fn resending_says_the_same_for_unknown_confirmed_and_pending_addresses() {
    let app = spawn_app().await;
    verified_applicant(&app, "done@example.org").await;
    let mut answers = Vec::new();
    for email in ["nobody@example.org", "done@example.org"] {
        let reply = app
            .anonymous()
            .auth()
            .resend_verification(json!({"email": email}))
            .await;
        answers.push((reply.status, reply.body));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(app.mail_to("nobody@example.org").await.len(), 0);
    assert_eq!(
        app.mail_to("done@example.org").await.len(),
        1,
        "only the original link"
    );
    let bad = app
        .anonymous()
        .auth()
        .resend_verification(json!({"email": "nope"}))
        .await;
    assert_eq!(
        (bad.status, bad.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("email"))
    );
}
