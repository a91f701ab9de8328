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
use loaf_domain::accounts;
use loaf_domain::audit::{self, Actor};
use loaf_domain::auth::{account_tokens, sessions, throttle};
use loaf_domain::donations;
use loaf_domain::email::outbox::{self, Delivery};
use loaf_domain::email::suppressions;
use loaf_domain::email::Mailer;
use loaf_domain::erasure;
use loaf_domain::invitations;
use loaf_domain::memberships::subscriptions;
use loaf_domain::payments::offline;
use loaf_domain::rate_limit;
use loaf_domain::reminders::Reason;
use loaf_domain::uploads;
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
        uploads_abandoned: uploads::abandon_reservations(db, at).await?,
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

/// [`donations::abandon_unpaid`], as the scheduler.
async fn abandon_gifts(db: &PgPool, at: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let mut tx = audit::begin_as(db, Actor::Scheduler).await?;
    let done = donations::abandon_unpaid(&mut tx, at).await?;
    tx.commit().await?;
    Ok(done)
}

/// Deletes what no longer serves: expired refresh tokens and links,
/// quiet throttle counters, past rate windows and old sent mail.
async fn clean_up(db: &PgPool) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    total += sessions::delete_expired(db).await?;
    total += account_tokens::delete_expired(db).await?;
    total += throttle::forget_quiet(db).await?;
    total += rate_limit::delete_old(db).await?;
    total += outbox::delete_old_sent(db).await?;
    Ok(total)
}

/// [`invitations::expire_due`], as the scheduler.
async fn expire_invitations(db: &PgPool, at: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let mut tx = audit::begin_as(db, Actor::Scheduler).await?;
    let done = invitations::expire_due(&mut tx, at).await?;
    tx.commit().await?;
    Ok(done)
}

/// [`subscriptions::expire_ended`], as the scheduler.
async fn expire_subscriptions(db: &PgPool, at: DateTime<Utc>) -> Result<(u64, u64), sqlx::Error> {
    let mut tx = audit::begin_as(db, Actor::Scheduler).await?;
    let counts = subscriptions::expire_ended(&mut tx, at).await?;
    tx.commit().await?;
    Ok(counts)
}

/// [`accounts::abandon_unconfirmed`], as the scheduler.
async fn abandon_registrations(
    db: &PgPool,
    at: DateTime<Utc>,
    days: i32,
) -> Result<u64, sqlx::Error> {
    let mut tx = audit::begin_as(db, Actor::Scheduler).await?;
    let gone = accounts::abandon_unconfirmed(&mut tx, at, days).await?;
    tx.commit().await?;
    Ok(gone)
}
