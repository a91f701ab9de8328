//! The reminders before events: the statement that claims the answers
//! due a reminder (see the jobs function's `event_reminders`).

use chrono::{DateTime, NaiveDateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A seat whose holder is due a reminder.
#[derive(Debug)]
pub struct Due {
    pub email: String,
    pub first_name: String,
    pub event_id: Uuid,
    pub title: String,
    pub starts_local: NaiveDateTime,
    pub time_zone: String,
    pub location: Option<String>,
}

/// Claims up to `batch` seats ("yes", not waiting) at published events
/// starting within `hours` of `at` whose holder may still see the event
/// (`member_content`: the permission codes only a membership in force
/// gives) and answered before the reminder's hour: each records the start
/// it announces (`reminded_for`), so a second run skips it, and an event
/// moved to another time is announced again. The holders' reminder
/// counters move with them.
pub async fn claim_due(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    hours: i32,
    member_content: &[String],
    batch: i64,
) -> sqlx::Result<Vec<Due>> {
    sqlx::query_as!(
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
        member_content,
        batch,
    )
    .fetch_all(conn)
    .await
}
