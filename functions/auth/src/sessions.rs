//! Sessions: an access JWT (short-lived) and a refresh token (long-lived,
//! hashed, single use). Each sign-in starts a family of refresh tokens;
//! each refresh uses one up and issues the next. A used token presented
//! again was copied: the whole family is revoked.

use axum::extract::State;
use axum::http::StatusCode;
use loaf_domain::auth::sessions::{self, SessionUser};
use loaf_domain::auth::throttle;
use loaf_domain::auth::{password, secret_token};
use loaf_http::auth::session_cookie::{SessionMode, WithCookie};
use loaf_http::auth::AuthUser;
use loaf_http::extract::{ClientAddress, Json};
use loaf_http::reply::NoContent;
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

/// What sign-in, refresh, invitation acceptance and password change answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Session {
    pub access_token: String,
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Absent when the client asked for it as a cookie (`X-Loaf-Session:
    /// cookie`, the web app): page scripts never see it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub user: SessionUser,
}

/// A session answer as the client asked to keep it: the refresh token in
/// the body, or moved into an HttpOnly cookie.
pub fn deliver<R>(
    state: &AppState,
    mode: &SessionMode,
    mut session: Session,
    wrap: impl FnOnce(Session) -> R,
) -> WithCookie<R> {
    let set_cookie = match &session.refresh_token {
        Some(token) => mode.keep(token, state.config.auth.refresh_token_ttl),
        None => None,
    };
    if set_cookie.is_some() {
        session.refresh_token = None;
    }
    WithCookie {
        reply: wrap(session),
        set_cookie,
    }
}

/// Starts a new refresh-token family for `user_id` inside the caller's
/// transaction and answers the session.
pub async fn start(state: &AppState, conn: &mut PgConnection, user_id: Uuid) -> ApiResult<Session> {
    issue(state, conn, user_id, Uuid::new_v4()).await
}

async fn issue(
    state: &AppState,
    conn: &mut PgConnection,
    user_id: Uuid,
    family: Uuid,
) -> ApiResult<Session> {
    let (refresh_token, hash) = secret_token::generate();
    let (user, version) = sessions::store_refresh(
        conn,
        user_id,
        family,
        &hash,
        state.config.auth.refresh_token_ttl.as_secs_f64(),
    )
    .await?;
    let access_token = state
        .tokens
        .issue(user_id, version, Some(family))
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(Session {
        access_token,
        token_type: "Bearer",
        expires_in: state.config.auth.access_token_ttl.as_secs(),
        refresh_token: Some(refresh_token),
        user,
    })
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    email: String,
    password: String,
}

fn wrong_credentials() -> ApiError {
    ApiError::refused(
        StatusCode::UNAUTHORIZED,
        ErrorCode::InvalidCredentials,
        "The email or password is wrong.",
    )
}

/// `POST /api/auth/login`
pub async fn login(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    mode: SessionMode,
    Json(body): Json<Credentials>,
) -> ApiResult<WithCookie<Json<Session>>> {
    if body.email.trim().is_empty() || body.email.len() > 254 {
        return Err(ApiError::invalid(
            "email",
            "Enter the email address you registered with.",
        ));
    }
    if body.password.is_empty() || body.password.chars().count() > password::MAX_LEN {
        // Longer than any accepted password: refusing before hashing bounds
        // the work an attacker can ask for.
        return Err(wrong_credentials());
    }
    let keys = throttle::Keys::new(&body.email, address.as_deref());
    // Claimed before the password is verified, so concurrent guesses
    // cannot all slip past the limit.
    let claim = throttle::claim(&state.db, &keys).await?;
    let user = {
        let mut conn = state.db.acquire().await?;
        sessions::login_of(&mut conn, body.email.trim()).await?
    };
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    if !password::verify_or_dummy(body.password.clone(), stored).await {
        return Err(wrong_credentials());
    }
    let user = user.ok_or_else(wrong_credentials)?;
    claim.succeeded(&state.db).await?;
    if let Some((code, message)) = user.status.sign_in_refusal() {
        return Err(ApiError::refused(StatusCode::FORBIDDEN, code, message));
    }
    let new_hash = if password::needs_rehash(&user.password_hash) {
        Some(password::hash(body.password).await?)
    } else {
        None
    };
    let mut tx = state.db.begin().await?;
    sessions::signed_in(&mut tx, user.id, new_hash.as_deref()).await?;
    let session = start(&state, &mut tx, user.id).await?;
    tx.commit().await?;
    Ok(deliver(&state, &mode, session, Json))
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RefreshRequest {
    /// Required unless the client keeps it as a cookie (`X-Loaf-Session:
    /// cookie`).
    refresh_token: Option<String>,
}

fn session_ended(code: ErrorCode, message: &str) -> ApiError {
    ApiError::refused(StatusCode::UNAUTHORIZED, code, message)
}

/// `POST /api/auth/refresh`
pub async fn refresh(
    State(state): State<AppState>,
    mode: SessionMode,
    Json(body): Json<RefreshRequest>,
) -> ApiResult<WithCookie<Json<Session>>> {
    let invalid = || {
        session_ended(
            ErrorCode::InvalidRefreshToken,
            "This session is not valid: sign in again.",
        )
    };
    let token = mode
        .refresh_token(body.refresh_token)
        .filter(|t| secret_token::looks_valid(t))
        .ok_or_else(invalid)?;
    let mut tx = state.db.begin().await?;
    let row = sessions::lock_refresh(&mut tx, &secret_token::hash(&token)).await?;
    let row = row.ok_or_else(invalid)?;
    if row.used && !row.revoked {
        // Reuse of a rotated token: someone else holds this chain.
        sessions::revoke_family(&mut tx, row.family_id).await?;
        tx.commit().await?;
        tracing::warn!(user = %row.user_id, family = %row.family_id, "refresh token reused; session revoked");
        return Err(session_ended(
            ErrorCode::RefreshTokenReused,
            "This session was ended for your safety because an old token was used again: sign in again.",
        ));
    }
    if row.used
        || row.revoked
        || row.token_version != row.current_version
        || row.status.sign_in_refusal().is_some()
    {
        return Err(session_ended(
            ErrorCode::SessionEnded,
            "This session has ended: sign in again.",
        ));
    }
    if row.expired {
        return Err(session_ended(
            ErrorCode::SessionExpired,
            "This session has expired: sign in again.",
        ));
    }
    sessions::use_up(&mut tx, &secret_token::hash(&token)).await?;
    let session = issue(&state, &mut tx, row.user_id, row.family_id).await?;
    tx.commit().await?;
    Ok(deliver(&state, &mode, session, Json))
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct LogoutRequest {
    refresh_token: Option<String>,
    /// End every session of the signed-in user, on every device.
    everywhere: bool,
}

/// `POST /api/auth/logout`: ends the session of `refresh_token`; with
/// `everywhere` and a valid access token, every session of that user. An
/// unknown or already ended token is not an error (logging out twice is
/// harmless), and neither is an expired access token sent along: the
/// refresh token is what ends the session.
pub async fn logout(
    State(state): State<AppState>,
    user: Result<AuthUser, ApiError>,
    mode: SessionMode,
    Json(body): Json<LogoutRequest>,
) -> ApiResult<WithCookie<NoContent>> {
    let ended = WithCookie {
        reply: NoContent,
        set_cookie: mode.clear(),
    };
    if body.everywhere {
        let user = user?;
        let mut tx = state.db.begin().await?;
        loaf_domain::auth::end_all_sessions(&mut tx, user.id).await?;
        tx.commit().await?;
        return Ok(ended);
    }
    let token = mode.refresh_token(body.refresh_token);
    let token = match token {
        Some(token) => token,
        // A browser whose cookie is already gone has nothing to end.
        None if mode.is_cookie() => return Ok(ended),
        None => {
            return Err(ApiError::Validation {
                field: "refresh_token".into(),
                code: ErrorCode::Required,
                message:
                    "refresh_token is required (or send everywhere: true with an access token)"
                        .into(),
            })
        }
    };
    if secret_token::looks_valid(&token) {
        let mut conn = state.db.acquire().await?;
        sessions::revoke_family_of(&mut conn, &secret_token::hash(&token)).await?;
    }
    Ok(ended)
}
