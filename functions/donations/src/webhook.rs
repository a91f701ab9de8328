//! `POST /api/payments/webhook`: the payment provider's events, handed to
//! the payments module (`loaf_domain::payments::webhook`) as received.

use axum::extract::State;
use axum::http::HeaderMap;
use loaf_domain::payments::signature;
use loaf_domain::payments::webhook::{self, Receipt};
use loaf_http::extract::{Json, RawBody};
use loaf_http::{ApiResult, AppState};

pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<Receipt>> {
    let signature = headers.get(signature::HEADER).and_then(|h| h.to_str().ok());
    let receipt = webhook::receive(
        &state.db,
        &state.payments,
        &state.config.email,
        signature,
        &body,
    )
    .await?;
    Ok(Json(receipt))
}
