//! The signed-in member's own account: profile edits, terms, changing a
//! password, and resetting a forgotten one.

use crate::auth_support::{count, login, session, verified_applicant, PASSWORD};
use http::{Method, StatusCode};
use loaf_tests::{call, spawn_app};
use serde_json::json;

#[tokio::test]
async fn a_member_edits_their_profile_and_nothing_else() {
    let app = spawn_app().await;
    let api = app.api();
    verified_applicant(&app, "ada@example.org").await;
    let (access, _) = session(&app, "ada@example.org", PASSWORD).await;
    let patch = |body| {
        call(
            &api,
            Method::PATCH,
            "/api/auth/me",
            Some(&access),
            Some(body),
        )
    };

    let edited = patch(
        json!({"phone": "+1 555 010 0199", "address": {"city": "Paris"}, "interests": ["chess"]}),
    )
    .await;
    assert_eq!(edited.status, StatusCode::OK, "{:?}", edited.body);
    let p = &edited.body["profile"];
    assert_eq!(p["phone"], "+1 555 010 0199");
    assert_eq!(
        p["address"],
        json!({"street": null, "city": "Paris", "state": null, "zipcode": null}),
        "a section is replaced whole"
    );
    assert_eq!(p["interests"], json!(["chess"]));
    assert_eq!(p["last_name"], "Lovelace", "absent keys stay");
    assert_eq!(p["emergency_contact"]["name"], "Mary Somerville");

    let cleared = patch(json!({"phone": null, "date_of_birth": null})).await;
    assert_eq!(cleared.status, StatusCode::OK);
    assert!(cleared.body["profile"]["phone"].is_null());

    for (body, field) in [
        (json!({"email": "evil@example.org"}), "email"),
        (json!({"status": "active"}), "status"),
        (json!({"role": "superadmin"}), "role"),
        (json!({"first_name": ""}), "first_name"),
        (json!({"first_name": null}), "first_name"),
        (json!({"phone": "not a phone"}), "phone"),
        (
            json!({"directory": {"bio": "x".repeat(2001)}}),
            "directory.bio",
        ),
    ] {
        let reply = patch(body.clone()).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {:?}",
            reply.body
        );
        assert_eq!(reply.body["error"]["field"], field, "{body}");
    }
    let (email, status, first): (String, String, String) = sqlx::query_as(
        "SELECT email, status::text, first_name FROM users WHERE email = 'ada@example.org'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        (email.as_str(), status.as_str(), first.as_str()),
        ("ada@example.org", "pending_validation", "Ada")
    );
    assert_eq!(
        app.anonymous().auth().update_me(json!({})).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn new_terms_must_be_accepted_in_their_current_version() {
    let app = spawn_app().await;
    verified_applicant(&app, "ada@example.org").await;
    sqlx::query("UPDATE users SET tos_version = '2025-06' WHERE email = 'ada@example.org'")
        .execute(&app.db)
        .await
        .unwrap();
    let (access, _) = session(&app, "ada@example.org", PASSWORD).await;
    let me = app.with_token(&access).auth().me().await;
    assert_eq!(me.body["terms"]["must_accept"], true);
    assert_eq!(me.body["terms"]["current_version"], "2026-01");
    let old = app
        .with_token(&access)
        .auth()
        .accept_tos(json!({"version": "2025-06"}))
        .await;
    assert_eq!(
        (old.status, old.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("terms_version"))
    );
    let ok = app
        .with_token(&access)
        .auth()
        .accept_tos(json!({"version": "2026-01"}))
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.body["terms"]["must_accept"], false);
    assert!(ok.body["terms"]["accepted_at"].is_string());
    let anonymous = app
        .anonymous()
        .auth()
        .accept_tos(json!({"version": "2026-01"}))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session() {
    let app = spawn_app().await;
    verified_applicant(&app, "ada@example.org").await;
    let (laptop, laptop_refresh) = session(&app, "ada@example.org", PASSWORD).await;
    let (phone, _) = session(&app, "ada@example.org", PASSWORD).await;
    let change = |token: String, current: &str, new: &str| {
        let body = json!({"current_password": current, "new_password": new});
        let caller = app.with_token(&token);
        async move { caller.auth().change_password(body).await }
    };

    let wrong = change(phone.clone(), "not my password", "a brand new passphrase").await;
    assert_eq!(
        (wrong.status, wrong.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("current_password"))
    );
    let weak = change(phone.clone(), PASSWORD, "password").await;
    assert_eq!(
        (weak.status, weak.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("new_password"))
    );
    assert_eq!(
        app.with_token(&laptop).auth().me().await.status,
        StatusCode::OK,
        "refusals change nothing"
    );

    let changed = change(phone.clone(), PASSWORD, "a brand new passphrase").await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    let fresh = changed.body["access_token"].as_str().unwrap();
    assert_eq!(
        app.with_token(fresh).auth().me().await.status,
        StatusCode::OK
    );
    for old in [&laptop, &phone] {
        assert_eq!(
            app.with_token(old).auth().me().await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let r = app
        .anonymous()
        .auth()
        .refresh(json!({"refresh_token": laptop_refresh}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        login(&app, "ada@example.org", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "ada@example.org", "a brand new passphrase")
            .await
            .status,
        StatusCode::OK
    );
    let kinds: Vec<String> = app
        .mail_to("ada@example.org")
        .await
        .into_iter()
        .map(|m| m.kind)
        .collect();
    assert_eq!(kinds.last().map(String::as_str), Some("password_changed"));
}

#[tokio::test]
async fn a_forgotten_password_is_reset_once_by_the_emailed_link() {
    let app = spawn_app().await;
    let api = app.api();
    verified_applicant(&app, "ada@example.org").await;
    let (before, _) = session(&app, "ada@example.org", PASSWORD).await;
    let forgot = |email: &str| {
        call(
            &api,
            Method::POST,
            "/api/auth/forgot-password",
            None,
            Some(json!({"email": email})),
        )
    };

    let known = forgot("ADA@example.org").await;
    let unknown = forgot("nobody@example.org").await;
    assert_eq!(known.status, StatusCode::ACCEPTED);
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    assert_eq!(app.mail_to("nobody@example.org").await.len(), 0);
    let mail = app.mail_to("ada@example.org").await;
    let reset_mail = mail.iter().find(|m| m.kind == "password_reset").unwrap();
    assert_eq!(
        reset_mail.status, "pending",
        "left to the scheduled sender: no timing tell"
    );
    let token = reset_mail.link_token();

    let reset = |token: &str, pw: &str| {
        call(
            &api,
            Method::POST,
            "/api/auth/reset-password",
            None,
            Some(json!({"token": token, "new_password": pw})),
        )
    };
    let weak = reset(&token, "12345678").await;
    assert_eq!(
        (weak.status, weak.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("new_password"))
    );
    let done = reset(&token, "the garden of forking paths").await;
    assert_eq!(
        done.status,
        StatusCode::OK,
        "a weak try did not use the link up: {:?}",
        done.body
    );
    let again = reset(&token, "yet another passphrase").await;
    assert_eq!(
        (again.status, again.error_code()),
        (StatusCode::GONE, "token_used")
    );
    assert_eq!(
        reset("nonsense", "yet another passphrase")
            .await
            .error_code(),
        "token_invalid"
    );

    assert_eq!(
        app.with_token(&before).auth().me().await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "ada@example.org", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login(&app, "ada@example.org", "the garden of forking paths")
            .await
            .status,
        StatusCode::OK
    );

    // A link older than an hour is refused, and says how to get another.
    sqlx::query("UPDATE account_tokens SET created_at = now() - interval '2 hours'")
        .execute(&app.db)
        .await
        .unwrap();
    forgot("ada@example.org").await;
    let late = app.token_mailed("ada@example.org", "password_reset").await;
    sqlx::query(
        "UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL",
    )
    .execute(&app.db)
    .await
    .unwrap();
    let expired = reset(&late, "one more passphrase").await;
    assert_eq!(
        (expired.status, expired.error_code()),
        (StatusCode::GONE, "token_expired")
    );
    assert!(expired.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("forgot-password"));
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM account_tokens WHERE purpose = 'reset_password'"
        )
        .await,
        2
    );
}

#[tokio::test]
async fn a_new_address_is_confirmed_by_a_link_to_it_and_the_old_one_is_told() {
    let app = spawn_app().await;
    verified_applicant(&app, "ada@example.org").await;
    verified_applicant(&app, "taken@example.org").await;
    let (token, _) = session(&app, "ada@example.org", PASSWORD).await;
    let change = |new: &'static str, password: &'static str| {
        let token = token.clone();
        let app = &app;
        async move {
            let body = json!({"new_email": new, "current_password": password});
            app.with_token(&token).auth().change_email(body).await
        }
    };

    // Each way the request can be wrong changes nothing.
    let r = app
        .anonymous()
        .auth()
        .change_email(json!({"new_email": "x@example.org", "current_password": PASSWORD}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    for (new, password, field) in [
        ("ada.l@example.org", "not my password", "current_password"),
        ("not an address", PASSWORD, "new_email"),
        ("ADA@example.org", PASSWORD, "new_email"),
    ] {
        let r = change(new, password).await;
        assert_eq!(
            (r.status, r.body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{new}"
        );
    }
    // An address with an account: the same answer; its owner is told.
    assert_eq!(
        change("taken@example.org", PASSWORD).await.status,
        StatusCode::ACCEPTED
    );
    let taken = app.mail_to("taken@example.org").await;
    assert_eq!(taken.last().unwrap().kind, "email_in_use");

    assert_eq!(
        change("ada.l@example.org", PASSWORD).await.status,
        StatusCode::ACCEPTED
    );
    // Until the link is followed, nothing changes.
    assert_eq!(
        login(&app, "ada@example.org", PASSWORD).await.status,
        StatusCode::OK
    );
    let link = app
        .token_mailed("ada.l@example.org", "confirm_email_change")
        .await;
    let confirm = |token: String| {
        let app = &app;
        async move {
            let body = json!({"token": token});
            app.anonymous().auth().confirm_email_change(body).await
        }
    };
    let r = confirm("not-a-token".into()).await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::BAD_REQUEST, "token_invalid")
    );
    let r = confirm(link.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["email"], "ada.l@example.org");
    let r = confirm(link.clone()).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::GONE, "token_used"));

    // The account signs in as the new address; the old one is told; the
    // session lives on; the trail says it.
    assert_eq!(
        login(&app, "ada.l@example.org", PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(
        login(&app, "ada@example.org", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    let told = app.mail_to("ada@example.org").await;
    assert_eq!(told.last().unwrap().kind, "email_changed");
    assert!(told.last().unwrap().text_body.contains("ada.l@example.org"));
    let me = app.with_token(&token).auth().me().await;
    assert_eq!(
        (me.status, &me.body["email"]),
        (StatusCode::OK, &json!("ada.l@example.org"))
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM audit_log WHERE to_value = 'email: ada.l@example.org'"
        )
        .await,
        1
    );

    // An address taken between the request and the link: refused.
    assert_eq!(
        change("grace@example.org", PASSWORD).await.status,
        StatusCode::ACCEPTED
    );
    let link = app
        .token_mailed("grace@example.org", "confirm_email_change")
        .await;
    verified_applicant(&app, "grace@example.org").await;
    let r = confirm(link.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(me_email(&app, &token).await, "ada.l@example.org");
}

async fn me_email(app: &loaf_tests::TestApp, token: &str) -> String {
    let me = app.with_token(token).auth().me().await;
    me.body["email"].as_str().unwrap().to_string()
}
