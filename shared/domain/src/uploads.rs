//! Files come in through S3, never through a Lambda body, in two steps.
//! **Reserve**: the client declares the file (name, type, size); the type
//! must be allowed, the size within the limit and the storage quota; the
//! server chooses the key and answers a presigned PUT with the type and the
//! exact length signed in, so S3 refuses anything else. The PUT goes to a
//! staging key (`incoming/…`), never to where the file will live.
//! **Claim**: after the upload, the staged object must exist with that
//! size and its first bytes must match the declared type; that very
//! version (by its ETag) is copied to the file's own key and the staged
//! one deleted, so the upload URL, valid a while longer, can no longer
//! change what was checked. The bytes are added to the storage usage in
//! the caller's transaction, with the row that will own the file.

use crate::validate::{text, FieldError};
use chrono::{DateTime, Utc};
use loaf_core::error_code::ErrorCode;
use loaf_core::file_types::{FileType, SNIFF_BYTES};
use loaf_core::storage::{Presigned, Storage, StorageError};
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgConnection;
use std::time::Duration;
use uuid::Uuid;

/// Why an upload was refused. Mapped to an answer once, in `loaf_http::error`.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// A declared or uploaded file that cannot be taken (type, size, id).
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// The storage quota has no room for the file.
    #[error("storage full: {used} of {max} bytes used, {size} more needed")]
    QuotaExceeded { used: i64, size: i64, max: i64 },
    /// The file was not uploaded to the reserved URL (yet).
    #[error("not uploaded yet")]
    NotUploaded,
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// How long a presigned upload URL (and its reservation) lasts.
pub const UPLOAD_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Where uploads wait for their claim (the bucket expires what is left).
pub const STAGING_PREFIX: &str = "incoming/";

/// The staging key of the file that will live at `key`.
pub fn staging_key(key: &str) -> String {
    format!("{STAGING_PREFIX}{key}")
}

/// What a client declares about a file it wants to upload.
#[derive(Debug, Clone, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Declared {
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
}

/// A reservation: where and how to upload, and the id to confirm with.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Reserved {
    pub upload_id: Uuid,
    pub key: String,
    pub upload: Presigned,
    pub expires_at: DateTime<Utc>,
}

/// A confirmed upload, ready to be owned by a row.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub key: String,
    pub file_name: String,
    pub content_type: String,
    pub extension: &'static str,
    pub size_bytes: i64,
}

/// Checks that `size` more bytes fit in the quota, locking the usage row
/// so concurrent checks take turns; answers the bytes used.
async fn check_quota(conn: &mut PgConnection, size: i64) -> Result<i64, UploadError> {
    let (used, max): (i64, i64) = sqlx::query!(
        "SELECT total_bytes_used, max_bytes_allowed FROM storage_usage \
         ORDER BY last_updated LIMIT 1 FOR UPDATE",
    )
    .map(|r| (r.total_bytes_used, r.max_bytes_allowed))
    .fetch_one(conn)
    .await?;
    if used + size > max {
        return Err(UploadError::QuotaExceeded { used, size, max });
    }
    Ok(used)
}

/// Adds `delta` bytes (negative to free) to the storage usage, inside the
/// caller's transaction.
pub async fn add_usage(conn: &mut PgConnection, delta: i64) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE storage_usage SET total_bytes_used = GREATEST(total_bytes_used + $1, 0), \
             last_updated = now() \
         WHERE id = (SELECT id FROM storage_usage ORDER BY last_updated LIMIT 1)",
        delta,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Reserves an upload for `purpose` (`newsletters`, `logo`, …) under
/// `prefix`: the type among `allowed` extensions, at most `max_bytes`, and
/// room in the quota. Inside the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn reserve(
    conn: &mut PgConnection,
    storage: &Storage,
    purpose: &str,
    prefix: &str,
    declared: &Declared,
    allowed: &[&str],
    max_bytes: i64,
    user: Uuid,
) -> Result<Reserved, UploadError> {
    let file_name = text("file_name", &declared.file_name, 255)?;
    let file_type = FileType::by_mime(&declared.content_type)
        .filter(|t| allowed.contains(&t.extension))
        .ok_or_else(|| {
            FieldError::invalid(
                "content_type",
                format!("the file types taken here are {}", allowed.join(", ")),
            )
        })?;
    if declared.size_bytes < 1 {
        return Err(FieldError::invalid("size_bytes", "the file is empty").into());
    }
    if declared.size_bytes > max_bytes {
        return Err(FieldError::new(
            "size_bytes",
            ErrorCode::TooLarge,
            format!("files here are at most {} MiB", max_bytes / (1024 * 1024)),
        )
        .into());
    }
    check_quota(conn, declared.size_bytes).await?;
    let id = Uuid::new_v4();
    let key = format!("{prefix}/{id}.{}", file_type.extension);
    let expires_at = Utc::now() + chrono::Duration::seconds(UPLOAD_WINDOW.as_secs() as i64);
    sqlx::query!(
        "INSERT INTO pending_uploads (id, purpose, file_key, file_name, content_type, size_bytes, \
             created_by, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        id,
        purpose,
        &key,
        &file_name,
        file_type.mime,
        declared.size_bytes,
        user,
        expires_at,
    )
    .execute(&mut *conn)
    .await?;
    let upload = storage
        .presign_put(
            &staging_key(&key),
            file_type.mime,
            declared.size_bytes,
            UPLOAD_WINDOW,
        )
        .await?;
    Ok(Reserved {
        upload_id: id,
        key,
        upload,
        expires_at,
    })
}

/// Claims upload `id` for `purpose` inside the caller's transaction: the
/// object exists with its declared size, its first bytes match its type,
/// and it fits the quota; its bytes are added to the usage. An upload
/// reserved for another purpose is unknown here.
pub async fn claim(
    conn: &mut PgConnection,
    storage: &Storage,
    purpose: &str,
    id: Uuid,
) -> Result<Claimed, UploadError> {
    let unknown = || FieldError::invalid("upload_id", "No upload with this id is waiting here.");
    let row: Option<(String, String, String, i64)> = sqlx::query!(
        "DELETE FROM pending_uploads WHERE id = $1 AND purpose = $2 \
         RETURNING file_key, file_name, content_type, size_bytes",
        id,
        purpose,
    )
    .map(|r| (r.file_key, r.file_name, r.content_type, r.size_bytes))
    .fetch_optional(&mut *conn)
    .await?;
    let (key, file_name, content_type, size) = row.ok_or_else(unknown)?;
    let file_type = FileType::by_mime(&content_type).ok_or_else(unknown)?;
    let staged = staging_key(&key);
    let Some(info) = storage.head(&staged).await? else {
        return Err(UploadError::NotUploaded);
    };
    if info.size != size {
        return Err(FieldError::invalid(
            "upload_id",
            format!(
                "the uploaded file has {} bytes, not the {size} declared",
                info.size
            ),
        )
        .into());
    }
    let version = info.e_tag.as_deref();
    let head = storage
        .first_bytes(&staged, SNIFF_BYTES, version)
        .await?
        .unwrap_or_default();
    if !file_type.matches(&head) {
        return Err(FieldError::new(
            "upload_id",
            ErrorCode::ContentMismatch,
            format!(
                "the uploaded file is not a {} file, as it was declared",
                file_type.extension
            ),
        )
        .into());
    }
    check_quota(conn, size).await?;
    // The version checked, and only it, becomes the file; a PUT to the
    // upload URL from now on writes a staged object nobody reads.
    let version = version.ok_or_else(|| {
        StorageError::Failed(anyhow::anyhow!("the storage gave no ETag for {staged}"))
    })?;
    storage.copy(&staged, &key, file_type.mime, version).await?;
    queue_deletion(conn, &staged).await?;
    add_usage(conn, size).await?;
    Ok(Claimed {
        key,
        file_name,
        content_type,
        extension: file_type.extension,
        size_bytes: size,
    })
}

/// Forgets `key` inside the caller's transaction (its row is going): its
/// bytes leave the usage now, and the object waits in `storage_deletions`
/// until [`delete_now`] (or a later retry) removes it from S3.
pub async fn forget(conn: &mut PgConnection, key: &str, size: i64) -> Result<(), sqlx::Error> {
    add_usage(conn, -size).await?;
    queue_deletion(conn, key).await
}

/// Queues `key` for [`delete_now`], inside the caller's transaction.
async fn queue_deletion(conn: &mut PgConnection, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO storage_deletions (file_key) VALUES ($1) ON CONFLICT DO NOTHING",
        key,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes the objects waiting in `storage_deletions` (`only` these keys,
/// or all): each one gone from S3 leaves the queue; a failure is counted
/// and kept for the next try. Answers how many were deleted.
pub async fn delete_now(
    db: &sqlx::PgPool,
    storage: &Storage,
    only: Option<&[String]>,
) -> Result<u64, sqlx::Error> {
    let keys: Vec<String> = sqlx::query_scalar!(
        "SELECT file_key FROM storage_deletions WHERE $1::text[] IS NULL OR file_key = ANY($1) \
         ORDER BY created_at LIMIT 1000",
        only,
    )
    .fetch_all(db)
    .await?;
    let mut deleted = 0;
    for key in keys {
        match storage.delete(&key).await {
            Ok(()) => {
                sqlx::query!("DELETE FROM storage_deletions WHERE file_key = $1", &key,)
                    .execute(db)
                    .await?;
                deleted += 1;
            }
            Err(e) => {
                tracing::warn!(%key, error = %e, "S3 delete failed; kept for a retry");
                sqlx::query!(
                    "UPDATE storage_deletions SET attempts = attempts + 1, last_error = $2 \
                     WHERE file_key = $1",
                    &key,
                    e.to_string(),
                )
                .execute(db)
                .await?;
            }
        }
    }
    Ok(deleted)
}

/// The prefixes whose objects count towards the storage usage.
pub const MANAGED_PREFIXES: &[&str] = &["documents/", "gallery/", "branding/"];

/// What [`reconcile`] found and did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, JsonSchema)]
pub struct Reconciled {
    /// Queued deletions carried out first.
    pub deletions_retried: u64,
    /// Objects under the managed prefixes, and their bytes.
    pub objects: u64,
    pub object_bytes: i64,
    /// The usage before, and after: the bytes of the objects rows own.
    pub usage_before: i64,
    pub usage_after: i64,
    /// Objects no row owns and no upload is waiting for (left in place,
    /// for an admin to look at).
    pub orphans: Vec<String>,
    /// Rows whose object is not in S3.
    pub missing: Vec<String>,
}

/// Recomputes the storage usage from S3 when it drifted.
pub async fn reconcile(db: &sqlx::PgPool, storage: &Storage) -> Result<Reconciled, UploadError> {
    let deletions_retried = delete_now(db, storage, None).await?;
    let mut objects = std::collections::HashMap::new();
    for prefix in MANAGED_PREFIXES {
        objects.extend(storage.list(prefix).await?);
    }
    let owned: Vec<String> = sqlx::query_scalar!(
        "SELECT file_key AS \"file_key!\" FROM newsletter_archives WHERE file_key IS NOT NULL \
         UNION ALL SELECT file_key FROM financial_reports WHERE file_key IS NOT NULL \
         UNION ALL SELECT file_key FROM bylaws_documents WHERE file_key IS NOT NULL \
         UNION ALL SELECT image_key FROM event_galleries \
         UNION ALL SELECT logo_key FROM organisation_settings WHERE logo_key IS NOT NULL",
    )
    .fetch_all(db)
    .await?;
    let waiting: std::collections::HashSet<String> = sqlx::query_scalar!(
        r#"SELECT file_key AS "file_key!" FROM pending_uploads UNION SELECT file_key FROM storage_deletions"#,
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .collect();
    let owned_set: std::collections::HashSet<&str> = owned.iter().map(String::as_str).collect();
    let usage_after: i64 = owned.iter().filter_map(|k| objects.get(k)).sum();
    let mut missing: Vec<String> = owned
        .iter()
        .filter(|k| !objects.contains_key(*k))
        .cloned()
        .collect();
    let mut orphans: Vec<String> = objects
        .keys()
        .filter(|k| !owned_set.contains(k.as_str()) && !waiting.contains(*k))
        .cloned()
        .collect();
    missing.sort();
    orphans.sort();
    let mut tx = db.begin().await?;
    let usage_before: i64 = sqlx::query_scalar!(
        "SELECT total_bytes_used FROM storage_usage ORDER BY last_updated LIMIT 1 FOR UPDATE",
    )
    .fetch_one(&mut *tx)
    .await?;
    add_usage(&mut tx, usage_after - usage_before).await?;
    tx.commit().await?;
    Ok(Reconciled {
        deletions_retried,
        objects: objects.len() as u64,
        object_bytes: objects.values().sum(),
        usage_before,
        usage_after,
        orphans,
        missing,
    })
}

/// The bytes the organisation stores, against its quota, by library,
/// galleries and logo, with deletions still queued.
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

/// The storage usage now.
pub async fn usage(conn: &mut PgConnection) -> sqlx::Result<Usage> {
    sqlx::query_as!(
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
    .fetch_one(conn)
    .await
}

/// Upload reservations an hour past their URL's expiry at `at` were never
/// confirmed: the rows go, and the staged objects (if the client uploaded
/// them) are queued for deletion. Their bytes were never counted. Answers
/// how many.
pub async fn abandon_reservations(db: &sqlx::PgPool, at: DateTime<Utc>) -> sqlx::Result<u64> {
    let gone: i64 = sqlx::query_scalar!(
        "WITH gone AS (DELETE FROM pending_uploads WHERE expires_at < $1::timestamptz - interval '1 hour' \
                       RETURNING file_key), \
              queued AS (INSERT INTO storage_deletions (file_key) \
                         SELECT $2 || file_key FROM gone ON CONFLICT DO NOTHING) \
         SELECT count(*) AS \"n!\" FROM gone",
        at,
        STAGING_PREFIX,
    )
    .fetch_one(db)
    .await?;
    Ok(gone as u64)
}
