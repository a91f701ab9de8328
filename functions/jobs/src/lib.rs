//! The scheduled jobs: what must happen because time passed, not because
//! someone asked. EventBridge invokes the function daily for expiries,
//! reminders, housekeeping and S3 deletions left to retry (`loaf jobs run`
//! locally), every hour (event `{"job": "hourly"}`) for reminders before
//! events, and every minute
//! (event `{"job": "send-email"}`) to deliver the email outbox. Each job is
//! one statement or transaction and safe to run twice, even at once (a
//! second run finds nothing to do).

mod data_exports;
mod event_reminders;
mod reminders;
mod renewals;

use chrono::{DateTime, Utc};
use loaf_core::config::{EmailConfig, RemindersConfig};
use loaf_core::storage::Storage;
use loaf_domain::audit::{self, Actor};
use loaf_domain::email::suppressions;
use loaf_domain::email::{outbox::Delivery, Mailer};
use loaf_domain::erasure;
use loaf_domain::payments::offline;
use loaf_domain::uploads;
use reminders::Reason;
use serde::Serialize;
use sqlx::PgPool;

/// Which job an event asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Expiries and housekeeping (the daily schedule; any other event).
    Daily,
    /// What needs an hour's precision: reminders before events.
    Hourly,
    /// Deliver due outbox messages.
    SendEmail,
    /// The email provider's bounces and complaints (an SNS event).
    EmailEvents,
    /// Build the data exports people asked for.
    Exports,
}

impl Job {
    /// `{"job": "send-email"}` asks for delivery, `{"job": "hourly"}` for
    /// the hourly jobs; anything else (the daily schedule's event) for the
    /// daily jobs.
    pub fn of(event: &serde_json::Value) -> Job {
        if suppressions::is_sns(event) {
            return Job::EmailEvents;
        }
        match event.get("job").and_then(|j| j.as_str()) {
            Some("send-email") => Job::SendEmail,
            Some("hourly") => Job::Hourly,
            Some("exports") => Job::Exports,
            _ => Job::Daily,
        }
    }
}

/// What the email provider's events did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EmailEvents {
    /// Addresses marked for a hard bounce, or for a complaint.
    pub bounces: u64,
    pub complaints: u64,
    /// Records that were neither (a soft bounce, a delivery).
    pub ignored: u64,
}

/// Marks the addresses of the hard bounces and complaints in `event` (SES
/// through SNS), attributed to the email provider.
pub async fn email_events(
    db: &PgPool,
    event: &serde_json::Value,
) -> Result<EmailEvents, sqlx::Error> {
    let found = suppressions::of_sns(event);
    let mut done = EmailEvents {
        ignored: found.ignored.into(),
        ..EmailEvents::default()
    };
    let mut tx = audit::begin_as(db, Actor::EmailProvider).await?;
    for event in &found.events {
        suppressions::record(&mut tx, event).await?;
        match event.reason {
            suppressions::Reason::Bounce => done.bounces += 1,
            suppressions::Reason::Complaint => done.complaints += 1,
        }
    }
    tx.commit().await?;
    tracing::info!(?done, "email provider events recorded");
    Ok(done)
}

/// Exports built per run: each streams, so a run holds one at a time.
pub const EXPORTS_PER_RUN: u32 = 5;

/// What a run of the exports job did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Exports {
    /// Exports built and announced by email.
    pub exports_ready: u64,
}

/// Builds the data exports waiting (`data_exports`).
pub async fn exports(
    db: &PgPool,
    storage: &Storage,
    email: &EmailConfig,
) -> Result<Exports, sqlx::Error> {
    Ok(Exports {
        exports_ready: data_exports::build_due(db, storage, email, EXPORTS_PER_RUN).await?,
    })
}

/// Messages delivered per run: a minute's worth well inside the timeout.
pub const EMAIL_BATCH: i64 = 200;

/// Delivers due outbox messages.
pub async fn send_email(db: &PgPool, mailer: &Mailer) -> Result<Delivery, sqlx::Error> {
    mailer.deliver_due(db, EMAIL_BATCH).await
}

/// What one hourly run changed.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct HourlySummary {
    /// Reminders queued to those attending an event that starts within
    /// `EVENT_REMINDER_HOURS`.
    pub event_reminders: u64,
}

/// Runs the hourly jobs once, as of `at` (now, except in tests); safe to
/// run twice at once, like the daily ones.
pub async fn hourly(
    db: &PgPool,
    email: &EmailConfig,
    reminders: &RemindersConfig,
    at: DateTime<Utc>,
) -> Result<HourlySummary, sqlx::Error> {
    Ok(HourlySummary {
        event_reminders: event_reminders::send(db, email, reminders.event_reminder_hours, at)
            .await?,
    })
}

/// What one daily run changed.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Pending invitations whose `expires_at` passed, now `expired`.
    pub invitations_expired: u64,
    /// Active subscriptions whose period ended: `expired`, or `cancelled`
    /// when cancelled at the period's end.
    pub subscriptions_expired: u64,
    /// Members left without a covering subscription: `expired` (or
    /// `canceled`).
    pub members_lapsed: u64,
    /// Emails queued, by reason.
    pub renewal_reminders: u64,
    pub payment_reminders: u64,
    /// Members whose payment promised offline has not arrived, reminded
    /// with the instructions (on the payment reminders' timing).
    pub offline_payment_reminders: u64,
    pub verification_reminders: u64,
    /// Registrations whose address was never confirmed, now `abandoned`.
    pub registrations_abandoned: u64,
    /// Spent tokens, stale throttle and rate counters and old sent mail
    /// deleted.
    pub rows_cleaned: u64,
    /// Upload reservations never confirmed, given up (their objects queued
    /// for deletion).
    pub uploads_abandoned: u64,
    /// Online gifts started two days ago or more and never paid, now
    /// `failed` (the provider's checkout expires after a day).
    pub gifts_abandoned: u64,
    /// Queued objects deleted from S3 (failures stay queued).
    pub objects_deleted: u64,
    /// Erased members whose financial records passed the retention
    /// period, anonymised.
    pub records_anonymised: u64,
}

/// Runs every daily job once, as of `at` (now, except in tests). Each step
/// is its own transaction, re-checks its condition on the rows it locks
/// and skips rows another run holds, so two runs at once never do one
/// thing twice, and a run after a crash finishes what is left.
pub async fn run(
    db: &PgPool,
    storage: &Storage,
    email: &EmailConfig,
    reminders: &RemindersConfig,
    at: DateTime<Utc>,
) -> Result<Summary, sqlx::Error> {
    let (subscriptions_expired, members_lapsed) = expire_subscriptions(db, at).await?;
    let remind = |reason, days, max| reminders::send(db, email, reason, at, days, max);
    Ok(Summary {
        invitations_expired: expire_invitations(db, at).await?,
        subscriptions_expired,
        members_lapsed,
        renewal_reminders: renewals::send(db, email, &reminders.renewal_schedule, at).await?,
        payment_reminders: remind(
            Reason::Payment,
            reminders.payment_days,
            reminders.payment_max,
        )
        .await?,
        offline_payment_reminders: offline::remind(
            db,
            email,
            at,
            reminders.payment_days,
            reminders.payment_max,
        )
        .await?,
        // Abandonment first: nobody gets a reminder the day they are given up on.
        registrations_abandoned: abandon_registrations(db, at, reminders.abandon_days).await?,
        verification_reminders: remind(
            Reason::Verification,
            reminders.verification_days,
            reminders.verification_max,
        )
        .await?,
        rows_cleaned: clean_up(db).await?,
        uploads_abandoned: abandon_uploads(db, at).await?,
        gifts_abandoned: abandon_gifts(db, at).await?,
        objects_deleted: uploads::delete_now(db, storage, None).await?,
        records_anonymised: anonymise_records(db, at).await?,
    })
}

/// Past the retention period, what the financial records of erased members
/// still tie to a payment account goes (`loaf_domain::erasure`).
async fn anonymise_records(db: &PgPool, at: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let mut tx = audit::begin_as(db, Actor::Scheduler).await?;
    let done = erasure::anonymise_past_retention(&mut tx, at).await?;
    tx.commit().await?;
    Ok(done)
}

/// Gifts started online and left unpaid: the provider's checkout session
/// lasts a day, so after two nothing can complete them.
async fn abandon_gifts(db: &PgPool, at: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let mut tx = audit::begin_as(db, Actor::Scheduler).await?;
    let done = sqlx::query!(
        "UPDATE donations SET status = 'failed', updated_at = now() \
         WHERE status = 'pending' AND payment_method = 'online' \
           AND created_at < $1::timestamptz - interval '2 days'",
        at,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Upload reservations an hour past their URL's expiry were never
/// confirmed: the row goes, and the staged object (if the client uploaded
/// it) is queued for deletion. Its bytes were never counted.
async fn abandon_uploads(db: &PgPool, at: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let gone: i64 = sqlx::query_scalar!(
        "WITH gone AS (DELETE FROM pending_uploads WHERE expires_at < $1::timestamptz - interval '1 hour' \
                       RETURNING file_key), \
              queued AS (INSERT INTO storage_deletions (file_key) \
                         SELECT $2 || file_key FROM gone ON CONFLICT DO NOTHING) \
         SELECT count(*) AS \"n!\" FROM gone",
        at,
        uploads::STAGING_PREFIX,
    )
    .fetch_one(db)
    .await?;
    Ok(gone as u64)
}

/// Deletes what no longer serves: refresh and account tokens a week past
/// expiry (kept that long so a late click still gets "expired", not
/// "unknown"), throttle counters quiet for a day, rate windows two days
/// past, and mail sent more than 90 days ago. Failed mail stays for an
/// admin to look at.
async fn clean_up(db: &PgPool) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    for statement in [
        sqlx::query!("DELETE FROM refresh_tokens WHERE expires_at < now() - interval '7 days'"),
        sqlx::query!("DELETE FROM account_tokens WHERE expires_at < now() - interval '7 days'"),
        sqlx::query!(
            "DELETE FROM login_throttle WHERE last_failure_at < now() - interval '1 day' \
             AND (locked_until IS NULL OR locked_until < now())"
        ),
        sqlx::query!("DELETE FROM rate_limits WHERE window_start < now() - interval '2 days'"),
        sqlx::query!(
            "DELETE FROM email_outbox WHERE status = 'sent' AND sent_at < now() - interval '90 days'"
        ),
    ] {
        total += statement.execute(db).await?.rows_affected();
    }
    Ok(total)
}

async fn expire_invitations(db: &PgPool, at: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let mut tx = audit::begin_as(db, Actor::Scheduler).await?;
    let done = sqlx::query!(
        "UPDATE user_invitations SET status = 'expired' \
         WHERE status = 'pending' AND expires_at < $1",
        at,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(done.rows_affected())
}

/// Ends subscriptions whose period is over (lifetime ones have no end) and
/// moves their members out of `active` unless another subscription covers
/// them, audited; one statement, so it all happens or none of it. The
/// members' check reads the state before the statement, where the ended
/// subscriptions still end at or before `at` and so cover nobody.
async fn expire_subscriptions(db: &PgPool, at: DateTime<Utc>) -> Result<(u64, u64), sqlx::Error> {
    let mut tx = audit::begin_as(db, Actor::Scheduler).await?;
    // loaf_covered: migrations/0015_covered_function.sql.
    let counts = sqlx::query!(
        "WITH ended AS ( \
             UPDATE subscriptions SET updated_at = now(), \
                 status = CASE WHEN cancel_at_period_end THEN 'cancelled' ELSE 'expired' END::subscriptionstatus, \
                 cancelled_at = CASE WHEN cancel_at_period_end THEN end_date ELSE cancelled_at END \
             WHERE status = 'active' AND end_date IS NOT NULL AND end_date <= $1 \
             RETURNING user_id, cancel_at_period_end), \
         lapsed AS ( \
             UPDATE users u SET updated_at = now(), \
                 status = CASE WHEN e.cancelled THEN 'canceled' ELSE 'expired' END::userstatus \
             FROM (SELECT user_id, bool_and(cancel_at_period_end) AS cancelled \
                   FROM ended GROUP BY user_id) e \
             WHERE u.id = e.user_id AND u.status = 'active' AND NOT loaf_covered(u.id, $1) \
             RETURNING u.id, u.status), \
         audited AS ( \
             INSERT INTO audit_log (subject_id, target_id, action, from_value, to_value, reason) \
             SELECT id, id, 'status', 'active', status, 'membership period ended' FROM lapsed) \
         SELECT (SELECT count(*) FROM ended) AS \"ended!\", (SELECT count(*) FROM lapsed) AS \"lapsed!\"",
        at,
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((counts.ended as u64, counts.lapsed as u64))
}

/// Gives up on registrations whose address was not confirmed within
/// `days`, audited.
async fn abandon_registrations(
    db: &PgPool,
    at: DateTime<Utc>,
    days: i32,
) -> Result<u64, sqlx::Error> {
    let mut tx = audit::begin_as(db, Actor::Scheduler).await?;
    let gone: i64 = sqlx::query_scalar!(
        "WITH gone AS ( \
             UPDATE users SET status = 'abandoned', updated_at = now() \
             WHERE status = 'pending_email' AND created_at <= $1::timestamptz - make_interval(days => $2) \
             RETURNING id), \
         audited AS ( \
             INSERT INTO audit_log (subject_id, target_id, action, from_value, to_value, reason) \
             SELECT id, id, 'status', 'pending_email', 'abandoned', 'email address never confirmed' FROM gone) \
         SELECT count(*) AS \"n!\" FROM gone",
        at,
        days,
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(gone as u64)
}
