//! The scheduler's reminders as stored: who is due one, claimed under row
//! locks that skip what another run holds, each counted in the member's
//! reminder columns (or claimed in `membership_reminders`) in the same
//! transaction as its mail, so nobody is emailed twice for one reason.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
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

/// A member due a reminder, locked.
#[derive(Debug)]
pub struct Due {
    pub id: Uuid,
    pub email: String,
    pub first_name: String,
}

impl Reason {
    /// Members due, locked: at `at`, every `days`, up to `max` reminders of
    /// this kind, at most `batch`.
    pub async fn due(
        self,
        conn: &mut PgConnection,
        at: DateTime<Utc>,
        days: i32,
        max: i32,
        batch: i64,
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
                    batch,
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
                    batch,
                )
                .fetch_all(conn)
                .await
            }
        }
    }

    /// Counts the reminder in the members' columns.
    pub async fn mark(
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

/// A renewal reminder claimed.
#[derive(Debug)]
pub struct RenewalDue {
    pub email: String,
    pub first_name: String,
    pub plan: String,
    pub offset_days: i32,
    /// The last day the period covered, on the organisation's calendar.
    pub last_day: NaiveDate,
    /// The grace period's last day, while it runs.
    pub open_until: Option<NaiveDate>,
}

/// Claims up to `batch` renewal reminders due at `at` on `schedule` (days
/// around the end of a member's last period; see the jobs function's
/// `renewals`): the latest day of the schedule that has come for each
/// period end, unless it, or a later one, went already.
pub async fn claim_renewals(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    schedule: &[i32],
    batch: i64,
) -> sqlx::Result<Vec<RenewalDue>> {
    // The latest period of each member who may still renew; the latest
    // day of the schedule that has come for it; claimed unless it, or a
    // later one, went already. The old platform's counters follow.
    sqlx::query_as!(
        RenewalDue,
        r#"WITH latest AS (
               SELECT u.id, u.status, c.end_date, c.plan_id
               FROM users u
               JOIN LATERAL (SELECT s.end_date, s.plan_id, s.status, s.cancel_at_period_end
                             FROM subscriptions s WHERE s.user_id = u.id
                             ORDER BY s.end_date DESC NULLS FIRST LIMIT 1) c ON true
               WHERE u.status IN ('active', 'expired') AND c.end_date IS NOT NULL
                 AND c.status IN ('active', 'expired') AND NOT c.cancel_at_period_end),
           due AS (
               SELECT l.*, (SELECT max(o) FROM unnest($2::int[]) AS o
                            WHERE l.end_date + make_interval(days => o) <= $1) AS offset_days,
                      (SELECT min(o) FROM unnest($2::int[]) AS o
                       WHERE l.end_date + make_interval(days => o) > $1) AS next_days
               FROM latest l),
           claimed AS (
               INSERT INTO membership_reminders (user_id, period_end, offset_days, sent_at)
               SELECT d.id, d.end_date, d.offset_days, $1 FROM due d
               WHERE d.offset_days IS NOT NULL
                 AND $1 < d.end_date + make_interval(days => COALESCE(d.next_days, d.offset_days + 7))
                 AND (d.offset_days >= 0 OR d.status = 'active')
                 AND NOT EXISTS (SELECT 1 FROM membership_reminders m
                                 WHERE m.user_id = d.id AND m.period_end = d.end_date
                                   AND m.offset_days >= d.offset_days)
               ORDER BY d.id LIMIT $3
               ON CONFLICT DO NOTHING
               RETURNING user_id, period_end, offset_days),
           counted AS (
               UPDATE users u SET renewal_reminders_sent = renewal_reminders_sent + 1,
                   last_renewal_reminder_at = $1
               FROM claimed c WHERE u.id = c.user_id)
           SELECT u.email, u.first_name, p.name AS plan, c.offset_days,
                  ((c.period_end AT TIME ZONE o.time_zone)::date - 1) AS "last_day!",
                  CASE WHEN c.period_end + make_interval(days => o.grace_days) > $1
                       THEN ((c.period_end + make_interval(days => o.grace_days))
                             AT TIME ZONE o.time_zone)::date - 1 END AS open_until
           FROM claimed c
           JOIN users u ON u.id = c.user_id
           JOIN due d ON d.id = c.user_id
           JOIN subscription_plans p ON p.id = d.plan_id
           CROSS JOIN organisation_settings o"#,
        at,
        schedule,
        batch,
    )
    .fetch_all(conn)
    .await
}
