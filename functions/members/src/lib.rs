//! The members function: member administration, roles and permissions,
//! invitations, imports and exports, plans and subscriptions, dashboard.
//! Its routes are listed in the route contract (SPEC.md): the member list
//! and details, the lifecycle, roles, invitations, imports and exports, the
//! directory, plans, subscriptions, checkout and the dashboard.

mod audit;
mod checkout;
mod dashboard;
mod directory;
mod exports;
mod imports;
mod invitations;
mod lifecycle;
mod members;
mod plans;
mod roles;
mod subscriptions;

use axum::routing::{delete, get, post, put};
use axum::Router;
use loaf_shared::AppState;

/// Every route of this function, mountable under `lambda_http` and in
/// `loaf serve` alike.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/api/members", get(members::list))
        .route("/api/members/directory", get(directory::list))
        .route("/api/members/export", get(exports::members))
        .route("/api/members/validate", post(lifecycle::validate_many))
        .route("/api/members/reject", post(lifecycle::reject_many))
        .route(
            "/api/members/{id}",
            get(members::show).patch(members::update),
        )
        .route("/api/members/{id}/audit", get(members::audit_trail))
        .route("/api/members/{id}/validate", post(lifecycle::validate))
        .route("/api/members/{id}/reject", post(lifecycle::reject))
        .route("/api/members/{id}/status", post(lifecycle::change_status))
        .route("/api/members/{id}/role", put(roles::assign))
        .route("/api/permissions", get(roles::permissions))
        .route("/api/roles", get(roles::list).post(roles::create))
        .route(
            "/api/roles/{id}",
            get(roles::show).patch(roles::update).delete(roles::delete),
        )
        .route(
            "/api/roles/{id}/permissions",
            put(roles::replace_permissions),
        )
        .route(
            "/api/invitations",
            get(invitations::list).post(invitations::create),
        )
        .route("/api/invitations/{id}/resend", post(invitations::resend))
        .route("/api/invitations/{id}", delete(invitations::revoke))
        .route("/api/imports", get(imports::list).post(imports::create))
        .route("/api/imports/{id}", get(imports::show))
        .route("/api/imports/{id}/start", post(imports::start))
        .route("/api/plans", get(plans::list).post(plans::create))
        .route(
            "/api/plans/{id}",
            get(plans::show).patch(plans::update).delete(plans::delete),
        )
        .route("/api/subscriptions", get(subscriptions::list))
        .route("/api/subscriptions/me", get(subscriptions::mine))
        .route("/api/subscriptions/export", get(subscriptions::export))
        .route("/api/subscriptions/checkout", post(checkout::create))
        .route("/api/subscriptions/manual", post(subscriptions::manual))
        .route(
            "/api/subscriptions/{id}/cancel",
            post(subscriptions::cancel),
        )
        .route("/api/dashboard/stats", get(dashboard::stats));
    loaf_shared::http::function_router(routes, state)
}
