//! The member directory: active members who chose to be listed, with only
//! the fields they chose to show.

use axum::extract::State;
use axum::http::StatusCode;
use loaf_core::db::like_contains;
use loaf_domain::members::directory::{self, Entry};
use loaf_domain::permissions::{perm, Permission};
use loaf_domain::validate::optional_text;
use loaf_http::auth::Require;
use loaf_http::extract::{Json, Query};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::Deserialize;

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
    let listed = directory::listed(&mut conn, user.id).await?;
    if !listed && !user.can(perm::UsersView::CODE) {
        return Err(ApiError::refused(
            StatusCode::FORBIDDEN,
            ErrorCode::NotListed,
            "The directory is shared among the members who appear in it: choose to be listed in your profile to see it.",
        ));
    }
    let total = directory::count(&mut conn, q.as_deref()).await?;
    let items = directory::list(&mut conn, q.as_deref(), page.limit(), page.offset()).await?;
    Ok(Json(Page::new(items, page, total)))
}
