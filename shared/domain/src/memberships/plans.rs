//! Plans as stored: the lists, the write of a new or edited plan, and the
//! deletion of one nothing refers to. Reading one plan for a payment is
//! [`super::find_plan`].

use super::periods::MonthDay;
use super::Plan;
use crate::enums::BillingCycle;
use crate::plan_query;
use sqlx::PgConnection;
use uuid::Uuid;

/// How many plans there are (only active ones with `only_active`).
pub async fn count(conn: &mut PgConnection, only_active: bool) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM subscription_plans WHERE active OR NOT $1"#,
        only_active,
    )
    .fetch_one(conn)
    .await
}

/// A page of the plans [`count`] counts: active ones first, then by price.
pub async fn list(
    conn: &mut PgConnection,
    only_active: bool,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Plan>> {
    plan_query!(
        "SELECT",
        "FROM subscription_plans WHERE active OR NOT $1 \
         ORDER BY active DESC, price_cents, name, id LIMIT $2 OFFSET $3",
        only_active,
        limit,
        offset,
    )
    .fetch_all(conn)
    .await
}

/// Every plan, retired ones included.
pub async fn all(conn: &mut PgConnection) -> sqlx::Result<Vec<Plan>> {
    plan_query!("SELECT", "FROM subscription_plans")
        .fetch_all(conn)
        .await
}

/// Plan `id`, its row locked for an edit until the transaction ends.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Plan>> {
    plan_query!(
        "SELECT",
        "FROM subscription_plans WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await
}

/// A plan's values, checked by the caller.
#[derive(Debug, Clone)]
pub struct PlanValues {
    pub name: String,
    pub description: Option<String>,
    pub price_cents: i64,
    pub billing_cycle: BillingCycle,
    pub minimum_price_cents: i64,
    pub suggested_price_cents: Option<i64>,
    pub allow_donation: bool,
    /// A custom cycle's first and last day, and whether it is prorated.
    pub custom: Option<(MonthDay, MonthDay, bool)>,
    pub active: bool,
}

/// Writes `plan` as row `id`, new or edited, answering the row.
pub async fn save(conn: &mut PgConnection, id: Uuid, plan: &PlanValues) -> sqlx::Result<Plan> {
    let (start, end, prorate) = match plan.custom {
        Some((s, e, p)) => (Some(s), Some(e), p),
        None => (None, None, false),
    };
    let part =
        |d: Option<MonthDay>, month: bool| d.map(|d| if month { d.month } else { d.day } as i16);
    let (start_month, start_day) = (part(start, true), part(start, false));
    let (end_month, end_day) = (part(end, true), part(end, false));
    let custom = plan.custom.is_some();
    // One statement for both: a new plan's id is fresh, an edited one's row
    // is locked by the caller, so the conflict arm is exactly the edit.
    plan_query!(
        "INSERT INTO subscription_plans (id, name, description, price_cents, billing_cycle, \
             minimum_price_cents, suggested_price_cents, allow_donation, custom_cycle_enabled, \
             custom_cycle_start_month, custom_cycle_start_day, custom_cycle_end_month, \
             custom_cycle_end_day, custom_cycle_prorate, active) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
         ON CONFLICT (id) DO UPDATE SET name = $2, description = $3, price_cents = $4, \
             billing_cycle = $5, minimum_price_cents = $6, suggested_price_cents = $7, \
             allow_donation = $8, custom_cycle_enabled = $9, custom_cycle_start_month = $10, \
             custom_cycle_start_day = $11, custom_cycle_end_month = $12, \
             custom_cycle_end_day = $13, custom_cycle_prorate = $14, active = $15, \
             updated_at = now() \
         RETURNING",
        "",
        id,
        plan.name,
        plan.description,
        plan.price_cents,
        plan.billing_cycle as _,
        plan.minimum_price_cents,
        plan.suggested_price_cents,
        plan.allow_donation,
        custom,
        start_month,
        start_day,
        end_month,
        end_day,
        prorate,
        plan.active,
    )
    .fetch_one(conn)
    .await
}

/// How many subscriptions and checkouts refer to plan `id`, its row
/// locked; `None`: no such plan.
pub async fn lock_uses(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<i64>> {
    let exists: Option<bool> = sqlx::query_scalar!(
        r#"SELECT true AS "found!" FROM subscription_plans WHERE id = $1 FOR UPDATE"#,
        id,
    )
    .fetch_optional(&mut *conn)
    .await?;
    if exists.is_none() {
        return Ok(None);
    }
    sqlx::query_scalar!(
        "SELECT (SELECT count(*) FROM subscriptions WHERE plan_id = $1) \
              + (SELECT count(*) FROM membership_checkouts WHERE plan_id = $1) AS \"n!\"",
        id,
    )
    .fetch_one(conn)
    .await
    .map(Some)
}

/// Deletes plan `id`.
pub async fn delete(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM subscription_plans WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}
