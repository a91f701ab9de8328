//! What the auth stories share: a complete registration, and an applicant
//! who registered and confirmed their address.

use http::StatusCode;
use loaf_tests::TestApp;
use serde_json::json;

pub use loaf_tests::accounts::{registration, PASSWORD, TERMS};

/// Registers `email` and follows the verification link: the account is in
/// `pending_validation` and may sign in.
pub async fn verified_applicant(app: &TestApp, email: &str) {
    let reply = app.anonymous().auth().register(registration(email)).await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    let token = app.token_mailed(email, "verify_email").await;
    let reply = app
        .anonymous()
        .auth()
        .verify_email(json!({"token": token, "password": PASSWORD}))
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

/// Signs in; answers the reply.
pub async fn login(app: &TestApp, email: &str, password: &str) -> loaf_tests::Reply {
    app.anonymous()
        .auth()
        .login(json!({"email": email, "password": password}))
        .await
}

/// Signs in and answers (access token, refresh token).
pub async fn session(app: &TestApp, email: &str, password: &str) -> (String, String) {
    let reply = login(app, email, password).await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
    (
        reply.body["access_token"].as_str().unwrap().to_string(),
        reply.body["refresh_token"].as_str().unwrap().to_string(),
    )
}

pub async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.db).await.unwrap()
}
