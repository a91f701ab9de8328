//! The donations function: public and member donations through the
//! provider's checkout, offline gifts, the list, totals, receipts and
//! export; and the route of the payment provider's webhook, which the
//! payments module (`loaf_domain::payments`) handles for donations and
//! membership payments alike.

mod donations;
mod gifts;
mod receipts;
mod refunds;
mod statements;
mod stats;
mod webhook;

use axum::Router;
use loaf_http::openapi::{summary, summary_and_errors, summary_with_header};
use loaf_http::routes::{Docs, Routes};
use loaf_http::AppState;

/// Every route of this function, described for the OpenAPI document when
/// `docs` asks.
pub fn api(docs: Docs) -> Routes {
    let api = Routes::new(docs)
        .api_route(
            "/api/donations",
            docs.get_with(donations::list, summary("List donations")),
        )
        .api_route(
            "/api/donations/checkout",
            docs.post_with(
                gifts::checkout,
                summary_and_errors(
                    "Give online",
                    &[
                        (
                            502,
                            "The payment provider refused or failed; nothing was charged.",
                        ),
                        (
                            429,
                            "Too many gifts started from this address or for this donor; see Retry-After.",
                        ),
                    ],
                ),
            ),
        )
        .api_route(
            "/api/donations/manual",
            docs.post_with(gifts::record, summary("Record a gift by hand")),
        )
        .api_route(
            "/api/donations/stats",
            docs.get_with(stats::stats, summary("Donation figures for a year")),
        )
        .api_route(
            "/api/donations/statements/{year}",
            docs.get_with(statements::donors, summary("A year's donors and their statements")),
        )
        .api_route(
            "/api/donations/statements/{year}/pdf",
            docs.get_with(statements::pdf, summary("A donor's statement of a year as PDF")),
        )
        .api_route(
            "/api/donations/statements/{year}/mine",
            docs.get_with(statements::mine, summary("Your donation statement of a year as PDF")),
        )
        .api_route(
            "/api/donations/statements/{year}/send",
            docs.post_with(statements::send, summary("Email every donor of a year their statement")),
        )
        .api_route(
            "/api/donations/export",
            docs.get_with(donations::export, summary("Export donations as CSV")),
        )
        .api_route(
            "/api/donations/checkout/{session_id}",
            docs.get_with(gifts::checkout_status, summary("An online gift, by its checkout")),
        )
        .api_route(
            "/api/donations/{id}",
            docs.get_with(donations::show, summary("One donation")),
        )
        .api_route(
            "/api/donations/{id}/receipt",
            docs.post_with(receipts::resend, summary("Send a receipt again")),
        )
        .api_route(
            "/api/donations/{id}/receipt/pdf",
            docs.get_with(receipts::pdf, summary("A gift's receipt as PDF")),
        )
        .api_route(
            "/api/donations/{id}/refund",
            docs.post_with(
                refunds::refund,
                summary_and_errors(
                    "Refund a gift",
                    &[(
                        502,
                        "The payment provider refused or failed the refund; nothing was refunded.",
                    )],
                ),
            ),
        )
        .api_route(
            "/api/payments/webhook",
            docs.post_with(
                webhook::receive,
                summary_with_header(
                    "Payment provider events",
                    "Stripe-Signature",
                    "`t=<unix time>,v1=<HMAC-SHA256 of \"t.body\">` with the webhook secret.",
                ),
            ),
        );
    api.tagged("donations")
}

/// Every route of this function, mountable under `lambda_http` and in
/// `loaf serve` alike.
pub fn router(state: AppState) -> Router {
    loaf_http::http::function_router(api(Docs::Skip), state)
}
