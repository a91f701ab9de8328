//! CSV exports written straight to S3. Rows are formatted as they arrive
//! and sent in multipart parts of [`PART_SIZE`], so memory stays flat
//! however many rows there are; the client downloads the file by presigned
//! URL. Cells a spreadsheet would read as a formula are neutralised.

use crate::error::ApiError;
use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use loaf_core::storage::{Storage, StorageError};
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgConnection, Postgres, QueryBuilder};
use std::borrow::Cow;
use std::time::Duration;

/// Bytes buffered before a part is sent (S3 wants at least 5 MiB for every
/// part but the last).
pub const PART_SIZE: usize = 6 * 1024 * 1024;

const CONTENT_TYPE: &str = "text/csv; charset=utf-8";

/// How long an export's download link works (the bucket deletes exports
/// after a week).
pub const LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// What an export route answers.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ExportLink {
    pub download_url: String,
    pub expires_at: DateTime<Utc>,
    pub rows: u64,
}

/// The download link of the finished export at `key`, saved as
/// `<name>-<date>.csv`.
pub async fn link(
    storage: &Storage,
    key: &str,
    name: &str,
    rows: u64,
) -> Result<ExportLink, StorageError> {
    let file_name = format!("{name}-{}.csv", Utc::now().format("%Y-%m-%d"));
    let download_url = storage
        .presign_get(key, LINK_LIFETIME, Some(&file_name))
        .await?;
    Ok(ExportLink {
        download_url,
        expires_at: Utc::now() + chrono::Duration::seconds(LINK_LIFETIME.as_secs() as i64),
        rows,
    })
}

/// Runs `select` and streams its rows, formatted by `cells`, into a new
/// export under `exports/<name>/`; answers the download link. The rows go
/// to S3 as they arrive, so memory stays flat at any size.
pub async fn export<R, const N: usize>(
    storage: &Storage,
    conn: &mut PgConnection,
    select: &mut QueryBuilder<'_, Postgres>,
    name: &str,
    header: &[&str],
    cells: fn(R) -> [String; N],
) -> Result<ExportLink, ApiError>
where
    R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    let key = format!("exports/{name}/{}.csv", uuid::Uuid::new_v4());
    let mut csv = CsvUpload::new(storage, key.clone(), header);
    let mut rows = select
        .build_query_as::<R>()
        .persistent(false)
        .fetch(&mut *conn);
    while let Some(row) = rows.try_next().await? {
        csv.row(cells(row)).await?;
    }
    drop(rows);
    let count = csv.finish().await?;
    Ok(link(storage, &key, name, count).await?)
}

/// A CSV file being written to `key`.
pub struct CsvUpload<'a> {
    storage: &'a Storage,
    key: String,
    /// The bytes not yet sent.
    buf: Vec<u8>,
    upload_id: Option<String>,
    /// The parts sent: number and ETag.
    parts: Vec<(u32, String)>,
    rows: u64,
}

/// `value`, prefixed with `'` when it starts like a formula (`=`, `+`, `-`,
/// `@`, tab or carriage return), as OWASP advises against CSV injection.
pub fn safe_cell(value: &str) -> Cow<'_, str> {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// Appends `cells` to `buf` as one RFC 4180 record: a cell holding a comma,
/// a quote or a line break is quoted, its quotes doubled.
fn push_record<T: AsRef<str>>(buf: &mut Vec<u8>, cells: impl IntoIterator<Item = T>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        let cell = cell.as_ref();
        if cell.contains([',', '"', '\r', '\n']) {
            buf.push(b'"');
            buf.extend_from_slice(cell.replace('"', "\"\"").as_bytes());
            buf.push(b'"');
        } else {
            buf.extend_from_slice(cell.as_bytes());
        }
    }
    buf.extend_from_slice(b"\r\n");
}

impl<'a> CsvUpload<'a> {
    /// Starts the file with a UTF-8 byte order mark (so spreadsheets read
    /// accents right) and the header row.
    pub fn new(storage: &'a Storage, key: impl Into<String>, header: &[&str]) -> Self {
        let mut buf = b"\xEF\xBB\xBF".to_vec();
        push_record(&mut buf, header);
        CsvUpload {
            storage,
            key: key.into(),
            buf,
            upload_id: None,
            parts: Vec::new(),
            rows: 0,
        }
    }

    /// Appends one row, each cell neutralised; sends a part when enough
    /// bytes are buffered.
    pub async fn row<I, T>(&mut self, cells: I) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        push_record(
            &mut self.buf,
            cells
                .into_iter()
                .map(|c| safe_cell(c.as_ref()).into_owned()),
        );
        self.counted().await
    }

    /// Appends one row as given, not neutralised: only for cells that go
    /// back to the person who wrote them (an import's refused lines, to
    /// fix and upload again), where a `'` added would change their data.
    pub async fn row_as_given<I, T>(&mut self, cells: I) -> Result<(), StorageError>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        push_record(&mut self.buf, cells);
        self.counted().await
    }

    /// Counts the row just added; sends a part when enough bytes are
    /// buffered.
    async fn counted(&mut self) -> Result<(), StorageError> {
        self.rows += 1;
        if self.buf.len() >= PART_SIZE {
            self.send_part().await?;
        }
        Ok(())
    }

    fn take_buffer(&mut self) -> Vec<u8> {
        std::mem::replace(&mut self.buf, Vec::with_capacity(PART_SIZE + 64 * 1024))
    }

    async fn send_part(&mut self) -> Result<(), StorageError> {
        let body = self.take_buffer();
        let id = match &self.upload_id {
            Some(id) => id.clone(),
            None => {
                let id = self.storage.start_upload(&self.key, CONTENT_TYPE).await?;
                self.upload_id = Some(id.clone());
                id
            }
        };
        let number = self.parts.len() as u32 + 1;
        match self.storage.upload_part(&self.key, &id, number, body).await {
            Ok(e_tag) => {
                self.parts.push((number, e_tag));
                Ok(())
            }
            Err(err) => {
                self.abort().await;
                Err(err)
            }
        }
    }

    /// Gives up a multipart upload so S3 keeps no orphan parts (the bucket's
    /// lifecycle rule is the backstop).
    async fn abort(&self) {
        if let Some(id) = &self.upload_id {
            let _ = self.storage.abort_upload(&self.key, id).await;
        }
    }

    /// Sends what is left and completes the object; answers the number of
    /// rows written (the header not counted).
    pub async fn finish(mut self) -> Result<u64, StorageError> {
        let Some(id) = self.upload_id.clone() else {
            let body = self.take_buffer();
            self.storage
                .put_bytes(&self.key, CONTENT_TYPE, body)
                .await?;
            return Ok(self.rows);
        };
        if !self.buf.is_empty() {
            self.send_part().await?;
        }
        if let Err(err) = self
            .storage
            .complete_upload(&self.key, &id, &self.parts)
            .await
        {
            self.abort().await;
            return Err(err);
        }
        Ok(self.rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_quote_what_needs_quoting() {
        let mut buf = Vec::new();
        push_record(&mut buf, ["plain", "a,b", "say \"hi\"", "two\nlines", ""]);
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n"
        );
    }

    #[test]
    fn formula_starts_are_neutralised_and_the_rest_kept() {
        for risky in ["=1+1", "+44 20", "-5", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(safe_cell(risky), format!("'{risky}"));
        }
        for plain in ["Ada", "", "a=b", "1-2", "ada@example.org", "'quoted"] {
            assert_eq!(safe_cell(plain), plain);
        }
    }
}
