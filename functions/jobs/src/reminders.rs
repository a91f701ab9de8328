//! Reminder emails, each tracked in the member's reminder columns so
//! nobody is emailed twice for one reason: payment and verification
//! reminders every `days` up to a maximum (renewals have their schedule:
//! `renewals`). Members are taken in batches under row locks that skip what
//! another run holds; the columns are updated and the emails queued in the
//! same transaction, so a concurrent run, which re-checks the condition on
//! what it locks, finds them reminded already.

use chrono::{DateTime, Utc};
use loaf_core::config::EmailConfig;
use loaf_domain::auth::account_tokens::{self, Purpose};
use loaf_domain::email::{outbox, Mail};
use loaf_domain::reminders::Reason;
use sqlx::PgPool;
use uuid::Uuid;

/// Members per transaction.
const BATCH: i64 = 500;

/// Queues every due reminder for `reason`; answers how many.
pub async fn send(
    db: &PgPool,
    email: &EmailConfig,
    reason: Reason,
    at: DateTime<Utc>,
    days: i32,
    max: i32,
) -> Result<u64, sqlx::Error> {
    let mut sent = 0;
    loop {
        let mut tx = loaf_domain::audit::begin_as(db, loaf_domain::audit::Actor::Scheduler).await?;
        let due = reason.due(&mut tx, at, days, max, BATCH).await?;
        let mut mails = Vec::with_capacity(due.len());
        for member in &due {
            let mail = match reason {
                Reason::Payment => Mail::PaymentReminder {
                    first_name: member.first_name.clone(),
                },
                Reason::Verification => Mail::VerifyEmail {
                    first_name: member.first_name.clone(),
                    token: account_tokens::issue(&mut tx, member.id, Purpose::VerifyEmail).await?,
                },
            };
            mails.push((member.email.clone(), mail));
        }
        let ids: Vec<Uuid> = due.iter().map(|m| m.id).collect();
        reason.mark(&mut tx, &ids, at).await?;
        outbox::enqueue_many(&mut tx, email, &mails).await?;
        tx.commit().await?;
        sent += due.len() as u64;
        if (due.len() as i64) < BATCH {
            return Ok(sent);
        }
    }
}
