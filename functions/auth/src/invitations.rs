//! The invitee's side of an invitation (admins create them in the members
//! function): see who invited you and as what, then create the account.
//! The invitation stands for a confirmed address and an admin's
//! validation, so the account starts in `payment_pending`.

use crate::registration::{check_password, check_terms};
use crate::sessions::{self, Session};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use loaf_domain::audit;
use loaf_domain::auth::{password, secret_token};
use loaf_domain::enums::InvitationStatus;
use loaf_domain::invitations::{self, Preview};
use loaf_domain::members::{self, Invited};
use loaf_domain::profile::Profile;
use loaf_http::auth::session_cookie::{SessionMode, WithCookie};
use loaf_http::extract::{Json, Path};
use loaf_http::reply::Created;
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::Deserialize;
use sqlx::PgConnection;

/// The pending invitation of `token`, or why it cannot be used.
async fn find(conn: &mut PgConnection, token: &str, lock: bool) -> ApiResult<Preview> {
    if !secret_token::looks_valid(token) {
        return Err(ApiError::NotFound);
    }
    let found = invitations::by_token(conn, &secret_token::hash_hex(token), lock).await?;
    let invitation = found.ok_or(ApiError::NotFound)?;
    let gone =
        |code: ErrorCode, message: &str| Err(ApiError::refused(StatusCode::GONE, code, message));
    match invitation.status {
        InvitationStatus::Accepted => gone(
            ErrorCode::InvitationUsed,
            "This invitation was already used: sign in with the account it created.",
        ),
        InvitationStatus::Revoked => gone(
            ErrorCode::InvitationRevoked,
            "This invitation was withdrawn. Ask the organisation for a new one.",
        ),
        InvitationStatus::Expired => gone(
            ErrorCode::InvitationExpired,
            "This invitation has expired. Ask the organisation for a new one.",
        ),
        _ if invitation.expires_at < Utc::now() => gone(
            ErrorCode::InvitationExpired,
            "This invitation has expired. Ask the organisation for a new one.",
        ),
        _ => Ok(invitation),
    }
}

/// `GET /api/auth/invitations/{token}`
pub async fn show(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Json<Preview>> {
    let mut conn = state.db.acquire().await?;
    Ok(Json(find(&mut conn, &token, false).await?))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Acceptance {
    password: String,
    accept_terms: bool,
    terms_version: String,
    profile: Profile,
}

/// `POST /api/auth/invitations/{token}/accept` → 201 with a session: the
/// account exists and the invitee is signed in.
pub async fn accept(
    State(state): State<AppState>,
    Path(token): Path<String>,
    mode: SessionMode,
    Json(body): Json<Acceptance>,
) -> ApiResult<WithCookie<Created<Session>>> {
    let profile = body.profile.validated("profile.")?;
    check_terms(&state, body.accept_terms, &body.terms_version)?;
    let email = {
        let mut conn = state.db.acquire().await?;
        find(&mut conn, &token, false).await?.email
    };
    check_password("password", &body.password, &email)?;
    let hash = password::hash(body.password).await?;

    let mut tx = state.db.begin().await?;
    let inv = find(&mut tx, &token, true).await?;
    let invited = Invited {
        email: &inv.email,
        password_hash: &hash,
        first_name: &profile.first_name,
        last_name: &profile.last_name,
        role_id: inv.role_id,
        validated_by: inv.inviter_id,
        terms_version: &state.config.auth.terms_version,
    };
    let user_id = members::create_invited(&mut tx, &invited).await?;
    let user_id = user_id.ok_or_else(|| {
        ApiError::conflict(
            "email",
            "An account with this address already exists: sign in instead.",
        )
    })?;
    profile.store(&mut tx, user_id).await?;
    // The invitation is accepted by the account it just made.
    audit::act_as(&mut tx, user_id).await?;
    invitations::accepted(&mut tx, inv.id, user_id).await?;
    let session = sessions::start(&state, &mut tx, user_id).await?;
    tx.commit().await?;
    Ok(sessions::deliver(&state, &mode, session, Created))
}
