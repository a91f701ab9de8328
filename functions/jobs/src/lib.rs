//! The scheduled jobs: what must happen because time passed, not because
//! someone asked. EventBridge invokes the function daily for expiries and
//! housekeeping, and every minute (event `{"job": "send-email"}`) to
//! deliver the email outbox. Each job is one statement or transaction and
//! safe to run twice (a second run finds nothing to do).

use loaf_shared::email::{outbox::Delivery, Mailer};
use serde::Serialize;
use sqlx::PgPool;

/// Which job an event asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Expiries and housekeeping (the daily schedule; any other event).
    Daily,
    /// Deliver due outbox messages.
    SendEmail,
}

impl Job {
    /// `{"job": "send-email"}` asks for delivery; anything else (the daily
    /// schedule's event) for the daily jobs.
    pub fn of(event: &serde_json::Value) -> Job {
        match event.get("job").and_then(|j| j.as_str()) {
            Some("send-email") => Job::SendEmail,
            _ => Job::Daily,
        }
    }
}

/// Messages delivered per run: a minute's worth well inside the timeout.
pub const EMAIL_BATCH: i64 = 200;

/// Delivers due outbox messages.
pub async fn send_email(db: &PgPool, mailer: &Mailer) -> Result<Delivery, sqlx::Error> {
    mailer.deliver_due(db, EMAIL_BATCH).await
}

/// What one run changed.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Pending invitations whose `expires_at` passed, now `expired`.
    pub invitations_expired: u64,
    /// Active subscriptions whose `end_date` passed, now `expired`.
    pub subscriptions_expired: u64,
    /// Spent tokens, stale throttle counters and old sent mail deleted.
    pub rows_cleaned: u64,
}

/// Runs every daily job once.
pub async fn run(db: &PgPool) -> Result<Summary, sqlx::Error> {
    Ok(Summary {
        invitations_expired: expire_invitations(db).await?,
        subscriptions_expired: expire_subscriptions(db).await?,
        rows_cleaned: clean_up(db).await?,
    })
}

/// Deletes what no longer serves: refresh and account tokens a week past
/// expiry (kept that long so a late click still gets "expired", not
/// "unknown"), throttle counters quiet for a day, and mail sent more than
/// 90 days ago. Failed mail stays for an admin to look at.
async fn clean_up(db: &PgPool) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    for sql in [
        "DELETE FROM refresh_tokens WHERE expires_at < now() - interval '7 days'",
        "DELETE FROM account_tokens WHERE expires_at < now() - interval '7 days'",
        "DELETE FROM login_throttle WHERE last_failure_at < now() - interval '1 day' \
         AND (locked_until IS NULL OR locked_until < now())",
        "DELETE FROM email_outbox WHERE status = 'sent' AND sent_at < now() - interval '90 days'",
    ] {
        total += sqlx::query(sql).execute(db).await?.rows_affected();
    }
    Ok(total)
}

async fn expire_invitations(db: &PgPool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE user_invitations SET status = 'expired' \
         WHERE status = 'pending' AND expires_at < now()",
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Lifetime subscriptions have no `end_date` and never expire.
async fn expire_subscriptions(db: &PgPool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE subscriptions SET status = 'expired', updated_at = now() \
         WHERE status = 'active' AND end_date IS NOT NULL AND end_date < now()",
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
