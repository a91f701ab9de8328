//! The donations function: donations, receipts, totals and exports, and the
//! payment provider's webhook, which also completes membership payments.
//! Today it answers the webhook (`POST /api/payments/webhook`) and the
//! common routes (`GET /api/health`).

mod membership_payments;
mod webhook;

use axum::routing::post;
use axum::Router;
use loaf_shared::AppState;

/// Every route of this function, mountable under `lambda_http` and in
/// `loaf serve` alike.
pub fn router(state: AppState) -> Router {
    let routes = Router::new().route("/api/payments/webhook", post(webhook::receive));
    loaf_shared::http::function_router(routes, state)
}
