//! The docs function: `GET /api/openapi.json`, the OpenAPI document of every
//! route of every function, built from their routers (so it cannot drift
//! from them), and `GET /api/docs`, a page that renders it. `loaf openapi`
//! writes the same document to a file.

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use aide::openapi::OpenApi;
use aide::redoc::Redoc;
use axum::response::Html;
use axum::Router;
use loaf_shared::extract::Json;
use loaf_shared::openapi::{self, summary};
use loaf_shared::AppState;
use serde_json::Value;
use std::sync::OnceLock;

/// The path the document is served at.
pub const DOCUMENT_PATH: &str = "/api/openapi.json";

/// The whole API's document.
pub fn openapi() -> OpenApi {
    let mut api = OpenApi::default();
    let _ = ApiRouter::<AppState>::new()
        .merge(loaf_shared::http::common_routes())
        .merge(loaf_auth::api())
        .merge(loaf_members::api())
        .merge(loaf_events::api())
        .merge(loaf_donations::api())
        .merge(loaf_documents::api())
        .merge(docs_api())
        .finish_api(&mut api);
    openapi::finish(&mut api);
    api
}

/// Built on the first request rather than at start-up: the container's
/// cold start stays short and most containers serve one or the other page.
fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| serde_json::to_value(openapi()).expect("the document serialises"))
}

fn page() -> &'static str {
    static PAGE: OnceLock<String> = OnceLock::new();
    PAGE.get_or_init(|| {
        Redoc::new(DOCUMENT_PATH)
            .with_title("LOAF membership platform API")
            .html()
    })
}

async fn serve_document() -> Json<Value> {
    Json(document().clone())
}

async fn serve_page() -> Html<&'static str> {
    Html(page())
}

/// This function's own routes, documented like the others'.
fn docs_api<S: Clone + Send + Sync + 'static>() -> ApiRouter<S> {
    let api = ApiRouter::new()
        .api_route(
            DOCUMENT_PATH,
            get_with(serve_document, summary("This document (OpenAPI 3.1)")),
        )
        .api_route(
            "/api/docs",
            get_with(serve_page, summary("A page to read this document")),
        );
    api.with_path_items(|item| item.tag("docs"))
}

/// The function's router, for `lambda_http` and `loaf serve`.
pub fn router() -> Router {
    docs_api::<()>()
        .finish_api(&mut OpenApi::default())
        .fallback(|| async { loaf_shared::ApiError::NotFound })
}
