//! The member directory: active members who chose to be listed, with only
//! the fields they chose to show.

use axum::extract::State;
use axum::http::StatusCode;
use loaf_core::db::like_contains;
use loaf_domain::permissions::{perm, Permission};
use loaf_domain::validate::optional_text;
use loaf_http::auth::Require;
use loaf_http::extract::{Json, Query};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Serialize, sqlx::FromRow, JsonSchema)]
#[schemars(rename = "DirectoryEntry")]
pub struct Entry {
    id: Uuid,
    first_name: String,
    last_name: String,
    email: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    bio: Option<String>,
    partner_name: Option<String>,
    photo_url: Option<String>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default)]
pub struct Search {
    q: Option<String>,
}

/// `GET /api/members/directory?q=`: for members who are listed themselves
/// (the directory is an exchange) and for those who may see the member list.
pub async fn list(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::UsersDirectory>,
    page: PageParams,
    Query(search): Query<Search>,
) -> ApiResult<Json<Page<Entry>>> {
    let q = optional_text("q", search.q.as_deref(), 200)?.map(|q| like_contains(&q));
    let mut conn = state.db.acquire().await?;
    let listed: bool =
        sqlx::query_scalar!("SELECT show_in_directory FROM users WHERE id = $1", user.id,)
            .fetch_one(&mut *conn)
            .await?;
    if !listed && !user.can(perm::UsersView::CODE) {
        return Err(ApiError::refused(
            StatusCode::FORBIDDEN,
            ErrorCode::NotListed,
            "The directory is shared among the members who appear in it: choose to be listed in your profile to see it.",
        ));
    }
    // Listed, active members; `search_text` is name and email folded
    // (migration 0004), the term folded the same way. Planned per term, as
    // the member list is (see members::list).
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM users u
           WHERE u.show_in_directory AND u.status = 'active'
             AND ($1::text IS NULL OR u.search_text LIKE loaf_fold($1))"#,
        q,
    )
    .persistent(false)
    .fetch_one(&mut *conn)
    .await?;
    // Only the directory_* fields: the account's own email, phone and
    // address stay private unless the member copied them here.
    let items = loaf_core::query_as_unprepared!(
        Entry,
        "SELECT u.id, u.first_name, u.last_name, u.directory_email AS email, \
                u.directory_phone AS phone, u.directory_address AS address, u.directory_bio AS bio, \
                u.directory_partner_name AS partner_name, u.profile_photo_url AS photo_url \
         FROM users u \
         WHERE u.show_in_directory AND u.status = 'active' \
           AND ($1::text IS NULL OR u.search_text LIKE loaf_fold($1)) \
         ORDER BY u.name_key, u.id LIMIT $2 OFFSET $3",
        q,
        page.limit(),
        page.offset(),
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Json(Page::new(items, page, total)))
}
