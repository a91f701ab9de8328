//! Renewal reminders on the schedule `RENEWAL_REMINDER_SCHEDULE`: days
//! around the end of a member's last period. Before it: "your membership
//! ends on …"; on the day and after: "your membership has ended", with the
//! grace period's last day while it runs. Each goes once per period end: the
//! statement that picks a member claims a row in `membership_reminders`
//! (migrations/0019_membership_reminders.sql), so a second run at once
//! claims nothing and sends nothing. A later period (a renewal) moves the
//! end, which starts the schedule again; a cancellation or refund stops it.
//! When runs were missed, only the latest reminder due goes, and only until
//! the next one is due (the last one, for a week): an end long past is
//! history, not news.

use chrono::{DateTime, NaiveDate, Utc};
use loaf_core::config::EmailConfig;
use loaf_domain::email::{outbox, Mail};
use sqlx::PgPool;

/// Members per transaction.
const BATCH: i64 = 500;

struct Due {
    email: String,
    first_name: String,
    plan: String,
    offset_days: i32,
    /// The last day the period covered, on the organisation's calendar.
    last_day: NaiveDate,
    /// The grace period's last day, while it runs.
    open_until: Option<NaiveDate>,
}

/// Queues every renewal reminder due at `at` on `schedule`; answers how many.
pub async fn send(
    db: &PgPool,
    email: &EmailConfig,
    schedule: &[i32],
    at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    if schedule.is_empty() {
        return Ok(0);
    }
    let mut sent = 0;
    loop {
        let mut tx = loaf_domain::audit::begin_as(db, loaf_domain::audit::Actor::Scheduler).await?;
        // The latest period of each member who may still renew; the latest
        // day of the schedule that has come for it; claimed unless it, or a
        // later one, went already. The old platform's counters follow.
        let due = sqlx::query_as!(
            Due,
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
            BATCH,
        )
        .fetch_all(&mut *tx)
        .await?;
        let mails: Vec<(String, Mail)> = due
            .iter()
            .map(|d| {
                let mail = if d.offset_days < 0 {
                    Mail::RenewalReminder {
                        first_name: d.first_name.clone(),
                        plan: d.plan.clone(),
                        ends_on: d.last_day,
                    }
                } else {
                    Mail::MembershipEnded {
                        first_name: d.first_name.clone(),
                        plan: d.plan.clone(),
                        ended_on: d.last_day,
                        open_until: d.open_until,
                    }
                };
                (d.email.clone(), mail)
            })
            .collect();
        outbox::enqueue_many(&mut tx, email, &mails).await?;
        tx.commit().await?;
        sent += due.len() as u64;
        if (due.len() as i64) < BATCH {
            return Ok(sent);
        }
    }
}
