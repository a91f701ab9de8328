//! Calendars: an `.ics` file per event, and a personal feed a calendar app
//! subscribes to (`/api/calendar/feed.ics?token=…`; the token is the
//! member's own, stored as its hash, rotated or revoked at will). Events
//! carry their stable UID and a SEQUENCE that grows with each change;
//! deleted ones come back as STATUS:CANCELLED for 30 days, so subscribed
//! apps drop them. Times are written in UTC, which every app places right.

use crate::events::{sight, visible};
use aide::generate::GenContext;
use aide::openapi::Operation;
use aide::OperationOutput;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use icalendar::{Calendar, Component, EventLike, EventStatus};
use loaf_domain::auth::{access, secret_token};
use loaf_domain::events::{self, calendar_tokens, Cancelled, Event};
use loaf_http::auth::{AuthUser, OptionalUser};
use loaf_http::extract::{Path, Query};
use loaf_http::openapi::text_response;
use loaf_http::reply::{Created, NoContent};
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A calendar of this product named `name`. RFC 5545 TEXT values escape
/// `,` `;` `\` and line breaks; the library does so for the properties it
/// knows as text, not for `NAME`, so that one is escaped here.
fn calendar(name: &str) -> Calendar {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(("VERSION", "2.0"))
        .append_property(("PRODID", "-//LOAF//Membership platform//EN"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .append_property(("NAME", escape_text(name).as_str()))
        .append_property(("X-WR-CALNAME", name));
    calendar
}

/// TEXT escaping (RFC 5545 section 3.3.11) of one line of text.
fn escape_text(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace(';', "\\;")
}

/// Multi-line text as the library expects it: line breaks as `\n` only (it
/// escapes those). Stored text is normalised already; this holds for rows
/// older than that rule.
fn ics_text(text: &str) -> String {
    loaf_domain::validate::normalise_line_ends(text)
}

fn vevent(e: &Event, frontend: &str) -> icalendar::Event {
    let mut v = icalendar::Event::new();
    v.uid(&e.calendar_uid)
        .summary(&ics_text(&e.title))
        .starts(e.start_at)
        .ends(e.end_at)
        .sequence(e.sequence.max(0) as u32)
        .timestamp(e.updated_at)
        .last_modified(e.updated_at)
        .status(EventStatus::Confirmed)
        .url(&format!("{frontend}/events/{}", e.id));
    if let Some(d) = &e.description {
        v.description(&ics_text(d));
    }
    if let Some(l) = &e.location {
        v.location(&ics_text(l));
    }
    v.done()
}

fn cancelled(c: &Cancelled) -> icalendar::Event {
    icalendar::Event::new()
        .uid(&c.calendar_uid)
        .summary(&ics_text(&c.title))
        .starts(c.start_at)
        .ends(c.end_at)
        .sequence(c.sequence.max(0) as u32)
        .timestamp(c.cancelled_at)
        .status(EventStatus::Cancelled)
        .done()
}

/// A calendar file (`text/calendar`) as an answer.
pub struct Ics {
    calendar: Calendar,
    file_name: &'static str,
}

impl IntoResponse for Ics {
    fn into_response(self) -> Response {
        let Ics {
            calendar,
            file_name,
        } = self;
        (
            [
                (
                    header::CONTENT_TYPE,
                    "text/calendar; charset=utf-8".to_string(),
                ),
                (
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"{file_name}\""),
                ),
                (header::CACHE_CONTROL, "private, max-age=300".to_string()),
            ],
            calendar.to_string(),
        )
            .into_response()
    }
}

impl OperationOutput for Ics {
    type Inner = String;

    fn inferred_responses(
        _ctx: &mut GenContext,
        _operation: &mut Operation,
    ) -> Vec<(Option<u16>, aide::openapi::Response)> {
        vec![(
            Some(200),
            text_response("text/calendar", "An iCalendar (RFC 5545) file."),
        )]
    }
}

/// `GET /api/events/{id}/calendar.ics`: the event, for whoever may see it.
pub async fn event(
    State(state): State<AppState>,
    OptionalUser(user): OptionalUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Ics> {
    let mut conn = state.db.acquire().await?;
    let event = visible(&mut conn, id, sight(user.as_ref())).await?;
    let mut calendar = calendar(&event.title);
    calendar.push(vevent(&event, &state.config.email.frontend_url));
    Ok(Ics {
        calendar: calendar.done(),
        file_name: "event.ics",
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FeedQuery {
    token: Option<String>,
}

/// `GET /api/calendar/feed.ics?token=…`: the events the token's holder may
/// see today (public ones only without a membership in force), from
/// 90 days back, and the cancellations of the last 30 days.
pub async fn feed(State(state): State<AppState>, Query(query): Query<FeedQuery>) -> ApiResult<Ics> {
    let token = query
        .token
        .filter(|t| secret_token::looks_valid(t))
        .ok_or(ApiError::NotFound)?;
    let mut conn = state.db.acquire().await?;
    // The holder must still be someone who may sign in; what the feed
    // holds follows their membership as their sessions do.
    let holder = calendar_tokens::holder(&mut conn, &secret_token::hash(&token))
        .await?
        .ok_or(ApiError::NotFound)?;
    if holder.status.sign_in_refusal().is_some() {
        return Err(ApiError::NotFound);
    }
    let codes = match holder.role_id {
        Some(role) => access::effective(
            state.permissions.codes(&state.db, role).await?,
            access::Standing {
                status: holder.status,
                in_grace: holder.in_grace,
                paying: holder.paying,
            },
            holder.staff_need_membership,
        ),
        None => Default::default(),
    };
    let members = codes.contains("events.view");
    let events = events::for_feed(&mut conn, members).await?;
    let gone = events::cancellations(&mut conn, members).await?;
    let mut calendar = calendar(&state.config.email.org_name);
    for e in &events {
        calendar.push(vevent(e, &state.config.email.frontend_url));
    }
    for c in &gone {
        calendar.push(cancelled(c));
    }
    Ok(Ics {
        calendar: calendar.done(),
        file_name: "feed.ics",
    })
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Feed {
    /// Shown once: only its hash is kept.
    token: String,
    /// For calendar apps (`webcal://` opens the subscribe dialog).
    feed_url: String,
    webcal_url: String,
}

/// `POST /api/calendar/token`: a new personal feed token; the old one stops
/// working.
pub async fn rotate(
    State(state): State<AppState>,
    user: AuthUser,
    headers: HeaderMap,
) -> ApiResult<Created<Feed>> {
    user.require("events.view")?;
    let (token, hash) = secret_token::generate();
    let mut conn = state.db.acquire().await?;
    calendar_tokens::replace(&mut conn, user.id, &hash).await?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or(
            if host.starts_with("127.0.0.1") || host.starts_with("localhost") {
                "http"
            } else {
                "https"
            },
        );
    let path = format!("{host}/api/calendar/feed.ics?token={token}");
    Ok(Created(Feed {
        feed_url: format!("{scheme}://{path}"),
        webcal_url: format!("webcal://{path}"),
        token,
    }))
}

/// `DELETE /api/calendar/token`: the feed stops working.
pub async fn revoke(State(state): State<AppState>, user: AuthUser) -> ApiResult<NoContent> {
    let mut conn = state.db.acquire().await?;
    calendar_tokens::revoke(&mut conn, user.id).await?;
    Ok(NoContent)
}
