//! The members function: member administration, roles and permissions,
//! invitations, imports and exports, plans and subscriptions, dashboard.
//! Its routes are listed in the route contract (SPEC.md) and grow issue by
//! issue; today: the common routes and invitations.

mod invitations;

use axum::routing::{delete, get, post};
use axum::Router;
use loaf_shared::AppState;

/// Every route of this function, mountable under `lambda_http` and in
/// `loaf serve` alike.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route(
            "/api/invitations",
            get(invitations::list).post(invitations::create),
        )
        .route("/api/invitations/{id}/resend", post(invitations::resend))
        .route("/api/invitations/{id}", delete(invitations::revoke));
    loaf_shared::http::function_router(routes, state)
}
