//! An admin acting on a member's personal data: erasing it (`users.delete`:
//! at once, in one transaction, then their files; `loaf_domain::erasure`)
//! or exporting it (`users.export`: built in the background;
//! `loaf_domain::data_exports`). The member's own requests are the auth
//! function's.

use axum::extract::State;
use chrono::{DateTime, Utc};
use loaf_domain::audit;
use loaf_domain::data_exports::{self, DataExport};
use loaf_domain::erasure::{self, AskedBy};
use loaf_domain::members;
use loaf_domain::permissions::perm;
use loaf_http::auth::Require;
use loaf_http::extract::{Json, Path};
use loaf_http::reply::Accepted;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Serialize, JsonSchema)]
pub struct Erasure {
    id: Uuid,
    erased_at: DateTime<Utc>,
    /// Objects deleted or rewritten in storage: their photos, the files
    /// made for them, the import files that held their row.
    files_changed: u64,
}

/// `POST /api/members/{id}/erase`: erases the member's identifying data
/// everywhere, keeping their financial records (amounts, dates, numbers)
/// for the retention period. 409 `last_superadmin`, 409 `already_erased`.
pub async fn erase(
    State(state): State<AppState>,
    admin: Require<perm::UsersDelete>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Erasure>> {
    if id == admin.user.id {
        return Err(ApiError::conflict(
            "id",
            "Erase your own account from your profile, where the link to your address confirms it.",
        ));
    }
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    let erased = erasure::erase(&mut tx, id, AskedBy::Admin).await?;
    let erased_at = members::erased_at(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    let files_changed = erasure::delete_files(&state.db, &state.storage, &erased).await?;
    Ok(Json(Erasure {
        id,
        erased_at,
        files_changed,
    }))
}

/// `POST /api/members/{id}/data-export` (`users.export`) → 202: an export
/// of everything held about the member, built in the background; the admin
/// is emailed when it is ready. Audited as personal data leaving.
pub async fn request_export(
    State(state): State<AppState>,
    admin: Require<perm::UsersExport>,
    Path(id): Path<Uuid>,
) -> ApiResult<Accepted<DataExport>> {
    data_exports::request(&state.db, &state.storage, id, admin.user.id)
        .await?
        .map(Accepted)
        .ok_or(ApiError::NotFound)
}

/// `GET /api/members/{id}/data-export` (`users.export`): the member's
/// newest export, with a link (an hour) when ready.
pub async fn export(
    State(state): State<AppState>,
    _: Require<perm::UsersExport>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<DataExport>> {
    let mut conn = state.db.acquire().await?;
    data_exports::latest(&mut conn, &state.storage, id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}
