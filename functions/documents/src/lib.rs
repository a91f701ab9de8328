//! The documents function: the newsletter archive, financial reports and
//! bylaws (files through presigned S3 URLs, or external links), storage
//! usage and quota, and the organisation's settings and logo.

mod documents;
mod libraries;
mod settings;
mod usage;

use axum::routing::{get, post};
use axum::Router;
use loaf_shared::AppState;

/// Every route of this function, mountable under `lambda_http` and in
/// `loaf serve` alike.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route(
            "/api/documents/{kind}",
            get(documents::list).post(documents::create),
        )
        .route("/api/documents/{kind}/uploads", post(documents::reserve))
        .route(
            "/api/documents/{kind}/{id}",
            axum::routing::patch(documents::update).delete(documents::delete),
        )
        .route(
            "/api/documents/{kind}/{id}/download",
            get(documents::download),
        )
        .route("/api/storage/usage", get(usage::show))
        .route("/api/settings", get(settings::show).patch(settings::update))
        .route("/api/settings/logo/uploads", post(settings::reserve_logo))
        .route(
            "/api/settings/logo",
            axum::routing::put(settings::set_logo).delete(settings::remove_logo),
        );
    loaf_shared::http::function_router(routes, state)
}
