//! Files the server makes for one caller (a receipt as PDF): written under
//! `exports/` (which the bucket deletes after a week) and handed over by a
//! short-lived presigned link, never through the function's answer.

use crate::csv_export::LINK_LIFETIME;
use chrono::{DateTime, Utc};
use loaf_core::storage::{Storage, StorageError};
use schemars::JsonSchema;
use serde::Serialize;

/// Where to download a file made for the caller.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Download {
    pub download_url: String,
    pub expires_at: DateTime<Utc>,
}

/// Stores `pdf` and answers its link, the file saved as `file_name`. A
/// file about a member goes under their own prefix (`owner`), where
/// erasing them finds it.
pub async fn pdf(
    storage: &Storage,
    pdf: Vec<u8>,
    file_name: &str,
    owner: Option<uuid::Uuid>,
) -> Result<Download, StorageError> {
    let id = uuid::Uuid::new_v4();
    let key = match owner {
        Some(owner) => format!("{}{id}.pdf", loaf_domain::erasure::files_prefix(owner)),
        None => format!("exports/receipts/{id}.pdf"),
    };
    storage.put_bytes(&key, "application/pdf", pdf).await?;
    let download_url = storage
        .presign_get(&key, LINK_LIFETIME, Some(file_name))
        .await?;
    Ok(Download {
        download_url,
        expires_at: Utc::now() + chrono::Duration::seconds(LINK_LIFETIME.as_secs() as i64),
    })
}
