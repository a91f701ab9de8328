//! Registration and email verification.
//!
//! A registration for an address that already has an account answers
//! exactly as a new one does (same status, same body, the password hashed
//! either way); the owner is emailed instead (at most once a day, so nobody
//! can fill an inbox), so a stranger learns nothing. A source address may
//! register ten times an hour.
//!
//! Confirming the address takes the password chosen at registration: the
//! link alone would let an attacker who registered someone else's address
//! (with a password of their own) get it activated by its owner's click.

use crate::account_tokens::{self, Purpose};
use axum::extract::State;
use loaf_domain::accounts;
use loaf_domain::auth::password;
use loaf_domain::auth::throttle;
use loaf_domain::domain::{Email, UserStatus};
use loaf_domain::email::{outbox, Mail};
use loaf_domain::profile::Profile;
use loaf_domain::rate_limit;
use loaf_http::extract::{ClientAddress, Json};
use loaf_http::reply::{Accepted, Message};
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
        code: ErrorCode::WeakPassword,
        message: e.to_string(),
    })
}

/// `POST /api/auth/register` → 202: the account waits in `pending_email`.
pub async fn register(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Json(body): Json<Registration>,
) -> ApiResult<Accepted<Message>> {
    // Before any work (a password hash costs 19 MiB and tens of ms).
    if let Some(address) = &address {
        rate_limit::check(&state.db, &rate_limit::REGISTRATIONS_PER_SOURCE, address).await?;
    }
    let profile = body.profile.validated("profile.")?;
    check_password("password", &body.password, body.email.as_str())?;
    check_terms(&state, body.accept_terms, &body.terms_version)?;
    // Hashed before knowing whether the address is taken, so both answers
    // take the same time.
    let hash = password::hash(body.password).await?;

    let mut tx = state.db.begin().await?;
    let created = accounts::register(
        &mut tx,
        &accounts::Registration {
            email: body.email.as_str(),
            password_hash: &hash,
            first_name: &profile.first_name,
            last_name: &profile.last_name,
            terms_version: &state.config.auth.terms_version,
        },
    )
    .await?;
    let mail_id = match created {
        Some(id) => {
            profile.store(&mut tx, id).await?;
            let token = account_tokens::issue(&mut tx, id, Purpose::VerifyEmail).await?;
            let mail = Mail::VerifyEmail {
                first_name: profile.first_name.clone(),
                token,
            };
            Some(outbox::enqueue(&mut tx, &state.config.email, body.email.as_str(), &mail).await?)
        }
        None => {
            let notice = &rate_limit::REGISTRATION_NOTICES_PER_ADDRESS;
            if rate_limit::hit(&mut *tx, notice, body.email.as_str())
                .await?
                .is_none()
            {
                // The insert met the address's account.
                let first_name = accounts::first_name_at(&mut tx, body.email.as_str())
                    .await?
                    .ok_or(sqlx::Error::RowNotFound)?;
                let mail = Mail::AlreadyRegistered { first_name };
                Some(
                    outbox::enqueue(&mut tx, &state.config.email, body.email.as_str(), &mail)
                        .await?,
                )
            } else {
                None
            }
        }
    };
    tx.commit().await?;
    state
        .mailer
        .deliver_now(&state.db, mail_id.as_slice())
        .await;
    Ok(Accepted(Message {
        message:
            "Check your inbox: we sent a link to confirm your email address. It works for 48 hours.",
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Confirmation {
    /// The token of the emailed link.
    token: String,
    /// The password chosen at registration.
    password: String,
}

#[derive(Serialize, JsonSchema)]
pub struct Verified {
    /// The account's status now, normally `pending_validation`.
    status: UserStatus,
    message: &'static str,
}

/// `POST /api/auth/verify-email {token, password}`: the account moves to
/// `pending_validation`. The password must be the one chosen at
/// registration (a wrong one is counted like a failed sign-in and leaves
/// the link usable); whoever does not know it (the owner of an address
/// someone else registered) resets it instead, which confirms the address
/// too.
pub async fn verify_email(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    Json(body): Json<Confirmation>,
) -> ApiResult<Json<Verified>> {
    let user_id = {
        let mut conn = state.db.acquire().await?;
        account_tokens::peek(&mut conn, &body.token, Purpose::VerifyEmail).await?
    };
    let (email, stored) = {
        let mut conn = state.db.acquire().await?;
        accounts::email_and_password(&mut conn, user_id).await?
    };
    let keys = throttle::Keys::new(&email, address.as_deref());
    let claim = throttle::claim(&state.db, &keys).await?;
    if body.password.chars().count() > password::MAX_LEN
        || !password::verify_or_dummy(body.password, Some(stored)).await
    {
        return Err(ApiError::Validation {
            field: "password".into(),
            code: ErrorCode::WrongPassword,
            message: "This is not the password chosen at registration. Forgot it, or did not \
                      register? Choose a new one with \"Forgot your password\": that confirms \
                      the address too."
                .into(),
        });
    }
    claim.succeeded(&state.db).await?;
    let mut tx = state.db.begin().await?;
    account_tokens::consume(&mut tx, &body.token, Purpose::VerifyEmail).await?;
    let status = accounts::confirm_address(&mut tx, user_id).await?;
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
        &[UserStatus::PendingEmail, UserStatus::Abandoned],
        account_tokens::Emailed::VerifyEmail,
    )
    .await?;
    Ok(Accepted(Message {
        message: "If an account at this address awaits confirmation, a new link is on its way. You can ask again after a minute.",
    }))
}
