//! The invitee's side of an invitation: see it, accept it once, and be
//! refused clearly when it is used, withdrawn or out of date.

use crate::auth_support::{login, registration, TERMS};
use http::{Method, StatusCode};
use loaf_domain::auth::secret_token;
use loaf_tests::{call, spawn_app, TestApp};
use serde_json::{json, Value};

/// Inserts an invitation as the members function does: the token's hash in
/// `token`. Answers the token.
async fn invite(
    app: &TestApp,
    email: &str,
    role: &str,
    status: &str,
    expires_in_hours: i32,
) -> String {
    let admin = app.user_with_role("admin").await;
    let (token, _) = secret_token::generate();
    let hex = secret_token::hash_hex(&token);
    sqlx::query(
        "INSERT INTO user_invitations (email, token, role, role_id, status, first_name, invited_by, expires_at) \
         SELECT $1, $2, $3::userrole, r.id, $4::invitationstatus, 'Grace', $5, now() + make_interval(hours => $6) \
         FROM roles r WHERE r.code = $3",
    )
    .bind(email)
    .bind(hex)
    .bind(role)
    .bind(status)
    .bind(admin.id)
    .bind(expires_in_hours)
    .execute(&app.db)
    .await
    .unwrap();
    token
}

fn acceptance() -> Value {
    let mut body = registration("ignored@example.org");
    let obj = body.as_object_mut().unwrap();
    obj.remove("email");
    body["profile"]["first_name"] = json!("Grace");
    body["profile"]["last_name"] = json!("Hopper");
    body
}

#[tokio::test]
async fn an_invitee_sees_the_invitation_accepts_it_and_is_signed_in_with_the_role() {
    let app = spawn_app().await;
    let api = app.api();
    let token = invite(&app, "grace@example.org", "finance", "pending", 48).await;

    let shown = app.anonymous().auth().invitation(&token).await;
    assert_eq!(shown.status, StatusCode::OK, "{:?}", shown.body);
    assert_eq!(shown.body["email"], "grace@example.org");
    assert_eq!(shown.body["role_code"], "finance");
    assert_eq!(shown.body["invited_by"], "Test User");
    assert!(shown.body.get("id").is_none());

    let accepted = app
        .anonymous()
        .auth()
        .accept_invitation(&token, acceptance())
        .await;
    assert_eq!(accepted.status, StatusCode::CREATED, "{:?}", accepted.body);
    assert_eq!(accepted.body["user"]["role"], "finance");
    assert_eq!(accepted.body["user"]["status"], "payment_pending");
    let me = call(
        &api,
        Method::GET,
        "/api/auth/me",
        accepted.body["access_token"].as_str(),
        None,
    )
    .await;
    assert_eq!(me.body["email_verified"], true);
    assert!(
        me.body["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "donations.view"),
        "{:?}",
        me.body["permissions"]
    );
    let (status, legacy): (String, String) = sqlx::query_as(
        "SELECT i.status::text, u.role::text FROM user_invitations i JOIN users u ON u.id = i.accepted_by",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((status.as_str(), legacy.as_str()), ("accepted", "finance"));
    assert_eq!(
        login(&app, "grace@example.org", crate::auth_support::PASSWORD)
            .await
            .status,
        StatusCode::OK
    );

    let reused = app
        .anonymous()
        .auth()
        .accept_invitation(&token, acceptance())
        .await;
    assert_eq!(
        (reused.status, reused.error_code()),
        (StatusCode::GONE, "invitation_used")
    );
    let again = app.anonymous().auth().invitation(&token).await;
    assert_eq!(again.error_code(), "invitation_used");
}

#[tokio::test]
async fn withdrawn_expired_unknown_and_clashing_invitations_are_refused() {
    let app = spawn_app().await;
    let revoked = invite(&app, "a@example.org", "member", "revoked", 48).await;
    let lapsed = invite(&app, "b@example.org", "member", "pending", -1).await;
    let marked = invite(&app, "c@example.org", "member", "expired", 48).await;
    for (token, code) in [
        (&revoked, "invitation_revoked"),
        (&lapsed, "invitation_expired"),
        (&marked, "invitation_expired"),
    ] {
        let shown = app.anonymous().auth().invitation(&token).await;
        assert_eq!((shown.status, shown.error_code()), (StatusCode::GONE, code));
        let accepted = app
            .anonymous()
            .auth()
            .accept_invitation(&token, acceptance())
            .await;
        assert_eq!(
            (accepted.status, accepted.error_code()),
            (StatusCode::GONE, code)
        );
    }
    for token in ["nope", &"Z".repeat(43), "..%2F..%2Fetc"] {
        let shown = app.anonymous().auth().invitation(&token).await;
        assert_eq!(shown.status, StatusCode::NOT_FOUND, "{token}");
    }

    // An address that already has an account cannot take a second one.
    let member = app.user_with_role("member").await;
    let clash = invite(&app, &member.email, "member", "pending", 48).await;
    let reply = app
        .anonymous()
        .auth()
        .accept_invitation(&clash, acceptance())
        .await;
    assert_eq!(
        (reply.status, reply.body["error"]["field"].as_str()),
        (StatusCode::CONFLICT, Some("email"))
    );

    // Bad input changes nothing: the invitation stays usable.
    let fine = invite(&app, "d@example.org", "member", "pending", 48).await;
    let mut weak = acceptance();
    weak["password"] = json!("password1");
    let refused = app.anonymous().auth().accept_invitation(&fine, weak).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut no_terms = acceptance();
    no_terms["terms_version"] = json!("1999");
    let refused = app
        .anonymous()
        .auth()
        .accept_invitation(&fine, no_terms)
        .await;
    assert_eq!(refused.body["error"]["field"], "terms_version");
    let ok = app
        .anonymous()
        .auth()
        .accept_invitation(&fine, acceptance())
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
    assert_eq!(TERMS, "2026-01");
}

/// Collects log output for the test that installs it.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn request_logs_name_the_route_never_the_token_in_the_path() {
    let app = spawn_app().await;
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let token = invite(&app, "logged@example.org", "member", "pending", 48).await;
    let reply = app.anonymous().auth().invitation(&token).await;
    assert_eq!(reply.status, StatusCode::OK);
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("path=/api/auth/invitations/{token}"),
        "{logs}"
    );
    assert!(!logs.contains(&token), "{logs}");
}
