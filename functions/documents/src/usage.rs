//! `GET /api/storage/usage`: the bytes the organisation stores, against its
//! quota, by library, galleries and logo, with deletions still queued.

use axum::extract::State;
use chrono::{DateTime, Utc};
use loaf_domain::permissions::perm;
use loaf_http::auth::Require;
use loaf_http::extract::Json;
use loaf_http::{ApiResult, AppState};
use schemars::JsonSchema;
use serde::Serialize;

#[derive(Debug, Serialize, JsonSchema)]
pub struct Usage {
    total_bytes_used: i64,
    max_bytes_allowed: i64,
    last_updated: DateTime<Utc>,
    newsletters_bytes: i64,
    financial_reports_bytes: i64,
    bylaws_bytes: i64,
    galleries_bytes: i64,
    logo_bytes: i64,
    /// Objects whose rows are gone but whose S3 delete has yet to succeed.
    pending_deletions: i64,
}

pub async fn show(
    State(state): State<AppState>,
    _: Require<perm::SettingsStorage>,
) -> ApiResult<Json<Usage>> {
    let usage = sqlx::query_as!(
        Usage,
        "SELECT u.total_bytes_used, u.max_bytes_allowed, u.last_updated, \
            (SELECT COALESCE(sum(file_size_bytes), 0) FROM newsletter_archives WHERE file_key IS NOT NULL)::bigint AS \"newsletters_bytes!\", \
            (SELECT COALESCE(sum(file_size_bytes), 0) FROM financial_reports WHERE file_key IS NOT NULL)::bigint AS \"financial_reports_bytes!\", \
            (SELECT COALESCE(sum(file_size_bytes), 0) FROM bylaws_documents WHERE file_key IS NOT NULL)::bigint AS \"bylaws_bytes!\", \
            (SELECT COALESCE(sum(file_size_bytes), 0) FROM event_galleries)::bigint AS \"galleries_bytes!\", \
            (SELECT logo_size FROM organisation_settings) AS \"logo_bytes!\", \
            (SELECT count(*) FROM storage_deletions) AS \"pending_deletions!\" \
         FROM storage_usage u ORDER BY u.last_updated LIMIT 1",
    )
    .fetch_one(&state.db)
    .await?;
    Ok(Json(usage))
}
