//! Changing a password (signed in) and resetting a forgotten one (by a
//! one-hour emailed link). Either way every other session ends.

use crate::account_tokens::{self, Purpose};
use crate::registration::check_password;
use crate::sessions::{self, Session};
use axum::extract::State;
use loaf_domain::accounts;
use loaf_domain::auth::password;
use loaf_domain::auth::throttle;
use loaf_domain::domain::{Email, UserStatus};
use loaf_domain::email::{outbox, Mail};
use loaf_http::auth::session_cookie::{SessionMode, WithCookie};
use loaf_http::auth::AuthUser;
use loaf_http::extract::{ClientAddress, Json};
use loaf_http::reply::{Accepted, Message};
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    current_password: String,
    new_password: String,
}

/// `POST /api/auth/change-password`: answers a fresh session for this
/// client; every other session (other devices, stolen tokens) ends.
pub async fn change_password(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    user: AuthUser,
    mode: SessionMode,
    Json(body): Json<ChangePassword>,
) -> ApiResult<WithCookie<Json<Session>>> {
    let first_name =
        confirm_current(&state, address.as_deref(), &user, body.current_password).await?;
    check_password("new_password", &body.new_password, &user.email)?;
    let hash = password::hash(body.new_password).await?;
    let mut tx = state.db.begin().await?;
    let mail = set_password(&state, &mut tx, user.id, &hash, &user.email, first_name).await?;
    let session = sessions::start(&state, &mut tx, user.id).await?;
    tx.commit().await?;
    state.mailer.deliver_now(&state.db, &[mail]).await;
    Ok(sessions::deliver(&state, &mode, session, Json))
}

/// Checks the signed-in `user`'s `current` password before a change to
/// their account (password, address); answers their first name. Guessing
/// it with a stolen access token is throttled like signing in (422
/// `current_password` when wrong, 429 once locked).
pub(crate) async fn confirm_current(
    state: &AppState,
    address: Option<&str>,
    user: &AuthUser,
    current: String,
) -> ApiResult<String> {
    let keys = throttle::Keys::new(&user.email, address);
    let claim = throttle::claim(&state.db, &keys).await?;
    let (stored, first_name) = {
        let mut conn = state.db.acquire().await?;
        accounts::password_and_first_name(&mut conn, user.id).await?
    };
    if current.chars().count() > password::MAX_LEN
        || !password::verify_or_dummy(current, Some(stored)).await
    {
        return Err(ApiError::invalid(
            "current_password",
            "The current password is wrong.",
        ));
    }
    claim.succeeded(&state.db).await?;
    Ok(first_name)
}

/// Stores `hash`, ends every session and queues the "password changed"
/// notice, inside the caller's transaction.
async fn set_password(
    state: &AppState,
    conn: &mut sqlx::PgConnection,
    user_id: Uuid,
    hash: &str,
    email: &str,
    first_name: String,
) -> ApiResult<Uuid> {
    accounts::set_password(conn, user_id, hash).await?;
    loaf_domain::auth::end_all_sessions(conn, user_id).await?;
    Ok(outbox::enqueue(
        conn,
        &state.config.email,
        email,
        &Mail::PasswordChanged { first_name },
    )
    .await?)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotPassword {
    email: Email,
}

/// `POST /api/auth/forgot-password` → always 202, whether or not the
/// address has an account. The link is left to the scheduled sender so the
/// answer time does not tell either.
pub async fn forgot_password(
    State(state): State<AppState>,
    Json(body): Json<ForgotPassword>,
) -> ApiResult<Accepted<Message>> {
    account_tokens::mail_link_if_due(
        &state,
        &body.email,
        &[
            UserStatus::PendingEmail,
            UserStatus::PendingValidation,
            UserStatus::PreValidated,
            UserStatus::PaymentPending,
            UserStatus::Active,
            UserStatus::Expired,
            UserStatus::Canceled,
            UserStatus::Abandoned,
        ],
        account_tokens::Emailed::ResetPassword,
    )
    .await?;
    Ok(Accepted(Message {
        message: "If an account uses this address, a link to choose a new password is on its way. It works for one hour.",
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    token: String,
    new_password: String,
}

/// `POST /api/auth/reset-password`: sets the new password; the user then
/// signs in with it. A weak password is refused without using the link up.
pub async fn reset_password(
    State(state): State<AppState>,
    Json(body): Json<ResetPassword>,
) -> ApiResult<Json<Message>> {
    let user_id = {
        let mut conn = state.db.acquire().await?;
        account_tokens::peek(&mut conn, &body.token, Purpose::ResetPassword).await?
    };
    let (email, first_name) = {
        let mut conn = state.db.acquire().await?;
        accounts::email_and_first_name(&mut conn, user_id).await?
    };
    check_password("new_password", &body.new_password, &email)?;
    let hash = password::hash(body.new_password).await?;
    let mut tx = state.db.begin().await?;
    // Consumed under lock: of two concurrent resets with one link, one wins.
    account_tokens::consume(&mut tx, &body.token, Purpose::ResetPassword).await?;
    // The link came by email, so the address is proven (imported members
    // set their first password this way, and the owner of an address
    // someone else registered takes it back: the stranger's password is
    // gone and the registration goes on with the owner's).
    accounts::confirm_address(&mut tx, user_id).await?;
    let mail = set_password(&state, &mut tx, user_id, &hash, &email, first_name).await?;
    tx.commit().await?;
    state.mailer.deliver_now(&state.db, &[mail]).await;
    Ok(Json(Message {
        message: "Your password is changed and every session was signed out. Sign in with the new password.",
    }))
}
