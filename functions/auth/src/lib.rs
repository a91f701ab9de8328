//! The auth function: registration, email verification, sign-in and
//! sessions, passwords, the signed-in user's own account, and the invitee's
//! side of invitations. Its routes are tabled in README.md, "Accounts and
//! sign-in".

mod account_tokens;
mod data_export;
mod email_change;
mod erasure;
mod invitations;
mod me;
mod passwords;
mod registration;
mod sessions;

use axum::Router;
use loaf_http::openapi::{summary, summary_and_errors, summary_sign_in_optional};
use loaf_http::routes::{Docs, Routes};
use loaf_http::AppState;

/// Every route of this function, described for the OpenAPI document when
/// `docs` asks.
pub fn api(docs: Docs) -> Routes {
    let api = Routes::new(docs)
        .api_route(
            "/api/auth/register",
            docs.post_with(
                registration::register,
                summary_and_errors(
                    "Register an account",
                    &[(
                        429,
                        "Too many registrations from this address; see Retry-After.",
                    )],
                ),
            ),
        )
        .api_route(
            "/api/auth/verify-email",
            docs.post_with(
                registration::verify_email,
                summary_and_errors(
                    "Verify an email address",
                    &[
                        (
                            410,
                            "The link was used, replaced or has expired; `code` says which.",
                        ),
                        (429, "Too many wrong passwords; see Retry-After."),
                    ],
                ),
            ),
        )
        .api_route(
            "/api/auth/resend-verification",
            docs.post_with(
                registration::resend_verification,
                summary("Send the verification email again"),
            ),
        )
        .api_route(
            "/api/auth/login",
            docs.post_with(
                sessions::login,
                summary_and_errors(
                    "Sign in",
                    &[
                        (401, "Wrong email or password."),
                        (403, "This account cannot sign in (yet); `code` says why."),
                        (429, "Too many failed attempts; see Retry-After."),
                    ],
                ),
            ),
        )
        .api_route(
            "/api/auth/refresh",
            docs.post_with(
                sessions::refresh,
                summary_and_errors(
                    "Exchange a refresh token",
                    &[(401, "The refresh token is unknown, used or expired.")],
                ),
            ),
        )
        .api_route(
            "/api/auth/logout",
            docs.post_with(sessions::logout, summary_sign_in_optional("Sign out")),
        )
        .api_route(
            "/api/auth/me",
            docs.get_with(me::show, summary("Your account and profile"))
                .patch_with(me::update, summary("Change your profile")),
        )
        .api_route(
            "/api/auth/accept-tos",
            docs.post_with(me::accept_terms, summary("Accept the terms of service")),
        )
        .api_route(
            "/api/auth/change-email",
            docs.post_with(
                email_change::change_email,
                summary_and_errors(
                    "Change your sign-in address (confirmed by a link to it)",
                    &[(429, "Too many wrong current passwords; see Retry-After.")],
                ),
            ),
        )
        .api_route(
            "/api/auth/confirm-email-change",
            docs.post_with(
                email_change::confirm_email_change,
                summary("Confirm a new sign-in address"),
            ),
        )
        .api_route(
            "/api/auth/export",
            docs.get_with(data_export::show, summary("Your data export"))
                .post_with(
                    data_export::request,
                    summary("Export everything held about you"),
                ),
        )
        .api_route(
            "/api/auth/erasure",
            docs.post_with(
                erasure::request,
                summary("Ask for your account to be erased (confirmed by a link)"),
            ),
        )
        .api_route(
            "/api/auth/confirm-erasure",
            docs.post_with(
                erasure::confirm,
                summary("Confirm the erasure of your account"),
            ),
        )
        .api_route(
            "/api/auth/change-password",
            docs.post_with(
                passwords::change_password,
                summary_and_errors(
                    "Change your password",
                    &[(429, "Too many wrong current passwords; see Retry-After.")],
                ),
            ),
        )
        .api_route(
            "/api/auth/forgot-password",
            docs.post_with(
                passwords::forgot_password,
                summary("Ask for a password reset link"),
            ),
        )
        .api_route(
            "/api/auth/reset-password",
            docs.post_with(
                passwords::reset_password,
                summary_and_errors(
                    "Set a password from a link",
                    &[(
                        410,
                        "The link was used, replaced or has expired; `code` says which.",
                    )],
                ),
            ),
        )
        .api_route(
            "/api/auth/invitations/{token}",
            docs.get_with(
                invitations::show,
                summary_and_errors(
                    "Look at an invitation",
                    &[(
                        410,
                        "The link was used, replaced or has expired; `code` says which.",
                    )],
                ),
            ),
        )
        .api_route(
            "/api/auth/invitations/{token}/accept",
            docs.post_with(
                invitations::accept,
                summary_and_errors(
                    "Accept an invitation",
                    &[(
                        410,
                        "The link was used, replaced or has expired; `code` says which.",
                    )],
                ),
            ),
        );
    api.tagged("auth")
}

/// Every route of this function, mountable under `lambda_http` and in
/// `loaf serve` alike.
pub fn router(state: AppState) -> Router {
    loaf_http::http::function_router(api(Docs::Skip), state)
}
