//! Calendar feed links: one per member, stored as the hash of its secret
//! token, replaced or revoked at will.

use crate::domain::UserStatus;
use sqlx::PgConnection;
use uuid::Uuid;

/// What a feed's access follows: its holder's standing today.
#[derive(Debug)]
pub struct Holder {
    pub status: UserStatus,
    pub role_id: Option<Uuid>,
    /// Expired, in the grace period.
    pub in_grace: bool,
    /// A payment on its way.
    pub paying: bool,
    /// Whether staff roles need a membership in force to see members' content.
    pub staff_need_membership: bool,
}

/// The holder of the feed token hashing to `token_hash`.
pub async fn holder(conn: &mut PgConnection, token_hash: &[u8]) -> sqlx::Result<Option<Holder>> {
    sqlx::query_as!(
        Holder,
        "SELECT u.status AS \"status: loaf_domain::domain::UserStatus\", u.role_id, \
            u.status = 'expired' AND loaf_grace_ends(u.id, now()) IS NOT NULL AS \"in_grace!\", \
            u.status IN ('payment_pending', 'expired', 'canceled') AND loaf_paying(u.id) AS \"paying!\", \
            COALESCE((SELECT staff_need_membership FROM organisation_settings), false) \
                AS \"staff_need_membership!\" \
         FROM calendar_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1",
        token_hash,
    )
    .fetch_optional(conn)
    .await
}

/// Gives `user` the feed token hashing to `token_hash`, replacing theirs.
pub async fn replace(conn: &mut PgConnection, user: Uuid, token_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query!(
        "INSERT INTO calendar_tokens (user_id, token_hash) VALUES ($1, $2) \
         ON CONFLICT (user_id) DO UPDATE SET token_hash = $2, created_at = now()",
        user,
        token_hash,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Revokes `user`'s feed token, if any.
pub async fn revoke(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM calendar_tokens WHERE user_id = $1", user)
        .execute(conn)
        .await?;
    Ok(())
}
