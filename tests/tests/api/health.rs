use http::{Method, StatusCode};
use loaf_core::storage::Storage;
use loaf_http::AppState;
use loaf_tests::{call, spawn_app, test_config};
use std::time::Duration;

#[tokio::test]
async fn every_function_answers_health_when_the_database_is_reachable() {
    let app = spawn_app().await;
    let routers = [
        ("auth", loaf_auth::router(app.state.clone())),
        ("members", loaf_members::router(app.state.clone())),
        ("events", loaf_events::router(app.state.clone())),
        ("donations", loaf_donations::router(app.state.clone())),
        ("documents", loaf_documents::router(app.state.clone())),
        ("gateway", app.api()),
    ];
    for (name, router) in routers {
        let reply = call(&router, Method::GET, "/api/health", None, None).await;
        assert_eq!(reply.status, StatusCode::OK, "{name}: {:?}", reply.body);
        assert_eq!(reply.body["database"], "reachable", "{name}");
    }
}

#[tokio::test]
async fn health_is_a_clean_503_when_the_database_is_down() {
    let app = spawn_app().await;
    // A port nothing listens on: connecting fails at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = test_config(
        &format!("postgres://loaf@127.0.0.1:{closed}/none"),
        &app.s3_endpoint,
        &app.mail_dir,
    );
    config.db.acquire_timeout = Duration::from_secs(1);
    let pool = loaf_core::db::connect_lazy(&config.db).unwrap();
    let storage = Storage::new(&config.storage);
    let mailer = loaf_domain::email::Mailer::from_config(config.email.clone());
    let router = loaf_auth::router(AppState::new(config, pool, storage, mailer));

    let reply = call(&router, Method::GET, "/api/health", None, None).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.error_code(), "service_unavailable");
    assert!(
        !reply.body.to_string().contains("127.0.0.1"),
        "leaks: {}",
        reply.body
    );
}

#[tokio::test]
async fn unknown_paths_answer_json_404_through_the_gateway() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/api",
        "/api/nothing-here",
        "/api/membership",
        "/api/auth/unknown",
    ] {
        let reply = call(&app.api(), Method::GET, path, None, None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.error_code(), "not_found", "{path}");
    }
}

#[tokio::test]
async fn a_wrong_method_answers_json_405() {
    let app = spawn_app().await;
    let reply = call(&app.api(), Method::POST, "/api/health", None, None).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(reply.error_code(), "method_not_allowed");
}
