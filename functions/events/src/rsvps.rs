//! RSVPs and attendance. A member answers yes, no or maybe until the event
//! starts. Only "yes" takes a seat; when the event is full, a "yes" waits
//! on a waitlist and is promoted, in order, when a seat frees or the event
//! grows, and is told so by email. The event row is locked while seats are
//! counted, so two members racing for the last seat cannot both get it. Hosts list the answers and mark who
//! attended; attending moves an applicant to `pre_validated`.

use crate::events::{visible, Sight};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use loaf_core::config::EmailConfig;
use loaf_domain::audit;
use loaf_domain::email::{outbox, Mail};
use loaf_domain::enums::RsvpStatus;
use loaf_domain::permissions::perm;
use loaf_http::auth::Require;
use loaf_http::extract::{Json, Path};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    status: RsvpStatus,
}

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

#[derive(Debug, Serialize, JsonSchema)]
pub struct MyAnswer {
    status: RsvpStatus,
    waitlisted: bool,
}

/// `GET /api/events/{id}/rsvp`: the caller's own answer to the event (404
/// when they have not answered).
pub async fn mine(
    State(state): State<AppState>,
    member: Require<perm::EventsRsvp>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<MyAnswer>> {
    let mut conn = state.db.acquire().await?;
    visible(&mut conn, id, Sight::of(Some(&member.user))).await?;
    let answer: Option<MyAnswer> = sqlx::query_as!(
        MyAnswer,
        "SELECT rsvp_status AS \"status: loaf_domain::enums::RsvpStatus\", waitlisted FROM event_rsvps \
         WHERE event_id = $1 AND user_id = $2",
        id,
        member.user.id,
    )
    .fetch_optional(&mut *conn)
    .await?;
    answer.map(Json).ok_or(ApiError::NotFound)
}

/// Promotes the earliest waiting "yes" answers into the seats `capacity`
/// leaves free, and tells each promoted member by email, in the caller's
/// transaction (which holds the event's row lock).
pub(crate) async fn promote(
    conn: &mut PgConnection,
    email: &EmailConfig,
    event: Uuid,
    capacity: Option<i32>,
) -> ApiResult<()> {
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

/// `PUT /api/events/{id}/rsvp {status}`
pub async fn answer(
    State(state): State<AppState>,
    member: Require<perm::EventsRsvp>,
    Path(id): Path<Uuid>,
    Json(body): Json<Answer>,
) -> ApiResult<Json<MyAnswer>> {
    let status = body.status;
    let mut tx = audit::begin_as(&state.db, member.user.id).await?;
    let event = visible(&mut tx, id, Sight::of(Some(&member.user))).await?;
    // The lock every answer to this event takes first: seats are counted
    // one request at a time.
    let (capacity, started): (Option<i32>, bool) = sqlx::query!(
        "SELECT capacity, start_at <= now() AS \"started!\" FROM events WHERE id = $1 FOR UPDATE",
        id,
    )
    .map(|r| (r.capacity, r.started))
    .fetch_one(&mut *tx)
    .await?;
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
    let current: Option<(RsvpStatus, bool)> = sqlx::query!(
        "SELECT rsvp_status AS \"rsvp_status: loaf_domain::enums::RsvpStatus\", waitlisted FROM event_rsvps WHERE event_id = $1 AND user_id = $2",
        id,
        member.user.id,
    ).map(|r| (r.rsvp_status, r.waitlisted))
    .fetch_optional(&mut *tx)
    .await?;
    let waitlisted = if status != RsvpStatus::Yes {
        false
    } else if let Some((RsvpStatus::Yes, w)) = current {
        w // already answered yes: keep the seat, or the place in the queue
    } else {
        let taken: i64 = sqlx::query_scalar!(
            "SELECT count(*) AS \"n!\" FROM event_rsvps WHERE event_id = $1 AND rsvp_status = 'yes' AND NOT waitlisted",
            id,
        )
        .fetch_one(&mut *tx)
        .await?;
        capacity.is_some_and(|c| taken >= i64::from(c))
    };
    sqlx::query!(
        "INSERT INTO event_rsvps (event_id, user_id, rsvp_status, waitlisted) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT (event_id, user_id) DO UPDATE SET rsvp_status = $3, waitlisted = $4, \
             updated_at = CASE WHEN event_rsvps.rsvp_status = $3 THEN event_rsvps.updated_at \
                               ELSE now() END",
        id,
        member.user.id,
        status as _,
        waitlisted,
    )
    .execute(&mut *tx)
    .await?;
    if current == Some((RsvpStatus::Yes, false)) && status != RsvpStatus::Yes {
        promote(&mut tx, &state.config.email, id, capacity).await?;
    }
    tx.commit().await?;
    Ok(Json(MyAnswer { status, waitlisted }))
}

/// `GET /api/events/{id}/rsvps`: every answer, seats first.
pub async fn list(
    State(state): State<AppState>,
    host: Require<perm::EventsRsvps>,
    Path(id): Path<Uuid>,
    page: PageParams,
) -> ApiResult<Json<Page<Rsvp>>> {
    let mut conn = state.db.acquire().await?;
    visible(&mut conn, id, Sight::of(Some(&host.user))).await?;
    let total: i64 = sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM event_rsvps WHERE event_id = $1",
        id,
    )
    .fetch_one(&mut *conn)
    .await?;
    let items = sqlx::query_as!(
        Rsvp,
        "SELECT r.user_id, trim(concat_ws(' ', u.first_name, u.last_name)) AS \"name!\", u.email, \
                r.rsvp_status AS \"status: RsvpStatus\", r.waitlisted, r.attended, r.attended_at, r.updated_at \
         FROM event_rsvps r JOIN users u ON u.id = r.user_id WHERE r.event_id = $1 \
         ORDER BY r.rsvp_status, r.waitlisted, r.updated_at, r.id LIMIT $2 OFFSET $3",
        id,
        page.limit(),
        page.offset(),
    )
    .fetch_all(&mut *conn)
    .await?;
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
    visible(&mut tx, id, Sight::of(Some(&host.user))).await?;
    let known: i64 = sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM users WHERE id = ANY($1)",
        &body.user_ids,
    )
    .fetch_one(&mut *tx)
    .await?;
    let mut unique = body.user_ids.clone();
    unique.sort();
    unique.dedup();
    if known != unique.len() as i64 {
        return Err(ApiError::invalid(
            "user_ids",
            "some of these ids are no member's",
        ));
    }
    let marked = sqlx::query!(
        "INSERT INTO event_rsvps (event_id, user_id, rsvp_status, attended, attended_at) \
         SELECT $1, u, 'yes', $2, CASE WHEN $2 THEN now() END FROM unnest($3::uuid[]) AS u \
         ON CONFLICT (event_id, user_id) DO UPDATE SET attended = $2, \
             attended_at = CASE WHEN $2 THEN COALESCE(event_rsvps.attended_at, now()) END, \
             updated_at = now()",
        id,
        body.attended,
        &unique,
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let pre_validated = if body.attended {
        let moved: Vec<Uuid> = sqlx::query_scalar!(
            "UPDATE users SET status = 'pre_validated', updated_at = now() \
             WHERE id = ANY($1) AND status = 'pending_validation' RETURNING id",
            &unique,
        )
        .fetch_all(&mut *tx)
        .await?;
        for user in &moved {
            loaf_domain::audit::record(
                &mut tx,
                *user,
                Some(host.user.id),
                "status",
                Some("pending_validation"),
                Some("pre_validated"),
                Some("attended an event"),
            )
            .await?;
        }
        moved.len() as u64
    } else {
        0
    };
    tx.commit().await?;
    Ok(Json(Marked {
        marked,
        pre_validated,
    }))
}
