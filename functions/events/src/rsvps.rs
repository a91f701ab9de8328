//! RSVPs and attendance. A member answers yes, no or maybe until the event
//! starts. Only "yes" takes a seat; when the event is full, a "yes" waits
//! on a waitlist and is promoted, in order, when a seat frees or the event
//! grows, and is told so by email. The event row is locked while seats are
//! counted, so two members racing for the last seat cannot both get it. Hosts list the answers and mark who
//! attended; attending moves an applicant to `pre_validated`.

use crate::events::{sight, visible};
use axum::extract::State;
use axum::http::StatusCode;
use loaf_domain::audit;
use loaf_domain::enums::RsvpStatus;
use loaf_domain::events::rsvps::{self, MyAnswer, Rsvp};
use loaf_domain::permissions::perm;
use loaf_http::auth::Require;
use loaf_http::extract::{Json, Path};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    status: RsvpStatus,
}

/// `GET /api/events/{id}/rsvp`: the caller's own answer to the event (404
/// when they have not answered).
pub async fn mine(
    State(state): State<AppState>,
    member: Require<perm::EventsRsvp>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<MyAnswer>> {
    let mut conn = state.db.acquire().await?;
    visible(&mut conn, id, sight(Some(&member.user))).await?;
    let answer = rsvps::answer_of(&mut conn, id, member.user.id).await?;
    answer.map(Json).ok_or(ApiError::NotFound)
}

/// `PUT /api/events/{id}/rsvp {status}`
pub async fn answer(
    State(state): State<AppState>,
    member: Require<perm::EventsRsvp>,
    Path(id): Path<Uuid>,
    Json(body): Json<Answer>,
) -> ApiResult<Json<MyAnswer>> {
    let status = body.status;
    let mut tx = audit::begin_as(&state.db, member.user.id).await?;
    let event = visible(&mut tx, id, sight(Some(&member.user))).await?;
    // The lock every answer to this event takes first: seats are counted
    // one request at a time.
    let (capacity, started) = rsvps::seats(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    if !event.published {
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::NotPublished,
            "This event is not published yet.",
        ));
    }
    if started {
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::EventStarted,
            "This event has started: answers can no longer change.",
        ));
    }
    // A "yes" given before keeps its seat, or its place in the queue.
    let yes_before = rsvps::answer_of(&mut tx, id, member.user.id)
        .await?
        .filter(|before| before.status == RsvpStatus::Yes);
    let waitlisted = match (status, yes_before) {
        (RsvpStatus::Yes, Some(before)) => before.waitlisted,
        (RsvpStatus::Yes, None) => {
            let taken = rsvps::taken(&mut tx, id).await?;
            capacity.is_some_and(|c| taken >= i64::from(c))
        }
        _ => false,
    };
    let answer = MyAnswer { status, waitlisted };
    rsvps::put(&mut tx, id, member.user.id, answer).await?;
    // A seat given up moves the waiting list up.
    if status != RsvpStatus::Yes && yes_before.is_some_and(|before| !before.waitlisted) {
        rsvps::promote(&mut tx, &state.config.email, id, capacity).await?;
    }
    tx.commit().await?;
    Ok(Json(answer))
}

/// `GET /api/events/{id}/rsvps`: every answer, seats first.
pub async fn list(
    State(state): State<AppState>,
    host: Require<perm::EventsRsvps>,
    Path(id): Path<Uuid>,
    page: PageParams,
) -> ApiResult<Json<Page<Rsvp>>> {
    let mut conn = state.db.acquire().await?;
    visible(&mut conn, id, sight(Some(&host.user))).await?;
    let total = rsvps::count(&mut conn, id).await?;
    let items = rsvps::list(&mut conn, id, page.limit(), page.offset()).await?;
    Ok(Json(Page::new(items, page, total)))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Attendance {
    user_ids: Vec<Uuid>,
    attended: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Marked {
    marked: u64,
    /// Applicants who attended and are now `pre_validated`.
    pre_validated: u64,
}

/// `POST /api/events/{id}/attendance {user_ids, attended}`: in one
/// transaction; someone who came without answering gets a "yes".
pub async fn mark(
    State(state): State<AppState>,
    host: Require<perm::EventsAttendance>,
    Path(id): Path<Uuid>,
    Json(body): Json<Attendance>,
) -> ApiResult<Json<Marked>> {
    if body.user_ids.is_empty() || body.user_ids.len() > 1000 {
        return Err(ApiError::invalid(
            "user_ids",
            "give from 1 to 1000 member ids",
        ));
    }
    let mut tx = audit::begin_as(&state.db, host.user.id).await?;
    visible(&mut tx, id, sight(Some(&host.user))).await?;
    let mut unique = body.user_ids.clone();
    unique.sort();
    unique.dedup();
    if rsvps::known_people(&mut tx, &unique).await? != unique.len() as i64 {
        return Err(ApiError::invalid(
            "user_ids",
            "some of these ids are no member's",
        ));
    }
    let marked = rsvps::mark(&mut tx, id, &unique, body.attended).await?;
    let pre_validated = if body.attended {
        rsvps::pre_validate_attendees(&mut tx, &unique, host.user.id).await?
    } else {
        0
    };
    tx.commit().await?;
    Ok(Json(Marked {
        marked,
        pre_validated,
    }))
}
