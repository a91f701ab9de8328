//! S3 storage. Files never pass through a Lambda body: clients upload and
//! download with short-lived presigned URLs; the API only signs, checks and
//! deletes. Locally the same code talks to an S3-compatible endpoint.

use crate::aws::{self, xml, AwsError, Credentials};
use crate::config::StorageConfig;
use crate::percent;
use reqwest::{Method, StatusCode};
use std::sync::Arc;
use std::time::Duration;

/// A storage failure: the endpoint could not be reached (503 to the client)
/// or S3 refused the request (logged, 500).
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage unreachable: {0}")]
    Unavailable(anyhow::Error),
    #[error("storage request failed: {0}")]
    Failed(anyhow::Error),
    /// A conditional request's object changed (its ETag no longer matches).
    #[error("the object changed")]
    Changed,
}

impl From<AwsError> for StorageError {
    fn from(err: AwsError) -> Self {
        match err {
            AwsError::Unreachable { .. } => StorageError::Unavailable(err.into()),
            AwsError::Refused { status, .. } if status == StatusCode::PRECONDITION_FAILED => {
                StorageError::Changed
            }
            other => StorageError::Failed(other.into()),
        }
    }
}

/// A presigned request: the URL and the headers the client must send with it.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct Presigned {
    pub url: String,
    pub method: &'static str,
    /// `[name, value]` pairs.
    pub headers: Vec<(String, String)>,
}

/// What `head` reports of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    pub size: i64,
    pub content_type: Option<String>,
    /// Identifies this version of the bytes, for conditional requests.
    pub e_tag: Option<String>,
}

/// The S3 client and the bucket, configured once per container; building
/// it reads the environment only (the HTTPS client is made by the first
/// call).
#[derive(Clone)]
pub struct Storage {
    s3: aws::Client,
    bucket: Arc<str>,
    /// The path every key is under: `/<bucket>` when the bucket is in the
    /// path (local endpoints), empty when it is in the host name (AWS).
    root: Arc<str>,
}

/// `key` as a URL path: each segment percent-encoded, the slashes kept.
fn encode_key(key: &str) -> String {
    key.split('/')
        .map(percent::encode)
        .collect::<Vec<_>>()
        .join("/")
}

fn not_found(err: &AwsError) -> bool {
    err.status() == Some(StatusCode::NOT_FOUND)
}

/// S3 sometimes reports a failed copy or completion in the body of a 200.
fn error_in_body(text: &str) -> Result<(), StorageError> {
    match xml::all(text, "Error").first() {
        Some(error) => Err(StorageError::Failed(anyhow::anyhow!(
            "S3 refused the request: {} {}",
            xml::text(error, "Code").unwrap_or_default(),
            xml::text(error, "Message").unwrap_or_default()
        ))),
        None => Ok(()),
    }
}

fn header(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn unavailable(err: reqwest::Error) -> StorageError {
    StorageError::Unavailable(err.into())
}

impl Storage {
    /// Storage in `cfg`'s bucket: AWS's regional endpoint with the
    /// function's credentials, or `S3_ENDPOINT` with
    /// `S3_ACCESS_KEY_ID`/`S3_SECRET_ACCESS_KEY` (an S3-compatible server).
    pub fn new(cfg: &StorageConfig) -> Self {
        let region = cfg
            .region
            .clone()
            .unwrap_or_else(|| "us-east-1".to_string());
        let credentials = match (&cfg.access_key_id, &cfg.secret_access_key) {
            (Some(id), Some(secret)) => Some(Credentials {
                access_key_id: id.clone(),
                secret_access_key: secret.clone(),
                session_token: None,
            }),
            _ => Credentials::from_env(),
        };
        let bucket = cfg.bucket.as_str();
        let (endpoint, root) = match (&cfg.endpoint, cfg.path_style()) {
            (Some(endpoint), true) => (endpoint.clone(), format!("/{bucket}")),
            (Some(endpoint), false) => (
                endpoint.replacen("://", &format!("://{bucket}."), 1),
                String::new(),
            ),
            (None, true) => (
                format!("https://s3.{region}.amazonaws.com"),
                format!("/{bucket}"),
            ),
            (None, false) => (
                format!("https://{bucket}.s3.{region}.amazonaws.com"),
                String::new(),
            ),
        };
        Storage {
            s3: aws::Client::new("s3", &region, &endpoint, credentials).with_attempts(3),
            bucket: bucket.into(),
            root: root.into(),
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The request path of `key`.
    fn path(&self, key: &str) -> String {
        format!("{}/{}", self.root, encode_key(key))
    }

    /// The request path of the bucket itself.
    fn bucket_path(&self) -> String {
        format!("{}/", self.root)
    }

    /// Creates the bucket when it does not exist (local endpoints only; in
    /// AWS the stack owns the bucket).
    pub async fn ensure_bucket(&self) -> Result<(), StorageError> {
        match self.s3.call(Method::HEAD, self.bucket_path()).send().await {
            Ok(_) => Ok(()),
            Err(e) if not_found(&e) => {
                self.s3.call(Method::PUT, self.bucket_path()).send().await?;
                Ok(())
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A presigned PUT for exactly `content_length` bytes of `content_type`
    /// at `key`: both are signed, so the client cannot send another type or
    /// size.
    pub async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        content_length: i64,
        expires_in: Duration,
    ) -> Result<Presigned, StorageError> {
        let headers = vec![
            ("content-length".to_string(), content_length.to_string()),
            ("content-type".to_string(), content_type.to_string()),
        ];
        let mut call = self.s3.call(Method::PUT, self.path(key));
        for (name, value) in &headers {
            call = call.header(name, value.clone());
        }
        Ok(Presigned {
            url: call.presign(expires_in)?,
            method: "PUT",
            headers,
        })
    }

    /// A presigned GET; `download_name` sets the file name the browser saves.
    pub async fn presign_get(
        &self,
        key: &str,
        expires_in: Duration,
        download_name: Option<&str>,
    ) -> Result<String, StorageError> {
        let mut call = self.s3.call(Method::GET, self.path(key));
        if let Some(name) = download_name {
            call = call.query("response-content-disposition", content_disposition(name));
        }
        Ok(call.presign(expires_in)?)
    }

    /// The object's size and type, or `None` when there is no such object.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StorageError> {
        match self.s3.call(Method::HEAD, self.path(key)).send().await {
            Ok(res) => Ok(Some(ObjectInfo {
                size: header(&res, "content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
                content_type: header(&res, "content-type"),
                e_tag: header(&res, "etag"),
            })),
            Err(e) if not_found(&e) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes `body` at `key` as a file of `content_type` (a small file the
    /// server made, such as a receipt).
    pub async fn put_bytes(
        &self,
        key: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<(), StorageError> {
        self.s3
            .call(Method::PUT, self.path(key))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await?;
        Ok(())
    }

    /// Writes the file at `path` at `key`, read from disk as it is sent (a
    /// large file the server made, such as a member's data export), so its
    /// size never sits in memory.
    pub async fn put_file(
        &self,
        key: &str,
        content_type: &str,
        path: &std::path::Path,
    ) -> Result<(), StorageError> {
        let file = tokio::fs::File::open(path)
            .await
            .map_err(|e| StorageError::Failed(e.into()))?;
        let length = file
            .metadata()
            .await
            .map_err(|e| StorageError::Failed(e.into()))?
            .len();
        self.s3
            .call(Method::PUT, self.path(key))
            .header("content-type", content_type)
            .unsigned_body(file.into(), length)
            .send()
            .await?;
        Ok(())
    }

    /// The whole object, when it is at most `max_bytes` long; `None` when
    /// there is no such object. For uploads whose size was signed into the
    /// URL, so the bound holds.
    pub async fn get_bytes(
        &self,
        key: &str,
        max_bytes: i64,
    ) -> Result<Option<bytes::Bytes>, StorageError> {
        let res = match self.s3.call(Method::GET, self.path(key)).send().await {
            Ok(res) => res,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if res.content_length().unwrap_or(0) > max_bytes as u64 {
            return Err(StorageError::Failed(anyhow::anyhow!(
                "object {key} is larger than {max_bytes} bytes"
            )));
        }
        Ok(Some(res.bytes().await.map_err(unavailable)?))
    }

    /// The object's first `n` bytes (fewer when it is shorter), or `None`
    /// when there is no such object: enough to check a file's signature.
    /// With `if_match`, only of that version of the object
    /// ([`StorageError::Changed`] otherwise).
    pub async fn first_bytes(
        &self,
        key: &str,
        n: u64,
        if_match: Option<&str>,
    ) -> Result<Option<bytes::Bytes>, StorageError> {
        let mut call = self
            .s3
            .call(Method::GET, self.path(key))
            .header("range", format!("bytes=0-{}", n.saturating_sub(1)));
        if let Some(tag) = if_match {
            call = call.header("if-match", tag);
        }
        let res = match call.send().await {
            Ok(res) => res,
            Err(e) if not_found(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let mut bytes = res.bytes().await.map_err(unavailable)?;
        // An endpoint that ignores Range sends it all: keep what was asked.
        bytes.truncate(n as usize);
        Ok(Some(bytes))
    }

    /// Every object under `prefix`: its key and size.
    pub async fn list(&self, prefix: &str) -> Result<Vec<(String, i64)>, StorageError> {
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut call = self
                .s3
                .call(Method::GET, self.bucket_path())
                .query("list-type", "2")
                .query("prefix", prefix);
            if let Some(token) = token.take() {
                call = call.query("continuation-token", token);
            }
            let page = call.send().await?.text().await.map_err(unavailable)?;
            for object in xml::all(&page, "Contents") {
                if let Some(key) = xml::text(object, "Key") {
                    let size = xml::text(object, "Size").and_then(|s| s.parse().ok());
                    objects.push((key, size.unwrap_or(0)));
                }
            }
            token = xml::text(&page, "NextContinuationToken")
                .filter(|_| xml::text(&page, "IsTruncated").as_deref() == Some("true"));
            if token.is_none() {
                return Ok(objects);
            }
        }
    }

    /// Copies `from` to `to` as `content_type`, only if `from` is still the
    /// version `if_match` ([`StorageError::Changed`] otherwise).
    pub async fn copy(
        &self,
        from: &str,
        to: &str,
        content_type: &str,
        if_match: &str,
    ) -> Result<(), StorageError> {
        let res = self
            .s3
            .call(Method::PUT, self.path(to))
            .header(
                "x-amz-copy-source",
                format!("{}/{}", encode_key(&self.bucket), encode_key(from)),
            )
            .header("x-amz-copy-source-if-match", if_match)
            .header("x-amz-metadata-directive", "REPLACE")
            .header("content-type", content_type)
            .send()
            .await?;
        error_in_body(&res.text().await.map_err(unavailable)?)
    }

    /// Deletes the object; deleting a missing object succeeds.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.s3.call(Method::DELETE, self.path(key)).send().await?;
        Ok(())
    }

    /// Starts a multipart upload of a `content_type` object at `key`;
    /// answers its upload id.
    pub async fn start_upload(
        &self,
        key: &str,
        content_type: &str,
    ) -> Result<String, StorageError> {
        let res = self
            .s3
            .call(Method::POST, self.path(key))
            .query("uploads", "")
            .header("content-type", content_type)
            .send()
            .await?;
        let text = res.text().await.map_err(unavailable)?;
        xml::text(&text, "UploadId").ok_or_else(|| {
            StorageError::Failed(anyhow::anyhow!(
                "S3 started an upload without an id: {text}"
            ))
        })
    }

    /// Sends part `number` (from 1) of upload `id`; answers the part's ETag,
    /// which completing the upload names.
    pub async fn upload_part(
        &self,
        key: &str,
        id: &str,
        number: u32,
        body: Vec<u8>,
    ) -> Result<String, StorageError> {
        let res = self
            .s3
            .call(Method::PUT, self.path(key))
            .query("partNumber", number.to_string())
            .query("uploadId", id)
            .body(body)
            .send()
            .await?;
        Ok(header(&res, "etag").unwrap_or_default())
    }

    /// Joins the parts (number and ETag, in order) of upload `id` into the
    /// object.
    pub async fn complete_upload(
        &self,
        key: &str,
        id: &str,
        parts: &[(u32, String)],
    ) -> Result<(), StorageError> {
        let parts: String = parts
            .iter()
            .map(|(n, tag)| {
                format!(
                    "<Part><PartNumber>{n}</PartNumber><ETag>{}</ETag></Part>",
                    xml::escape(tag)
                )
            })
            .collect();
        let res = self
            .s3
            .call(Method::POST, self.path(key))
            .query("uploadId", id)
            .header("content-type", "application/xml")
            .body(format!(
                "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">{parts}</CompleteMultipartUpload>"
            ))
            .send()
            .await?;
        error_in_body(&res.text().await.map_err(unavailable)?)
    }

    /// Gives up upload `id`, so S3 keeps none of its parts.
    pub async fn abort_upload(&self, key: &str, id: &str) -> Result<(), StorageError> {
        self.s3
            .call(Method::DELETE, self.path(key))
            .query("uploadId", id)
            .send()
            .await?;
        Ok(())
    }
}

/// `attachment` with an ASCII fallback name and the exact UTF-8 name
/// (RFC 6266 / RFC 5987), so "Rapport annuel 2025.pdf" survives.
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        crate::percent::encode(name)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disposition_keeps_unicode_names() {
        assert_eq!(
            content_disposition("Résumé \"2025\".pdf"),
            "attachment; filename=\"R_sum_ _2025_.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9%20%222025%22.pdf"
        );
    }
}
