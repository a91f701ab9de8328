//! The local stand-in for API Gateway: every function's router, unchanged,
//! behind one port, each request sent to the function that owns its path
//! group, as the HTTP API does in AWS.

use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::Router;
use loaf_http::{ApiError, AppState};
use tower::ServiceExt;

/// The route functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Function {
    Auth,
    Members,
    Events,
    Donations,
    Documents,
    Docs,
}

/// Path groups and the function that owns each: the same table the SAM
/// template routes by. `/api/health` is answered by every function; the
/// local gateway asks auth.
pub const ROUTES: &[(&str, Function)] = &[
    ("/api/health", Function::Auth),
    ("/api/auth", Function::Auth),
    ("/api/members", Function::Members),
    ("/api/permissions", Function::Members),
    ("/api/roles", Function::Members),
    ("/api/invitations", Function::Members),
    ("/api/imports", Function::Members),
    ("/api/audit", Function::Members),
    ("/api/plans", Function::Members),
    ("/api/subscriptions", Function::Members),
    ("/api/dashboard", Function::Members),
    ("/api/events", Function::Events),
    ("/api/calendar", Function::Events),
    ("/api/donations", Function::Donations),
    ("/api/payments", Function::Donations),
    ("/api/documents", Function::Documents),
    ("/api/storage", Function::Documents),
    ("/api/settings", Function::Documents),
    ("/api/openapi.json", Function::Docs),
    ("/api/docs", Function::Docs),
];

/// The function owning `path`, if any.
pub fn owner(path: &str) -> Option<Function> {
    ROUTES
        .iter()
        .find(|(prefix, _)| {
            path.strip_prefix(prefix)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
        .map(|(_, f)| *f)
}

/// One router per function, built from one shared state.
#[derive(Clone)]
struct Functions {
    auth: Router,
    members: Router,
    events: Router,
    donations: Router,
    documents: Router,
    docs: Router,
}

/// The whole API on one router.
pub fn router(state: AppState) -> Router {
    let functions = Functions {
        auth: loaf_auth::router(state.clone()),
        members: loaf_members::router(state.clone()),
        events: loaf_events::router(state.clone()),
        donations: loaf_donations::router(state.clone()),
        documents: loaf_documents::router(state),
        docs: loaf_docs::router(),
    };
    Router::new()
        .fallback(move |req: Request| {
            let functions = functions.clone();
            async move { dispatch(functions, req).await }
        })
        // What no function owns gets the API's headers too (in AWS, API
        // Gateway answers such paths itself).
        .layer(axum::middleware::map_response(loaf_http::http::api_headers))
}

/// The API under `/api`, as [`router`] serves it, and the web app on every
/// other path: one origin, as CloudFront gives them in AWS.
pub fn with_web(api: Router, web: Router) -> Router {
    Router::new().fallback(move |req: Request| {
        let path = req.uri().path();
        let target = if path == "/api" || path.starts_with("/api/") {
            api.clone()
        } else {
            web.clone()
        };
        async move {
            match target.oneshot(req).await {
                Ok(res) => res,
                Err(never) => match never {},
            }
        }
    })
}

async fn dispatch(functions: Functions, req: Request) -> Response {
    let target = match owner(req.uri().path()) {
        Some(Function::Auth) => functions.auth,
        Some(Function::Members) => functions.members,
        Some(Function::Events) => functions.events,
        Some(Function::Donations) => functions.donations,
        Some(Function::Documents) => functions.documents,
        Some(Function::Docs) => functions.docs,
        None => return ApiError::NotFound.into_response(),
    };
    match target.oneshot(req).await {
        Ok(res) => res,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_go_to_their_function() {
        assert_eq!(owner("/api/health"), Some(Function::Auth));
        assert_eq!(owner("/api/auth/login"), Some(Function::Auth));
        assert_eq!(owner("/api/members"), Some(Function::Members));
        assert_eq!(owner("/api/members/123/validate"), Some(Function::Members));
        assert_eq!(owner("/api/calendar/feed.ics"), Some(Function::Events));
        assert_eq!(owner("/api/payments/webhook"), Some(Function::Donations));
        assert_eq!(
            owner("/api/settings/logo/uploads"),
            Some(Function::Documents)
        );
        assert_eq!(owner("/api/openapi.json"), Some(Function::Docs));
        assert_eq!(owner("/api/docs"), Some(Function::Docs));
    }

    #[test]
    fn lookalike_prefixes_go_nowhere() {
        assert_eq!(owner("/api/membership"), None);
        assert_eq!(owner("/api/eventsx"), None);
        assert_eq!(owner("/api"), None);
        assert_eq!(owner("/"), None);
    }
}
