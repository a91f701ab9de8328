//! The events function: events (public or members only, drafts for the
//! managers), RSVPs with capacity and a waitlist, attendance, photo
//! galleries, and iCalendar files and feeds.

mod calendar;
mod events;
mod gallery;
mod rsvps;

use aide::axum::routing::{get_with, patch_with, post_with, put_with};
use aide::axum::ApiRouter;
use axum::Router;
use loaf_shared::openapi::{summary, tagged};
use loaf_shared::AppState;

/// Every route of this function with its documentation.
pub fn api() -> ApiRouter<AppState> {
    let api = ApiRouter::new()
        .api_route(
            "/api/events",
            get_with(events::list, summary("List events"))
                .post_with(events::create, summary("Create an event (draft)")),
        )
        .api_route(
            "/api/events/{id}",
            get_with(events::show, summary("One event"))
                .patch_with(events::update, summary("Change an event"))
                .delete_with(events::delete, summary("Delete an event")),
        )
        .api_route(
            "/api/events/{id}/publish",
            post_with(events::publish, summary("Publish a draft")),
        )
        .api_route(
            "/api/events/{id}/rsvp",
            put_with(rsvps::answer, summary("Answer an invitation to an event"))
                .get_with(rsvps::mine, summary("Your answer to an event")),
        )
        .api_route(
            "/api/events/{id}/rsvps",
            get_with(rsvps::list, summary("An event's answers")),
        )
        .api_route(
            "/api/events/{id}/attendance",
            post_with(rsvps::mark, summary("Mark attendance")),
        )
        .api_route(
            "/api/events/{id}/gallery",
            get_with(gallery::list, summary("An event's photos"))
                .post_with(gallery::confirm, summary("Add an uploaded photo")),
        )
        .api_route(
            "/api/events/{id}/gallery/uploads",
            post_with(gallery::reserve, summary("Ask for a photo upload link")),
        )
        .api_route(
            "/api/events/{id}/gallery/{image_id}",
            patch_with(gallery::caption, summary("Caption a photo"))
                .delete_with(gallery::delete, summary("Delete a photo")),
        )
        .api_route(
            "/api/events/{id}/calendar.ics",
            get_with(calendar::event, summary("An event as a calendar file")),
        )
        .api_route(
            "/api/calendar/feed.ics",
            get_with(calendar::feed, summary("Your calendar feed")),
        )
        .api_route(
            "/api/calendar/token",
            post_with(
                calendar::rotate,
                summary("Create or replace your feed link"),
            )
            .delete_with(calendar::revoke, summary("Revoke your feed link")),
        );
    tagged(api, "events")
}

/// Every route of this function, mountable under `lambda_http` and in
/// `loaf serve` alike.
pub fn router(state: AppState) -> Router {
    loaf_shared::http::function_router(api(), state)
}
