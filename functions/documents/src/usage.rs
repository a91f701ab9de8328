//! `GET /api/storage/usage`: the bytes the organisation stores, against its
//! quota, by library, galleries and logo, with deletions still queued.

use axum::extract::State;
use loaf_domain::permissions::perm;
use loaf_domain::uploads::{self, Usage};
use loaf_http::auth::Require;
use loaf_http::extract::Json;
use loaf_http::{ApiResult, AppState};

pub async fn show(
    State(state): State<AppState>,
    _: Require<perm::SettingsStorage>,
) -> ApiResult<Json<Usage>> {
    let mut conn = state.db.acquire().await?;
    Ok(Json(uploads::usage(&mut conn).await?))
}
