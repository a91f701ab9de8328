//! The audit trail (`audit_log`), one for every change an admin, a member or
//! the system makes. Two writers, both inside the transaction of the change:
//!
//! - the database itself: every table an admin manages has a trigger that
//!   records each changed row with its changed fields (migration 0027), and
//!   attributes it to the transaction's actor, which [`begin_as`] sets;
//! - the application, through [`record`] (a member's status, role, profile
//!   and membership, with the reason given) and [`note`] (what leaves no
//!   row of its own: an erasure).

use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

/// Who makes a change: a person, or a job acting on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Person(Uuid),
    /// The scheduled jobs (renewals, reminders, retention).
    Scheduler,
    /// The payment provider's events.
    PaymentProvider,
    /// The email provider's delivery events (bounces, complaints).
    EmailProvider,
    /// The installer and the migrations' seeds.
    Setup,
    /// Someone not signed in (a guest's gift, a registration).
    Visitor,
}

impl Actor {
    /// The transaction setting's value: an id, or a job's name.
    fn setting(self) -> String {
        match self {
            Actor::Person(id) => id.to_string(),
            Actor::Scheduler => "scheduler".into(),
            Actor::PaymentProvider => "payment_provider".into(),
            Actor::EmailProvider => "email_provider".into(),
            Actor::Setup => "setup".into(),
            Actor::Visitor => "visitor".into(),
        }
    }
}

impl From<Uuid> for Actor {
    fn from(id: Uuid) -> Self {
        Actor::Person(id)
    }
}

/// Begins a transaction whose changes the trail attributes to `actor`, in
/// one round trip: `BEGIN` and a `SET LOCAL` that ends with it (so a pooled
/// or proxied connection never carries it into another request). The value
/// is an id or a fixed name, never request text, so it is safe inline.
pub async fn begin_as(
    pool: &PgPool,
    actor: impl Into<Actor>,
) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let actor = actor.into().setting();
    pool.begin_with(format!("BEGIN; SET LOCAL loaf.actor = '{actor}'"))
        .await
}

/// Attributes the rest of the caller's transaction to `actor` (for a
/// transaction begun elsewhere, like a job's batch).
pub async fn act_as(conn: &mut PgConnection, actor: impl Into<Actor>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "SELECT set_config('loaf.actor', $1, true) AS \"set!\"",
        actor.into().setting()
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

/// Records one change of member `user_id` inside the caller's transaction.
/// `actor_id` is `None` when no person made it (a payment, the scheduler):
/// the transaction's actor then says which job did.
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
        "INSERT INTO audit_log (subject_id, target_type, target_id, actor_id, actor_job, \
             action, from_value, to_value, reason) \
         VALUES ($1, 'member', $1, coalesce($2, loaf_actor_id()), \
             CASE WHEN $2::uuid IS NULL THEN loaf_actor_job() END, $3, $4, $5, $6)",
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

/// Records an action that changes no audited row (an erasure)
/// by the transaction's actor: `target_type`/`target_id` say what it
/// concerned, `subject` the member it was about, `details` what a reader
/// needs (never a secret).
pub async fn note(
    conn: &mut PgConnection,
    action: &str,
    target_type: &str,
    target_id: Option<Uuid>,
    subject: Option<Uuid>,
    details: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO audit_log (action, target_type, target_id, subject_id, changes) \
         VALUES ($1, $2, $3, $4, $5)",
        action,
        target_type,
        target_id,
        subject,
        details,
    )
    .execute(conn)
    .await?;
    Ok(())
}
