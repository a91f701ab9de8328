//! Events: who sees what (guests the published public events, members the
//! members-only ones too, managers the drafts), the lists, and the
//! managers' create, edit, publish and delete.

use axum::extract::State;
use chrono::{DateTime, Utc};
use loaf_domain::audit;
use loaf_domain::enums::Visibility;
use loaf_domain::permissions::perm;
use loaf_domain::uploads;
use loaf_domain::validate::{optional_long_text, optional_text, text};
use loaf_http::auth::{AuthUser, OptionalUser, Require};
use loaf_http::extract::{present, Json, OptionalJson, Path, Query};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::reply::{Created, NoContent};
use loaf_http::{ApiError, ApiResult, AppState};
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
    ($where:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        event_query!(@query "", $where, $tail $(, $arg)*)
    };
    (@query $visible:literal, $where:literal, $tail:literal $(, $arg:expr)*) => {
        sqlx::query_as!(
            $crate::events::Event,
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
pub(crate) use event_query;

/// Who is looking.
#[derive(Debug, Clone, Copy)]
pub struct Sight {
    pub members: bool,
    pub drafts: bool,
}

impl Sight {
    /// What event managers see: members-only events and drafts too.
    pub const EVERYTHING: Sight = Sight {
        members: true,
        drafts: true,
    };

    pub fn of(user: Option<&AuthUser>) -> Sight {
        Sight {
            members: user.is_some_and(|u| u.can("events.view")),
            drafts: user.is_some_and(|u| u.can("events.edit") || u.can("events.create")),
        }
    }
}

/// Event `id` if `sight` may see it; 404 otherwise.
pub async fn visible(conn: &mut PgConnection, id: Uuid, sight: Sight) -> ApiResult<Event> {
    event_query!(visible_to "e.id = $3", "", sight.members, sight.drafts, id)
        .fetch_optional(conn)
        .await?
        .ok_or(ApiError::NotFound)
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(rename = "EventFilter")]
pub struct Filter {
    when: When,
    /// Starting from / before these instants.
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

/// Which events a list shows.
#[derive(Debug, Default, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(rename = "EventsWhen")]
enum When {
    /// Not ended yet, soonest first.
    #[default]
    Upcoming,
    /// Ended, latest first.
    Past,
}

/// `GET /api/events`
pub async fn list(
    State(state): State<AppState>,
    OptionalUser(user): OptionalUser,
    page: PageParams,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<Page<Event>>> {
    let sight = Sight::of(user.as_ref());
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if from > to {
            return Err(ApiError::invalid("from", "from must not be after to"));
        }
    }
    let (members, drafts, from, to) = (sight.members, sight.drafts, filter.from, filter.to);
    let mut conn = state.db.acquire().await?;
    let past = matches!(filter.when, When::Past);
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM events e
           WHERE ((e.published AND (e.visibility = 'public' OR $1)) OR $2)
             AND (e.end_at < now()) = $5
             AND ($3::timestamptz IS NULL OR e.start_at >= $3)
             AND ($4::timestamptz IS NULL OR e.start_at < $4)"#,
        members,
        drafts,
        from,
        to,
        past,
    )
    .fetch_one(&mut *conn)
    .await?;
    // One statement per direction: the order is part of the SQL, not a value.
    let items =
        match filter.when {
            When::Upcoming => event_query!(
                visible_to "e.end_at >= now() AND ($3::timestamptz IS NULL OR e.start_at >= $3) \
                    AND ($4::timestamptz IS NULL OR e.start_at < $4)",
                "ORDER BY e.start_at, e.id LIMIT $5 OFFSET $6",
                members,
                drafts,
                from,
                to,
                page.limit(),
                page.offset(),
            )
            .fetch_all(&mut *conn)
            .await?,
            When::Past => {
                event_query!(
                    visible_to "e.end_at < now() AND ($3::timestamptz IS NULL OR e.start_at >= $3) \
                        AND ($4::timestamptz IS NULL OR e.start_at < $4)",
                    "ORDER BY e.start_at DESC, e.id LIMIT $5 OFFSET $6",
                    members,
                    drafts,
                    from,
                    to,
                    page.limit(),
                    page.offset(),
                )
                .fetch_all(&mut *conn)
                .await?
            }
        };
    Ok(Json(Page::new(items, page, total)))
}

/// `GET /api/events/{id}`
pub async fn show(
    State(state): State<AppState>,
    OptionalUser(user): OptionalUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Event>> {
    let mut conn = state.db.acquire().await?;
    Ok(Json(
        visible(&mut conn, id, Sight::of(user.as_ref())).await?,
    ))
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "EventFields")]
pub struct Fields {
    title: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
    start_at: Option<DateTime<Utc>>,
    end_at: Option<DateTime<Utc>>,
    time_zone: Option<String>,
    #[serde(default, deserialize_with = "present")]
    location: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    capacity: Option<Option<i64>>,
    /// `members` when a new event leaves it out.
    visibility: Option<Visibility>,
}

/// Checks `body` over `current` (a new event: `None`) and writes the row.
async fn save(
    conn: &mut PgConnection,
    id: Uuid,
    body: Fields,
    current: Option<&Event>,
    user: Uuid,
) -> ApiResult<()> {
    let title = match (&body.title, current) {
        (Some(t), _) => text("title", t, 255)?,
        (None, Some(c)) => c.title.clone(),
        (None, None) => return Err(ApiError::required("title")),
    };
    let description = match (&body.description, current) {
        (Some(d), _) => optional_long_text("description", d.as_deref(), 10_000)?,
        (None, Some(c)) => c.description.clone(),
        (None, None) => None,
    };
    let location = match (&body.location, current) {
        (Some(l), _) => optional_text("location", l.as_deref(), 255)?,
        (None, Some(c)) => c.location.clone(),
        (None, None) => None,
    };
    let start_at = body
        .start_at
        .or(current.map(|c| c.start_at))
        .ok_or_else(|| ApiError::required("start_at"))?;
    let end_at = body
        .end_at
        .or(current.map(|c| c.end_at))
        .ok_or_else(|| ApiError::required("end_at"))?;
    if end_at < start_at {
        return Err(ApiError::invalid(
            "end_at",
            "the event ends before it starts",
        ));
    }
    let capacity = match (body.capacity, current) {
        (Some(Some(c)), _) if !(1..=100_000).contains(&c) => {
            return Err(ApiError::invalid(
                "capacity",
                "capacity is from 1 to 100000, or null",
            ))
        }
        (Some(c), _) => c.map(|c| c as i32),
        (None, Some(e)) => e.capacity,
        (None, None) => None,
    };
    let visibility = match (body.visibility, current) {
        (Some(v), _) => v,
        (None, Some(c)) => c.visibility,
        (None, None) => Visibility::Members,
    };
    let time_zone = match (&body.time_zone, current) {
        (Some(z), _) => {
            let known: bool = sqlx::query_scalar!(
                "SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = $1) AS \"n!\"",
                z,
            )
            .fetch_one(&mut *conn)
            .await?;
            if !known {
                return Err(ApiError::invalid(
                    "time_zone",
                    "time_zone is an IANA zone name, such as Europe/Paris",
                ));
            }
            z.clone()
        }
        (None, Some(c)) => c.time_zone.clone(),
        (None, None) => {
            sqlx::query_scalar!("SELECT time_zone FROM organisation_settings",)
                .fetch_one(&mut *conn)
                .await?
        }
    };
    sqlx::query!(
                "INSERT INTO events (id, title, description, start_at, end_at, time_zone, location, capacity, \
             visibility, calendar_uid, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $1::uuid::text || '@loaf', $10) \
         ON CONFLICT (id) DO UPDATE SET title = $2, description = $3, start_at = $4, end_at = $5, \
             time_zone = $6, location = $7, capacity = $8, visibility = $9, updated_at = now(), \
             sequence = events.sequence + CASE WHEN events.published THEN 1 ELSE 0 END",
                id,
                title,
                description,
                start_at,
                end_at,
                time_zone,
                location,
                capacity,
                visibility as _,
                user,
            )
    .execute(conn)
    .await?;
    Ok(())
}

/// `POST /api/events`: a draft.
pub async fn create(
    State(state): State<AppState>,
    manager: Require<perm::EventsCreate>,
    Json(body): Json<Fields>,
) -> ApiResult<Created<Event>> {
    let id = Uuid::new_v4();
    let mut tx = audit::begin_as(&state.db, manager.user.id).await?;
    save(&mut tx, id, body, None, manager.user.id).await?;
    let event = visible(&mut tx, id, Sight::EVERYTHING).await?;
    tx.commit().await?;
    Ok(Created(event))
}

/// `PATCH /api/events/{id}`: a published event's change raises its SEQUENCE,
/// so subscribed calendars take it.
pub async fn update(
    State(state): State<AppState>,
    manager: Require<perm::EventsEdit>,
    Path(id): Path<Uuid>,
    Json(body): Json<Fields>,
) -> ApiResult<Json<Event>> {
    let mut tx = audit::begin_as(&state.db, manager.user.id).await?;
    sqlx::query!(
        "SELECT 1 AS locked FROM events WHERE id = $1 FOR UPDATE",
        id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let current = visible(&mut tx, id, Sight::EVERYTHING).await?;
    save(&mut tx, id, body, Some(&current), manager.user.id).await?;
    let mut event = visible(&mut tx, id, Sight::EVERYTHING).await?;
    if event.waitlisted > 0 {
        // More seats (or none counted any more): the waiting list moves up.
        crate::rsvps::promote(&mut tx, &state.config.email, id, event.capacity).await?;
        event = visible(&mut tx, id, Sight::EVERYTHING).await?;
    }
    tx.commit().await?;
    Ok(Json(event))
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Publish {
    /// `false` takes the event back to draft.
    published: Option<bool>,
}

/// `POST /api/events/{id}/publish`, with no body or `{"published": false}`
/// to take an event back to draft.
pub async fn publish(
    State(state): State<AppState>,
    admin: Require<perm::EventsPublish>,
    Path(id): Path<Uuid>,
    OptionalJson(body): OptionalJson<Publish>,
) -> ApiResult<Json<Event>> {
    let published = body.published.unwrap_or(true);
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    let done = sqlx::query!(
        "UPDATE events SET published = $2, updated_at = now(), sequence = sequence + 1, \
             published_at = CASE WHEN $2 THEN COALESCE(published_at, now()) ELSE published_at END \
         WHERE id = $1",
        id,
        published,
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(ApiError::NotFound);
    }
    let event = visible(&mut tx, id, Sight::EVERYTHING).await?;
    tx.commit().await?;
    Ok(Json(event))
}

/// `DELETE /api/events/{id}`: the event, its RSVPs and its photos go (the
/// photos' objects are deleted and their bytes leave the usage); a
/// published event leaves a cancellation that calendar feeds carry
/// (STATUS:CANCELLED) for 30 days.
pub async fn delete(
    State(state): State<AppState>,
    admin: Require<perm::EventsDelete>,
    Path(id): Path<Uuid>,
) -> ApiResult<NoContent> {
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    let photos: Vec<(String, i64)> = sqlx::query!(
        "SELECT image_key, file_size_bytes FROM event_galleries WHERE event_id = $1",
        id,
    )
    .map(|r| (r.image_key, r.file_size_bytes))
    .fetch_all(&mut *tx)
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
    .fetch_optional(&mut *tx)
    .await?;
    if gone.is_none() {
        return Err(ApiError::NotFound);
    }
    for (key, size) in &photos {
        uploads::forget(&mut tx, key, *size).await?;
    }
    tx.commit().await?;
    if !photos.is_empty() {
        let keys: Vec<String> = photos.into_iter().map(|(k, _)| k).collect();
        uploads::delete_now(&state.db, &state.storage, Some(&keys)).await?;
    }
    Ok(NoContent)
}
