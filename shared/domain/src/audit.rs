//! The member audit trail's writer: every change of a member's status or
//! role, by an admin, a payment or the scheduler, recorded in the same
//! transaction as the change. The members function reads it back.

use sqlx::PgConnection;
use uuid::Uuid;

/// Records one change of `user_id` inside the caller's transaction.
/// `actor_id` is `None` when no person made it (a payment, the scheduler).
pub async fn record(
    conn: &mut PgConnection,
    user_id: Uuid,
    actor_id: Option<Uuid>,
    action: &str,
    from: Option<&str>,
    to: Option<&str>,
    reason: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO member_audit_log (user_id, actor_id, action, from_value, to_value, reason) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        user_id,
        actor_id,
        action,
        from,
        to,
        reason,
    )
    .execute(conn)
    .await?;
    Ok(())
}
