//! An admin erasing a member (`users.delete`): at once, in one
//! transaction, then their files (`loaf_domain::erasure`). The member's
//! own request is the auth function's.

use axum::extract::State;
use chrono::{DateTime, Utc};
use loaf_domain::audit;
use loaf_domain::erasure::{self, AskedBy};
use loaf_domain::permissions::perm;
use loaf_http::auth::Require;
use loaf_http::extract::{Json, Path};
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
    let erased_at: DateTime<Utc> =
        sqlx::query_scalar!(r#"SELECT erased_at AS "at!" FROM users WHERE id = $1"#, id)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    let files_changed = erasure::delete_files(&state.db, &state.storage, &erased).await?;
    Ok(Json(Erasure {
        id,
        erased_at,
        files_changed,
    }))
}
