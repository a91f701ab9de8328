//! A member's own data export: asked for here, built in the background by
//! the jobs function, announced by email; this route then hands out a
//! short-lived link (`loaf_domain::data_exports`).

use axum::extract::State;
use loaf_domain::data_exports::{self, DataExport};
use loaf_http::auth::AuthUser;
use loaf_http::extract::Json;
use loaf_http::reply::Accepted;
use loaf_http::{ApiError, ApiResult, AppState};

/// `POST /api/auth/export` → 202: the export, waiting for the background
/// job (the one already waiting, when there is one).
pub async fn request(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Accepted<DataExport>> {
    data_exports::request(&state.db, &state.storage, user.id, user.id)
        .await?
        .map(Accepted)
        .ok_or(ApiError::NotFound)
}

/// `GET /api/auth/export`: the newest export, with a link (an hour) when
/// it is ready; 404 before any was asked for.
pub async fn show(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<DataExport>> {
    let mut conn = state.db.acquire().await?;
    data_exports::latest(&mut conn, &state.storage, user.id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}
