//! Events and everything hung on them: RSVPs and the waitlist
//! ([`rsvps`]), photo galleries ([`gallery`]), the reminders before an
//! event ([`reminders`]) and calendar feed links ([`calendar_tokens`]).
//! Every statement that reads or writes `events`, `event_rsvps`,
//! `event_galleries`, `event_cancellations` or `calendar_tokens` for a
//! route or a job is here (a member's data export and an erasure read
//! every table, and keep their own); the routes check the input.

pub mod calendar_tokens;
pub mod gallery;
pub mod reminders;
pub mod rsvps;

use crate::enums::Visibility;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Event {
    pub id: Uuid,
    pub title: String,
    pub description: Option<String>,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    /// The zone the event is planned in (IANA), for showing local times.
    pub time_zone: String,
    pub location: Option<String>,
    /// Seats for "yes" answers; `None`: no limit.
    pub capacity: Option<i32>,
    pub visibility: Visibility,
    pub published: bool,
    pub published_at: Option<DateTime<Utc>>,
    pub calendar_uid: String,
    /// Grows with every change of a published event (iCalendar SEQUENCE).
    pub sequence: i32,
    /// "Yes" answers holding a seat, and those waiting for one.
    pub attending: i64,
    pub waitlisted: i64,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `sqlx::query_as!(Event, …)`: the events of `events e` where `$where`
/// holds, then `$tail` (order, limit). With `visible_to`, only those the
/// caller may see: `$1` members-only events, `$2` drafts.
macro_rules! event_query {
    (visible_to $where:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        event_query!(
            @query "((e.published AND (e.visibility = 'public' OR $1)) OR $2) AND ",
            $where,
            $tail
            $(, $arg)*
        )
    };
    (@query $visible:literal, $where:literal, $tail:literal $(, $arg:expr)*) => {
        sqlx::query_as!(
            Event,
            "SELECT e.id, e.title, e.description, e.start_at, e.end_at, e.time_zone, \
                e.location, e.capacity, e.visibility AS \"visibility: loaf_domain::enums::Visibility\", \
                e.published, e.published_at, \
                COALESCE(e.calendar_uid, e.id::text || '@loaf') AS \"calendar_uid!\", e.sequence, \
                (SELECT count(*) FROM event_rsvps r WHERE r.event_id = e.id \
                    AND r.rsvp_status = 'yes' AND NOT r.waitlisted) AS \"attending!\", \
                (SELECT count(*) FROM event_rsvps r WHERE r.event_id = e.id AND r.waitlisted) \
                    AS \"waitlisted!\", \
                e.created_by, e.created_at, e.updated_at \
             FROM events e WHERE " + $visible + $where + " " + $tail
            $(, $arg)*
        )
    };
}

/// Who is looking.
#[derive(Debug, Clone, Copy)]
pub struct Sight {
    /// Members-only events too.
    pub members: bool,
    /// Drafts too.
    pub drafts: bool,
}

impl Sight {
    /// What event managers see: members-only events and drafts too.
    pub const EVERYTHING: Sight = Sight {
        members: true,
        drafts: true,
    };
}

/// Event `id` if `sight` may see it.
pub async fn visible(
    conn: &mut PgConnection,
    id: Uuid,
    sight: Sight,
) -> sqlx::Result<Option<Event>> {
    event_query!(visible_to "e.id = $3", "", sight.members, sight.drafts, id)
        .fetch_optional(conn)
        .await
}

/// Which events a list shows.
#[derive(Debug, Default, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "EventsWhen")]
pub enum When {
    /// Not ended yet, soonest first.
    #[default]
    Upcoming,
    /// Ended, latest first.
    Past,
}

/// The events a list shows: `when`, starting from `from` and before `to`.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub when: When,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// How many events of `window` `sight` sees.
pub async fn count(conn: &mut PgConnection, sight: Sight, window: Window) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM events e
           WHERE ((e.published AND (e.visibility = 'public' OR $1)) OR $2)
             AND (e.end_at < now()) = $5
             AND ($3::timestamptz IS NULL OR e.start_at >= $3)
             AND ($4::timestamptz IS NULL OR e.start_at < $4)"#,
        sight.members,
        sight.drafts,
        window.from,
        window.to,
        matches!(window.when, When::Past),
    )
    .fetch_one(conn)
    .await
}

/// A page of the events of `window` `sight` sees: upcoming ones soonest
/// first, past ones latest first.
pub async fn list(
    conn: &mut PgConnection,
    sight: Sight,
    window: Window,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Event>> {
    let (members, drafts, from, to) = (sight.members, sight.drafts, window.from, window.to);
    // One statement per direction: the order is part of the SQL, not a value.
    match window.when {
        When::Upcoming => {
            event_query!(
                visible_to "e.end_at >= now() AND ($3::timestamptz IS NULL OR e.start_at >= $3) \
                    AND ($4::timestamptz IS NULL OR e.start_at < $4)",
                "ORDER BY e.start_at, e.id LIMIT $5 OFFSET $6",
                members,
                drafts,
                from,
                to,
                limit,
                offset,
            )
            .fetch_all(conn)
            .await
        }
        When::Past => {
            event_query!(
                visible_to "e.end_at < now() AND ($3::timestamptz IS NULL OR e.start_at >= $3) \
                    AND ($4::timestamptz IS NULL OR e.start_at < $4)",
                "ORDER BY e.start_at DESC, e.id LIMIT $5 OFFSET $6",
                members,
                drafts,
                from,
                to,
                limit,
                offset,
            )
            .fetch_all(conn)
            .await
        }
    }
}

/// The published events a calendar feed carries: those ended less than 90
/// days ago or still to come, members-only ones with `members`.
pub async fn for_feed(conn: &mut PgConnection, members: bool) -> sqlx::Result<Vec<Event>> {
    event_query!(
        visible_to "e.end_at > now() - interval '90 days'",
        "ORDER BY e.start_at",
        members,
        false,
    )
    .fetch_all(conn)
    .await
}

/// A published event coming soon, as the dashboard lists it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UpcomingEvent {
    id: Uuid,
    title: String,
    start_at: DateTime<Utc>,
    attending: i64,
}

/// The next five published events.
pub async fn next_five(conn: &mut PgConnection) -> sqlx::Result<Vec<UpcomingEvent>> {
    sqlx::query_as!(
        UpcomingEvent,
        "SELECT e.id, e.title, e.start_at, \
                (SELECT count(*) FROM event_rsvps r WHERE r.event_id = e.id AND r.rsvp_status = 'yes') \
                    AS \"attending!\" \
         FROM events e WHERE e.published AND e.start_at > now() ORDER BY e.start_at LIMIT 5",
    )
    .fetch_all(conn)
    .await
}

/// An event's fields as written, checked by the caller.
#[derive(Debug, Clone)]
pub struct Draft {
    pub title: String,
    pub description: Option<String>,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub time_zone: String,
    pub location: Option<String>,
    pub capacity: Option<i32>,
    pub visibility: Visibility,
}

/// Writes event `id` (created by `user` if new); a published event's
/// change raises its SEQUENCE.
pub async fn save(
    conn: &mut PgConnection,
    id: Uuid,
    draft: &Draft,
    user: Uuid,
) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO events (id, title, description, start_at, end_at, time_zone, location, capacity, \
             visibility, calendar_uid, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $1::uuid::text || '@loaf', $10) \
         ON CONFLICT (id) DO UPDATE SET title = $2, description = $3, start_at = $4, end_at = $5, \
             time_zone = $6, location = $7, capacity = $8, visibility = $9, updated_at = now(), \
             sequence = events.sequence + CASE WHEN events.published THEN 1 ELSE 0 END",
        id,
        draft.title,
        draft.description,
        draft.start_at,
        draft.end_at,
        draft.time_zone,
        draft.location,
        draft.capacity,
        draft.visibility as _,
        user,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Locks event `id`'s row, if there is one, until the transaction ends:
/// changes and answers to one event take their turn.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "SELECT 1 AS locked FROM events WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await?;
    Ok(())
}

/// Publishes event `id`, or takes it back to draft; `false`: no such event.
pub async fn set_published(
    conn: &mut PgConnection,
    id: Uuid,
    published: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE events SET published = $2, updated_at = now(), sequence = sequence + 1, \
             published_at = CASE WHEN $2 THEN COALESCE(published_at, now()) ELSE published_at END \
         WHERE id = $1",
        id,
        published,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A stored object and its size in bytes.
pub type StoredObject = (String, i64);

/// Deletes event `id` with its RSVPs and photos, leaving a published one's
/// cancellation for calendar feeds; answers the photos' objects (for the
/// caller to take out of the usage and the bucket), `None`: no such event.
pub async fn remove(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Vec<StoredObject>>> {
    let photos = sqlx::query!(
        "SELECT image_key, file_size_bytes FROM event_galleries WHERE event_id = $1",
        id,
    )
    .map(|r| (r.image_key, r.file_size_bytes))
    .fetch_all(&mut *conn)
    .await?;
    let gone: Option<bool> = sqlx::query_scalar!(
        "WITH gone AS (DELETE FROM events WHERE id = $1 \
             RETURNING COALESCE(calendar_uid, id::text || '@loaf') AS uid, title, start_at, end_at, \
                       visibility, sequence, published), \
              kept AS (INSERT INTO event_cancellations (calendar_uid, title, start_at, end_at, visibility, sequence) \
                       SELECT uid, title, start_at, end_at, visibility, sequence + 1 FROM gone WHERE published \
                       ON CONFLICT (calendar_uid) DO NOTHING) \
         SELECT true AS \"n!\" FROM gone",
        id,
    )
    .fetch_optional(conn)
    .await?;
    Ok(gone.map(|_| photos))
}

/// A deleted event, as feeds keep it.
#[derive(Debug)]
pub struct Cancelled {
    pub calendar_uid: String,
    pub title: String,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub sequence: i32,
    pub cancelled_at: DateTime<Utc>,
}

/// The cancellations of the last 30 days, members-only ones with `members`.
pub async fn cancellations(conn: &mut PgConnection, members: bool) -> sqlx::Result<Vec<Cancelled>> {
    sqlx::query_as!(
        Cancelled,
        "SELECT calendar_uid, title, start_at, end_at, sequence, cancelled_at FROM event_cancellations \
         WHERE cancelled_at > now() - interval '30 days' AND (visibility = 'public' OR $1) \
         ORDER BY start_at",
        members,
    )
    .fetch_all(conn)
    .await
}
