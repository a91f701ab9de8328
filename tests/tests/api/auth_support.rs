//! What the auth stories share: a complete registration, and an applicant
//! who registered and confirmed their address.

use http::{Method, StatusCode};
use loaf_tests::{call, TestApp};
use serde_json::{json, Value};

pub const PASSWORD: &str = "analytical engine 1843";
pub const TERMS: &str = "2026-01";

/// A registration with every part of the profile filled in.
pub fn registration(email: &str) -> Value {
    json!({
        "email": email,
        "password": PASSWORD,
        "accept_terms": true,
        "terms_version": TERMS,
        "profile": {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "phone": "+44 20 7946 0958",
            "address": {"street": "12 St James's Square", "city": "London", "zipcode": "SW1Y 4JH"},
            "date_of_birth": "1985-12-10",
            "emergency_contact": {"name": "Mary Somerville", "phone": "+44 20 7946 0000", "relationship": "friend"},
            "lead_sources": ["friend", "newsletter"],
            "referred_by_member_name": "Charles Babbage",
            "partner": {"first_name": "William", "last_name": "King", "is_member": false, "plan_to_become_member": true},
            "interests": ["mathematics", "music"],
            "volunteer_interests": ["events"],
            "scholarship_requested": false,
            "newsletter": {"subscribed": true, "publish_name": true, "publish_photo": false, "publish_birthday": false},
            "directory": {"listed": true, "bio": "Poetical science."},
            "social_media": {"twitter": "@ada"}
        }
    })
}

/// Registers `email` and follows the verification link: the account is in
/// `pending_validation` and may sign in.
pub async fn verified_applicant(app: &TestApp, email: &str) {
    let api = app.api();
    let reply = call(
        &api,
        Method::POST,
        "/api/auth/register",
        None,
        Some(registration(email)),
    )
    .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED, "{:?}", reply.body);
    let token = app.token_mailed(email, "verify_email").await;
    let reply = call(
        &api,
        Method::POST,
        "/api/auth/verify-email",
        None,
        Some(json!({"token": token})),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{:?}", reply.body);
}

/// Signs in; answers the reply.
pub async fn login(app: &TestApp, email: &str, password: &str) -> loaf_tests::Reply {
    call(
        &app.api(),
        Method::POST,
        "/api/auth/login",
        None,
        Some(json!({"email": email, "password": password})),
    )
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
