//! The events function: events (public or members only, drafts for the
//! managers), RSVPs with capacity and a waitlist, attendance, photo
//! galleries, and iCalendar files and feeds.

mod calendar;
mod events;
mod gallery;
mod rsvps;

use axum::routing::{get, patch, post, put};
use axum::Router;
use loaf_shared::AppState;

/// Every route of this function, mountable under `lambda_http` and in
/// `loaf serve` alike.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/api/events", get(events::list).post(events::create))
        .route(
            "/api/events/{id}",
            get(events::show)
                .patch(events::update)
                .delete(events::delete),
        )
        .route("/api/events/{id}/publish", post(events::publish))
        .route("/api/events/{id}/rsvp", put(rsvps::answer))
        .route("/api/events/{id}/rsvps", get(rsvps::list))
        .route("/api/events/{id}/attendance", post(rsvps::mark))
        .route(
            "/api/events/{id}/gallery",
            get(gallery::list).post(gallery::confirm),
        )
        .route("/api/events/{id}/gallery/uploads", post(gallery::reserve))
        .route(
            "/api/events/{id}/gallery/{image_id}",
            patch(gallery::caption).delete(gallery::delete),
        )
        .route("/api/events/{id}/calendar.ics", get(calendar::event))
        .route("/api/calendar/feed.ics", get(calendar::feed))
        .route(
            "/api/calendar/token",
            post(calendar::rotate).delete(calendar::revoke),
        );
    loaf_shared::http::function_router(routes, state)
}
