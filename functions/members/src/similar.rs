//! Accounts that look like another: the validation queue's warning that an
//! applicant may already be a member (a second registration, a typo in the
//! name, a new address for the same phone). Each comparison reads one of
//! three indexed keys (migration 0011), so it stays a handful of index
//! lookups at 100,000 members.

use axum::extract::State;
use loaf_domain::members::similar::{self, Similar};
use loaf_domain::permissions::perm;
use loaf_http::auth::Require;
use loaf_http::extract::{Json, Path};
use loaf_http::{ApiError, ApiResult, AppState};
use uuid::Uuid;

/// `GET /api/members/{id}/similar`: up to ten other accounts with a
/// similar name, or the same phone or address, the closest names first.
pub async fn similar(
    State(state): State<AppState>,
    _: Require<perm::UsersView>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Vec<Similar>>> {
    let mut tx = state.db.begin().await?;
    let found = similar::like(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(found))
}
