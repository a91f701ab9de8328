//! The invitee's side of an invitation (admins create them in the members
//! function): see who invited you and as what, then create the account.
//! The invitation stands for a confirmed address and an admin's
//! validation, so the account starts in `payment_pending`.

use crate::registration::{check_password, check_terms};
use crate::sessions::{self, Session};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use loaf_domain::audit;
use loaf_domain::auth::{password, secret_token};
use loaf_domain::enums::InvitationStatus;
use loaf_domain::profile::Profile;
use loaf_http::auth::session_cookie::{SessionMode, WithCookie};
use loaf_http::extract::{Json, Path};
use loaf_http::reply::Created;
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "InvitationPreview")]
pub struct Invitation {
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    role_code: Option<String>,
    role_name: Option<String>,
    invited_by: Option<String>,
    expires_at: DateTime<Utc>,
    #[serde(skip)]
    id: Uuid,
    #[serde(skip)]
    role_id: Option<Uuid>,
    #[serde(skip)]
    inviter_id: Option<Uuid>,
    #[serde(skip)]
    status: InvitationStatus,
}

/// The pending invitation of `token`, or why it cannot be used.
async fn find(conn: &mut PgConnection, token: &str, lock: bool) -> ApiResult<Invitation> {
    if !secret_token::looks_valid(token) {
        return Err(ApiError::NotFound);
    }
    // One statement each way: whether it locks is part of the SQL.
    let hash = secret_token::hash_hex(token);
    let found = if lock {
        sqlx::query_as!(
            Invitation,
            r#"SELECT i.id, i.email, i.first_name, i.last_name, i.expires_at,
                      i.status AS "status: InvitationStatus", i.invited_by AS inviter_id,
                      r.id AS "role_id?", r.code AS "role_code?", r.name AS "role_name?",
                      NULLIF(trim(concat_ws(' ', u.first_name, u.last_name)), '') AS invited_by
               FROM user_invitations i
               LEFT JOIN roles r ON r.id = i.role_id
               LEFT JOIN users u ON u.id = i.invited_by
               WHERE i.token = $1 FOR UPDATE OF i"#,
            hash,
        )
        .fetch_optional(conn)
        .await?
    } else {
        sqlx::query_as!(
            Invitation,
            r#"SELECT i.id, i.email, i.first_name, i.last_name, i.expires_at,
                      i.status AS "status: InvitationStatus", i.invited_by AS inviter_id,
                      r.id AS "role_id?", r.code AS "role_code?", r.name AS "role_name?",
                      NULLIF(trim(concat_ws(' ', u.first_name, u.last_name)), '') AS invited_by
               FROM user_invitations i
               LEFT JOIN roles r ON r.id = i.role_id
               LEFT JOIN users u ON u.id = i.invited_by
               WHERE i.token = $1"#,
            hash,
        )
        .fetch_optional(conn)
        .await?
    };
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
) -> ApiResult<Json<Invitation>> {
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
    let user_id: Option<Uuid> = sqlx::query_scalar!(
        "INSERT INTO users (email, password_hash, first_name, last_name, status, role_id, \
                            email_verified, validated_at, validated_by, accepts_tos, tos_accepted_at, tos_version) \
         VALUES (lower($1), $2, $3, $4, 'payment_pending', $5, true, now(), $6, true, now(), $7) \
         ON CONFLICT DO NOTHING RETURNING id",
        inv.email,
        hash,
        profile.first_name,
        profile.last_name,
        inv.role_id,
        inv.inviter_id,
        state.config.auth.terms_version,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let user_id = user_id.ok_or_else(|| {
        ApiError::conflict(
            "email",
            "An account with this address already exists: sign in instead.",
        )
    })?;
    profile.store(&mut tx, user_id).await?;
    // The invitation is accepted by the account it just made.
    audit::act_as(&mut tx, user_id).await?;
    sqlx::query!(
        "UPDATE user_invitations SET status = 'accepted', accepted_at = now(), accepted_by = $2 WHERE id = $1",
        inv.id,
        user_id,
    )
    .execute(&mut *tx)
    .await?;
    let session = sessions::start(&state, &mut tx, user_id).await?;
    tx.commit().await?;
    Ok(sessions::deliver(&state, &mode, session, Created))
}
