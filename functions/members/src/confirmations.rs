//! `GET /api/subscriptions/{id}/confirmation/pdf`: a membership payment's
//! confirmation as a PDF (numbered the first time, with the organisation's
//! name and logo; `loaf_domain::memberships::confirmation`), for its member
//! or those holding `subscriptions.view`: a download link. Someone else's
//! is 404.

use axum::extract::State;
use loaf_domain::permissions::{perm, Permission};
use loaf_domain::{memberships, receipt_pdf};
use loaf_http::auth::AuthUser;
use loaf_http::downloads::{self, Download};
use loaf_http::extract::{Json, Path};
use loaf_http::{ApiError, ApiResult, AppState};
use uuid::Uuid;

/// `GET /api/subscriptions/{id}/confirmation/pdf`
pub async fn pdf(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Download>> {
    let (org, logo) = receipt_pdf::letterhead(
        &mut *state.db.acquire().await?,
        &state.storage,
        &state.config.email.org_name,
        state.config.uploads.max_image_bytes,
    )
    .await?;
    // The number is taken under the subscription's lock, after the logo
    // was read (no lock waits on storage).
    let mut tx = loaf_domain::audit::begin_as(&state.db, user.id).await?;
    let (member, receipt) = memberships::confirmation(&mut tx, id, org, logo)
        .await?
        .ok_or(ApiError::NotFound)?;
    if member != user.id && !user.can(perm::SubscriptionsView::CODE) {
        // Rolled back: asking for someone else's numbers nothing.
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    let name = format!("membership-{}.pdf", receipt.number);
    Ok(Json(
        downloads::pdf(&state.storage, receipt.render(), &name, Some(member)).await?,
    ))
}
