//! Reminder emails, each tracked in the member's reminder columns so
//! nobody is emailed twice for one reason: a renewal reminder once per
//! membership end, payment and verification reminders every `days` up to
//! a maximum. Members are taken in batches under row locks that skip what
//! another run holds; the columns are updated and the emails queued in the
//! same transaction, so a concurrent run, which re-checks the condition on
//! what it locks, finds them reminded already.

use chrono::{DateTime, NaiveDate, Utc};
use loaf_core::config::EmailConfig;
use loaf_domain::auth::account_tokens::{self, Purpose};
use loaf_domain::email::{outbox, Mail};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Why a member is reminded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// An active membership ends within `days`.
    Renewal,
    /// Validated `days` ago (or reminded `days` ago) and still not paid.
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
    plan: Option<String>,
    /// The last day the membership covers, on the organisation's calendar.
    last_day: Option<NaiveDate>,
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
            Reason::Renewal => {
                sqlx::query_as!(
                    Due,
                    "SELECT u.id, u.email, u.first_name, p.name AS plan, \
                        ((c.end_date AT TIME ZONE o.time_zone)::date - 1) AS last_day \
                 FROM users u \
                 JOIN LATERAL (SELECT s.end_date, s.plan_id, s.cancel_at_period_end FROM subscriptions s \
                     WHERE s.user_id = u.id AND s.status = 'active' \
                     ORDER BY s.end_date DESC NULLS FIRST LIMIT 1) c ON true \
                 JOIN subscription_plans p ON p.id = c.plan_id \
                 CROSS JOIN organisation_settings o \
                 WHERE u.status = 'active' AND $3 > 0 AND NOT c.cancel_at_period_end \
                   AND c.end_date > $1 AND c.end_date <= $1::timestamptz + make_interval(days => $2) \
                   AND (u.last_renewal_reminder_at IS NULL \
                        OR u.last_renewal_reminder_at < c.end_date - make_interval(days => $2)) \
                 ORDER BY u.id LIMIT $4 FOR UPDATE OF u SKIP LOCKED",
                    at,
                    days,
                    max,
                    BATCH,
                )
                .fetch_all(conn)
                .await
            }
            Reason::Payment => {
                sqlx::query_as!(
                    Due,
                    "SELECT id, email, first_name, NULL::text AS plan, NULL::date AS last_day FROM users \
                 WHERE status = 'payment_pending' AND payment_reminders_sent < $3 \
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
                    "SELECT id, email, first_name, NULL::text AS plan, NULL::date AS last_day FROM users \
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
            Reason::Renewal => sqlx::query!("UPDATE users SET renewal_reminders_sent = renewal_reminders_sent + 1, \
                 last_renewal_reminder_at = $2 WHERE id = ANY($1)", ids, at),
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
        let mut tx = db.begin().await?;
        let due = reason.due(&mut tx, at, days, max).await?;
        let mut mails = Vec::with_capacity(due.len());
        for member in &due {
            let mail = match reason {
                Reason::Renewal => Mail::RenewalReminder {
                    first_name: member.first_name.clone(),
                    plan: member.plan.clone().unwrap_or_default(),
                    ends_on: member.last_day.unwrap_or_else(|| at.date_naive()),
                },
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
