//! Events: who sees what (guests the published public events, members the
//! members-only ones too, managers the drafts), the lists, and the
//! managers' create, edit, publish and delete.

use axum::extract::State;
use chrono::{DateTime, Utc};
use loaf_domain::audit;
use loaf_domain::enums::Visibility;
use loaf_domain::events::{self, rsvps, Draft, Event, Sight, When, Window};
use loaf_domain::permissions::perm;
use loaf_domain::settings;
use loaf_domain::uploads;
use loaf_domain::validate::{optional_long_text, optional_text, text};
use loaf_http::auth::{AuthUser, OptionalUser, Require};
use loaf_http::extract::{present, Json, OptionalJson, Path, Query};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::reply::{Created, NoContent};
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// What `user` may see: members-only events with `events.view`, drafts
/// with `events.edit` or `events.create`.
pub fn sight(user: Option<&AuthUser>) -> Sight {
    Sight {
        members: user.is_some_and(|u| u.can("events.view")),
        drafts: user.is_some_and(|u| u.can("events.edit") || u.can("events.create")),
    }
}

/// Event `id` if `sight` may see it; 404 otherwise.
pub async fn visible(conn: &mut PgConnection, id: Uuid, sight: Sight) -> ApiResult<Event> {
    events::visible(conn, id, sight)
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

/// `GET /api/events`
pub async fn list(
    State(state): State<AppState>,
    OptionalUser(user): OptionalUser,
    page: PageParams,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<Page<Event>>> {
    let sight = sight(user.as_ref());
    if let (Some(from), Some(to)) = (filter.from, filter.to) {
        if from > to {
            return Err(ApiError::invalid("from", "from must not be after to"));
        }
    }
    let window = Window {
        when: filter.when,
        from: filter.from,
        to: filter.to,
    };
    let mut conn = state.db.acquire().await?;
    let total = events::count(&mut conn, sight, window).await?;
    let items = events::list(&mut conn, sight, window, page.limit(), page.offset()).await?;
    Ok(Json(Page::new(items, page, total)))
}

/// `GET /api/events/{id}`
pub async fn show(
    State(state): State<AppState>,
    OptionalUser(user): OptionalUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Event>> {
    let mut conn = state.db.acquire().await?;
    Ok(Json(visible(&mut conn, id, sight(user.as_ref())).await?))
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
            if !settings::zone_known(conn, z).await? {
                return Err(ApiError::invalid(
                    "time_zone",
                    "time_zone is an IANA zone name, such as Europe/Paris",
                ));
            }
            z.clone()
        }
        (None, Some(c)) => c.time_zone.clone(),
        (None, None) => settings::time_zone(conn).await?,
    };
    let draft = Draft {
        title,
        description,
        start_at,
        end_at,
        time_zone,
        location,
        capacity,
        visibility,
    };
    events::save(conn, id, &draft, user).await?;
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
    events::lock(&mut tx, id).await?;
    let current = visible(&mut tx, id, Sight::EVERYTHING).await?;
    save(&mut tx, id, body, Some(&current), manager.user.id).await?;
    let mut event = visible(&mut tx, id, Sight::EVERYTHING).await?;
    if event.waitlisted > 0 {
        // More seats (or none counted any more): the waiting list moves up.
        rsvps::promote(&mut tx, &state.config.email, id, event.capacity).await?;
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
    if !events::set_published(&mut tx, id, published).await? {
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
    let photos = events::remove(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
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
