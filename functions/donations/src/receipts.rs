//! `POST /api/donations/{id}/receipt`: an admin with `donations.receipts`
//! sends a completed donation's receipt again (numbering and the first
//! sending are `loaf_domain::receipts`, when the donation completes); and
//! `GET /api/donations/{id}/receipt/pdf`, the receipt as a PDF.

use crate::donations::load;
use axum::extract::State;
use axum::http::StatusCode;
use loaf_domain::donations::Donation;
use loaf_domain::permissions::{perm, Permission};
use loaf_domain::{audit, receipt_pdf, receipts};
use loaf_http::auth::{AuthUser, Require};
use loaf_http::downloads::{self, Download};
use loaf_http::extract::{Json, Path};
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use uuid::Uuid;

/// `POST /api/donations/{id}/receipt`: the receipt again.
pub async fn resend(
    State(state): State<AppState>,
    admin: Require<perm::DonationsReceipts>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Donation>> {
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    let donation = load(&mut tx, id).await?;
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
    let donation = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(donation))
}

/// `GET /api/donations/{id}/receipt/pdf`: the receipt as a PDF (numbered,
/// with the organisation's name and logo) for the donor or those holding
/// `donations.view`: a download link. Someone else's gift is 404; one
/// without a valid receipt (not completed, refunded in full) 409.
pub async fn pdf(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Download>> {
    let mut conn = state.db.acquire().await?;
    let donation = load(&mut conn, id).await?;
    if donation.own.user_id != Some(user.id) && !user.can(perm::DonationsView::CODE) {
        return Err(ApiError::NotFound);
    }
    let (org, logo) = receipt_pdf::letterhead(
        &mut conn,
        &state.storage,
        &state.config.email.org_name,
        state.config.uploads.max_image_bytes,
    )
    .await?;
    let receipt = receipts::pdf(&mut conn, id, org, logo)
        .await?
        .ok_or_else(|| {
            ApiError::refused(
                StatusCode::CONFLICT,
                ErrorCode::NoReceipt,
                "This donation has no receipt: it is not completed, or was refunded in full.",
            )
        })?;
    drop(conn);
    let name = format!("receipt-{}.pdf", receipt.number);
    Ok(Json(
        downloads::pdf(
            &state.storage,
            receipt.render(),
            &name,
            donation.own.user_id,
        )
        .await?,
    ))
}
