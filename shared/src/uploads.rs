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

use crate::error::{ApiError, ApiResult};
use crate::storage::{Presigned, Storage};
use crate::validate::text;
use crate::ErrorCode;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgConnection;
use std::time::Duration;
use uuid::Uuid;

/// How long a presigned upload URL (and its reservation) lasts.
pub const UPLOAD_WINDOW: Duration = Duration::from_secs(15 * 60);

/// What a file's first bytes must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signature {
    Pdf,
    Png,
    Jpeg,
    Gif,
    Webp,
    /// Office Open XML and OpenDocument files are zip archives.
    Zip,
    /// Legacy Office files are OLE compound documents.
    Ole,
    /// Plain text: no NUL byte.
    Text,
}

/// A file type we take: its extension, MIME type and signature.
#[derive(Debug, Clone, Copy)]
pub struct FileType {
    pub extension: &'static str,
    pub mime: &'static str,
    signature: Signature,
}

/// Every type the platform knows; `DOCUMENT_TYPES` narrows the documents'.
pub const FILE_TYPES: &[FileType] = &[
    FileType {
        extension: "pdf",
        mime: "application/pdf",
        signature: Signature::Pdf,
    },
    FileType {
        extension: "doc",
        mime: "application/msword",
        signature: Signature::Ole,
    },
    FileType {
        extension: "docx",
        mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        signature: Signature::Zip,
    },
    FileType {
        extension: "xls",
        mime: "application/vnd.ms-excel",
        signature: Signature::Ole,
    },
    FileType {
        extension: "xlsx",
        mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        signature: Signature::Zip,
    },
    FileType {
        extension: "ppt",
        mime: "application/vnd.ms-powerpoint",
        signature: Signature::Ole,
    },
    FileType {
        extension: "pptx",
        mime: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        signature: Signature::Zip,
    },
    FileType {
        extension: "odt",
        mime: "application/vnd.oasis.opendocument.text",
        signature: Signature::Zip,
    },
    FileType {
        extension: "ods",
        mime: "application/vnd.oasis.opendocument.spreadsheet",
        signature: Signature::Zip,
    },
    FileType {
        extension: "odp",
        mime: "application/vnd.oasis.opendocument.presentation",
        signature: Signature::Zip,
    },
    FileType {
        extension: "txt",
        mime: "text/plain",
        signature: Signature::Text,
    },
    FileType {
        extension: "csv",
        mime: "text/csv",
        signature: Signature::Text,
    },
    FileType {
        extension: "png",
        mime: "image/png",
        signature: Signature::Png,
    },
    FileType {
        extension: "jpg",
        mime: "image/jpeg",
        signature: Signature::Jpeg,
    },
    FileType {
        extension: "gif",
        mime: "image/gif",
        signature: Signature::Gif,
    },
    FileType {
        extension: "webp",
        mime: "image/webp",
        signature: Signature::Webp,
    },
];

/// The image types (logo, photos). SVG is left out on purpose: it can
/// carry script.
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "gif", "webp"];

/// How many leading bytes the signature check reads.
const SNIFF_BYTES: u64 = 512;

/// Where uploads wait for their claim (the bucket expires what is left).
pub const STAGING_PREFIX: &str = "incoming/";

/// The staging key of the file that will live at `key`.
pub fn staging_key(key: &str) -> String {
    format!("{STAGING_PREFIX}{key}")
}

impl FileType {
    /// The type whose MIME type is `mime` (parameters ignored), if known.
    pub fn by_mime(mime: &str) -> Option<&'static FileType> {
        let base = mime.split(';').next().unwrap_or_default().trim();
        FILE_TYPES
            .iter()
            .find(|t| t.mime.eq_ignore_ascii_case(base))
    }

    /// `true` when `head` (a file's first bytes) looks like this type.
    pub fn matches(&self, head: &[u8]) -> bool {
        match self.signature {
            Signature::Pdf => head.starts_with(b"%PDF-"),
            Signature::Png => head.starts_with(b"\x89PNG\r\n\x1a\n"),
            Signature::Jpeg => head.starts_with(b"\xff\xd8\xff"),
            Signature::Gif => head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a"),
            Signature::Webp => head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP",
            Signature::Zip => head.starts_with(b"PK\x03\x04"),
            Signature::Ole => head.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
            Signature::Text => !head.is_empty() && !head.contains(&0),
        }
    }
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

fn quota_exceeded(used: i64, size: i64, max: i64) -> ApiError {
    let mib = |b: i64| b as f64 / (1024.0 * 1024.0);
    ApiError::refused(
        StatusCode::CONFLICT,
        ErrorCode::QuotaExceeded,
        format!(
            "Storage is full: {:.1} MiB used of {:.1} MiB, and this file needs {:.1} MiB. Delete files or raise the quota.",
            mib(used),
            mib(max),
            mib(size)
        ),
    )
}

/// Checks that `size` more bytes fit in the quota, locking the usage row
/// so concurrent checks take turns; answers the bytes used.
async fn check_quota(conn: &mut PgConnection, size: i64) -> ApiResult<i64> {
    let (used, max): (i64, i64) = sqlx::query!(
        "SELECT total_bytes_used, max_bytes_allowed FROM storage_usage \
         ORDER BY last_updated LIMIT 1 FOR UPDATE",
    )
    .map(|r| (r.total_bytes_used, r.max_bytes_allowed))
    .fetch_one(conn)
    .await?;
    if used + size > max {
        return Err(quota_exceeded(used, size, max));
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
) -> ApiResult<Reserved> {
    let file_name = text("file_name", &declared.file_name, 255)?;
    let file_type = FileType::by_mime(&declared.content_type)
        .filter(|t| allowed.contains(&t.extension))
        .ok_or_else(|| {
            ApiError::invalid(
                "content_type",
                format!("the file types taken here are {}", allowed.join(", ")),
            )
        })?;
    if declared.size_bytes < 1 {
        return Err(ApiError::invalid("size_bytes", "the file is empty"));
    }
    if declared.size_bytes > max_bytes {
        return Err(ApiError::Validation {
            field: "size_bytes".into(),
            code: ErrorCode::TooLarge,
            message: format!("files here are at most {} MiB", max_bytes / (1024 * 1024)),
        });
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
) -> ApiResult<Claimed> {
    let unknown = || ApiError::invalid("upload_id", "No upload with this id is waiting here.");
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
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::UploadMissing,
            "The file has not been uploaded yet: PUT it to the upload URL first.",
        ));
    };
    if info.size != size {
        return Err(ApiError::invalid(
            "upload_id",
            format!(
                "the uploaded file has {} bytes, not the {size} declared",
                info.size
            ),
        ));
    }
    let version = info.e_tag.as_deref();
    let head = storage
        .first_bytes(&staged, SNIFF_BYTES, version)
        .await?
        .unwrap_or_default();
    if !file_type.matches(&head) {
        return Err(ApiError::Validation {
            field: "upload_id".into(),
            code: ErrorCode::ContentMismatch,
            message: format!(
                "the uploaded file is not a {} file, as it was declared",
                file_type.extension
            ),
        });
    }
    check_quota(conn, size).await?;
    // The version checked, and only it, becomes the file; a PUT to the
    // upload URL from now on writes a staged object nobody reads.
    let version = version.ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!("the storage gave no ETag for {staged}"))
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
pub async fn reconcile(db: &sqlx::PgPool, storage: &Storage) -> Result<Reconciled, ApiError> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_tell_types_apart() {
        let pdf = FileType::by_mime("application/pdf").unwrap();
        assert!(pdf.matches(b"%PDF-1.7\n..."));
        assert!(!pdf.matches(b"\x89PNG\r\n\x1a\n"));
        let png = FileType::by_mime("image/png; charset=binary").unwrap();
        assert!(png.matches(b"\x89PNG\r\n\x1a\n\0\0"));
        let webp = FileType::by_mime("image/webp").unwrap();
        assert!(webp.matches(b"RIFF\x10\0\0\0WEBPVP8 "));
        assert!(!webp.matches(b"RIFF\x10\0\0\0WAVEfmt "));
        let docx = FileType::by_mime(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        .unwrap();
        assert!(docx.matches(b"PK\x03\x04\x14\0"));
        let txt = FileType::by_mime("text/plain").unwrap();
        assert!(txt.matches(b"Minutes of the meeting"));
        assert!(!txt.matches(b"MZ\x90\0\x03"));
        assert!(FileType::by_mime("image/svg+xml").is_none());
        assert!(FileType::by_mime("application/x-msdownload").is_none());
    }
}
