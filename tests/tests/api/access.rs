//! Who may call what: the extractors every route uses, driven through a
//! small router built the way the functions build theirs.

use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;
use http::{Method, StatusCode};
use loaf_domain::permissions::perm;
use loaf_http::auth::{AuthUser, Require};
use loaf_http::extract::{Json, Path};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::routes::Routes;
use loaf_http::{ApiError, ApiResult, AppState};
use loaf_tests::{call, spawn_app, Reply, TestApp};
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

async fn whoami(user: AuthUser) -> axum::Json<Value> {
    let mut codes: Vec<&String> = user.permissions.iter().collect();
    codes.sort();
    axum::Json(json!({"id": user.id, "email": user.email, "permissions": codes}))
}

async fn member_list(req: Require<perm::UsersView>) -> axum::Json<Value> {
    axum::Json(json!({"seen_by": req.user.id}))
}

#[derive(Deserialize)]
struct Signup {
    email: loaf_domain::domain::Email,
    #[allow(dead_code)] // read by serde only
    address: Address,
}

#[derive(Deserialize)]
#[allow(dead_code)] // read by serde only
struct Address {
    city: String,
}

async fn signup(Json(body): Json<Signup>) -> axum::Json<Value> {
    axum::Json(json!({"email": body.email}))
}

/// A paginated list, the way list routes are written.
async fn permission_list(
    _: Require<perm::PermissionsView>,
    page: PageParams,
    State(state): State<AppState>,
) -> ApiResult<axum::Json<Page<String>>> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM permissions")
        .fetch_one(&state.db)
        .await?;
    let items = sqlx::query_scalar("SELECT code FROM permissions ORDER BY code LIMIT $1 OFFSET $2")
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(&state.db)
        .await?;
    Ok(axum::Json(Page::new(items, page, total)))
}

/// A member's own record: anyone else's id answers 404, as if it did not exist.
async fn own_record(user: AuthUser, Path(id): Path<uuid::Uuid>) -> ApiResult<axum::Json<Value>> {
    if id != user.id {
        return Err(ApiError::NotFound);
    }
    Ok(axum::Json(json!({"id": id, "email": user.email})))
}

fn router(state: AppState) -> Router {
    loaf_http::http::function_router(
        Routes::Plain(
            Router::new()
                .route("/api/test/me", get(whoami))
                .route("/api/test/members", get(member_list))
                .route("/api/test/members/{id}", get(own_record))
                .route("/api/test/permissions", get(permission_list))
                .route("/api/test/signup", post(signup)),
        ),
        state,
    )
}

async fn get_as(app: &TestApp, path: &str, token: Option<&str>) -> loaf_tests::Reply {
    call(&router(app.state.clone()), Method::GET, path, token, None).await
}

#[tokio::test]
async fn no_or_malformed_credentials_are_unauthorized() {
    let app = spawn_app().await;
    let router = router(app.state.clone());
    for header in [
        None,
        Some("Bearer"),
        Some("Bearer not.a.jwt"),
        Some("Basic dXNlcjpwYXNz"),
    ] {
        let mut req = http::Request::get("/api/test/me");
        if let Some(h) = header {
            req = req.header("authorization", h);
        }
        let res = tower::ServiceExt::oneshot(
            router.clone(),
            req.body(axum::body::Body::empty()).unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{header:?}");
    }
    let reply = get_as(&app, "/api/test/me", None).await;
    assert_eq!(reply.error_code(), "unauthorized");
}

#[tokio::test]
async fn a_member_is_forbidden_an_admin_route_and_an_admin_is_not() {
    let app = spawn_app().await;
    let member = app.user_with_role("member").await;
    let admin = app.user_with_role("admin").await;
    let member_token = app.token_for(&member).await;

    let reply = get_as(&app, "/api/test/members", Some(&member_token)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.error_code(), "forbidden");

    let reply = get_as(
        &app,
        "/api/test/members",
        Some(&app.token_for(&admin).await),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["seen_by"], json!(admin.id));

    let reply = get_as(&app, "/api/test/me", Some(&member_token)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body["email"], member.email);
    assert!(reply.body["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("events.rsvp")));
    assert!(!reply.body["permissions"]
        .as_array()
        .unwrap()
        .contains(&json!("users.view")));
}

#[tokio::test]
async fn bumping_the_token_version_ends_every_session() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let token = app.token_for(&admin).await;
    assert_eq!(
        get_as(&app, "/api/test/me", Some(&token)).await.status,
        StatusCode::OK
    );

    sqlx::query("UPDATE users SET token_version = token_version + 1 WHERE id = $1")
        .bind(admin.id)
        .execute(&app.db)
        .await
        .unwrap();

    assert_eq!(
        get_as(&app, "/api/test/me", Some(&token)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let fresh = app.token_for(&admin).await;
    assert_eq!(
        get_as(&app, "/api/test/me", Some(&fresh)).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_deleted_users_token_is_refused() {
    let app = spawn_app().await;
    let member = app.user_with_role("member").await;
    let token = app.token_for(&member).await;
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(member.id)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        get_as(&app, "/api/test/me", Some(&token)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_token_signed_with_another_key_is_refused() {
    let app = spawn_app().await;
    let admin = app.user_with_role("superadmin").await;
    let other = loaf_domain::auth::TokenKeys::new(&loaf_core::config::AuthConfig {
        jwt_secret: "some-other-secret-some-other-secret".into(),
        jwt_issuer: "loaf".into(),
        access_token_ttl: std::time::Duration::from_secs(1800),
        refresh_token_ttl: std::time::Duration::from_secs(86_400),
        terms_version: "1".into(),
        invitation_ttl: std::time::Duration::from_secs(7 * 86_400),
        permission_cache_ttl: std::time::Duration::from_secs(30),
        edge_token: None,
    });
    let forged = other.issue(admin.id, 0, None).unwrap();
    assert_eq!(
        get_as(&app, "/api/test/members", Some(&forged))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_old_platform_writing_its_role_column_moves_the_role_itself() {
    let app = spawn_app().await;
    let member = app.user_with_role("member").await;
    let token = app.token_for(&member).await;
    assert_eq!(
        get_as(&app, "/api/test/members", Some(&token)).await.status,
        StatusCode::FORBIDDEN
    );
    // The old platform knows only its enum column; the database keeps
    // `role_id`, the one the API reads, in step.
    sqlx::query("UPDATE users SET role = 'admin' WHERE id = $1")
        .bind(member.id)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        get_as(&app, "/api/test/members", Some(&token)).await.status,
        StatusCode::OK
    );
    let old: uuid::Uuid = sqlx::query_scalar(
        "INSERT INTO users (email, password_hash, first_name, last_name, status, role) \
         VALUES ('old@example.org', 'legacy-hash', 'Old', 'Admin', 'active', 'finance') RETURNING id",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    let role: String = sqlx::query_scalar(
        "SELECT r.code FROM users u JOIN roles r ON r.id = u.role_id WHERE u.id = $1",
    )
    .bind(old)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(role, "finance");
}

#[tokio::test]
async fn a_role_change_applies_once_the_cache_entry_is_gone() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let token = app.token_for(&admin).await;
    assert_eq!(
        get_as(&app, "/api/test/members", Some(&token)).await.status,
        StatusCode::OK
    );

    sqlx::query(
        "DELETE FROM role_permissions WHERE role_id = (SELECT id FROM roles WHERE code = 'admin') \
         AND permission_id = (SELECT id FROM permissions WHERE code = 'users.view')",
    )
    .execute(&app.db)
    .await
    .unwrap();
    // Within the TTL the container still answers from its cache...
    assert_eq!(
        get_as(&app, "/api/test/members", Some(&token)).await.status,
        StatusCode::OK
    );
    // ...and a container that changed the role clears it.
    app.state.permissions.clear();
    assert_eq!(
        get_as(&app, "/api/test/members", Some(&token)).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn bad_bodies_get_json_errors_that_name_the_problem() {
    let app = spawn_app().await;
    let router = router(app.state.clone());
    let post = |body: &'static str, content_type: &'static str| {
        let router = router.clone();
        async move {
            let req = http::Request::post("/api/test/signup")
                .header("content-type", content_type)
                .body(axum::body::Body::from(body))
                .unwrap();
            let res = tower::ServiceExt::oneshot(router, req).await.unwrap();
            let status = res.status();
            let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
                .await
                .unwrap();
            (status, serde_json::from_slice::<Value>(&bytes).unwrap())
        }
    };
    let (status, body) = post(
        r#"{"email":"a@b.org","address":{"city":"x"}}"#,
        "text/plain",
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );

    let (status, _) = post(r#"{"email": "#, "application/json").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let (status, body) = post(
        r#"{"email":"not-an-email","address":{"city":"x"}}"#,
        "application/json",
    )
    .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("email"))
    );

    let (status, body) = post(r#"{"email":"a@b.org","address":{}}"#, "application/json").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["error"]["field"], "address.city");
    assert_eq!(body["error"]["code"], "required");

    let (status, body) = post(
        r#"{"email":"a@b.org","address":{"city":"x"}}"#,
        "application/json; charset=utf-8",
    )
    .await;
    assert_eq!(
        (status, body["email"].as_str()),
        (StatusCode::OK, Some("a@b.org"))
    );

    let huge = format!(
        r#"{{"email":"a@b.org","address":{{"city":"{}"}}}}"#,
        "x".repeat(2 << 20)
    );
    let req = http::Request::post("/api/test/signup")
        .header("content-type", "application/json")
        .body(axum::body::Body::from(huge))
        .unwrap();
    let res = tower::ServiceExt::oneshot(router.clone(), req)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn lists_are_paginated_with_totals_and_bad_page_parameters_are_named() {
    let app = spawn_app().await;
    let admin = app.token_for(&app.user_with_role("superadmin").await).await;

    let reply = get_as(&app, "/api/test/permissions", Some(&admin)).await;
    assert_eq!(
        (reply.body["page"].as_i64(), reply.body["per_page"].as_i64()),
        (Some(1), Some(25))
    );
    assert_eq!(reply.body["total"], 59);
    assert_eq!(reply.body["items"].as_array().unwrap().len(), 25);

    let reply = get_as(
        &app,
        "/api/test/permissions?page=3&per_page=25",
        Some(&admin),
    )
    .await;
    assert_eq!(reply.body["items"].as_array().unwrap().len(), 9);

    for (query, field) in [
        ("per_page=101", "per_page"),
        ("page=0", "page"),
        ("page=abc", "page"),
    ] {
        let reply = get_as(
            &app,
            &format!("/api/test/permissions?{query}"),
            Some(&admin),
        )
        .await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(reply.body["error"]["field"], field, "{query}");
    }
}

#[tokio::test]
async fn a_member_cannot_read_another_members_record() {
    let app = spawn_app().await;
    let alice = app.user_with_role("member").await;
    let bob = app.user_with_role("member").await;
    let token = app.token_for(&alice).await;

    let own = get_as(
        &app,
        &format!("/api/test/members/{}", alice.id),
        Some(&token),
    )
    .await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.body["email"], alice.email);
    for path in [
        format!("/api/test/members/{}", bob.id),
        "/api/test/members/not-a-uuid".into(),
    ] {
        let reply = get_as(&app, &path, Some(&token)).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!reply.body.to_string().contains(&bob.email));
    }
}

#[tokio::test]
async fn the_domain_enums_match_the_schema() {
    use loaf_domain::domain::UserStatus;
    let app = spawn_app().await;
    let labels: Vec<String> = sqlx::query_scalar(
        "SELECT e.enumlabel::text FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid \
         WHERE t.typname = 'userstatus' ORDER BY e.enumsortorder",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(labels.len(), 10);
    for label in labels {
        // The database decodes into the Rust type, and back the same way.
        let status: UserStatus = sqlx::query_scalar("SELECT $1::text::userstatus")
            .bind(&label)
            .fetch_one(&app.db)
            .await
            .unwrap();
        let back: String = sqlx::query_scalar("SELECT $1::userstatus::text")
            .bind(status)
            .fetch_one(&app.db)
            .await
            .unwrap();
        assert_eq!(back, label);
        assert_eq!(serde_json::to_value(status).unwrap(), json!(label));
    }
}

async fn reports(app: &TestApp, token: &str) -> Reply {
    app.with_token(token)
        .documents("financial-reports")
        .list("")
        .await
}

#[tokio::test]
async fn staff_keep_the_members_content_unless_the_organisation_says_otherwise() {
    let app = spawn_app().await;
    let treasurer = app
        .person(
            "Tre",
            "Asurer",
            "treasurer@example.org",
            "expired",
            "finance",
        )
        .await;
    let treasurer = app.token_for(&treasurer).await;
    let lapsed = app
        .person("Lap", "Sed", "lapsed@example.org", "expired", "member")
        .await;
    let lapsed = app.token_for(&lapsed).await;
    let admin = app.user_with_role("admin").await;
    let admin = app.token_for(&admin).await;
    let codes = |me: &Reply| -> Vec<String> {
        serde_json::from_value(me.body["permissions"].clone()).unwrap()
    };

    // The lapsed member keeps their account, and `me` says what is closed.
    let me = app.with_token(&lapsed).auth().me().await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(codes(&me).is_empty(), "{:?}", me.body);
    assert_eq!(
        reports(&app, &lapsed).await.error_code(),
        "membership_required"
    );
    // An expired treasurer is staff: the reports stay open.
    assert_eq!(reports(&app, &treasurer).await.status, StatusCode::OK);
    assert!(
        codes(&app.with_token(&treasurer).auth().me().await).contains(&"financials.view".into())
    );

    // The organisation asks staff to hold a membership too: the members'
    // content closes for the treasurer, their administration does not.
    let r = app
        .with_token(&admin)
        .settings()
        .update(json!({"staff_need_membership": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["staff_need_membership"], true);
    assert_eq!(
        app.anonymous().settings().show().await.body["staff_need_membership"],
        true
    );
    let refused = reports(&app, &treasurer).await;
    assert_eq!(
        (refused.status, refused.error_code()),
        (StatusCode::FORBIDDEN, "membership_required")
    );
    let kept = codes(&app.with_token(&treasurer).auth().me().await);
    assert!(kept.contains(&"financials.create".into()), "{kept:?}");
    assert!(!kept.contains(&"financials.view".into()), "{kept:?}");
    assert_eq!(
        app.with_token(&treasurer)
            .subscriptions()
            .list("")
            .await
            .status,
        StatusCode::OK
    );
    // The admin, whose own membership is in force, is not affected.
    assert_eq!(reports(&app, &admin).await.status, StatusCode::OK);
    // Not a yes or no: refused, nothing changed.
    let r = app
        .with_token(&admin)
        .settings()
        .update(json!({"staff_need_membership": "sometimes"}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(
        app.anonymous().settings().show().await.body["staff_need_membership"],
        true
    );
}

/// A period of `plan` for `user` that ended `days_ago`, in `status`.
async fn ended_period(app: &TestApp, user: Uuid, plan: Uuid, days_ago: i32, status: &str) {
    sqlx::query(
        "INSERT INTO subscriptions (user_id, plan_id, status, start_date, end_date) \
         VALUES ($1, $2, $3::subscriptionstatus, now() - make_interval(days => $4 + 365), \
                 now() - make_interval(days => $4))",
    )
    .bind(user)
    .bind(plan)
    .bind(status)
    .bind(days_ago)
    .execute(&app.db)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_lapsed_membership_keeps_the_content_through_the_grace_period() {
    let app = spawn_app().await;
    let admin = app.user_with_role("admin").await;
    let admin = app.token_for(&admin).await;
    let plan = app.plan("Yearly", 3000).await;
    // Ran out ten days ago: within the default 30 days of grace.
    let recent = app
        .person("Re", "Cent", "recent@example.org", "expired", "member")
        .await;
    ended_period(&app, recent.id, plan, 10, "expired").await;
    // Refunded (the period was cancelled, not run out): no grace.
    let refunded = app
        .person("Re", "Funded", "refunded@example.org", "expired", "member")
        .await;
    ended_period(&app, refunded.id, plan, 10, "cancelled").await;
    let recent_token = app.token_for(&recent).await;
    let refunded_token = app.token_for(&refunded).await;
    assert_eq!(
        app.anonymous().settings().show().await.body["grace_days"],
        30
    );

    let me = app.with_token(&recent_token).auth().me().await;
    assert_eq!(me.body["status"], "expired");
    assert_eq!(me.body["membership_in_force"], true, "{:?}", me.body);
    let ends: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(me.body["grace_ends_at"].clone()).unwrap();
    let in_days = (ends - chrono::Utc::now()).num_hours();
    assert!((19 * 24..=20 * 24).contains(&in_days), "{ends}");
    assert_eq!(reports(&app, &recent_token).await.status, StatusCode::OK);
    let other = app.with_token(&refunded_token).auth().me().await;
    assert_eq!(other.body["membership_in_force"], false);
    assert!(other.body["grace_ends_at"].is_null());
    assert_eq!(
        reports(&app, &refunded_token).await.error_code(),
        "membership_required"
    );

    // A shorter grace: over for the member who lapsed ten days ago.
    let r = app
        .with_token(&admin)
        .settings()
        .update(json!({"grace_days": 7}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        reports(&app, &recent_token).await.error_code(),
        "membership_required"
    );
    let me = app.with_token(&recent_token).auth().me().await;
    assert_eq!(me.body["membership_in_force"], false);
    assert!(me.body["grace_ends_at"].is_null());

    // Out of range or not a number: refused, nothing changed.
    for bad in [json!(-1), json!(366), json!("ten")] {
        let r = app
            .with_token(&admin)
            .settings()
            .update(json!({"grace_days": bad}))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {:?}",
            r.body
        );
    }
    assert_eq!(
        app.anonymous().settings().show().await.body["grace_days"],
        7
    );
}
