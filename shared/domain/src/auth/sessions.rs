//! Sessions as stored: refresh tokens (hashed, single use) in families, one
//! family per sign-in; a used token presented again revokes its family.
//! The access token is a JWT and stores nothing ([`super::jwt`]).

use crate::domain::UserStatus;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// Who a session is for, as sign-in answers.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SessionUser {
    pub id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub status: UserStatus,
    pub role: Option<String>,
}

struct SessionRow {
    id: Uuid,
    email: String,
    first_name: String,
    last_name: String,
    status: UserStatus,
    token_version: i32,
    role: Option<String>,
}

/// Stores refresh token `token_hash` of `family` for member `user`, valid
/// `ttl_secs`; answers who the session is for and their token version
/// (which the access token carries).
pub async fn store_refresh(
    conn: &mut PgConnection,
    user: Uuid,
    family: Uuid,
    token_hash: &[u8],
    ttl_secs: f64,
) -> sqlx::Result<(SessionUser, i32)> {
    let row = sqlx::query_as!(
        SessionRow,
        "SELECT u.id, u.email, u.first_name, u.last_name, \
                u.status AS \"status: loaf_domain::domain::UserStatus\", u.token_version, \
                r.code AS \"role?\" \
         FROM users u LEFT JOIN roles r ON r.id = u.role_id WHERE u.id = $1",
        user,
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO refresh_tokens (token_hash, user_id, family_id, token_version, expires_at) \
         VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))",
        token_hash,
        user,
        family,
        row.token_version,
        ttl_secs,
    )
    .execute(conn)
    .await?;
    let who = SessionUser {
        id: row.id,
        email: row.email,
        first_name: row.first_name,
        last_name: row.last_name,
        status: row.status,
        role: row.role,
    };
    Ok((who, row.token_version))
}

/// What signing in checks of an account.
#[derive(Debug)]
pub struct Login {
    pub id: Uuid,
    pub password_hash: String,
    pub status: UserStatus,
}

/// The account of address `email` (any case).
pub async fn login_of(conn: &mut PgConnection, email: &str) -> sqlx::Result<Option<Login>> {
    sqlx::query_as!(
        Login,
        "SELECT id, password_hash, status AS \"status: loaf_domain::domain::UserStatus\" \
         FROM users WHERE lower(email) = lower($1)",
        email,
    )
    .fetch_optional(conn)
    .await
}

/// Member `user` signed in now; `new_hash` replaces their password hash
/// (one made with today's parameters).
pub async fn signed_in(
    conn: &mut PgConnection,
    user: Uuid,
    new_hash: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET last_login_at = now(), password_hash = COALESCE($2, password_hash) \
         WHERE id = $1",
        user,
        new_hash,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A refresh token as stored, with its holder's standing.
#[derive(Debug)]
pub struct Refresh {
    pub user_id: Uuid,
    pub family_id: Uuid,
    pub token_version: i32,
    pub used: bool,
    pub revoked: bool,
    pub expired: bool,
    /// The holder's token version now: older tokens are void.
    pub current_version: i32,
    pub status: UserStatus,
}

/// Refresh token `token_hash`, its row locked until the transaction ends.
pub async fn lock_refresh(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> sqlx::Result<Option<Refresh>> {
    sqlx::query_as!(
        Refresh,
        "SELECT t.user_id, t.family_id, t.token_version, t.used_at IS NOT NULL AS \"used!\", \
                t.revoked_at IS NOT NULL AS \"revoked!\", t.expires_at < now() AS \"expired!\", \
                u.token_version AS current_version, u.status AS \"status: loaf_domain::domain::UserStatus\" \
         FROM refresh_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 FOR UPDATE OF t",
        token_hash,
    )
    .fetch_optional(conn)
    .await
}

/// Revokes every live token of `family`.
pub async fn revoke_family(conn: &mut PgConnection, family: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL",
        family,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Revokes the family of refresh token `token_hash`, if it is one.
pub async fn revoke_family_of(conn: &mut PgConnection, token_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE revoked_at IS NULL AND family_id = \
         (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)",
        token_hash,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Refresh token `token_hash` is used up.
pub async fn use_up(conn: &mut PgConnection, token_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1",
        token_hash,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes refresh tokens a week past expiry (kept that long so a late
/// refresh still gets "ended", not "unknown"); answers how many.
pub async fn delete_expired(db: &sqlx::PgPool) -> sqlx::Result<u64> {
    let done =
        sqlx::query!("DELETE FROM refresh_tokens WHERE expires_at < now() - interval '7 days'")
            .execute(db)
            .await?;
    Ok(done.rows_affected())
}

/// The caller of an access token, as each request reads them.
#[derive(Debug)]
pub struct Caller {
    pub id: Uuid,
    pub email: String,
    pub status: UserStatus,
    /// The token version now: older access tokens are void.
    pub token_version: i32,
    pub role_id: Option<Uuid>,
    /// An expired member's grace period's end, while it runs.
    pub grace_ends: Option<DateTime<Utc>>,
    /// A payment on its way.
    pub paying: bool,
    /// Whether staff roles need a membership in force to see members' content.
    pub staff_need_membership: bool,
}

/// Member `user` as the caller of an access token of session `family`;
/// `None` when there is no such member or the session was revoked. One
/// indexed lookup per request: it is what makes a password change or
/// deactivation (token version bump) end every session at once, and a
/// token of a session that has ended (logged out, or revoked when one of
/// its used refresh tokens came back) die with it. Only an expired member
/// has a grace period to look up.
pub async fn caller(
    conn: &mut PgConnection,
    user: Uuid,
    family: Option<Uuid>,
) -> sqlx::Result<Option<Caller>> {
    sqlx::query_as!(
        Caller,
        "SELECT u.id, u.email, u.status AS \"status: UserStatus\", u.token_version, u.role_id, \
            CASE WHEN u.status = 'expired' THEN loaf_grace_ends(u.id, now()) END AS grace_ends, \
            CASE WHEN u.status IN ('payment_pending', 'expired', 'canceled') \
                 THEN loaf_paying(u.id) ELSE false END AS \"paying!\", \
            COALESCE((SELECT staff_need_membership FROM organisation_settings), false) \
                AS \"staff_need_membership!\" \
         FROM users u \
         WHERE u.id = $1 AND ($2::uuid IS NULL OR NOT EXISTS ( \
           SELECT 1 FROM refresh_tokens t \
           WHERE t.family_id = $2 AND t.revoked_at IS NOT NULL))",
        user,
        family,
    )
    .fetch_optional(conn)
    .await
}
