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
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Why a member is reminded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// Validated `days` ago (or reminded `days` ago) and still not paid
    /// (one who promised an offline payment has its own reminders).
    Payment,
    /// Registered `days` ago (or reminded `days` ago), address unconfirmed:
    /// a fresh link, since the first one lasts 48 hours.
    Verification,
}

/// Members per transaction.
const BATCH: i64 = 500;

struct Due {
    id: Uuid,
    email: String,
    first_name: String,
}

impl Reason {
    /// Members due, locked: at `at`, every `days`, up to `max` reminders of
    /// this kind, at most `BATCH`.
    async fn due(
        self,
        conn: &mut PgConnection,
        at: DateTime<Utc>,
        days: i32,
        max: i32,
    ) -> Result<Vec<Due>, sqlx::Error> {
        match self {
            Reason::Payment => {
                sqlx::query_as!(
                    Due,
                    "SELECT id, email, first_name FROM users \
                 WHERE status = 'payment_pending' AND payment_reminders_sent < $3 \
                   AND NOT EXISTS (SELECT 1 FROM pending_payments g \
                                   WHERE g.user_id = users.id AND g.status = 'pending') \
                   AND COALESCE(last_payment_reminder_at, validated_at, created_at) \
                       <= $1::timestamptz - make_interval(days => $2) \
                 ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED",
                    at,
                    days,
                    max,
                    BATCH,
                )
                .fetch_all(conn)
                .await
            }
            Reason::Verification => {
                sqlx::query_as!(
                    Due,
                    "SELECT id, email, first_name FROM users \
                 WHERE status = 'pending_email' AND email_verification_reminders_sent < $3 \
                   AND COALESCE(last_email_verification_reminder_at, created_at) \
                       <= $1::timestamptz - make_interval(days => $2) \
                 ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED",
                    at,
                    days,
                    max,
                    BATCH,
                )
                .fetch_all(conn)
                .await
            }
        }
    }

    /// Counts the reminder in the members' columns.
    async fn mark(
        self,
        conn: &mut PgConnection,
        ids: &[Uuid],
        at: DateTime<Utc>,
    ) -> Result<(), sqlx::Error> {
        match self {
            Reason::Payment => sqlx::query!("UPDATE users SET payment_reminders_sent = payment_reminders_sent + 1, \
                 last_payment_reminder_at = $2 WHERE id = ANY($1)", ids, at),
            Reason::Verification => sqlx::query!("UPDATE users SET email_verification_reminders_sent = email_verification_reminders_sent + 1, \
                 last_email_verification_reminder_at = $2 WHERE id = ANY($1)", ids, at),
        }
        .execute(conn)
        .await
        .map(drop)
    }
}

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
        let due = reason.due(&mut tx, at, days, max).await?;
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
