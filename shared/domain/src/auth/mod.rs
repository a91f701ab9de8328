//! Who is calling and what they may do: access tokens, password hashing,
//! single-use secret tokens, the per-container permission cache and the
//! rule by which membership gates permissions (`access`). The extractors
//! routes declare are the HTTP crate's (`loaf_http::auth`).

pub mod access;
pub mod account_tokens;
pub mod jwt;
pub mod password;
mod permission_cache;
pub mod secret_token;
pub mod sessions;
pub mod throttle;

pub use jwt::{Claims, TokenError, TokenKeys};
pub use permission_cache::{Codes, PermissionCache};

/// Ends every session of `user_id`: access tokens by the `token_version`
/// bump, refresh tokens by revocation. Inside the caller's transaction.
/// Used on password change, "log out everywhere" and deactivation.
pub async fn end_all_sessions(
    conn: &mut sqlx::PgConnection,
    user_id: uuid::Uuid,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE users SET token_version = token_version + 1, updated_at = now() WHERE id = $1",
        user_id,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
        user_id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// How many superadmins other than `user_id` can sign in: the organisation
/// must keep one (a status change, a role change and an erasure check it).
pub async fn other_superadmins(
    conn: &mut sqlx::PgConnection,
    user_id: uuid::Uuid,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM users u JOIN roles r ON r.id = u.role_id
           WHERE r.code = 'superadmin' AND u.id <> $1
             AND u.status NOT IN ('pending_email', 'abandoned', 'rejected', 'inactive')"#,
        user_id,
    )
    .fetch_one(conn)
    .await
}
