//! The docs function: `GET /api/openapi.json`, the OpenAPI document of every
//! route of every function, and `GET /api/docs`, a page that renders it.
//!
//! [`openapi()`] builds the document from every function's routers, so it
//! cannot drift from them; `loaf openapi docs/openapi.json` writes it to the
//! repository, and the function serves that file as it is. Building it in
//! the function would link every other function's handlers into this one
//! (10.7 MiB instead of a few) to describe them once. The test suite fails
//! when the file and the routers disagree.

use aide::axum::routing::get_with;
use aide::axum::ApiRouter;
use aide::generate::GenContext;
use aide::openapi::OpenApi;
use aide::openapi::Operation;
use aide::redoc::Redoc;
use aide::OperationOutput;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::Router;
use base64::Engine;
use loaf_http::extract::Json;
use loaf_http::openapi::{self, summary};
use loaf_http::routes::Docs;
use loaf_http::AppState;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The path the document is served at.
pub const DOCUMENT_PATH: &str = "/api/openapi.json";

/// The whole API's document.
pub fn openapi() -> OpenApi {
    let mut api = OpenApi::default();
    let docs = Docs::Write;
    let _ = loaf_http::http::common_routes(docs)
        .merge(loaf_auth::api(docs))
        .merge(loaf_members::api(docs))
        .merge(loaf_events::api(docs))
        .merge(loaf_donations::api(docs))
        .merge(loaf_documents::api(docs))
        .into_api()
        .merge(docs_api::<AppState>())
        .finish_api(&mut api);
    openapi::finish(&mut api);
    api
}

/// The document as `loaf openapi docs/openapi.json` wrote it.
const DOCUMENT: &str = include_str!("../../../docs/openapi.json");

/// The page and the content security policy that lets exactly its own
/// inline script run (by hash) and nothing else: no other script, no frame
/// around it, no form, no base URL; Redoc's injected styles, its search
/// worker and the document it fetches from this origin.
fn page() -> &'static (String, String) {
    static PAGE: OnceLock<(String, String)> = OnceLock::new();
    PAGE.get_or_init(|| {
        let html = Redoc::new(DOCUMENT_PATH)
            .with_title("LOAF membership platform API")
            .html();
        let script = html
            .split_once("<script>")
            .and_then(|(_, rest)| rest.split_once("</script>"))
            .map(|(script, _)| script)
            .expect("the Redoc page has its script inline");
        let hash = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script));
        let policy = format!(
            "default-src 'none'; script-src 'sha256-{hash}'; style-src 'unsafe-inline'; \
             connect-src 'self'; img-src 'self' data:; font-src 'self' data:; worker-src blob:; \
             base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        );
        (html, policy)
    })
}

async fn serve_document() -> Document {
    Document
}

/// The committed document, sent as the JSON it is; documented as a JSON
/// object.
struct Document;

impl IntoResponse for Document {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, "application/json")], DOCUMENT).into_response()
    }
}

impl OperationOutput for Document {
    type Inner = Value;

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, aide::openapi::Response)> {
        Json::<Value>::inferred_responses(ctx, operation)
    }
}

/// The page with its policy headers; documented as the HTML it is.
struct Page;

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let (html, policy) = page();
        (
            [
                (header::CONTENT_SECURITY_POLICY, policy.as_str()),
                (header::X_FRAME_OPTIONS, "DENY"),
            ],
            Html(html.as_str()),
        )
            .into_response()
    }
}

impl OperationOutput for Page {
    type Inner = String;

    fn inferred_responses(
        ctx: &mut GenContext,
        operation: &mut Operation,
    ) -> Vec<(Option<u16>, aide::openapi::Response)> {
        Html::<String>::inferred_responses(ctx, operation)
    }
}

async fn serve_page() -> Page {
    Page
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
        .fallback(|| async { loaf_http::ApiError::NotFound })
        .layer(axum::middleware::map_response(loaf_http::http::api_headers))
}
