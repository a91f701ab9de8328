//! The scheduled jobs: what must happen because time passed, not because
//! someone asked. EventBridge invokes the function daily; each job is one
//! transaction and safe to run twice (a second run finds nothing to do).
//! Reminders join as the features that send them (the email outbox) land.

use serde::Serialize;
use sqlx::PgPool;

/// What one run changed.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    /// Pending invitations whose `expires_at` passed, now `expired`.
    pub invitations_expired: u64,
    /// Active subscriptions whose `end_date` passed, now `expired`.
    pub subscriptions_expired: u64,
}

/// Runs every job once.
pub async fn run(db: &PgPool) -> Result<Summary, sqlx::Error> {
    Ok(Summary {
        invitations_expired: expire_invitations(db).await?,
        subscriptions_expired: expire_subscriptions(db).await?,
    })
}

async fn expire_invitations(db: &PgPool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE user_invitations SET status = 'expired' \
         WHERE status = 'pending' AND expires_at < now()",
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

/// Lifetime subscriptions have no `end_date` and never expire.
async fn expire_subscriptions(db: &PgPool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE subscriptions SET status = 'expired', updated_at = now() \
         WHERE status = 'active' AND end_date IS NOT NULL AND end_date < now()",
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
