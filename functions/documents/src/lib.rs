//! The documents function: newsletters, financial reports, bylaws, storage usage, organisation settings.
//! Its routes are listed in the route contract (SPEC.md) and grow issue by
//! issue; today it answers the common routes (`GET /api/health`).

use axum::Router;
use loaf_shared::AppState;

/// Every route of this function, mountable under `lambda_http` and in
/// `loaf serve` alike.
pub fn router(state: AppState) -> Router {
    loaf_shared::http::function_router(Router::new(), state)
}
