//! The attack suite: what a hostile client tries. Routes come from the
//! OpenAPI document, which is built from the routers, so a route added
//! tomorrow is attacked tomorrow without touching this file.

use base64::Engine;
use http::{Method, StatusCode};
use loaf_tests::{call, call_raw, spawn_app, upload_to, TestApp, TEST_JWT_SECRET};
use serde_json::{json, Map, Value};
use uuid::Uuid;

struct Route {
    method: Method,
    path: String,
    op: Value,
}

impl Route {
    fn takes_body(&self) -> bool {
        self.op.get("requestBody").is_some()
    }

    fn signed_in_only(&self) -> bool {
        self.op["security"] == json!([{"bearer": []}])
    }

    /// The path with each `{name}` replaced by `fill(name)`.
    fn concrete(&self, fill: impl Fn(&str) -> String) -> String {
        self.path
            .split('/')
            .map(
                |part| match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                    Some(name) => fill(name),
                    None => part.to_string(),
                },
            )
            .collect::<Vec<_>>()
            .join("/")
    }

    fn has_id(&self) -> bool {
        self.path.contains('{')
    }

    /// Whether the path names a record by id (not a library or a link token).
    fn names_a_record(&self) -> bool {
        self.path
            .split('/')
            .filter_map(|part| part.strip_prefix('{'))
            .any(|name| name != "kind}" && name != "token}")
    }
}

fn document() -> Value {
    serde_json::to_value(loaf_docs::openapi()).unwrap()
}

fn routes(doc: &Value) -> Vec<Route> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in [
            Method::GET,
            Method::PUT,
            Method::POST,
            Method::PATCH,
            Method::DELETE,
        ] {
            if let Some(op) = item.get(method.as_str().to_lowercase()) {
                all.push(Route {
                    method: method.clone(),
                    path: path.clone(),
                    op: op.clone(),
                });
            }
        }
    }
    all
}

/// A value for a path parameter that names nothing in particular.
fn any_param(name: &str) -> String {
    match name {
        "kind" => "newsletters".into(),
        "token" => "a".repeat(43),
        _ => Uuid::new_v4().to_string(),
    }
}

fn body_for(route: &Route) -> Option<Value> {
    route.takes_body().then(|| json!({}))
}

async fn member_codes(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT p.code FROM role_permissions rp JOIN roles r ON r.id = rp.role_id \
         JOIN permissions p ON p.id = rp.permission_id WHERE r.code = 'member'",
    )
    .fetch_all(&app.db)
    .await
    .unwrap()
}

#[tokio::test]
async fn admin_routes_refuse_members_and_anonymous_callers() {
    let app = spawn_app().await;
    let api = app.api();
    let member = app.user_with_role("member").await;
    let token = app.token_for(&member).await;
    let member_may = member_codes(&app).await;
    let mut admin_routes = 0;
    for route in routes(&document()) {
        let at = format!("{} {}", route.method, route.path);
        let path = route.concrete(any_param);
        if let Some(code) = route.op["x-permission"].as_str() {
            if !member_may.iter().any(|c| c == code) {
                admin_routes += 1;
                let r = call(
                    &api,
                    route.method.clone(),
                    &path,
                    Some(&token),
                    body_for(&route),
                )
                .await;
                assert_eq!(
                    r.status,
                    StatusCode::FORBIDDEN,
                    "{at} as a member: {:?}",
                    r.body
                );
                assert_eq!(r.error_code(), "forbidden", "{at}");
            }
        }
        if route.signed_in_only() {
            let r = call(&api, route.method.clone(), &path, None, body_for(&route)).await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{at} anonymous: {:?}",
                r.body
            );
        }
    }
    assert!(admin_routes >= 50, "{admin_routes}");
}

#[tokio::test]
async fn member_content_needs_a_membership_in_force_on_every_route() {
    let app = spawn_app().await;
    let api = app.api();
    let content = member_codes(&app).await;
    let in_force = app.user_with_role("member").await;
    let in_force = app.token_for(&in_force).await;
    // Invited and never paid, lapsed, cancelled, and an applicant given the
    // member role by hand: each signs in, none holds a membership in force.
    let mut without = Vec::new();
    for status in [
        "payment_pending",
        "expired",
        "canceled",
        "pending_validation",
        "pre_validated",
    ] {
        let email = format!("{status}-{}@example.org", Uuid::new_v4().simple());
        let user = app.person("Not", "InForce", &email, status, "member").await;
        without.push((status, app.token_for(&user).await));
    }
    // The routes the OpenAPI document marks with a content permission, and
    // those whose permission follows the path (a library's documents) or
    // the caller (a calendar feed).
    let mut cases: Vec<(Method, String, Option<Value>)> = Vec::new();
    for route in routes(&document()) {
        let code = route.op["x-permission"].as_str();
        if code.is_some_and(|code| content.iter().any(|c| c == code)) {
            cases.push((
                route.method.clone(),
                route.concrete(any_param),
                body_for(&route),
            ));
        } else if code.is_none() && route.method == Method::GET && route.path.contains("{kind}") {
            for library in ["newsletters", "financial-reports", "bylaws"] {
                let path = route.concrete(|name| match name {
                    "kind" => library.to_string(),
                    _ => any_param(name),
                });
                cases.push((Method::GET, path, None));
            }
        }
    }
    cases.push((Method::POST, "/api/calendar/token".into(), None));
    for (method, path, body) in &cases {
        let at = format!("{method} {path}");
        // The same request passes the permission check for a member in
        // force (it may still find nothing: the ids are made up; the
        // directory still wants them listed).
        let r = call(&api, method.clone(), path, Some(&in_force), body.clone()).await;
        assert!(
            !matches!(r.error_code(), "forbidden" | "membership_required"),
            "{at} in force: {:?}",
            r.body
        );
        for (status, token) in &without {
            let r = call(&api, method.clone(), path, Some(token), body.clone()).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{at} as {status}: {:?}",
                r.body
            );
            assert_eq!(r.error_code(), "membership_required", "{at} as {status}");
        }
    }
    // The directory, RSVPs (answer and read), galleries, the three
    // libraries' lists and downloads, a calendar feed.
    assert!(cases.len() >= 11, "{cases:?}");
}

/// Member A's own records: their account, a subscription, a donation.
async fn records_of_a_member(app: &TestApp, api: &axum::Router) -> (Uuid, Vec<Uuid>) {
    let a = app.user_with_role("member").await;
    let a_token = app.token_for(&a).await;
    let admin = app.user_with_role("admin").await;
    let admin_token = app.token_for(&admin).await;
    let plan = app.plan("Yearly", 3000).await;
    let subscription = call(
        api,
        Method::POST,
        "/api/subscriptions/manual",
        Some(&admin_token),
        Some(json!({"user_id": a.id, "plan_id": plan, "method": "cash"})),
    )
    .await;
    assert_eq!(
        subscription.status,
        StatusCode::CREATED,
        "{:?}",
        subscription.body
    );
    let donation = call(
        api,
        Method::POST,
        "/api/donations/checkout",
        Some(&a_token),
        Some(json!({"amount_cents": 2500})),
    )
    .await;
    assert_eq!(donation.status, StatusCode::CREATED, "{:?}", donation.body);
    let id = |v: &Value| v.as_str().unwrap().parse::<Uuid>().unwrap();
    (
        a.id,
        vec![
            a.id,
            id(&subscription.body["id"]),
            id(&donation.body["donation_id"]),
        ],
    )
}

#[tokio::test]
async fn another_members_ids_answer_404_or_403_on_every_id_route() {
    let app = spawn_app().await;
    let api = app.api();
    let (a, ids) = records_of_a_member(&app, &api).await;
    let b = app.user_with_role("member").await;
    let b_token = app.token_for(&b).await;
    let before: Value = sqlx::query_scalar(
        "SELECT json_build_object('user', (SELECT row_to_json(u) FROM users u WHERE id = $1), \
           'subscriptions', (SELECT json_agg(s) FROM subscriptions s WHERE user_id = $1), \
           'donations', (SELECT json_agg(d) FROM donations d WHERE user_id = $1))",
    )
    .bind(a)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let doc = document();
    let mut tried = 0;
    for route in routes(&doc).into_iter().filter(Route::names_a_record) {
        // A body of the right shape, so the answer is about the id.
        let schema = &route.op["requestBody"]["content"]["application/json"]["schema"];
        let body = route.takes_body().then(|| sample(&doc, schema, 0));
        for id in &ids {
            let path = route.concrete(|name| match name {
                "kind" | "token" => any_param(name),
                _ => id.to_string(),
            });
            let r = call(
                &api,
                route.method.clone(),
                &path,
                Some(&b_token),
                body.clone(),
            )
            .await;
            tried += 1;
            assert!(
                matches!(r.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
                "{} {path} with member A's id, as member B: {} {:?}",
                route.method,
                r.status,
                r.body
            );
        }
    }
    assert!(tried >= 100, "{tried}");
    let after: Value = sqlx::query_scalar(
        "SELECT json_build_object('user', (SELECT row_to_json(u) FROM users u WHERE id = $1), \
           'subscriptions', (SELECT json_agg(s) FROM subscriptions s WHERE user_id = $1), \
           'donations', (SELECT json_agg(d) FROM donations d WHERE user_id = $1))",
    )
    .bind(a)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(before, after, "member A's records changed");
}

fn encode(part: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(part.to_string())
}

/// An HS256 token over `claims` signed with `key`.
fn signed(claims: &Value, key: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let head = format!(
        "{}.{}",
        encode(&json!({"alg": "HS256", "typ": "JWT"})),
        encode(claims)
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(head.as_bytes());
    let sig = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{head}.{sig}")
}

#[tokio::test]
async fn forged_and_stale_tokens_are_refused() {
    let app = spawn_app().await;
    let api = app.api();
    let admin = app.user_with_role("superadmin").await;
    let now = chrono::Utc::now().timestamp();
    let claims = |iss: &str, exp: i64| json!({"sub": admin.id, "iss": iss, "iat": now - 10, "exp": exp, "ver": 0});
    let key = TEST_JWT_SECRET.as_bytes();
    // The genuine article works, so each refusal below is the forgery's.
    let genuine = signed(&claims("loaf", now + 600), key);
    let ok = call(&api, Method::GET, "/api/members", Some(&genuine), None).await;
    assert_eq!(ok.status, StatusCode::OK, "{:?}", ok.body);

    let forgeries = [
        (
            "alg none",
            format!(
                "{}.{}.",
                encode(&json!({"alg": "none", "typ": "JWT"})),
                encode(&claims("loaf", now + 600))
            ),
        ),
        (
            "alg none, signature kept",
            format!(
                "{}.{}.{}",
                encode(&json!({"alg": "none", "typ": "JWT"})),
                encode(&claims("loaf", now + 600)),
                genuine.rsplit('.').next().unwrap()
            ),
        ),
        (
            "another key",
            signed(
                &claims("loaf", now + 600),
                b"another-secret-another-secret-another",
            ),
        ),
        (
            "another issuer",
            signed(&claims("someone-else", now + 600), key),
        ),
        ("expired", signed(&claims("loaf", now - 120), key)),
        (
            "no expiry",
            signed(&json!({"sub": admin.id, "iss": "loaf", "ver": 0}), key),
        ),
        ("not a token", "'; DROP TABLE users; --".to_string()),
    ];
    for (what, token) in forgeries {
        for path in ["/api/members", "/api/auth/me"] {
            let r = call(&api, Method::GET, path, Some(&token), None).await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{what} on {path}: {:?}",
                r.body
            );
            assert_eq!(r.error_code(), "unauthorized", "{what}");
        }
    }
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413_on_every_route_that_takes_one() {
    let app = spawn_app().await;
    let api = app.api();
    let admin = app.user_with_role("superadmin").await;
    let token = app.token_for(&admin).await;
    let huge = json!({"title": "x".repeat(loaf_http::http::BODY_LIMIT + 1)});
    let mut tried = 0;
    for route in routes(&document()).into_iter().filter(Route::takes_body) {
        let path = route.concrete(any_param);
        let r = call(
            &api,
            route.method.clone(),
            &path,
            Some(&token),
            Some(huge.clone()),
        )
        .await;
        tried += 1;
        assert_eq!(
            r.status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "{} {}: {:?}",
            route.method,
            route.path,
            r.body
        );
        assert_eq!(
            r.error_code(),
            "payload_too_large",
            "{} {}",
            route.method,
            route.path
        );
    }
    assert!(tried >= 40, "{tried}");
}

/// SQL and path meta-characters, control characters, and Unicode that
/// breaks naive code: NUL, right-to-left override, combining marks, a lone
/// astral character, a zero-width joiner sequence.
const HOSTILE: &[&str] = &[
    "'; DROP TABLE users; --",
    "\" OR 1=1 --",
    "%_\\",
    "../../../../etc/passwd",
    "..%2F..%2Fbranding%2Flogo.png",
    "nul\u{0}byte",
    "\u{202e}evil\u{202c}",
    "e\u{301}\u{301}\u{301}",
    "\u{1F600}\u{200D}\u{1F525}",
    "<script>alert(1)</script>",
    "\r\nSet-Cookie: x=y",
];

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.rsplit('/').next().unwrap();
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// A plausible value for `schema`: enough for a body to pass its shape.
fn sample(doc: &Value, schema: &Value, depth: usize) -> Value {
    let schema = resolve(doc, schema);
    if let Some(first) = schema["enum"].get(0) {
        return first.clone();
    }
    if let Some(value) = schema.get("const") {
        return value.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(variants) = schema[key].as_array() {
            let variant = variants
                .iter()
                .find(|v| resolve(doc, v)["type"] != "null")
                .unwrap_or(&variants[0]);
            return sample(doc, variant, depth);
        }
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds
            .iter()
            .find(|k| *k != "null")
            .cloned()
            .unwrap_or_default(),
        other => other.clone(),
    };
    match kind.as_str().unwrap_or("object") {
        "string" => Value::from(match schema["format"].as_str() {
            Some("uuid") => Uuid::new_v4().to_string(),
            Some("date") => "2026-06-01".into(),
            Some("date-time") => "2026-06-01T10:00:00Z".into(),
            _ => "plain".into(),
        }),
        "integer" => schema.get("minimum").cloned().unwrap_or(json!(1)),
        "number" => json!(1.5),
        "boolean" => json!(true),
        "array" if depth < 3 => json!([sample(doc, &schema["items"], depth + 1)]),
        "array" => json!([]),
        _ if depth < 3 => {
            let mut object = Map::new();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                object.insert(name.clone(), sample(doc, property, depth + 1));
            }
            Value::Object(object)
        }
        _ => json!({}),
    }
}

/// The body's top-level fields that are free text.
fn text_fields(doc: &Value, schema: &Value) -> Vec<String> {
    let schema = resolve(doc, schema);
    schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(_, p)| {
            let p = resolve(doc, p);
            let is_string = p["type"] == "string"
                || p["type"]
                    .as_array()
                    .is_some_and(|t| t.contains(&json!("string")));
            // Emails are text to attack too; uuids and dates are parsed first.
            let free = !matches!(p["format"].as_str(), Some("uuid" | "date" | "date-time"));
            is_string && free && p.get("enum").is_none()
        })
        .map(|(name, _)| name.clone())
        .collect()
}

#[tokio::test]
async fn hostile_text_in_every_field_and_parameter_never_breaks_anything() {
    let app = spawn_app().await;
    let api = app.api();
    let admin = app.user_with_role("superadmin").await;
    let doc = document();
    let mut tried = 0;
    for route in routes(&doc) {
        let at = format!("{} {}", route.method, route.path);
        // A fresh token each time: some routes end the caller's sessions.
        let token = app.token_for(&admin).await;
        let schema = &route.op["requestBody"]["content"]["application/json"]["schema"];
        if !schema.is_null() {
            let base = sample(&doc, schema, 0);
            for field in text_fields(&doc, schema) {
                for hostile in HOSTILE {
                    let mut body = base.clone();
                    body[&field] = json!(hostile);
                    let path = route.concrete(any_param);
                    let r = call(&api, route.method.clone(), &path, Some(&token), Some(body)).await;
                    tried += 1;
                    assert!(
                        r.status.as_u16() < 500,
                        "{at} with {field} = {hostile:?}: {} {:?}",
                        r.status,
                        r.body
                    );
                }
            }
        }
        // Query parameters that are free text.
        for param in route.op["parameters"].as_array().into_iter().flatten() {
            if param["in"] != "query"
                || text_fields(&doc, &json!({"properties": {"p": param["schema"]}})).is_empty()
            {
                continue;
            }
            let name = param["name"].as_str().unwrap();
            for hostile in HOSTILE {
                let query: String = form_urlencoded::Serializer::new(String::new())
                    .append_pair(name, hostile)
                    .finish();
                let path = format!("{}?{query}", route.concrete(any_param));
                let r = call(
                    &api,
                    route.method.clone(),
                    &path,
                    Some(&token),
                    body_for(&route),
                )
                .await;
                tried += 1;
                assert!(
                    r.status.as_u16() < 500,
                    "{at}?{name}={hostile:?}: {} {:?}",
                    r.status,
                    r.body
                );
            }
        }
        // Path parameters: traversal and quoting never reach anything.
        if route.has_id() {
            for hostile in [
                "..%2F..%2Fetc%2Fpasswd",
                "%27%20OR%201%3D1--",
                "%00",
                "%E2%80%AE",
            ] {
                let path = route.concrete(|_| hostile.to_string());
                let r = call(
                    &api,
                    route.method.clone(),
                    &path,
                    Some(&token),
                    body_for(&route),
                )
                .await;
                tried += 1;
                assert!(
                    matches!(
                        r.status,
                        StatusCode::NOT_FOUND | StatusCode::UNPROCESSABLE_ENTITY
                    ),
                    "{at} as {path}: {} {:?}",
                    r.status,
                    r.body
                );
            }
        }
    }
    assert!(tried >= 1000, "{tried}");
    // Nothing was dropped or rewritten: the tables are there and counted.
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(users >= 1);
}

#[tokio::test]
async fn uploads_stay_under_their_prefix_and_in_their_library() {
    let app = spawn_app().await;
    let api = app.api();
    let admin = app.user_with_role("superadmin").await;
    let token = app.token_for(&admin).await;
    const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n";
    // A file name that tries to climb out: the key is ours, not the name.
    let reserved = call(
        &api,
        Method::POST,
        "/api/documents/newsletters/uploads",
        Some(&token),
        Some(json!({"file_name": "../../branding/logo.pdf", "content_type": "application/pdf", "size_bytes": PDF.len()})),
    )
    .await;
    assert_eq!(reserved.status, StatusCode::CREATED, "{:?}", reserved.body);
    let url = reserved.body["upload"]["url"].as_str().unwrap();
    let key = url.split('?').next().unwrap();
    assert!(key.contains("/documents/newsletters/"), "{key}");
    assert!(!key.contains("..") && !key.contains("branding"), "{key}");
    assert!(upload_to(&reserved, PDF).await.is_success());

    // A newsletter's upload cannot become the logo or a bylaws document.
    let as_logo = call(
        &api,
        Method::PUT,
        "/api/settings/logo",
        Some(&token),
        Some(json!({"upload_id": reserved.body["upload_id"]})),
    )
    .await;
    assert_eq!(
        as_logo.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        as_logo.body
    );
    assert_eq!(as_logo.body["error"]["field"], "upload_id");
    let as_bylaws = call(
        &api,
        Method::POST,
        "/api/documents/bylaws",
        Some(&token),
        Some(
            json!({"upload_id": reserved.body["upload_id"], "title": "T", "version": "1",
                "effective_date": "2026-01-01"}),
        ),
    )
    .await;
    assert_eq!(
        as_bylaws.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        as_bylaws.body
    );
    assert_eq!(as_bylaws.body["error"]["field"], "upload_id");

    // The webhook takes no JSON shortcut around its signature.
    let forged = call_raw(
        &api,
        Method::POST,
        "/api/payments/webhook",
        "application/json",
        r#"{"id":"evt_1","type":"checkout.session.completed","data":{"object":{}}}"#,
    )
    .await;
    assert_eq!(forged.status, StatusCode::BAD_REQUEST, "{:?}", forged.body);
}
