//! Reminders before events: `EVENT_REMINDER_HOURS` before a published
//! event starts, everyone holding a seat ("yes", not waiting) is emailed
//! once, if they may still see the event (a members-only one needs what
//! the access rule gives: `events.view` with a membership in force, or a
//! staff role the organisation exempts) and their answer is older than the
//! reminder's hour (who answers later just decided). The statement that
//! picks an answer records the start it announces (`reminded_for`,
//! migrations/0021_event_reminders.sql), so a second run at once skips it
//! (it re-checks the row it waited for), and an event moved to another
//! time is announced again.

use chrono::{DateTime, NaiveDateTime, Utc};
use loaf_core::config::EmailConfig;
use loaf_domain::email::{outbox, Mail};
use loaf_domain::permissions::MEMBER_CONTENT;
use sqlx::PgPool;
use uuid::Uuid;

/// Answers per transaction.
const BATCH: i64 = 500;

struct Due {
    email: String,
    first_name: String,
    event_id: Uuid,
    title: String,
    starts_local: NaiveDateTime,
    time_zone: String,
    location: Option<String>,
}

/// Queues every event reminder due at `at`, `hours` before the start;
/// answers how many. `hours` 0 sends none.
pub async fn send(
    db: &PgPool,
    email: &EmailConfig,
    hours: i32,
    at: DateTime<Utc>,
) -> Result<u64, sqlx::Error> {
    if hours == 0 {
        return Ok(0);
    }
    let member_content: Vec<String> = MEMBER_CONTENT.iter().map(|c| c.to_string()).collect();
    let mut sent = 0;
    loop {
        let mut tx = loaf_domain::audit::begin_as(db, loaf_domain::audit::Actor::Scheduler).await?;
        let due = sqlx::query_as!(
            Due,
            r#"WITH due AS (
                   SELECT r.id
                   FROM events e
                   JOIN event_rsvps r ON r.event_id = e.id
                   JOIN users u ON u.id = r.user_id
                   CROSS JOIN organisation_settings o
                   WHERE e.published AND e.start_at > $1
                     AND e.start_at <= $1 + make_interval(hours => $2)
                     AND r.rsvp_status = 'yes' AND NOT r.waitlisted
                     AND r.reminded_for IS DISTINCT FROM e.start_at
                     AND r.updated_at <= e.start_at - make_interval(hours => $2)
                     AND u.status NOT IN ('pending_email', 'abandoned', 'rejected', 'inactive')
                     AND (e.visibility = 'public' OR (
                         EXISTS (SELECT 1 FROM role_permissions rp JOIN permissions p ON p.id = rp.permission_id
                                 WHERE rp.role_id = u.role_id AND p.code = 'events.view')
                         AND (u.status = 'active'
                              OR (u.status = 'expired' AND loaf_grace_ends(u.id, $1) IS NOT NULL)
                              OR (u.status IN ('payment_pending', 'expired', 'canceled') AND loaf_paying(u.id))
                              OR (NOT o.staff_need_membership
                                  AND EXISTS (SELECT 1 FROM role_permissions rp
                                              JOIN permissions p ON p.id = rp.permission_id
                                              WHERE rp.role_id = u.role_id AND p.code <> ALL($3::text[]))))))
                   ORDER BY r.id LIMIT $4),
               claimed AS (
                   UPDATE event_rsvps r SET reminded_for = e.start_at
                   FROM events e
                   WHERE r.id IN (SELECT id FROM due) AND e.id = r.event_id
                     AND r.reminded_for IS DISTINCT FROM e.start_at
                   RETURNING r.user_id, r.event_id),
               counted AS (
                   UPDATE users u SET event_attendance_reminders_sent = event_attendance_reminders_sent + c.n,
                       last_event_attendance_reminder_at = $1
                   FROM (SELECT user_id, count(*)::int AS n FROM claimed GROUP BY user_id) c
                   WHERE u.id = c.user_id)
               SELECT u.email, u.first_name, e.id AS event_id, e.title, e.time_zone, e.location,
                      (e.start_at AT TIME ZONE e.time_zone) AS "starts_local!"
               FROM claimed c
               JOIN users u ON u.id = c.user_id
               JOIN events e ON e.id = c.event_id"#,
            at,
            hours,
            &member_content,
            BATCH,
        )
        .fetch_all(&mut *tx)
        .await?;
        let mails: Vec<(String, Mail)> = due
            .iter()
            .map(|d| {
                let mail = Mail::EventReminder {
                    first_name: d.first_name.clone(),
                    event_id: d.event_id,
                    title: d.title.clone(),
                    starts_local: d.starts_local,
                    time_zone: d.time_zone.clone(),
                    location: d.location.clone(),
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
