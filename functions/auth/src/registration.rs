//! Registration and email verification.
//!
//! A registration for an address that already has an account answers
//! exactly as a new one does (same status, same body, one email sent, the
//! password hashed either way); the owner is emailed instead, so a stranger
//! learns nothing.

use crate::account_tokens::{self, Purpose};
use axum::extract::State;
use loaf_shared::auth::password;
use loaf_shared::domain::{Email, UserStatus};
use loaf_shared::email::{outbox, Mail};
use loaf_shared::extract::Json;
use loaf_shared::profile::Profile;
use loaf_shared::reply::{Accepted, Message};
use loaf_shared::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Registration {
    email: Email,
    password: String,
    /// Must be `true`: the applicant accepts the terms of service.
    accept_terms: bool,
    /// The version of the terms shown to the applicant; must be the current one.
    terms_version: String,
    profile: Profile,
}

/// Checks a terms acceptance against the version in force.
pub fn check_terms(state: &AppState, accepted: bool, version: &str) -> ApiResult<()> {
    if !accepted {
        return Err(ApiError::invalid(
            "accept_terms",
            "Accept the terms of service to continue.",
        ));
    }
    let current = &state.config.auth.terms_version;
    if version.trim() != current {
        return Err(ApiError::invalid(
            "terms_version",
            format!("The terms of service in force are version {current}: read and accept that version."),
        ));
    }
    Ok(())
}

/// Checks `pw` against the password policy for `email`.
pub fn check_password(field: &str, pw: &str, email: &str) -> ApiResult<()> {
    password::check_policy(pw, email).map_err(|e| ApiError::Validation {
        field: field.into(),
        code: "weak_password",
        message: e.to_string(),
    })
}

/// `POST /api/auth/register` → 202: the account waits in `pending_email`.
pub async fn register(
    State(state): State<AppState>,
    Json(body): Json<Registration>,
) -> ApiResult<Accepted<Message>> {
    let profile = body.profile.validated("profile.")?;
    check_password("password", &body.password, body.email.as_str())?;
    check_terms(&state, body.accept_terms, &body.terms_version)?;
    // Hashed before knowing whether the address is taken, so both answers
    // take the same time.
    let hash = password::hash(body.password).await?;

    let mut tx = state.db.begin().await?;
    let created: Option<Uuid> = sqlx::query_scalar(
        "INSERT INTO users (email, password_hash, first_name, last_name, status, role, role_id, \
                            accepts_tos, tos_accepted_at, tos_version) \
         SELECT $1, $2, $3, $4, 'pending_email', 'guest', (SELECT id FROM roles WHERE code = 'guest'), \
                true, now(), $5 \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(body.email.as_str())
    .bind(&hash)
    .bind(&profile.first_name)
    .bind(&profile.last_name)
    .bind(&state.config.auth.terms_version)
    .fetch_optional(&mut *tx)
    .await?;
    let mail_id = match created {
        Some(id) => {
            profile.store(&mut tx, id).await?;
            let token = account_tokens::issue(&mut tx, id, Purpose::VerifyEmail).await?;
            let mail = Mail::VerifyEmail {
                first_name: profile.first_name.clone(),
                token,
            };
            outbox::enqueue(&mut tx, &state.config.email, body.email.as_str(), &mail).await?
        }
        None => {
            let first_name: String =
                sqlx::query_scalar("SELECT first_name FROM users WHERE lower(email) = $1")
                    .bind(body.email.as_str())
                    .fetch_one(&mut *tx)
                    .await?;
            outbox::enqueue(
                &mut tx,
                &state.config.email,
                body.email.as_str(),
                &Mail::AlreadyRegistered { first_name },
            )
            .await?
        }
    };
    tx.commit().await?;
    state.mailer.deliver_now(&state.db, &[mail_id]).await;
    Ok(Accepted(Message {
        message:
            "Check your inbox: we sent a link to confirm your email address. It works for 48 hours.",
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    token: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Verified {
    /// The account's status now, normally `pending_validation`.
    status: UserStatus,
    message: &'static str,
}

/// `POST /api/auth/verify-email`: the account moves to `pending_validation`.
pub async fn verify_email(
    State(state): State<AppState>,
    Json(body): Json<TokenBody>,
) -> ApiResult<Json<Verified>> {
    let mut tx = state.db.begin().await?;
    let user_id = account_tokens::consume(&mut tx, &body.token, Purpose::VerifyEmail).await?;
    let status: UserStatus = sqlx::query_scalar(
        "UPDATE users SET email_verified = true, updated_at = now(), \
           status = CASE WHEN status IN ('pending_email', 'abandoned') \
                         THEN 'pending_validation'::userstatus ELSE status END \
         WHERE id = $1 RETURNING status",
    )
    .bind(user_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Json(Verified {
        status,
        message: "Your email address is confirmed. You can sign in; an administrator will now review your application.",
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailBody {
    email: Email,
}

/// `POST /api/auth/resend-verification` → always 202. A link goes out only
/// when the address has an unconfirmed account and none was sent in the
/// last minute; the mail is left to the scheduled sender so the answer time
/// says nothing either.
pub async fn resend_verification(
    State(state): State<AppState>,
    Json(body): Json<EmailBody>,
) -> ApiResult<Accepted<Message>> {
    account_tokens::mail_link_if_due(
        &state,
        &body.email,
        &["pending_email", "abandoned"],
        Purpose::VerifyEmail,
    )
    .await?;
    Ok(Accepted(Message {
        message: "If an account at this address awaits confirmation, a new link is on its way. You can ask again after a minute.",
    }))
}
