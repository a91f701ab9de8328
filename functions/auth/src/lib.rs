//! The auth function: registration, email verification, sign-in and
//! sessions, passwords, the signed-in user's own account, and the invitee's
//! side of invitations. Routes: the auth rows of the route contract
//! (SPEC.md).

mod account_tokens;
mod invitations;
mod me;
mod passwords;
mod registration;
mod sessions;
mod throttle;

use axum::routing::{get, post};
use axum::Router;
use loaf_shared::AppState;

/// Every route of this function, mountable under `lambda_http` and in
/// `loaf serve` alike.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/api/auth/register", post(registration::register))
        .route("/api/auth/verify-email", post(registration::verify_email))
        .route(
            "/api/auth/resend-verification",
            post(registration::resend_verification),
        )
        .route("/api/auth/login", post(sessions::login))
        .route("/api/auth/refresh", post(sessions::refresh))
        .route("/api/auth/logout", post(sessions::logout))
        .route("/api/auth/me", get(me::show).patch(me::update))
        .route("/api/auth/accept-tos", post(me::accept_terms))
        .route(
            "/api/auth/change-password",
            post(passwords::change_password),
        )
        .route(
            "/api/auth/forgot-password",
            post(passwords::forgot_password),
        )
        .route("/api/auth/reset-password", post(passwords::reset_password))
        .route("/api/auth/invitations/{token}", get(invitations::show))
        .route(
            "/api/auth/invitations/{token}/accept",
            post(invitations::accept),
        );
    loaf_shared::http::function_router(routes, state)
}
