//! Member imports as stored: the jobs (`import_jobs`), whose state is
//! computed (no upload queued yet, or a run cut off, reads as such), and a
//! run's bulk writes: the members of a batch, their periods and their
//! password links, one statement each over column arrays.

use crate::domain::UserStatus;
use crate::enums::{ImportJobStatus, ImportState};
use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use std::collections::HashSet;
use std::time::Duration;
use uuid::Uuid;

/// A run that began longer ago than this and never finished was cut off
/// (the function's timeout is far shorter): it may be started again.
pub const STALE_RUN: Duration = Duration::from_secs(2 * 60);

#[derive(Debug, Serialize, JsonSchema)]
pub struct Job {
    pub id: Uuid,
    pub filename: String,
    pub status: ImportState,
    /// The latest run was a preview: nothing was written.
    dry_run: bool,
    send_invitations: bool,
    size_bytes: Option<i64>,
    total_rows: i32,
    processed_rows: i32,
    successful_rows: i32,
    pub failed_rows: i32,
    invitations_sent: i32,
    ignored_columns: Value,
    /// The refused lines, `{line, column, code, message}`, in file order
    /// (the first 1,000; `failed_rows` counts them all).
    errors: Value,
    imported_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
}

/// `sqlx::query_as!(Job, …)` over `import_jobs`, then `$tail`; `$1` is
/// [`STALE_RUN`] in seconds. A job's state is computed: no upload queued
/// yet, or a run cut off, reads as such.
macro_rules! job_query {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Job,
            r#"SELECT id, filename,
                   CASE WHEN queued_at IS NULL THEN 'awaiting_upload'
                        WHEN status = 'processing'
                             AND queued_at < now() - make_interval(secs => $1) THEN 'interrupted'
                        ELSE status::text END AS "status!: ImportState",
                   dry_run, send_invitations, size_bytes, total_rows, processed_rows,
                   successful_rows, failed_rows, invitations_sent, ignored_columns, errors,
                   imported_by, created_at, queued_at AS started_at, completed_at
               FROM import_jobs "# + $tail,
            STALE_RUN.as_secs_f64()
            $(, $arg)*
        )
    };
}

/// Job `id`.
pub async fn find(db: &PgPool, id: Uuid) -> sqlx::Result<Option<Job>> {
    job_query!("WHERE id = $2", id).fetch_optional(db).await
}

/// How many jobs there are.
pub async fn count(db: &PgPool) -> sqlx::Result<i64> {
    sqlx::query_scalar!("SELECT count(*) AS \"n!\" FROM import_jobs")
        .fetch_one(db)
        .await
}

/// A page of the jobs, newest first.
pub async fn list(db: &PgPool, limit: i64, offset: i64) -> sqlx::Result<Vec<Job>> {
    job_query!(
        "ORDER BY created_at DESC, id LIMIT $2 OFFSET $3",
        limit,
        offset,
    )
    .fetch_all(db)
    .await
}

/// A new job `id` for the file `filename` to be uploaded under `key`.
pub async fn create(
    conn: &mut PgConnection,
    id: Uuid,
    filename: &str,
    key: &str,
    size_bytes: i64,
    by: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO import_jobs (id, filename, file_key, size_bytes, imported_by) \
         VALUES ($1, $2, $3, $4, $5)",
        id,
        filename,
        key,
        size_bytes,
        by,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Whether job `id` may run now, its row locked.
#[derive(Debug)]
pub struct Claim {
    /// The uploaded file's key; `None`: nothing to run.
    pub file_key: Option<String>,
    /// A run is under way (started less than [`STALE_RUN`] ago).
    pub running: bool,
    /// A real run completed: the job is final.
    pub final_run: bool,
}

/// Job `id`'s [`Claim`], its row locked until the transaction ends.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Claim>> {
    sqlx::query_as!(
        Claim,
        r#"SELECT file_key,
                  COALESCE(status = 'processing'
                           AND queued_at > now() - make_interval(secs => $2), false) AS "running!",
                  (NOT dry_run AND completed_at IS NOT NULL) AS "final_run!"
           FROM import_jobs WHERE id = $1 FOR UPDATE"#,
        id,
        STALE_RUN.as_secs_f64(),
    )
    .fetch_optional(conn)
    .await
}

/// Job `id` starts a run (a preview with `dry_run`): counts reset.
pub async fn start_run(
    conn: &mut PgConnection,
    id: Uuid,
    dry_run: bool,
    send_invitations: bool,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE import_jobs SET status = 'processing', queued_at = now(), started_at = now(), \
             completed_at = NULL, dry_run = $2, send_invitations = $3, total_rows = 0, \
             processed_rows = 0, successful_rows = 0, failed_rows = 0, invitations_sent = 0, \
             errors = '[]' \
         WHERE id = $1",
        id,
        dry_run,
        send_invitations,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Puts job `id`, whose run could not begin, back to not started.
pub async fn unclaim(db: &PgPool, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE import_jobs SET queued_at = NULL, status = 'processing' \
         WHERE id = $1 AND completed_at IS NULL",
        id,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The progress of job `id`'s run so far, written outside its transaction
/// so it can be followed.
pub async fn progress(
    db: &PgPool,
    id: Uuid,
    total: i32,
    successful: i32,
    failed: i32,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE import_jobs SET total_rows = $2, processed_rows = $2, successful_rows = $3, \
         failed_rows = $4 WHERE id = $1",
        id,
        total,
        successful,
        failed,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// A finished run's report.
#[derive(Debug)]
pub struct Report {
    pub status: ImportJobStatus,
    pub total: i32,
    pub successful: i32,
    pub failed: i32,
    pub invitations_sent: i32,
    /// The refused lines (the first 1,000).
    pub errors: Value,
    pub ignored_columns: Value,
}

/// Writes job `id`'s report: the run is over.
pub async fn finish(conn: &mut PgConnection, id: Uuid, report: &Report) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE import_jobs SET status = $2, total_rows = $3, processed_rows = $3, \
             successful_rows = $4, failed_rows = $5, invitations_sent = $6, errors = $7, \
             ignored_columns = $8, completed_at = now() WHERE id = $1",
        id,
        report.status as _,
        report.total,
        report.successful,
        report.failed,
        report.invitations_sent,
        report.errors,
        report.ignored_columns,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Which of `emails` (lower case) already have an account.
pub async fn existing_emails(
    conn: &mut PgConnection,
    emails: &[&str],
) -> sqlx::Result<HashSet<String>> {
    let found = sqlx::query_scalar!(
        "SELECT lower(email) AS \"email!\" FROM users WHERE lower(email) = ANY($1)",
        emails as _,
    )
    .fetch_all(conn)
    .await?;
    Ok(found.into_iter().collect())
}

/// A batch of members, as column arrays for one `unnest` insert.
#[derive(Debug, Default)]
pub struct NewMembers {
    pub email: Vec<String>,
    pub first_name: Vec<String>,
    pub last_name: Vec<String>,
    pub phone: Vec<Option<String>>,
    pub address: Vec<Option<String>>,
    pub city: Vec<Option<String>>,
    pub state: Vec<Option<String>>,
    pub zipcode: Vec<Option<String>>,
    pub date_of_birth: Vec<Option<NaiveDate>>,
    pub member_since: Vec<Option<NaiveDate>>,
    pub status: Vec<UserStatus>,
    pub newsletter: Vec<bool>,
}

/// Inserts `new` as members with `role` (an address taken meanwhile is
/// skipped), each arrival in their record of changes by `actor` for job
/// `job`; answers (id, email, first name) of each inserted one.
pub async fn insert_members(
    conn: &mut PgConnection,
    new: &NewMembers,
    role: Uuid,
    actor: Uuid,
    job: Uuid,
) -> sqlx::Result<Vec<(Uuid, String, String)>> {
    // '!' is no password hash at all: nobody can sign in until they
    // choose a password through an emailed link.
    let inserted: Vec<(Uuid, String, String)> = sqlx::query!(
        "INSERT INTO users (email, password_hash, first_name, last_name, phone, address, city, state, \
                            zipcode, date_of_birth, member_since, status, newsletter_subscribed, role_id) \
         SELECT e, '!', f, l, p, a, c, s, z, d, m::timestamptz, st, n, $13 \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
                     $8::text[], $9::date[], $10::date[], $11::userstatus[], $12::bool[]) \
              AS t(e, f, l, p, a, c, s, z, d, m, st, n) \
         ON CONFLICT DO NOTHING RETURNING id, email, first_name",
        &new.email,
        &new.first_name,
        &new.last_name,
        &new.phone as _,
        &new.address as _,
        &new.city as _,
        &new.state as _,
        &new.zipcode as _,
        &new.date_of_birth as _,
        &new.member_since as _,
        &new.status as _,
        &new.newsletter,
        role,
    )
    .map(|r| (r.id, r.email, r.first_name))
    .fetch_all(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = inserted.iter().map(|(id, _, _)| *id).collect();
    sqlx::query!(
        "INSERT INTO audit_log (subject_id, target_id, actor_id, action, from_value, to_value, reason) \
         SELECT u.id, u.id, $2, 'status', NULL, u.status, 'Imported from a file (job ' || $3 || ')' \
         FROM users u WHERE u.id = ANY($1)",
        &ids,
        actor,
        job.to_string(),
    )
    .execute(conn)
    .await?;
    Ok(inserted)
}

/// The period of each of `users` (plan, first day, day after the last on
/// the organisation's calendar): method `imported`, no amount (the money
/// was counted before this platform); `active` while it runs, then
/// `expired` (`cancelled` for a `canceled` member), so the daily job ends
/// it and the renewal reminders follow it like any other.
pub async fn insert_periods(
    conn: &mut PgConnection,
    users: &[Uuid],
    plans: &[Uuid],
    starts: &[NaiveDate],
    ends: &[Option<NaiveDate>],
    job: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO subscriptions (user_id, plan_id, status, start_date, end_date, \
             base_subscription_cents, donation_cents, amount_paid_cents, currency, payment_method, \
             manual_payment_notes, cancelled_at) \
         SELECT t.u, t.p, \
             CASE WHEN u.status = 'canceled' THEN 'cancelled' \
                  WHEN t.e IS NULL OR t.e::timestamp AT TIME ZONE o.time_zone > now() THEN 'active' \
                  ELSE 'expired' END::subscriptionstatus, \
             t.s::timestamp AT TIME ZONE o.time_zone, t.e::timestamp AT TIME ZONE o.time_zone, \
             0, 0, 0, o.currency, 'imported', 'Imported from a file (job ' || $5 || ')', \
             CASE WHEN u.status = 'canceled' THEN t.e::timestamp AT TIME ZONE o.time_zone END \
         FROM unnest($1::uuid[], $2::uuid[], $3::date[], $4::date[]) AS t(u, p, s, e) \
         JOIN users u ON u.id = t.u CROSS JOIN organisation_settings o",
        users,
        plans,
        starts,
        ends as _,
        job.to_string(),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A password link for each of `users`, stored as the hashes `hashes`,
/// working until `expires_at`.
pub async fn insert_password_links(
    conn: &mut PgConnection,
    users: &[Uuid],
    hashes: &[Vec<u8>],
    expires_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at) \
         SELECT h, u, 'reset_password', $3 FROM unnest($1::bytea[], $2::uuid[]) AS t(h, u)",
        hashes,
        users,
        expires_at,
    )
    .execute(conn)
    .await?;
    Ok(())
}
