//! S3 storage. Files never pass through a Lambda body: clients upload and
//! download with short-lived presigned URLs; the API only signs, checks and
//! deletes. Locally the same code talks to an S3-compatible endpoint.

use crate::aws::Lazy;
use crate::config::StorageConfig;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::presigning::PresigningConfig;
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

impl<E, R> From<SdkError<E, R>> for StorageError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    fn from(err: SdkError<E, R>) -> Self {
        match err {
            SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => {
                StorageError::Unavailable(err.into())
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

/// The S3 client and the bucket: configured once per container, the
/// client built on the first call that needs it.
#[derive(Clone)]
pub struct Storage {
    client: Lazy<aws_sdk_s3::Client>,
    bucket: Arc<str>,
}

impl Storage {
    /// Storage in `cfg`'s bucket; nothing is loaded until the first call.
    pub fn new(cfg: &StorageConfig) -> Self {
        let bucket = cfg.bucket.as_str().into();
        let cfg = cfg.clone();
        Storage {
            client: Lazy::new(move || client(cfg.clone())),
            bucket,
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Creates the bucket when it does not exist (local endpoints only; in
    /// AWS the stack owns the bucket).
    pub async fn ensure_bucket(&self) -> Result<(), StorageError> {
        match self
            .client()
            .await
            .head_bucket()
            .bucket(self.bucket())
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 404 => {
                self.client()
                    .await
                    .create_bucket()
                    .bucket(self.bucket())
                    .send()
                    .await?;
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
        let req = self
            .client()
            .await
            .put_object()
            .bucket(self.bucket())
            .key(key)
            .content_type(content_type)
            .content_length(content_length)
            .presigned(presigning(expires_in)?)
            .await?;
        Ok(Presigned {
            url: req.uri().to_string(),
            method: "PUT",
            headers: req
                .headers()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        })
    }

    /// A presigned GET; `download_name` sets the file name the browser saves.
    pub async fn presign_get(
        &self,
        key: &str,
        expires_in: Duration,
        download_name: Option<&str>,
    ) -> Result<String, StorageError> {
        let mut req = self
            .client()
            .await
            .get_object()
            .bucket(self.bucket())
            .key(key);
        if let Some(name) = download_name {
            req = req.response_content_disposition(content_disposition(name));
        }
        Ok(req
            .presigned(presigning(expires_in)?)
            .await?
            .uri()
            .to_string())
    }

    /// The object's size and type, or `None` when there is no such object.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectInfo>, StorageError> {
        match self
            .client()
            .await
            .head_object()
            .bucket(self.bucket())
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(ObjectInfo {
                size: out.content_length().unwrap_or(0),
                content_type: out.content_type().map(str::to_string),
                e_tag: out.e_tag().map(str::to_string),
            })),
            Err(SdkError::ServiceError(e))
                if e.raw().status().as_u16() == 404 || e.err().code() == Some("NotFound") =>
            {
                Ok(None)
            }
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
        self.client()
            .await
            .put_object()
            .bucket(self.bucket())
            .key(key)
            .content_type(content_type)
            .body(aws_sdk_s3::primitives::ByteStream::from(body))
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
        let body = aws_sdk_s3::primitives::ByteStream::from_path(path)
            .await
            .map_err(|e| StorageError::Failed(e.into()))?;
        self.client()
            .await
            .put_object()
            .bucket(self.bucket())
            .key(key)
            .content_type(content_type)
            .body(body)
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
        let out = match self
            .client()
            .await
            .get_object()
            .bucket(self.bucket())
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(SdkError::ServiceError(e))
                if e.raw().status().as_u16() == 404 || e.err().is_no_such_key() =>
            {
                return Ok(None)
            }
            Err(e) => return Err(e.into()),
        };
        if out.content_length().unwrap_or(0) > max_bytes {
            return Err(StorageError::Failed(anyhow::anyhow!(
                "object {key} is larger than {max_bytes} bytes"
            )));
        }
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| StorageError::Unavailable(e.into()))?;
        Ok(Some(body.into_bytes()))
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
        let out = match self
            .client()
            .await
            .get_object()
            .bucket(self.bucket())
            .key(key)
            .range(format!("bytes=0-{}", n.saturating_sub(1)))
            .set_if_match(if_match.map(str::to_string))
            .send()
            .await
        {
            Ok(out) => out,
            Err(SdkError::ServiceError(e))
                if e.raw().status().as_u16() == 404 || e.err().is_no_such_key() =>
            {
                return Ok(None)
            }
            Err(SdkError::ServiceError(e)) if e.raw().status().as_u16() == 412 => {
                return Err(StorageError::Changed)
            }
            Err(e) => return Err(e.into()),
        };
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| StorageError::Unavailable(e.into()))?;
        let mut bytes = body.into_bytes();
        // An endpoint that ignores Range sends it all: keep what was asked.
        bytes.truncate(n as usize);
        Ok(Some(bytes))
    }

    /// Every object under `prefix`: its key and size.
    pub async fn list(&self, prefix: &str) -> Result<Vec<(String, i64)>, StorageError> {
        let mut objects = Vec::new();
        let mut pages = self
            .client()
            .await
            .list_objects_v2()
            .bucket(self.bucket())
            .prefix(prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            for o in page?.contents() {
                if let Some(key) = o.key() {
                    objects.push((key.to_string(), o.size().unwrap_or(0)));
                }
            }
        }
        Ok(objects)
    }

    /// The client, for the streaming writers in this crate.
    pub async fn client(&self) -> &aws_sdk_s3::Client {
        self.client.get().await
    }

    /// Copies `from` to `to` as `content_type`, only if `from` is still the
    /// version `if_match` ([`StorageError::Changed`] otherwise). Keys are
    /// the server's own (letters, digits, `/ . -`), so the copy source needs
    /// no encoding.
    pub async fn copy(
        &self,
        from: &str,
        to: &str,
        content_type: &str,
        if_match: &str,
    ) -> Result<(), StorageError> {
        self.client()
            .await
            .copy_object()
            .bucket(self.bucket())
            .copy_source(format!("{}/{from}", self.bucket()))
            .copy_source_if_match(if_match)
            .key(to)
            .content_type(content_type)
            .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
            .send()
            .await
            .map_err(|e| match e {
                SdkError::ServiceError(e) if e.raw().status().as_u16() == 412 => {
                    StorageError::Changed
                }
                e => e.into(),
            })?;
        Ok(())
    }

    /// Deletes the object; deleting a missing object succeeds.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        self.client()
            .await
            .delete_object()
            .bucket(self.bucket())
            .key(key)
            .send()
            .await?;
        Ok(())
    }
}

/// The S3 client for `cfg`: the default AWS credential chain (the Lambda
/// role in AWS), or `S3_ACCESS_KEY_ID`/`S3_SECRET_ACCESS_KEY` when an
/// S3-compatible endpoint is configured.
async fn client(cfg: StorageConfig) -> aws_sdk_s3::Client {
    let mut loader = crate::aws::defaults();
    if let Some(region) = &cfg.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    } else if cfg.endpoint.is_some() {
        loader = loader.region(aws_config::Region::new("us-east-1"));
    }
    if let (Some(key_id), Some(secret)) = (&cfg.access_key_id, &cfg.secret_access_key) {
        loader = loader.credentials_provider(aws_sdk_s3::config::Credentials::new(
            key_id.clone(),
            secret.expose().to_string(),
            None,
            None,
            "loaf-static",
        ));
    }
    let shared = loader.load().await;
    let mut builder = aws_sdk_s3::config::Builder::from(&shared).force_path_style(cfg.path_style());
    if let Some(endpoint) = &cfg.endpoint {
        builder = builder.endpoint_url(endpoint);
    }
    aws_sdk_s3::Client::from_conf(builder.build())
}

fn presigning(expires_in: Duration) -> Result<PresigningConfig, StorageError> {
    PresigningConfig::expires_in(expires_in).map_err(|e| StorageError::Failed(e.into()))
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
