//! Subscriptions as stored: one row per paid period. A member's own
//! history, everyone's with filters and order (the lists and the export),
//! and an admin's cancellation. Recording a payment is
//! [`super::record_payment`]'s.

use crate::enums::{PaymentMethod, SubscriptionStatus};
use crate::validate::{optional_text, FieldError};
use chrono::{DateTime, NaiveDate, Utc};
use loaf_core::db::like_contains;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

/// A subscription as its member sees it (their own history).
#[derive(Debug, Serialize, sqlx::FromRow, JsonSchema)]
pub struct OwnSubscription {
    pub id: Uuid,
    pub user_id: Uuid,
    pub member_name: String,
    pub member_email: String,
    pub plan_id: Uuid,
    pub plan_name: String,
    pub status: SubscriptionStatus,
    pub start_date: DateTime<Utc>,
    /// `None` for lifetime.
    pub end_date: Option<DateTime<Utc>>,
    pub base_cents: i64,
    pub donation_cents: i64,
    pub total_cents: i64,
    pub refunded_cents: i64,
    pub currency: Option<String>,
    pub payment_method: Option<PaymentMethod>,
    pub manual_payment: bool,
    pub manual_payment_date: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancellation_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A subscription as admins see it: the member's view, and who recorded a
/// manual payment with their notes (a type of its own, so a member's
/// history cannot carry them).
#[derive(Debug, Serialize, sqlx::FromRow, JsonSchema)]
pub struct Subscription {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub own: OwnSubscription,
    pub manual_payment_notes: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub recorded_by_name: Option<String>,
}

/// The columns of [`OwnSubscription`], over `subscriptions s` joined to
/// its member `u` and plan `p` (`from!`).
macro_rules! own_columns {
    () => {
        "s.id, s.user_id, \
        trim(concat_ws(' ', u.first_name, u.last_name)) AS member_name, u.email AS member_email, \
        s.plan_id, p.name AS plan_name, s.status, s.start_date, s.end_date, \
        s.base_subscription_cents AS base_cents, s.donation_cents, \
        COALESCE(s.amount_paid_cents, s.base_subscription_cents + s.donation_cents) AS total_cents, \
        s.refunded_cents, s.currency::text AS currency, s.payment_method, s.manual_payment, \
        s.manual_payment_date, s.cancel_at_period_end, s.cancelled_at, s.cancellation_reason, \
        s.created_at"
    };
}

macro_rules! from {
    () => {
        " FROM subscriptions s JOIN users u ON u.id = s.user_id \
        JOIN subscription_plans p ON p.id = s.plan_id"
    };
}

/// [`Subscription`]'s columns, for the lists' `QueryBuilder` (their
/// filters and order vary); [`load`] and [`mine`] read the same, checked.
const SELECT: &str = concat!(
    "SELECT ",
    own_columns!(),
    ", s.manual_payment_notes, s.manual_payment_admin_id AS recorded_by, \
    NULLIF(trim(concat_ws(' ', a.first_name, a.last_name)), '') AS recorded_by_name",
    from!(),
    " LEFT JOIN users a ON a.id = s.manual_payment_admin_id"
);

/// `sqlx::query!` over a subscription `s` with its member `u`, its plan
/// `p` and who recorded it `a`: [`Subscription`]'s columns, then `$tail`,
/// mapped by `$map` (a closure of the record).
macro_rules! subscription_query {
    ($tail:literal, $map:expr $(, $arg:expr)* $(,)?) => {
        sqlx::query!(
            r#"SELECT s.id, s.user_id,
                   trim(concat_ws(' ', u.first_name, u.last_name)) AS "member_name!",
                   u.email AS member_email, s.plan_id, p.name AS plan_name,
                   s.status AS "status: SubscriptionStatus", s.start_date, s.end_date,
                   s.base_subscription_cents AS base_cents, s.donation_cents,
                   COALESCE(s.amount_paid_cents, s.base_subscription_cents + s.donation_cents)
                       AS "total_cents!",
                   s.refunded_cents, s.currency::text AS currency,
                   s.payment_method AS "payment_method: PaymentMethod", s.manual_payment,
                   s.manual_payment_date, s.cancel_at_period_end, s.cancelled_at,
                   s.cancellation_reason, s.created_at, s.manual_payment_notes,
                   s.manual_payment_admin_id AS recorded_by,
                   NULLIF(trim(concat_ws(' ', a.first_name, a.last_name)), '') AS recorded_by_name
               FROM subscriptions s JOIN users u ON u.id = s.user_id
               JOIN subscription_plans p ON p.id = s.plan_id
               LEFT JOIN users a ON a.id = s.manual_payment_admin_id "# + $tail
            $(, $arg)*
        )
        .map($map)
    };
}

/// The member's view of a [`subscription_query!`] record.
macro_rules! own {
    ($r:expr) => {
        OwnSubscription {
            id: $r.id,
            user_id: $r.user_id,
            member_name: $r.member_name,
            member_email: $r.member_email,
            plan_id: $r.plan_id,
            plan_name: $r.plan_name,
            status: $r.status,
            start_date: $r.start_date,
            end_date: $r.end_date,
            base_cents: $r.base_cents,
            donation_cents: $r.donation_cents,
            total_cents: $r.total_cents,
            refunded_cents: $r.refunded_cents,
            currency: $r.currency,
            payment_method: $r.payment_method,
            manual_payment: $r.manual_payment,
            manual_payment_date: $r.manual_payment_date,
            cancel_at_period_end: $r.cancel_at_period_end,
            cancelled_at: $r.cancelled_at,
            cancellation_reason: $r.cancellation_reason,
            created_at: $r.created_at,
        }
    };
}

/// Subscription `id`, as admins see it.
pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Subscription>> {
    subscription_query!(
        "WHERE s.id = $1",
        |r| Subscription {
            manual_payment_notes: r.manual_payment_notes,
            recorded_by: r.recorded_by,
            recorded_by_name: r.recorded_by_name,
            own: own!(r),
        },
        id,
    )
    .fetch_optional(conn)
    .await
}

/// The filters of the list and the export.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(rename = "SubscriptionFilter")]
pub struct Filter {
    /// Member name or email contains (ignoring case and accents).
    q: Option<String>,
    status: Option<SubscriptionStatus>,
    plan_id: Option<Uuid>,
    user_id: Option<Uuid>,
    method: Option<PaymentMethod>,
    /// Periods starting from / up to these days (inclusive).
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    sort: Sort,
}

/// The list's order: newest period first by default; `-` in front reverses.
#[derive(Debug, Default, Clone, Copy, Deserialize, JsonSchema)]
#[schemars(rename = "SubscriptionSort")]
enum Sort {
    #[default]
    #[serde(rename = "-start_date")]
    StartDateDesc,
    #[serde(rename = "start_date")]
    StartDate,
    #[serde(rename = "end_date")]
    EndDate,
    #[serde(rename = "-end_date")]
    EndDateDesc,
    #[serde(rename = "total")]
    Total,
    #[serde(rename = "-total")]
    TotalDesc,
    #[serde(rename = "member")]
    Member,
    #[serde(rename = "-member")]
    MemberDesc,
}

impl Sort {
    fn order_by(self) -> &'static str {
        match self {
            Sort::StartDateDesc => "s.start_date DESC, s.id",
            Sort::StartDate => "s.start_date, s.id",
            Sort::EndDate => "s.end_date NULLS LAST, s.id",
            Sort::EndDateDesc => "s.end_date DESC NULLS FIRST, s.id",
            Sort::Total => "total_cents, s.id",
            Sort::TotalDesc => "total_cents DESC, s.id",
            Sort::Member => "u.last_name, u.first_name, s.start_date DESC, s.id",
            Sort::MemberDesc => "u.last_name DESC, u.first_name DESC, s.start_date DESC, s.id",
        }
    }
}

impl Filter {
    /// Refuses a filter that cannot hold: a search over 200 characters, a
    /// range that ends before it starts.
    pub fn check(&self) -> Result<(), FieldError> {
        optional_text("q", self.q.as_deref(), 200)?;
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                return Err(FieldError::invalid("from", "from must not be after to"));
            }
        }
        Ok(())
    }

    /// Adds the filter's conditions on `subscriptions s` (after a `WHERE
    /// true`) and answers the ORDER BY clause.
    fn push(&self, qb: &mut QueryBuilder<'_, Postgres>) -> &'static str {
        if let Some(q) = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            // The members' folded name and email, through their trigram
            // index: the same matches as the member search.
            qb.push(
                " AND s.user_id IN (SELECT m.id FROM users m WHERE m.search_text LIKE loaf_fold(",
            )
            .push_bind(like_contains(q))
            .push("))");
        }
        if let Some(status) = self.status {
            qb.push(" AND s.status = ").push_bind(status);
        }
        if let Some(method) = self.method {
            qb.push(" AND s.payment_method = ").push_bind(method);
        }
        if let Some(plan) = self.plan_id {
            qb.push(" AND s.plan_id = ").push_bind(plan);
        }
        if let Some(user) = self.user_id {
            qb.push(" AND s.user_id = ").push_bind(user);
        }
        if let Some(from) = self.from {
            qb.push(" AND s.start_date >= ").push_bind(from);
        }
        if let Some(to) = self.to {
            qb.push(" AND s.start_date < ")
                .push_bind(to)
                .push("::date + 1");
        }
        self.sort.order_by()
    }
}

/// How many subscriptions match `filter` (checked by the caller).
pub async fn count(conn: &mut PgConnection, filter: &Filter) -> sqlx::Result<i64> {
    let mut count = QueryBuilder::new("SELECT count(*) FROM subscriptions s WHERE true");
    filter.push(&mut count);
    count
        .build_query_scalar()
        .persistent(false)
        .fetch_one(conn)
        .await
}

/// A page of the subscriptions [`count`] counts, in the filter's order.
pub async fn list(
    conn: &mut PgConnection,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Subscription>> {
    let mut select = QueryBuilder::new(format!("{SELECT} WHERE true"));
    let order = filter.push(&mut select);
    select
        .push(format!(" ORDER BY {order} LIMIT "))
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    select
        .build_query_as()
        .persistent(false)
        .fetch_all(conn)
        .await
}

/// The statement of the CSV export: every subscription matching `filter`
/// (checked by the caller), in its order, as [`Subscription`] rows.
pub fn export_query(filter: &Filter) -> QueryBuilder<'static, Postgres> {
    let mut select = QueryBuilder::new(format!("{SELECT} WHERE true"));
    let order = filter.push(&mut select);
    select.push(format!(" ORDER BY {order}"));
    select
}

/// How many subscriptions member `user` has had.
pub async fn count_of(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM subscriptions WHERE user_id = $1",
        user,
    )
    .fetch_one(conn)
    .await
}

/// A page of member `user`'s own history, newest first.
pub async fn history(
    conn: &mut PgConnection,
    user: Uuid,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<OwnSubscription>> {
    subscription_query!(
        "WHERE s.user_id = $1 ORDER BY s.start_date DESC, s.id LIMIT $2 OFFSET $3",
        |r| own!(r),
        user,
        limit,
        offset,
    )
    .fetch_all(conn)
    .await
}

/// The plan of member `user`'s latest period (the open-ended one first).
pub async fn latest_plan(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "SELECT plan_id FROM subscriptions WHERE user_id = $1 \
         ORDER BY end_date DESC NULLS FIRST LIMIT 1",
        user,
    )
    .fetch_optional(conn)
    .await
}

/// What a cancellation checks, the subscription's row locked.
#[derive(Debug, Clone, Copy)]
pub struct Standing {
    pub user_id: Uuid,
    pub status: SubscriptionStatus,
    /// `None`: lifetime.
    pub end_date: Option<DateTime<Utc>>,
}

/// Subscription `id`'s standing, its row locked until the transaction ends.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Standing>> {
    sqlx::query_as!(
        Standing,
        "SELECT user_id, status AS \"status: loaf_domain::enums::SubscriptionStatus\", end_date \
         FROM subscriptions WHERE id = $1 FOR UPDATE",
        id,
    )
    .fetch_optional(conn)
    .await
}

/// Cancels subscription `id` now (`by`, `reason`): it ends at once.
pub async fn cancel_now(
    conn: &mut PgConnection,
    id: Uuid,
    by: Uuid,
    reason: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE subscriptions SET status = 'cancelled', cancelled_at = now(), cancelled_by = $2, \
             cancellation_reason = $3, end_date = LEAST(COALESCE(end_date, now()), now()), \
             updated_at = now() \
         WHERE id = $1",
        id,
        by,
        reason,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// One running period of a member's, locked.
#[derive(Debug)]
pub struct Running {
    pub id: Uuid,
    pub end_date: Option<DateTime<Utc>>,
    /// The last day it covers, on the organisation's calendar.
    pub last_day: Option<NaiveDate>,
    pub cancel_at_period_end: bool,
    pub cancelled_by: Option<Uuid>,
    pub plan: String,
}

/// Member `user`'s first name and running periods (the open-ended last),
/// their row and the periods locked in that order (the order a payment
/// takes them), so a payment or the job waits its turn. `None`: no such
/// member.
pub async fn lock_running(
    conn: &mut PgConnection,
    user: Uuid,
) -> sqlx::Result<Option<(String, Vec<Running>)>> {
    let Some(first_name) = sqlx::query_scalar!(
        "SELECT first_name FROM users WHERE id = $1 FOR UPDATE",
        user
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let periods = sqlx::query_as!(
        Running,
        r#"SELECT s.id, s.end_date, s.cancel_at_period_end, s.cancelled_by, p.name AS plan,
                  ((s.end_date AT TIME ZONE o.time_zone)::date - 1) AS last_day
           FROM subscriptions s
           JOIN subscription_plans p ON p.id = s.plan_id
           CROSS JOIN organisation_settings o
           WHERE s.user_id = $1 AND s.status = 'active'
           ORDER BY s.end_date NULLS LAST
           FOR UPDATE OF s"#,
        user,
    )
    .fetch_all(conn)
    .await?;
    Ok(Some((first_name, periods)))
}

/// Cancels periods `ids` at their end (`by`, `reason`): they run out and
/// are not renewed.
pub async fn cancel_at_period_end(
    conn: &mut PgConnection,
    ids: &[Uuid],
    by: Uuid,
    reason: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE subscriptions SET cancel_at_period_end = true, cancelled_by = $2, \
             cancellation_reason = $3, updated_at = now() \
         WHERE id = ANY($1)",
        ids,
        by,
        reason,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Withdraws the cancellation of periods `ids`: they are up for renewal.
pub async fn keep(conn: &mut PgConnection, ids: &[Uuid]) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE subscriptions SET cancel_at_period_end = false, cancelled_by = NULL, \
             cancellation_reason = NULL, updated_at = now() \
         WHERE id = ANY($1)",
        ids,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Ends the subscriptions whose period is over at `at` (lifetime ones have
/// no end) and moves their members out of `active` unless another
/// subscription covers them, in their record of changes; one statement,
/// so it all happens or none of it. The members' check reads the state
/// before the statement, where the ended subscriptions still end at or
/// before `at` and so cover nobody. Answers how many ended and lapsed.
pub async fn expire_ended(conn: &mut PgConnection, at: DateTime<Utc>) -> sqlx::Result<(u64, u64)> {
    // loaf_covered: migrations/0015_covered_function.sql.
    let counts = sqlx::query!(
        "WITH ended AS ( \
             UPDATE subscriptions SET updated_at = now(), \
                 status = CASE WHEN cancel_at_period_end THEN 'cancelled' ELSE 'expired' END::subscriptionstatus, \
                 cancelled_at = CASE WHEN cancel_at_period_end THEN end_date ELSE cancelled_at END \
             WHERE status = 'active' AND end_date IS NOT NULL AND end_date <= $1 \
             RETURNING user_id, cancel_at_period_end), \
         lapsed AS ( \
             UPDATE users u SET updated_at = now(), \
                 status = CASE WHEN e.cancelled THEN 'canceled' ELSE 'expired' END::userstatus \
             FROM (SELECT user_id, bool_and(cancel_at_period_end) AS cancelled \
                   FROM ended GROUP BY user_id) e \
             WHERE u.id = e.user_id AND u.status = 'active' AND NOT loaf_covered(u.id, $1) \
             RETURNING u.id, u.status), \
         audited AS ( \
             INSERT INTO audit_log (subject_id, target_id, action, from_value, to_value, reason) \
             SELECT id, id, 'status', 'active', status, 'membership period ended' FROM lapsed) \
         SELECT (SELECT count(*) FROM ended) AS \"ended!\", (SELECT count(*) FROM lapsed) AS \"lapsed!\"",
        at,
    )
    .fetch_one(conn)
    .await?;
    Ok((counts.ended as u64, counts.lapsed as u64))
}
