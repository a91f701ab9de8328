//! The admin dashboard's figures: one statement for the members, one for
//! the year's money, one for the last twelve months (events have theirs
//! in [`crate::events`]). They read across aggregates on purpose: each is
//! one round trip over the indexes the lists use.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;

/// One month of the dashboard's charts.
#[derive(Debug, Serialize, sqlx::FromRow, JsonSchema)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    /// Accounts that became members that month.
    pub new_members: i64,
    /// Membership payments, net of refunds; present with `subscriptions.stats`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub membership_cents: Option<i64>,
    /// Completed donations, net of refunds; present with `donations.stats`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub donations_cents: Option<i64>,
}

/// The members' figures.
#[derive(Debug)]
pub struct MemberFigures {
    pub by_status: Value,
    pub new_this_month: i64,
    pub pending_validations: i64,
    pub active_subscriptions: i64,
}

/// Accounts per status, new members this month, applicants waiting, and
/// subscriptions in force.
pub async fn member_figures(conn: &mut PgConnection) -> sqlx::Result<MemberFigures> {
    sqlx::query_as!(
        MemberFigures,
        "SELECT \
           (SELECT jsonb_object_agg(s.status, COALESCE(c.n, 0)) \
              FROM unnest(enum_range(NULL::userstatus)) AS s(status) \
              LEFT JOIN (SELECT status, count(*) AS n FROM users GROUP BY status) c ON c.status = s.status) AS \"by_status!\", \
           (SELECT count(*) FROM users WHERE member_since >= date_trunc('month', now())) AS \"new_this_month!\", \
           (SELECT count(*) FROM users WHERE status IN ('pending_validation', 'pre_validated')) AS \"pending_validations!\", \
           (SELECT count(*) FROM subscriptions WHERE status = 'active' \
              AND (end_date IS NULL OR end_date > now())) AS \"active_subscriptions!\"",
    )
    .fetch_one(conn)
    .await
}

/// Membership payments and completed donations this year on the
/// organisation's calendar, net of refunds.
pub async fn year_revenue(conn: &mut PgConnection) -> sqlx::Result<(i64, i64)> {
    sqlx::query!(
        "WITH y AS (SELECT date_trunc('year', now() AT TIME ZONE time_zone) AT TIME ZONE time_zone AS start \
                   FROM organisation_settings) \
         SELECT \
           (SELECT COALESCE(sum(COALESCE(amount_paid_cents, base_subscription_cents + donation_cents) \
                 - refunded_cents), 0)::bigint \
              FROM subscriptions, y WHERE COALESCE(manual_payment_date, created_at) >= y.start) AS \"subscriptions!\", \
           (SELECT COALESCE(sum(amount_cents - refunded_cents), 0)::bigint FROM donations, y \
              WHERE status = 'completed' AND COALESCE(donated_at, created_at) >= y.start) AS \"donations!\"",
    )
    .map(|r| (r.subscriptions, r.donations))
    .fetch_one(conn)
    .await
}

/// The last twelve months on the organisation's calendar, oldest first.
pub async fn monthly(conn: &mut PgConnection) -> sqlx::Result<Vec<Month>> {
    sqlx::query_as!(
        Month,
        "WITH tz AS (SELECT time_zone AS zone, \
                            date_trunc('month', now() AT TIME ZONE time_zone) - interval '11 months' AS first \
                     FROM organisation_settings), \
              months AS (SELECT generate_series(tz.first, tz.first + interval '11 months', interval '1 month') AS month \
                         FROM tz), \
              joined AS (SELECT date_trunc('month', u.member_since AT TIME ZONE tz.zone) AS month, count(*) AS n \
                         FROM users u, tz WHERE u.member_since >= tz.first AT TIME ZONE tz.zone GROUP BY 1), \
              paid AS (SELECT date_trunc('month', COALESCE(s.manual_payment_date, s.created_at) AT TIME ZONE tz.zone) AS month, \
                              sum(COALESCE(s.amount_paid_cents, s.base_subscription_cents + s.donation_cents) - s.refunded_cents) AS cents \
                       FROM subscriptions s, tz \
                       WHERE COALESCE(s.manual_payment_date, s.created_at) >= tz.first AT TIME ZONE tz.zone GROUP BY 1), \
              given AS (SELECT date_trunc('month', COALESCE(d.donated_at, d.created_at) AT TIME ZONE tz.zone) AS month, \
                               sum(d.amount_cents - d.refunded_cents) AS cents \
                        FROM donations d, tz \
                        WHERE d.status = 'completed' AND COALESCE(d.donated_at, d.created_at) >= tz.first AT TIME ZONE tz.zone \
                        GROUP BY 1) \
         SELECT to_char(months.month, 'YYYY-MM') AS \"month!\", COALESCE(joined.n, 0)::bigint AS \"new_members!\", \
                COALESCE(paid.cents, 0)::bigint AS \"membership_cents!\", COALESCE(given.cents, 0)::bigint AS \"donations_cents!\" \
         FROM months LEFT JOIN joined USING (month) LEFT JOIN paid USING (month) LEFT JOIN given USING (month) \
         ORDER BY months.month",
    )
    .fetch_all(conn)
    .await
}
