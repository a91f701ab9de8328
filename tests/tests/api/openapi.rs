//! The OpenAPI document: built from the routers, so every route is in it
//! (and the copy the docs function serves must be that document);
//! these tests hold it to what a client generator and the contract fuzzer
//! need, and keep what fuzzing once found undocumented documented.

use http::{Method, StatusCode};
use loaf::gateway::owner;
use loaf_tests::{call, spawn_app};
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "put", "post", "patch", "delete"];

fn document() -> Value {
    serde_json::to_value(loaf_docs::openapi()).expect("serialises")
}

/// `(method, path, operation)` for every operation of the document.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                all.push((method.to_string(), path.clone(), op.clone()));
            }
        }
    }
    all
}

fn documented_statuses(op: &Value) -> Vec<u16> {
    op["responses"]
        .as_object()
        .map(|r| r.keys().filter_map(|k| k.parse().ok()).collect())
        .unwrap_or_default()
}

#[test]
fn every_operation_is_described_with_its_parameters_and_answers() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let ops = operations(&doc);
    assert!(ops.len() >= 90, "only {} operations", ops.len());
    for (method, path, op) in &ops {
        let at = format!("{method} {path}");
        assert!(
            op["summary"].as_str().is_some_and(|s| !s.is_empty()),
            "{at}: no summary"
        );
        assert!(op["tags"][0].is_string(), "{at}: no tag");
        let statuses = documented_statuses(op);
        assert!(
            statuses.iter().any(|s| (200..300).contains(s)),
            "{at}: no success answer in {statuses:?}"
        );
        // Every `{name}` of the template is a declared path parameter, and
        // nothing else is.
        let mut declared: Vec<&str> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "path")
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        declared.sort();
        let mut wanted: Vec<&str> = path
            .split('/')
            .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        wanted.sort();
        assert_eq!(declared, wanted, "{at}: path parameters");
        // Bodies and answers name their schemas; errors share one.
        for status in statuses.iter().filter(|s| **s >= 400) {
            assert_eq!(
                op["responses"][status.to_string()]["content"]["application/json"]["schema"]
                    ["$ref"],
                "#/components/schemas/Error",
                "{at}: {status}"
            );
        }
    }
}

#[test]
fn signed_in_routes_name_the_scheme_and_permission_routes_the_permission() {
    let doc = document();
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let catalogue: Vec<&str> = loaf_domain::permissions::PERMISSIONS
        .iter()
        .map(|p| p.code)
        .collect();
    let mut with_permission = 0;
    for (method, path, op) in operations(&doc) {
        let at = format!("{method} {path}");
        let statuses = documented_statuses(&op);
        if let Some(code) = op["x-permission"].as_str() {
            with_permission += 1;
            assert!(catalogue.contains(&code), "{at}: unknown permission {code}");
            assert!(statuses.contains(&401) && statuses.contains(&403), "{at}");
            assert_eq!(op["security"], serde_json::json!([{"bearer": []}]), "{at}");
        }
        if op["security"].is_array() {
            assert!(statuses.contains(&401), "{at}: signed in but no 401");
        }
    }
    assert!(with_permission >= 50, "{with_permission}");
}

#[test]
fn every_documented_path_has_a_function_that_serves_it() {
    for (method, path, _) in operations(&document()) {
        let concrete = path.replace('{', "x").replace('}', "");
        assert!(
            owner(&concrete).is_some(),
            "{method} {path}: no function owns it"
        );
    }
}

/// Found by contract fuzzing: answers the handlers give that the first
/// document did not list.
#[test]
fn answers_fuzzing_found_undocumented_are_documented() {
    let doc = document();
    let statuses = |method: &str, path: &str| documented_statuses(&doc["paths"][path][method]);
    // A wrong password (401), an account that may not sign in (403) and the
    // throttle (429) come from the login handler itself.
    for status in [401, 403, 429] {
        assert!(
            statuses("post", "/api/auth/login").contains(&status),
            "{status}"
        );
    }
    assert!(statuses("post", "/api/auth/refresh").contains(&401));
    // Plans are open to anyone, but retired plans only to plan managers.
    assert!(statuses("get", "/api/plans").contains(&403));
    // Used or expired links answer 410.
    for (method, path) in [
        ("post", "/api/auth/verify-email"),
        ("post", "/api/auth/reset-password"),
        ("get", "/api/auth/invitations/{token}"),
        ("post", "/api/auth/invitations/{token}/accept"),
    ] {
        assert!(statuses(method, path).contains(&410), "{method} {path}");
    }
}

#[tokio::test]
async fn the_document_and_its_page_are_served() {
    let app = spawn_app().await;
    let api = app.api();
    let res = call(&api, Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.body == document(),
        "the served docs/openapi.json is not the routers' document: \
         run `cargo run -p loaf -- openapi docs/openapi.json`"
    );
    let page = call(&api, Method::GET, "/api/docs", None, None).await;
    assert_eq!(page.status, StatusCode::OK);
    let kind = page.headers["content-type"].to_str().unwrap().to_string();
    assert!(kind.starts_with("text/html"), "{kind}");
}
