//! A person's data, exported on request: the member asks (or an admin
//! holding `users.export` asks for them), the jobs function builds the
//! archive in the background (`loaf_jobs::data_exports`), and the person
//! who asked is emailed when it is ready. The archive lives under the
//! person's own prefix ([`crate::erasure::files_prefix`]), which the bucket
//! empties after a week and an erasure empties at once; it is handed out by
//! a link that works for an hour.

pub mod build;

use crate::enums::ExportStatus;
use crate::erasure::files_prefix;
use chrono::{DateTime, Utc};
use loaf_core::storage::{Storage, StorageError};
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use std::time::Duration;
use uuid::Uuid;

/// How long a download link works.
pub const LINK_LIFETIME: Duration = Duration::from_secs(3600);

/// Where export `id` of `user_id` is stored.
pub fn key(user_id: Uuid, id: Uuid) -> String {
    format!("{}data-export-{id}.zip", files_prefix(user_id))
}

/// An export as its requester sees it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DataExport {
    pub id: Uuid,
    pub status: ExportStatus,
    pub created_at: DateTime<Utc>,
    pub ready_at: Option<DateTime<Utc>>,
    pub size_bytes: Option<i64>,
    /// Rows written to the archive, across its sections.
    pub records: Option<i64>,
    /// Files of theirs copied in.
    pub files: Option<i32>,
    /// A fresh link when ready (it works for an hour; ask again for another).
    pub download_url: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Asks for an export of `user_id` by `requested_by` (audited as theirs):
/// the one already waiting or running, else a new one. Answers it as
/// [`latest`] does; `None` when there is no such person (or they were
/// erased).
pub async fn request(
    db: &PgPool,
    storage: &Storage,
    user_id: Uuid,
    requested_by: Uuid,
) -> Result<Option<DataExport>, LatestError> {
    let mut tx = crate::audit::begin_as(db, requested_by).await?;
    let person: Option<Uuid> = sqlx::query_scalar!(
        "SELECT id FROM users WHERE id = $1 AND erased_at IS NULL FOR SHARE",
        user_id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if person.is_none() {
        return Ok(None);
    }
    let waiting: Option<Uuid> = sqlx::query_scalar!(
        "SELECT id FROM data_exports WHERE user_id = $1 AND status IN ('pending', 'running') \
         ORDER BY created_at DESC LIMIT 1 FOR UPDATE",
        user_id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    if waiting.is_none() {
        sqlx::query!(
            "INSERT INTO data_exports (user_id, requested_by) VALUES ($1, $2)",
            user_id,
            requested_by,
        )
        .execute(&mut *tx)
        .await?;
    }
    let export = latest(&mut tx, storage, user_id).await?;
    tx.commit().await?;
    Ok(export)
}

/// The newest export of `user_id`, with a fresh link when it is ready.
pub async fn latest(
    conn: &mut PgConnection,
    storage: &Storage,
    user_id: Uuid,
) -> Result<Option<DataExport>, LatestError> {
    let Some(row) = sqlx::query!(
        "SELECT id, status AS \"status: ExportStatus\", created_at, ready_at, size_bytes, records, \
                files, file_key \
         FROM data_exports WHERE user_id = $1 ORDER BY created_at DESC LIMIT 1",
        user_id,
    )
    .fetch_optional(conn)
    .await?
    else {
        return Ok(None);
    };
    let (download_url, expires_at) = match (&row.file_key, row.status) {
        (Some(key), ExportStatus::Ready) => {
            let name = format!("my-data-{}.zip", row.created_at.format("%Y-%m-%d"));
            (
                Some(storage.presign_get(key, LINK_LIFETIME, Some(&name)).await?),
                Some(Utc::now() + chrono::Duration::seconds(LINK_LIFETIME.as_secs() as i64)),
            )
        }
        _ => (None, None),
    };
    Ok(Some(DataExport {
        id: row.id,
        status: row.status,
        created_at: row.created_at,
        ready_at: row.ready_at,
        size_bytes: row.size_bytes,
        records: row.records,
        files: row.files,
        download_url,
        expires_at,
    }))
}

#[derive(Debug, thiserror::Error)]
pub enum LatestError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Storage(#[from] StorageError),
}
