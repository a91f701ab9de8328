//! The documents function: the newsletter archive, financial reports and
//! bylaws (files through presigned S3 URLs, or external links), storage
//! usage and quota, and the organisation's settings and logo.

mod documents;
mod libraries;
mod settings;
mod usage;

use axum::Router;
use loaf_http::openapi::summary;
use loaf_http::routes::{Docs, Routes};
use loaf_http::AppState;

/// Every route of this function, described for the OpenAPI document when
/// `docs` asks.
pub fn api(docs: Docs) -> Routes {
    let api = Routes::new(docs)
        .api_route(
            "/api/documents/{kind}",
            docs.get_with(documents::list, summary("List a library's documents"))
                .post_with(documents::create, summary("Add a document")),
        )
        .api_route(
            "/api/documents/{kind}/uploads",
            docs.post_with(
                documents::reserve,
                summary("Ask for a document upload link"),
            ),
        )
        .api_route(
            "/api/documents/{kind}/{id}",
            docs.patch_with(documents::update, summary("Change a document"))
                .delete_with(documents::delete, summary("Delete a document")),
        )
        .api_route(
            "/api/documents/{kind}/{id}/download",
            docs.get_with(documents::download, summary("A download link")),
        )
        .api_route(
            "/api/storage/usage",
            docs.get_with(usage::show, summary("Storage used and quota")),
        )
        .api_route(
            "/api/settings",
            docs.get_with(settings::show, summary("Organisation settings"))
                .patch_with(settings::update, summary("Change organisation settings")),
        )
        .api_route(
            "/api/settings/logo/uploads",
            docs.post_with(
                settings::reserve_logo,
                summary("Ask for a logo upload link"),
            ),
        )
        .api_route(
            "/api/settings/logo",
            docs.put_with(settings::set_logo, summary("Use an uploaded logo"))
                .delete_with(settings::remove_logo, summary("Remove the logo")),
        );
    api.tagged("documents")
}

/// Every route of this function, mountable under `lambda_http` and in
/// `loaf serve` alike.
pub fn router(state: AppState) -> Router {
    loaf_http::http::function_router(api(Docs::Skip), state)
}
