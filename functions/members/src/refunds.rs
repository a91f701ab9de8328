//! `POST /api/subscriptions/{id}/refund {amount_cents?, reason}`: an admin
//! with `subscriptions.edit` refunds all or part of a membership payment
//! (online through the provider, offline recorded by hand;
//! `loaf_domain::payments::refunds`). A refund in full cancels the period,
//! and the member lapses unless another period covers them.

use crate::subscriptions;
use axum::extract::State;
use loaf_domain::memberships::subscriptions::Subscription;
use loaf_domain::payments::refunds::{self, Asked, Target};
use loaf_domain::permissions::perm;
use loaf_http::auth::Require;
use loaf_http::extract::{Json, Path};
use loaf_http::{ApiError, ApiResult, AppState};
use uuid::Uuid;

/// `POST /api/subscriptions/{id}/refund`: the subscription after the refund.
pub async fn refund(
    State(state): State<AppState>,
    admin: Require<perm::SubscriptionsEdit>,
    Path(id): Path<Uuid>,
    Json(body): Json<Asked>,
) -> ApiResult<Json<Subscription>> {
    let request = body.by(admin.user.id)?;
    refunds::refund(
        &state.db,
        &state.payments,
        &state.config.email,
        Target::Subscription(id),
        &request,
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    let mut conn = state.db.acquire().await?;
    Ok(Json(subscriptions::load(&mut conn, id).await?))
}
