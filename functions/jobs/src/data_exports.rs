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
                sqlx::query!(
                    "UPDATE data_exports SET error = $2, \
                         status = CASE WHEN attempts >= $3 THEN 'failed' ELSE 'pending' END \
                     WHERE id = $1",
                    job.id,
                    e.to_string(),
                    MAX_ATTEMPTS,
                )
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
        }
    }
    Ok(ready)
}

struct Job {
    id: Uuid,
    user_id: Uuid,
    requested_by: Option<Uuid>,
}

async fn claim(db: &PgPool) -> Result<Option<Job>, sqlx::Error> {
    let mut tx = audit::begin_as(db, Actor::Scheduler).await?;
    let job = sqlx::query_as!(
        Job,
        "UPDATE data_exports SET status = 'running', started_at = now(), attempts = attempts + 1 \
         WHERE id = (SELECT id FROM data_exports \
                     WHERE status = 'pending' \
                        OR (status = 'running' AND started_at < now() - interval '15 minutes') \
                     ORDER BY created_at LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING id, user_id, requested_by",
    )
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(job)
}

struct Built {
    key: String,
    size_bytes: i64,
    records: i64,
    files: i32,
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
    let account = sqlx::query_scalar!(
        r#"SELECT jsonb_build_object(
               'id', u.id, 'email', u.email, 'status', u.status, 'role', r.code,
               'email_verified', u.email_verified, 'member_since', u.member_since,
               'validated_at', u.validated_at, 'registered_at', u.created_at,
               'last_login_at', u.last_login_at,
               'consents', jsonb_build_object(
                   'terms', jsonb_build_object('accepted', u.accepts_tos,
                       'version', u.tos_version, 'accepted_at', u.tos_accepted_at),
                   'newsletter', jsonb_build_object('subscribed', u.newsletter_subscribed,
                       'publish_name', u.newsletter_publish_name,
                       'publish_photo', u.newsletter_publish_photo,
                       'publish_birthday', u.newsletter_publish_birthday),
                   'directory', jsonb_build_object('listed', u.show_in_directory)),
               'consent_changes', (SELECT COALESCE(jsonb_agg(jsonb_build_object(
                       'at', a.created_at, 'what', a.to_value) ORDER BY a.created_at), '[]')
                   FROM audit_log a WHERE a.subject_id = u.id AND a.action = 'profile'
                     AND (a.to_value LIKE '%newsletter%' OR a.to_value LIKE '%directory%')),
               'email_state', (SELECT to_jsonb(s) - 'address' FROM email_suppressions s
                   WHERE s.address = lower(u.email)),
               'calendar_feed_since', (SELECT c.created_at FROM calendar_tokens c WHERE c.user_id = u.id)
           ) AS "account!"
           FROM users u LEFT JOIN roles r ON r.id = u.role_id WHERE u.id = $1"#,
        user,
    )
    .fetch_one(&mut *conn)
    .await?;
    let profile = Profile::load(conn, user).await?;
    zip.start_file("account.json", options())?;
    serde_json::to_writer_pretty(&mut *zip, &account)?;
    zip.start_file("profile.json", options())?;
    serde_json::to_writer_pretty(&mut *zip, &profile)?;
    let mut n = 2;

    n += write_array(
        zip,
        "memberships.json",
        sqlx::query_scalar!(
            r#"SELECT to_jsonb(s) || jsonb_build_object('plan', p.name) AS "row"
               FROM subscriptions s JOIN subscription_plans p ON p.id = s.plan_id
               WHERE s.user_id = $1 ORDER BY s.start_date"#,
            user,
        )
        .fetch(&mut *conn),
    )
    .await?;
    n += write_array(
        zip,
        "promised_payments.json",
        sqlx::query_scalar!(
            r#"SELECT to_jsonb(p) AS "row" FROM pending_payments p WHERE p.user_id = $1
               ORDER BY p.created_at"#,
            user,
        )
        .fetch(&mut *conn),
    )
    .await?;
    n += write_array(
        zip,
        "gifts.json",
        sqlx::query_scalar!(
            r#"SELECT to_jsonb(d) AS "row" FROM donations d JOIN users u ON u.id = $1
               WHERE d.user_id = u.id OR lower(d.donor_email) = lower(u.email)
               ORDER BY d.created_at"#,
            user,
        )
        .fetch(&mut *conn),
    )
    .await?;
    n += write_array(
        zip,
        "refunds.json",
        sqlx::query_scalar!(
            r#"SELECT to_jsonb(r) AS "row" FROM payment_refunds r
               LEFT JOIN subscriptions s ON s.id = r.subscription_id
               LEFT JOIN donations d ON d.id = r.donation_id
               WHERE s.user_id = $1 OR d.user_id = $1 ORDER BY r.created_at"#,
            user,
        )
        .fetch(&mut *conn),
    )
    .await?;
    n += write_array(
        zip,
        "events.json",
        sqlx::query_scalar!(
            r#"SELECT jsonb_build_object('event', e.title, 'starts_at', e.start_at,
                   'answer', r.rsvp_status, 'waitlisted', r.waitlisted, 'attended', r.attended,
                   'attended_at', r.attended_at, 'answered_at', r.created_at,
                   'changed_at', r.updated_at) AS "row"
               FROM event_rsvps r JOIN events e ON e.id = r.event_id
               WHERE r.user_id = $1 ORDER BY e.start_at"#,
            user,
        )
        .fetch(&mut *conn),
    )
    .await?;
    n += write_array(
        zip,
        "sessions.json",
        sqlx::query_scalar!(
            r#"SELECT jsonb_build_object('family', family_id, 'created_at', created_at,
                   'expires_at', expires_at, 'used_at', used_at, 'revoked_at', revoked_at) AS "row"
               FROM refresh_tokens WHERE user_id = $1 ORDER BY created_at"#,
            user,
        )
        .fetch(&mut *conn),
    )
    .await?;
    n += write_array(
        zip,
        "invitations.json",
        sqlx::query_scalar!(
            r#"SELECT to_jsonb(i) - 'token' AS "row" FROM user_invitations i JOIN users u ON u.id = $1
               WHERE lower(i.email) = lower(u.email) OR i.accepted_by = u.id
               ORDER BY i.invited_at"#,
            user,
        )
        .fetch(&mut *conn),
    )
    .await?;
    n += write_array(
        zip,
        "emails.json",
        sqlx::query_scalar!(
            r#"SELECT jsonb_build_object('kind', o.kind, 'subject', o.subject, 'status', o.status,
                   'queued_at', o.created_at, 'sent_at', o.sent_at, 'text', o.text_body) AS "row"
               FROM email_outbox o JOIN users u ON u.id = $1
               WHERE lower(o.to_address) = lower(u.email) ORDER BY o.created_at"#,
            user,
        )
        .fetch(&mut *conn),
    )
    .await?;
    n += write_array(
        zip,
        "record_of_changes.json",
        sqlx::query_scalar!(
            r#"SELECT jsonb_build_object('at', a.created_at, 'action', a.action,
                   'target', a.target_type, 'by', COALESCE(
                       NULLIF(trim(concat_ws(' ', p.first_name, p.last_name)), ''), a.actor_job),
                   'from', a.from_value, 'to', a.to_value, 'reason', a.reason,
                   'changes', a.changes) AS "row"
               FROM audit_log a LEFT JOIN users p ON p.id = a.actor_id
               WHERE a.subject_id = $1 ORDER BY a.created_at, a.id"#,
            user,
        )
        .fetch(&mut *conn),
    )
    .await?;
    Ok(n)
}

/// The gallery photos `user` uploaded, under `photos/`.
async fn copy_photos<W: Write + std::io::Seek>(
    conn: &mut PgConnection,
    storage: &Storage,
    zip: &mut ZipWriter<W>,
    user: Uuid,
) -> Result<i32, BuildError> {
    let keys: Vec<String> = sqlx::query_scalar!(
        "SELECT image_key FROM event_galleries WHERE uploaded_by = $1 ORDER BY created_at",
        user,
    )
    .fetch_all(conn)
    .await?;
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
    let marked = sqlx::query!(
        "UPDATE data_exports SET status = 'ready', ready_at = now(), file_key = $2, \
             size_bytes = $3, records = $4, files = $5, error = NULL WHERE id = $1",
        job.id,
        built.key,
        built.size_bytes,
        built.records,
        built.files,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if marked == 0 {
        return Ok(false);
    }
    let asker = job.requested_by.unwrap_or(job.user_id);
    let people = sqlx::query!(
        r#"SELECT a.email, a.first_name AS asker_name,
                  trim(concat_ws(' ', s.first_name, s.last_name)) AS "subject!"
           FROM users a, users s WHERE a.id = $1 AND s.id = $2"#,
        asker,
        job.user_id,
    )
    .fetch_one(&mut *tx)
    .await?;
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
