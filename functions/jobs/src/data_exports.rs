//! Builds the data exports people asked for (`loaf_domain::data_exports`):
//! one ZIP per export, a JSON file per part of what the platform holds
//! about the person, plus the photos they uploaded. Rows stream from the
//! database into the archive on disk and the archive streams from disk to
//! S3, so memory stays flat however long the person's history.

use futures_util::TryStreamExt;
use loaf_core::config::EmailConfig;
use loaf_core::storage::Storage;
use loaf_domain::audit::{self, Actor};
use loaf_domain::data_exports;
use loaf_domain::data_exports::build::{self, Built, Job, Part};
use loaf_domain::email::{outbox, Mail};
use loaf_domain::profile::Profile;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use uuid::Uuid;
use zip::write::SimpleFileOptions;
use zip::ZipWriter;

/// Attempts before an export is given up as `failed`.
const MAX_ATTEMPTS: i32 = 3;

/// Builds up to `max` waiting exports (and any whose builder died more
/// than 15 minutes ago); answers how many are ready.
pub async fn build_due(
    db: &PgPool,
    storage: &Storage,
    email: &EmailConfig,
    max: u32,
) -> Result<u64, sqlx::Error> {
    let mut ready = 0;
    for _ in 0..max {
        let Some(job) = claim(db).await? else { break };
        match build(db, storage, &job).await {
            Ok(built) => {
                if finish(db, email, &job, &built).await? {
                    ready += 1;
                } else if let Err(e) = storage.delete(&built.key).await {
                    // The person was erased meanwhile: the archive must not stay.
                    tracing::warn!(export = %job.id, error = %e, "an erased person's archive was left; the bucket expires it");
                }
            }
            Err(e) => {
                tracing::warn!(export = %job.id, error = %e, "data export failed");
                let mut tx = audit::begin_as(db, Actor::Scheduler).await?;
                build::failed(&mut tx, job.id, &e.to_string(), MAX_ATTEMPTS).await?;
                tx.commit().await?;
            }
        }
    }
    Ok(ready)
}

async fn claim(db: &PgPool) -> Result<Option<Job>, sqlx::Error> {
    let mut tx = audit::begin_as(db, Actor::Scheduler).await?;
    let job = build::claim(&mut tx).await?;
    tx.commit().await?;
    Ok(job)
}

#[derive(Debug, thiserror::Error)]
enum BuildError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Storage(#[from] loaf_core::storage::StorageError),
    #[error("writing the archive: {0}")]
    Io(#[from] std::io::Error),
    #[error("writing the archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("writing the archive: {0}")]
    Json(#[from] serde_json::Error),
}

/// A temporary file removed when dropped, whatever happened.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn build(db: &PgPool, storage: &Storage, job: &Job) -> Result<Built, BuildError> {
    let temp = TempFile(std::env::temp_dir().join(format!("loaf-export-{}.zip", job.id)));
    let mut zip = ZipWriter::new(BufWriter::new(File::create(&temp.0)?));
    let mut conn = db.acquire().await?;
    let records = write_parts(&mut conn, &mut zip, job.user_id).await?;
    let files = copy_photos(&mut conn, storage, &mut zip, job.user_id).await?;
    zip.finish()?.flush()?;
    drop(conn);
    let size_bytes = std::fs::metadata(&temp.0)?.len() as i64;
    let key = data_exports::key(job.user_id, job.id);
    storage
        .put_file(&key, "application/zip", Path::new(&temp.0))
        .await?;
    Ok(Built {
        key,
        size_bytes,
        records,
        files,
    })
}

fn options() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)
}

/// Starts `name` in the archive as a JSON array, writes each row `rows`
/// yields as it arrives, closes it; answers the rows written.
async fn write_array<W: Write + std::io::Seek>(
    zip: &mut ZipWriter<W>,
    name: &str,
    mut rows: impl futures_util::Stream<Item = Result<Option<Value>, sqlx::Error>> + Unpin,
) -> Result<i64, BuildError> {
    zip.start_file(name, options())?;
    zip.write_all(b"[\n")?;
    let mut n = 0;
    while let Some(row) = rows.try_next().await? {
        if n > 0 {
            zip.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut *zip, &row.unwrap_or(Value::Null))?;
        n += 1;
    }
    zip.write_all(b"\n]\n")?;
    Ok(n)
}

/// Every part of what the platform holds about `user`, a file each.
async fn write_parts<W: Write + std::io::Seek>(
    conn: &mut PgConnection,
    zip: &mut ZipWriter<W>,
    user: Uuid,
) -> Result<i64, BuildError> {
    let account = build::account(&mut *conn, user).await?;
    let profile = Profile::load(conn, user).await?;
    zip.start_file("account.json", options())?;
    serde_json::to_writer_pretty(&mut *zip, &account)?;
    zip.start_file("profile.json", options())?;
    serde_json::to_writer_pretty(&mut *zip, &profile)?;
    let mut n = 2;
    for part in Part::ALL {
        n += write_array(zip, part.file_name(), build::rows(&mut *conn, part, user)).await?;
    }
    Ok(n)
}

/// The gallery photos `user` uploaded, under `photos/`.
async fn copy_photos<W: Write + std::io::Seek>(
    conn: &mut PgConnection,
    storage: &Storage,
    zip: &mut ZipWriter<W>,
    user: Uuid,
) -> Result<i32, BuildError> {
    let keys = build::photo_keys(conn, user).await?;
    let mut files = 0;
    for key in keys {
        // One photo at a time (each is bounded by the upload limit).
        let Some(bytes) = storage.get_bytes(&key, i64::MAX).await? else {
            continue;
        };
        let name = key.rsplit('/').next().unwrap_or("photo");
        zip.start_file(format!("photos/{name}"), SimpleFileOptions::default())?;
        zip.write_all(&bytes)?;
        files += 1;
    }
    Ok(files)
}

/// Marks the export ready and emails whoever asked, in one transaction.
/// `false` when the export is gone (its person was erased while it was
/// being built).
async fn finish(
    db: &PgPool,
    email: &EmailConfig,
    job: &Job,
    built: &Built,
) -> Result<bool, sqlx::Error> {
    let mut tx = audit::begin_as(db, Actor::Scheduler).await?;
    if !build::ready(&mut tx, job.id, built).await? {
        return Ok(false);
    }
    let asker = job.requested_by.unwrap_or(job.user_id);
    let people = build::people(&mut tx, asker, job.user_id).await?;
    let own = asker == job.user_id;
    let mail = Mail::DataExportReady {
        first_name: people.asker_name,
        about: (!own).then_some(people.subject),
        path: if own {
            "/profile/export".into()
        } else {
            format!("/admin/members/{}", job.user_id)
        },
    };
    outbox::enqueue(&mut tx, email, &people.email, &mail).await?;
    tx.commit().await?;
    Ok(true)
}
