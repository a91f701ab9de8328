//! `POST /api/donations/{id}/receipt`: an admin with `donations.receipts`
//! sends a completed donation's receipt again (numbering and the first
//! sending are `loaf_domain::receipts`, when the donation completes).

use crate::donations::{self, Donation};
use axum::extract::State;
use axum::http::StatusCode;
use loaf_domain::permissions::perm;
use loaf_domain::receipts;
use loaf_http::auth::Require;
use loaf_http::extract::{Json, Path};
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use uuid::Uuid;

/// `POST /api/donations/{id}/receipt`: the receipt again.
pub async fn resend(
    State(state): State<AppState>,
    _: Require<perm::DonationsReceipts>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Donation>> {
    let mut tx = state.db.begin().await?;
    let donation = donations::load(&mut tx, id).await?;
    if donation.own.receipt_number.is_none() {
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::NoReceipt,
            "This donation has no receipt: it is not completed, or was refunded in full.",
        ));
    }
    if donation.own.donor_email.is_none() {
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::NoEmail,
            "This donation has no donor email to send the receipt to.",
        ));
    }
    receipts::send(&mut tx, &state.config.email, id).await?;
    let donation = donations::load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(donation))
}
