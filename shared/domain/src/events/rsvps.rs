//! RSVPs: only "yes" takes a seat; when the event is full a "yes" waits,
//! and is promoted in order (and told by email) when a seat frees or the
//! event grows. Callers hold the event's row lock ([`super::lock`] or
//! [`seats`]) while seats are counted.

use crate::email::{outbox, Mail};
use crate::enums::RsvpStatus;
use chrono::{DateTime, Utc};
use loaf_core::config::EmailConfig;
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// An answer, as the event's hosts list it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Rsvp {
    user_id: Uuid,
    name: String,
    email: String,
    status: RsvpStatus,
    /// A "yes" waiting for a seat.
    waitlisted: bool,
    attended: bool,
    attended_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

/// A member's own answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct MyAnswer {
    pub status: RsvpStatus,
    pub waitlisted: bool,
}

/// `user`'s answer to `event`, if any.
pub async fn answer_of(
    conn: &mut PgConnection,
    event: Uuid,
    user: Uuid,
) -> sqlx::Result<Option<MyAnswer>> {
    sqlx::query_as!(
        MyAnswer,
        "SELECT rsvp_status AS \"status: loaf_domain::enums::RsvpStatus\", waitlisted FROM event_rsvps \
         WHERE event_id = $1 AND user_id = $2",
        event,
        user,
    )
    .fetch_optional(conn)
    .await
}

/// Event `id`'s seats and whether it has started, its row locked: the
/// lock every answer to the event takes first, so seats are counted one
/// request at a time. `None`: no such event.
pub async fn seats(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<(Option<i32>, bool)>> {
    sqlx::query!(
        "SELECT capacity, start_at <= now() AS \"started!\" FROM events WHERE id = $1 FOR UPDATE",
        id,
    )
    .map(|r| (r.capacity, r.started))
    .fetch_optional(conn)
    .await
}

/// Seats taken at `event`: "yes" answers not waiting.
pub async fn taken(conn: &mut PgConnection, event: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM event_rsvps WHERE event_id = $1 AND rsvp_status = 'yes' AND NOT waitlisted",
        event,
    )
    .fetch_one(conn)
    .await
}

/// Writes `user`'s answer to `event`; an unchanged status keeps its time
/// (its place in the waitlist).
pub async fn put(
    conn: &mut PgConnection,
    event: Uuid,
    user: Uuid,
    answer: MyAnswer,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO event_rsvps (event_id, user_id, rsvp_status, waitlisted) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (event_id, user_id) DO UPDATE SET rsvp_status = $3, waitlisted = $4, \
             updated_at = CASE WHEN event_rsvps.rsvp_status = $3 THEN event_rsvps.updated_at \
                               ELSE now() END",
        event,
        user,
        answer.status as _,
        answer.waitlisted,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Promotes the earliest waiting "yes" answers into the seats `capacity`
/// leaves free, and tells each promoted member by email, in the caller's
/// transaction (which holds the event's row lock).
pub async fn promote(
    conn: &mut PgConnection,
    email: &EmailConfig,
    event: Uuid,
    capacity: Option<i32>,
) -> sqlx::Result<()> {
    let promoted = sqlx::query!(
        "WITH promoted AS ( \
             UPDATE event_rsvps SET waitlisted = false, updated_at = now() WHERE id IN ( \
                 SELECT id FROM event_rsvps WHERE event_id = $1 AND waitlisted \
                 ORDER BY updated_at, id \
                 LIMIT GREATEST(COALESCE($2::bigint, 1000000) - (SELECT count(*) FROM event_rsvps \
                     WHERE event_id = $1 AND rsvp_status = 'yes' AND NOT waitlisted), 0)) \
             RETURNING user_id) \
         SELECT u.email, u.first_name, e.title, e.time_zone, \
             (e.start_at AT TIME ZONE e.time_zone) AS \"starts_local!\" \
         FROM promoted p JOIN users u ON u.id = p.user_id JOIN events e ON e.id = $1",
        event,
        capacity.map(i64::from),
    )
    .fetch_all(&mut *conn)
    .await?;
    let mails: Vec<(String, Mail)> = promoted
        .into_iter()
        .map(|p| {
            let mail = Mail::SeatConfirmed {
                first_name: p.first_name,
                event_id: event,
                title: p.title,
                starts_local: p.starts_local,
                time_zone: p.time_zone,
            };
            (p.email, mail)
        })
        .collect();
    outbox::enqueue_many(conn, email, &mails).await?;
    Ok(())
}

/// How many answers `event` has.
pub async fn count(conn: &mut PgConnection, event: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM event_rsvps WHERE event_id = $1",
        event,
    )
    .fetch_one(conn)
    .await
}

/// A page of `event`'s answers, seats first.
pub async fn list(
    conn: &mut PgConnection,
    event: Uuid,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Rsvp>> {
    sqlx::query_as!(
        Rsvp,
        "SELECT r.user_id, trim(concat_ws(' ', u.first_name, u.last_name)) AS \"name!\", u.email, \
                r.rsvp_status AS \"status: RsvpStatus\", r.waitlisted, r.attended, r.attended_at, r.updated_at \
         FROM event_rsvps r JOIN users u ON u.id = r.user_id WHERE r.event_id = $1 \
         ORDER BY r.rsvp_status, r.waitlisted, r.updated_at, r.id LIMIT $2 OFFSET $3",
        event,
        limit,
        offset,
    )
    .fetch_all(conn)
    .await
}

/// How many of `users` (distinct ids) are people with an account.
pub async fn known_people(conn: &mut PgConnection, users: &[Uuid]) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM users WHERE id = ANY($1)",
        users,
    )
    .fetch_one(conn)
    .await
}

/// Marks `users` (distinct ids) as having attended `event` or not; one who
/// came without answering gets a "yes". Answers how many were marked.
pub async fn mark(
    conn: &mut PgConnection,
    event: Uuid,
    users: &[Uuid],
    attended: bool,
) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "INSERT INTO event_rsvps (event_id, user_id, rsvp_status, attended, attended_at) \
         SELECT $1, u, 'yes', $2, CASE WHEN $2 THEN now() END FROM unnest($3::uuid[]) AS u \
         ON CONFLICT (event_id, user_id) DO UPDATE SET attended = $2, \
             attended_at = CASE WHEN $2 THEN COALESCE(event_rsvps.attended_at, now()) END, \
             updated_at = now()",
        event,
        attended,
        users,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Moves the applicants (`pending_validation`) among `users` to
/// `pre_validated`, as attending an event does, each change in the record
/// of changes with `by` as its author. Answers how many moved.
pub async fn pre_validate_attendees(
    conn: &mut PgConnection,
    users: &[Uuid],
    by: Uuid,
) -> sqlx::Result<u64> {
    let moved: Vec<Uuid> = sqlx::query_scalar!(
        "UPDATE users SET status = 'pre_validated', updated_at = now() \
         WHERE id = ANY($1) AND status = 'pending_validation' RETURNING id",
        users,
    )
    .fetch_all(&mut *conn)
    .await?;
    for user in &moved {
        crate::audit::record(
            conn,
            *user,
            Some(by),
            "status",
            Some("pending_validation"),
            Some("pre_validated"),
            Some("attended an event"),
        )
        .await?;
    }
    Ok(moved.len() as u64)
}
