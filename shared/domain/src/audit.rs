//! The audit trail (`audit_log`), one for every change an admin, a member or
//! the system makes, and its reading back ([`Entry`]). Two writers, both inside the transaction of the change:
//!
//! - the database itself: every table an admin manages has a trigger that
//!   records each changed row with its changed fields (migration 0027), and
//!   attributes it to the transaction's actor, which [`begin_as`] sets;
//! - the application, through [`record`] (a member's status, role, profile
//!   and membership, with the reason given) and [`note`] (what leaves no
//!   row of its own: an erasure).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
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

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "AuditEntry")]
pub struct Entry {
    id: Uuid,
    created_at: DateTime<Utc>,
    /// What happened: `status`, `role`, `profile`, `membership` on a
    /// member; `<target>.insert|update|delete` for a row an admin manages
    /// (`plan.update`, `role_permission.insert`); `export.*`, `erasure.*`.
    action: String,
    /// `member`, `role`, `role_permission`, `plan`, `subscription`,
    /// `pending_payment`, `refund`, `donation`, `event`, `gallery_image`,
    /// `document`, `settings`, `import`, `invitation`, `export`, `erasure`.
    target_type: String,
    target_id: Option<Uuid>,
    /// The member the entry is about, when there is one.
    subject_id: Option<Uuid>,
    subject_name: Option<String>,
    /// The person who acted; `None` when a job did (`actor_job`).
    actor_id: Option<Uuid>,
    actor_name: Option<String>,
    /// `scheduler`, `payment_provider`, `email_provider`, `setup`,
    /// `visitor` (someone not signed in), or `database` (a change made by
    /// hand in the database, outside the application).
    actor_job: Option<String>,
    /// A member entry's values.
    from_value: Option<String>,
    to_value: Option<String>,
    reason: Option<String>,
    /// A row's changed fields, each `[before, after]` (`null` before an
    /// insert, after a delete); a secret field shows `"[secret]"`.
    #[schemars(with = "Option<std::collections::BTreeMap<String, serde_json::Value>>")]
    changes: Option<serde_json::Value>,
}

/// A checked query of whole entries: `$tail` follows the joins.
macro_rules! entry_query {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Entry,
            "SELECT a.id, a.created_at, a.action, a.target_type, a.target_id, a.subject_id, \
                 NULLIF(trim(concat_ws(' ', s.first_name, s.last_name)), '') AS subject_name, \
                 a.actor_id, NULLIF(trim(concat_ws(' ', u.first_name, u.last_name)), '') AS actor_name, \
                 a.actor_job, a.from_value, a.to_value, a.reason, a.changes \
             FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id \
                 LEFT JOIN users s ON s.id = a.subject_id "
                + $tail
            $(, $arg)*
        )
    };
}

/// How many entries of member `user`'s own view (the member entries about
/// them) there are.
pub async fn count_about(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM audit_log WHERE subject_id = $1 AND target_type = 'member'",
        user,
    )
    .fetch_one(conn)
    .await
}

/// A page of member `user`'s own view, newest first.
pub async fn about(
    conn: &mut PgConnection,
    user: Uuid,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Entry>> {
    entry_query!(
        "WHERE a.subject_id = $1 AND a.target_type = 'member' \
         ORDER BY a.created_at DESC, a.id LIMIT $2 OFFSET $3",
        user,
        limit,
        offset,
    )
    .fetch_all(conn)
    .await
}

/// What a search of the whole trail is narrowed to, checked by the
/// caller; `None` does not narrow.
#[derive(Debug, Default)]
pub struct Search {
    pub actor_id: Option<Uuid>,
    pub actor_job: Option<String>,
    pub subject_id: Option<Uuid>,
    pub target_type: Option<String>,
    pub target_id: Option<Uuid>,
    /// A `LIKE` pattern of actions.
    pub action_like: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// How many entries `search` finds.
pub async fn count(conn: &mut PgConnection, search: &Search) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM audit_log a \
         WHERE ($1::uuid IS NULL OR a.actor_id = $1) AND ($2::text IS NULL OR a.actor_job = $2) \
           AND ($3::uuid IS NULL OR a.subject_id = $3) AND ($4::text IS NULL OR a.target_type = $4) \
           AND ($5::uuid IS NULL OR a.target_id = $5) AND ($6::text IS NULL OR a.action LIKE $6) \
           AND ($7::timestamptz IS NULL OR a.created_at >= $7) \
           AND ($8::timestamptz IS NULL OR a.created_at < $8)",
        search.actor_id,
        search.actor_job,
        search.subject_id,
        search.target_type,
        search.target_id,
        search.action_like,
        search.from,
        search.to,
    )
    .fetch_one(conn)
    .await
}

/// A page of the entries `search` finds, newest first.
pub async fn list(
    conn: &mut PgConnection,
    search: &Search,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Entry>> {
    entry_query!(
        "WHERE ($1::uuid IS NULL OR a.actor_id = $1) AND ($2::text IS NULL OR a.actor_job = $2) \
           AND ($3::uuid IS NULL OR a.subject_id = $3) AND ($4::text IS NULL OR a.target_type = $4) \
           AND ($5::uuid IS NULL OR a.target_id = $5) AND ($6::text IS NULL OR a.action LIKE $6) \
           AND ($7::timestamptz IS NULL OR a.created_at >= $7) \
           AND ($8::timestamptz IS NULL OR a.created_at < $8) \
         ORDER BY a.created_at DESC, a.id LIMIT $9 OFFSET $10",
        search.actor_id,
        search.actor_job,
        search.subject_id,
        search.target_type,
        search.target_id,
        search.action_like,
        search.from,
        search.to,
        limit,
        offset,
    )
    .fetch_all(conn)
    .await
}
