//! The events function: events (public or members only, drafts for the
//! managers), RSVPs with capacity and a waitlist, attendance, photo
//! galleries, and iCalendar files and feeds.

mod calendar;
mod events;
mod gallery;
mod rsvps;

use axum::Router;
use loaf_http::openapi::summary;
use loaf_http::routes::{Docs, Routes};
use loaf_http::AppState;

/// Every route of this function, described for the OpenAPI document when
/// `docs` asks.
pub fn api(docs: Docs) -> Routes {
    let api = Routes::new(docs)
        .api_route(
            "/api/events",
            docs.get_with(events::list, summary("List events"))
                .post_with(events::create, summary("Create an event (draft)")),
        )
        .api_route(
            "/api/events/{id}",
            docs.get_with(events::show, summary("One event"))
                .patch_with(events::update, summary("Change an event"))
                .delete_with(events::delete, summary("Delete an event")),
        )
        .api_route(
            "/api/events/{id}/publish",
            docs.post_with(events::publish, summary("Publish a draft")),
        )
        .api_route(
            "/api/events/{id}/rsvp",
            docs.put_with(rsvps::answer, summary("Answer an invitation to an event"))
                .get_with(rsvps::mine, summary("Your answer to an event")),
        )
        .api_route(
            "/api/events/{id}/rsvps",
            docs.get_with(rsvps::list, summary("An event's answers")),
        )
        .api_route(
            "/api/events/{id}/attendance",
            docs.post_with(rsvps::mark, summary("Mark attendance")),
        )
        .api_route(
            "/api/events/{id}/gallery",
            docs.get_with(gallery::list, summary("An event's photos"))
                .post_with(gallery::confirm, summary("Add an uploaded photo")),
        )
        .api_route(
            "/api/events/{id}/gallery/uploads",
            docs.post_with(gallery::reserve, summary("Ask for a photo upload link")),
        )
        .api_route(
            "/api/events/{id}/gallery/{image_id}",
            docs.patch_with(gallery::caption, summary("Caption a photo"))
                .delete_with(gallery::delete, summary("Delete a photo")),
        )
        .api_route(
            "/api/events/{id}/calendar.ics",
            docs.get_with(calendar::event, summary("An event as a calendar file")),
        )
        .api_route(
            "/api/calendar/feed.ics",
            docs.get_with(calendar::feed, summary("Your calendar feed")),
        )
        .api_route(
            "/api/calendar/token",
            docs.post_with(
                calendar::rotate,
                summary("Create or replace your feed link"),
            )
            .delete_with(calendar::revoke, summary("Revoke your feed link")),
        );
    api.tagged("events")
}

/// Every route of this function, mountable under `lambda_http` and in
/// `loaf serve` alike.
pub fn router(state: AppState) -> Router {
    loaf_http::http::function_router(api(Docs::Skip), state)
}
