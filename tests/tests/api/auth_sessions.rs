//! Signing in and staying signed in: access and refresh tokens, rotation
//! and reuse, logout, throttling, and what each account status sees.

use crate::auth_support::{count, login, session, verified_applicant, PASSWORD};
use http::{Method, StatusCode};
use loaf_tests::{call, call_from, spawn_app};
use serde_json::json;
use std::net::SocketAddr;

#[tokio::test]
async fn sign_in_answers_the_contracts_session_and_me_shows_the_account() {
    let app = spawn_app().await;
    verified_applicant(&app, "ada@example.org").await;
    let reply = login(&app, "ada@example.org", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK);
    let b = &reply.body;
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["expires_in"], 1800);
    assert_eq!(b["refresh_token"].as_str().unwrap().len(), 43);
    assert_eq!(b["user"]["email"], "ada@example.org");
    assert_eq!(b["user"]["role"], "guest");

    let me = call(
        &app.api(),
        Method::GET,
        "/api/auth/me",
        b["access_token"].as_str(),
        None,
    )
    .await;
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
    assert_eq!(me.body["status"], "pending_validation");
    assert_eq!(me.body["role"]["code"], "guest");
    assert!(me.body["permissions"].is_array());
    assert_eq!(me.body["terms"]["must_accept"], false);
    assert_eq!(me.body["profile"]["address"]["city"], "London");
    assert_eq!(me.body["profile"]["newsletter"]["publish_name"], true);
    assert!(me.body.get("password_hash").is_none());
    assert!(!me.body.to_string().contains("argon2"));
    let signed_in = count(
        &app,
        "SELECT count(*) FROM users WHERE last_login_at IS NOT NULL",
    )
    .await;
    assert_eq!(signed_in, 1);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    verified_applicant(&app, "ada@example.org").await;
    let wrong = login(&app, "ada@example.org", "not the password at all").await;
    let unknown = login(&app, "nobody@example.org", "not the password at all").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    assert_eq!(wrong.error_code(), "invalid_credentials");
    for body in [
        json!({"email": "", "password": "x"}),
        json!({"email": "a@b.org"}),
        json!({"password": "x"}),
    ] {
        let reply = app.anonymous().auth().login(body.clone()).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    }
}

#[tokio::test]
async fn each_status_signs_in_or_hears_why_not() {
    let app = spawn_app().await;
    verified_applicant(&app, "ada@example.org").await;
    for (status, expected) in [
        ("pending_email", Some("email_not_verified")),
        ("abandoned", Some("email_not_verified")),
        ("rejected", Some("account_rejected")),
        ("inactive", Some("account_inactive")),
        ("pending_validation", None),
        ("pre_validated", None),
        ("payment_pending", None),
        ("active", None),
        ("expired", None),
        // A cancelled member keeps their account, receipts and renewal.
        ("canceled", None),
    ] {
        sqlx::query("UPDATE users SET status = $1::userstatus WHERE email = 'ada@example.org'")
            .bind(status)
            .execute(&app.db)
            .await
            .unwrap();
        let reply = login(&app, "ada@example.org", PASSWORD).await;
        match expected {
            Some(code) => {
                assert_eq!(
                    (reply.status, reply.error_code()),
                    (StatusCode::FORBIDDEN, code),
                    "{status}"
                );
                assert!(reply.body["error"]["message"].as_str().unwrap().len() > 20);
            }
            None => assert_eq!(reply.status, StatusCode::OK, "{status}: {:?}", reply.body),
        }
    }
    // A refused status never reveals itself without the right password.
    let guess = login(&app, "ada@example.org", "a wrong guess here").await;
    assert_eq!(guess.error_code(), "invalid_credentials");
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_ends_the_whole_chain() {
    let app = spawn_app().await;
    let api = app.api();
    verified_applicant(&app, "ada@example.org").await;
    let (_, first) = session(&app, "ada@example.org", PASSWORD).await;
    let refresh = |token: String| {
        call(
            &api,
            Method::POST,
            "/api/auth/refresh",
            None,
            Some(json!({"refresh_token": token})),
        )
    };

    let second = refresh(first.clone()).await;
    assert_eq!(second.status, StatusCode::OK, "{:?}", second.body);
    let second_token = second.body["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second_token, first);
    let me = call(
        &api,
        Method::GET,
        "/api/auth/me",
        second.body["access_token"].as_str(),
        None,
    )
    .await;
    assert_eq!(me.status, StatusCode::OK);

    // The first token again: someone copied it. Both tokens die.
    let reused = refresh(first).await;
    assert_eq!(
        (reused.status, reused.error_code()),
        (StatusCode::UNAUTHORIZED, "refresh_token_reused")
    );
    let after = refresh(second_token).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);

    // Another sign-in (another device) is a separate chain and still works.
    let (_, other) = session(&app, "ada@example.org", PASSWORD).await;
    assert_eq!(refresh(other).await.status, StatusCode::OK);

    for junk in ["", "short", &"x".repeat(43)] {
        let reply = refresh(junk.to_string()).await;
        assert_eq!(
            (reply.status, reply.error_code()),
            (StatusCode::UNAUTHORIZED, "invalid_refresh_token"),
            "{junk}"
        );
    }
    let (_, old) = session(&app, "ada@example.org", PASSWORD).await;
    sqlx::query(
        "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE used_at IS NULL",
    )
    .execute(&app.db)
    .await
    .unwrap();
    assert_eq!(refresh(old).await.error_code(), "session_expired");
}

#[tokio::test]
async fn logout_ends_one_session_or_every_session() {
    let app = spawn_app().await;
    verified_applicant(&app, "ada@example.org").await;
    let (access_a, refresh_a) = session(&app, "ada@example.org", PASSWORD).await;
    let (access_b, refresh_b) = session(&app, "ada@example.org", PASSWORD).await;

    let out = app
        .anonymous()
        .auth()
        .logout(json!({"refresh_token": refresh_a}))
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let twice = app
        .anonymous()
        .auth()
        .logout(json!({"refresh_token": refresh_a}))
        .await;
    assert_eq!(
        twice.status,
        StatusCode::NO_CONTENT,
        "logging out twice is harmless"
    );
    let dead = app
        .anonymous()
        .auth()
        .refresh(json!({"refresh_token": refresh_a}))
        .await;
    assert_eq!(dead.status, StatusCode::UNAUTHORIZED);
    let me_b = app.with_token(&access_b).auth().me().await;
    assert_eq!(me_b.status, StatusCode::OK, "the other session lives");
    // The ended session's access token ends with it, at once.
    let me_a = app.with_token(&access_a).auth().me().await;
    assert_eq!(me_a.status, StatusCode::UNAUTHORIZED);

    let nothing = app.anonymous().auth().logout(json!({})).await;
    assert_eq!(
        (nothing.status, nothing.body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("refresh_token"))
    );
    let anonymous = app
        .anonymous()
        .auth()
        .logout(json!({"everywhere": true}))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let (access_c, _) = session(&app, "ada@example.org", PASSWORD).await;
    let all = app
        .with_token(&access_c)
        .auth()
        .logout(json!({"everywhere": true}))
        .await;
    assert_eq!(all.status, StatusCode::NO_CONTENT);
    for access in [&access_b, &access_c] {
        assert_eq!(
            app.with_token(access).auth().me().await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    let b = app
        .anonymous()
        .auth()
        .refresh(json!({"refresh_token": refresh_b}))
        .await;
    assert_eq!(b.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_deactivated_account_loses_its_sessions() {
    let app = spawn_app().await;
    verified_applicant(&app, "ada@example.org").await;
    let (access, refresh) = session(&app, "ada@example.org", PASSWORD).await;
    sqlx::query("UPDATE users SET status = 'inactive' WHERE email = 'ada@example.org'")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        app.with_token(&access).auth().me().await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .anonymous()
        .auth()
        .refresh(json!({"refresh_token": refresh}))
        .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::UNAUTHORIZED, "session_ended")
    );
}

#[tokio::test]
async fn failed_sign_ins_lock_the_account_for_a_growing_time_whether_or_not_it_exists() {
    let app = spawn_app().await;
    verified_applicant(&app, "ada@example.org").await;
    for email in ["ada@example.org", "ghost@example.org"] {
        for attempt in 1..=5 {
            let reply = login(&app, email, "wrong wrong wrong").await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{email} attempt {attempt}"
            );
        }
        // Locked now: even the right password waits.
        let locked = login(&app, email, PASSWORD).await;
        assert_eq!(
            (locked.status, locked.error_code()),
            (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            "{email}"
        );
        let wait: u64 = locked.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=30).contains(&wait), "{wait}");
    }
    // The lock runs out; one more failure locks for twice as long.
    sqlx::query("UPDATE login_throttle SET locked_until = now() - interval '1 second'")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        login(&app, "ada@example.org", "wrong again, sorry")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let secs: f64 = sqlx::query_scalar(
        "SELECT EXTRACT(EPOCH FROM locked_until - now())::float8 FROM login_throttle WHERE key = 'account:ada@example.org'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert!(
        (31.0..=60.0).contains(&secs),
        "second lock lasts ~60 s, got {secs}"
    );
    sqlx::query("UPDATE login_throttle SET locked_until = NULL")
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        login(&app, "ada@example.org", PASSWORD).await.status,
        StatusCode::OK
    );
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM login_throttle WHERE key = 'account:ada@example.org'"
        )
        .await,
        0,
        "success forgets the account's failures"
    );
}

#[tokio::test]
async fn one_address_guessing_many_accounts_is_locked_out() {
    let app = spawn_app().await;
    let api = app.api();
    verified_applicant(&app, "ada@example.org").await;
    let attacker: SocketAddr = "203.0.113.9:40000".parse().unwrap();
    let bystander: SocketAddr = "198.51.100.4:40000".parse().unwrap();
    let attempt = |from, email: &str, password: &str| {
        call_from(
            &api,
            Some(from),
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": email, "password": password})),
        )
    };
    for i in 0..20 {
        let reply = attempt(attacker, &format!("guess{i}@example.org"), "password guess").await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {i}");
    }
    let blocked = attempt(attacker, "ada@example.org", PASSWORD).await;
    assert_eq!(blocked.status, StatusCode::TOO_MANY_REQUESTS);
    let fine = attempt(bystander, "ada@example.org", PASSWORD).await;
    assert_eq!(fine.status, StatusCode::OK, "{:?}", fine.body);
}

#[tokio::test]
async fn a_tampered_or_foreign_access_token_is_refused() {
    let app = spawn_app().await;
    verified_applicant(&app, "ada@example.org").await;
    let (access, refresh) = session(&app, "ada@example.org", PASSWORD).await;
    let mut parts: Vec<String> = access.split('.').map(str::to_string).collect();
    // Another user's id in the payload, the original signature kept.
    let other = app.user_with_role("superadmin").await;
    let forged_payload = loaf_tests::jwt_payload_with_sub(&parts[1], other.id);
    parts[1] = forged_payload;
    let forged = parts.join(".");
    let alg_none = format!(
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{}.",
        access.split('.').nth(1).unwrap()
    );
    for token in [
        forged.as_str(),
        alg_none.as_str(),
        refresh.as_str(),
        "Bearer",
        "",
    ] {
        let reply = app.with_token(token).auth().me().await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{token}");
    }
}

/// A request through the API with `headers`, answering status, headers and
/// JSON body.
async fn send(
    app: &loaf_tests::TestApp,
    path: &str,
    headers: &[(&str, &str)],
    body: serde_json::Value,
) -> loaf_tests::Reply {
    use tower::ServiceExt;
    let mut req = http::Request::post(path).header("content-type", "application/json");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let res = app
        .api()
        .oneshot(req.body(axum::body::Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .unwrap();
    loaf_tests::Reply {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
    }
}

/// The `name=value` part of a reply's `Set-Cookie`.
fn cookie_of(reply: &loaf_tests::Reply) -> String {
    let set = reply.headers["set-cookie"].to_str().unwrap();
    set.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn the_web_app_keeps_its_refresh_token_in_a_cookie_page_scripts_cannot_read() {
    let app = spawn_app().await;
    verified_applicant(&app, "ada@example.org").await;
    let web = ("x-loaf-session", "cookie");
    let signed_in = send(
        &app,
        "/api/auth/login",
        &[web],
        json!({"email": "ada@example.org", "password": PASSWORD}),
    )
    .await;
    assert_eq!(signed_in.status, StatusCode::OK, "{:?}", signed_in.body);
    assert!(
        signed_in.body.get("refresh_token").is_none(),
        "not in the body"
    );
    let set = signed_in.headers["set-cookie"].to_str().unwrap();
    for part in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/api/auth"] {
        assert!(set.contains(part), "{set}");
    }
    let cookie = cookie_of(&signed_in);

    // The cookie is read only with the header: a page of another site could
    // make the browser send the cookie (it will not: SameSite) but cannot
    // add the header without the API's leave.
    let forged = send(&app, "/api/auth/refresh", &[("cookie", &cookie)], json!({})).await;
    assert_eq!(forged.status, StatusCode::UNAUTHORIZED);
    let refreshed = send(
        &app,
        "/api/auth/refresh",
        &[web, ("cookie", &cookie)],
        json!({}),
    )
    .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{:?}", refreshed.body);
    assert!(refreshed.body.get("refresh_token").is_none());
    let next = cookie_of(&refreshed);
    assert_ne!(next, cookie, "each refresh rotates the cookie");
    let access = refreshed.body["access_token"].as_str().unwrap().to_string();

    // Signing out ends the session and clears the cookie.
    let out = send(
        &app,
        "/api/auth/logout",
        &[web, ("cookie", &next)],
        json!({}),
    )
    .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(out.headers["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let again = send(
        &app,
        "/api/auth/refresh",
        &[web, ("cookie", &next)],
        json!({}),
    )
    .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    let me = app.with_token(&access).auth().me().await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED);
    // A browser without the cookie signs out without an error.
    let gone = send(&app, "/api/auth/logout", &[web], json!({})).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
}
