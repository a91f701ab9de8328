//! `POST /api/donations/{id}/refund {amount_cents?, reason}`: an admin with
//! `donations.edit` refunds all or part of a gift (online through the
//! provider, offline recorded by hand; `loaf_domain::payments::refunds`).
//! The receipt's number is voided, and what is left gets a new one.

use crate::donations::load;
use axum::extract::State;
use loaf_domain::donations::Donation;
use loaf_domain::payments::refunds::{self, Asked, Target};
use loaf_domain::permissions::perm;
use loaf_http::auth::Require;
use loaf_http::extract::{Json, Path};
use loaf_http::{ApiError, ApiResult, AppState};
use uuid::Uuid;

/// `POST /api/donations/{id}/refund`: the donation after the refund.
pub async fn refund(
    State(state): State<AppState>,
    admin: Require<perm::DonationsEdit>,
    Path(id): Path<Uuid>,
    Json(body): Json<Asked>,
) -> ApiResult<Json<Donation>> {
    let request = body.by(admin.user.id)?;
    refunds::refund(
        &state.db,
        &state.payments,
        &state.config.email,
        Target::Donation(id),
        &request,
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    let mut conn = state.db.acquire().await?;
    Ok(Json(load(&mut conn, id).await?))
}
