//! Extractors a handler puts in its signature to say who may call it:
//! `AuthUser` for any signed-in user, `Require<perm::X>` for a permission.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use loaf_core::error_code::ErrorCode;
use loaf_domain::auth::access::{self, Standing};
use loaf_domain::auth::{sessions, Codes};
use loaf_domain::domain::UserStatus;
use loaf_domain::permissions::Permission;
use std::marker::PhantomData;
use uuid::Uuid;

/// A signed-in user whose token is valid and current, with what they may
/// do: their role's permission codes as their membership allows
/// (`loaf_domain::auth::access`).
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: Uuid,
    pub email: String,
    pub status: UserStatus,
    pub role_id: Option<Uuid>,
    /// When an `expired` member's grace period ends, while it runs.
    pub grace_ends: Option<DateTime<Utc>>,
    /// A payment they promised offline is on its way and, by the
    /// organisation's choice, opens the members' content meanwhile.
    pub paying: bool,
    pub permissions: Codes,
    /// The role's own codes, before the membership rule.
    role_permissions: Codes,
}

impl AuthUser {
    /// `true` when the user may do `code` today: their role holds it and,
    /// for the members' content, their membership allows it.
    pub fn can(&self, code: &str) -> bool {
        self.permissions.contains(code)
    }

    /// `true` when the user's role holds `code`, whatever their membership:
    /// what they may grant to others.
    pub fn holds(&self, code: &str) -> bool {
        self.role_permissions.contains(code)
    }

    /// Refuses (403) unless the user [`can`](Self::can) do `code`; the
    /// refusal says `membership_required` when only their membership
    /// stands in the way.
    pub fn require(&self, code: &str) -> Result<(), ApiError> {
        if self.can(code) {
            Ok(())
        } else if self.holds(code) {
            Err(ApiError::refused(
                StatusCode::FORBIDDEN,
                ErrorCode::MembershipRequired,
                "This is for members whose membership is in force: renew yours to open it again.",
            ))
        } else {
            Err(ApiError::Forbidden)
        }
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

impl<S> FromRequestParts<S> for AuthUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AppState::from_ref(state);
        let token = bearer(parts).ok_or(ApiError::Unauthorized)?;
        let claims = state.tokens.verify(token).map_err(|e| {
            tracing::debug!(error = %e, "access token refused");
            ApiError::Unauthorized
        })?;
        // One indexed lookup per request (see `sessions::caller`).
        let row = {
            let mut conn = state.db.acquire().await?;
            sessions::caller(&mut conn, claims.sub, claims.sid).await?
        };
        // A deactivated account's sessions end even if its token version
        // was somehow left unchanged.
        let row = row
            .filter(|r| r.token_version == claims.ver && r.status.sign_in_refusal().is_none())
            .ok_or(ApiError::Unauthorized)?;
        let role_permissions = match row.role_id {
            Some(role_id) => state.permissions.codes(&state.db, role_id).await?,
            None => Codes::default(),
        };
        Ok(AuthUser {
            id: row.id,
            email: row.email,
            status: row.status,
            role_id: row.role_id,
            grace_ends: row.grace_ends,
            paying: row.paying,
            permissions: access::effective(
                role_permissions.clone(),
                Standing {
                    status: row.status,
                    in_grace: row.grace_ends.is_some(),
                    paying: row.paying,
                },
                row.staff_need_membership,
            ),
            role_permissions,
        })
    }
}

/// The caller if signed in, `None` for an anonymous one (no Authorization
/// header), for routes open to anyone that show more to the signed in. A
/// token that is present but not valid is still refused (401): a client
/// whose session ended should learn it, not silently see less.
#[derive(Debug, Clone)]
pub struct OptionalUser(pub Option<AuthUser>);

impl<S> FromRequestParts<S> for OptionalUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        if !parts.headers.contains_key(AUTHORIZATION) {
            return Ok(OptionalUser(None));
        }
        <AuthUser as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(|user| OptionalUser(Some(user)))
    }
}

/// A signed-in user holding permission `P`; anyone else gets 401 or 403
/// (`membership_required` when only their membership stands in the way).
#[derive(Debug)]
pub struct Require<P: Permission> {
    pub user: AuthUser,
    _permission: PhantomData<P>,
}

impl<P, S> FromRequestParts<S> for Require<P>
where
    P: Permission,
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let user = <AuthUser as FromRequestParts<S>>::from_request_parts(parts, state).await?;
        user.require(P::CODE)?;
        Ok(Require {
            user,
            _permission: PhantomData,
        })
    }
}
