//! The donations function: public and member donations through the
//! provider's checkout, offline gifts, the list, totals, receipts and
//! export; and the payment provider's webhook, which completes donations
//! and membership payments alike.

mod donation_payments;
mod donations;
mod gifts;
mod membership_payments;
mod receipts;
mod stats;
mod webhook;

use axum::routing::{get, post};
use axum::Router;
use loaf_shared::AppState;

/// Every route of this function, mountable under `lambda_http` and in
/// `loaf serve` alike.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/api/donations", get(donations::list))
        .route("/api/donations/checkout", post(gifts::checkout))
        .route("/api/donations/manual", post(gifts::record))
        .route("/api/donations/stats", get(stats::stats))
        .route("/api/donations/export", get(donations::export))
        .route("/api/donations/{id}", get(donations::show))
        .route("/api/donations/{id}/receipt", post(receipts::resend))
        .route("/api/payments/webhook", post(webhook::receive));
    loaf_shared::http::function_router(routes, state)
}
