//! The admin dashboard's figures in one round trip: one query for the
//! members, one for money, one for events. Money is shown only to those
//! who hold the statistics permissions.

use axum::extract::State;
use loaf_domain::events::{self, UpcomingEvent};
use loaf_domain::permissions::{perm, Permission};
use loaf_http::auth::Require;
use loaf_http::extract::Json;
use loaf_http::{ApiResult, AppState};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "DashboardStats")]
pub struct Stats {
    /// Accounts per status (every status present, zero included).
    members_by_status: Value,
    new_members_this_month: i64,
    pending_validations: i64,
    active_subscriptions: i64,
    /// Paid this year (on the organisation's calendar), net of refunds;
    /// present with `subscriptions.stats`.
    #[serde(skip_serializing_if = "Option::is_none")]
    subscription_revenue_this_year_cents: Option<i64>,
    /// Completed donations this year, net of refunds; present with `donations.stats`.
    #[serde(skip_serializing_if = "Option::is_none")]
    donations_this_year_cents: Option<i64>,
    upcoming_events: Vec<UpcomingEvent>,
    /// The last twelve months on the organisation's calendar, oldest first.
    monthly: Vec<Month>,
}

/// One month of the dashboard's charts.
#[derive(Debug, Serialize, sqlx::FromRow, JsonSchema)]
pub struct Month {
    /// `YYYY-MM`.
    month: String,
    /// Accounts that became members that month.
    new_members: i64,
    /// Membership payments, net of refunds; present with `subscriptions.stats`.
    #[serde(skip_serializing_if = "Option::is_none")]
    membership_cents: Option<i64>,
    /// Completed donations, net of refunds; present with `donations.stats`.
    #[serde(skip_serializing_if = "Option::is_none")]
    donations_cents: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct MemberFigures {
    by_status: Value,
    new_this_month: i64,
    pending_validations: i64,
    active_subscriptions: i64,
}

/// `GET /api/dashboard/stats`
pub async fn stats(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::UsersView>,
) -> ApiResult<Json<Stats>> {
    let mut conn = state.db.acquire().await?;
    let m: MemberFigures = sqlx::query_as!(
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
    .fetch_one(&mut *conn)
    .await?;
    let (subscriptions, donations): (i64, i64) = sqlx::query!(
        "WITH y AS (SELECT date_trunc('year', now() AT TIME ZONE time_zone) AT TIME ZONE time_zone AS start \
                   FROM organisation_settings) \
         SELECT \
           (SELECT COALESCE(sum(COALESCE(amount_paid_cents, base_subscription_cents + donation_cents) \
                 - refunded_cents), 0)::bigint \
              FROM subscriptions, y WHERE COALESCE(manual_payment_date, created_at) >= y.start) AS \"subscriptions!\", \
           (SELECT COALESCE(sum(amount_cents - refunded_cents), 0)::bigint FROM donations, y \
              WHERE status = 'completed' AND COALESCE(donated_at, created_at) >= y.start) AS \"donations!\"",
    ).map(|r| (r.subscriptions, r.donations))
    .fetch_one(&mut *conn)
    .await?;
    let upcoming_events = events::next_five(&mut conn).await?;
    let mut monthly: Vec<Month> = sqlx::query_as!(
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
    .fetch_all(&mut *conn)
    .await?;
    let (see_revenue, see_gifts) = (
        user.can(perm::SubscriptionsStats::CODE),
        user.can(perm::DonationsStats::CODE),
    );
    for month in &mut monthly {
        month.membership_cents = month.membership_cents.filter(|_| see_revenue);
        month.donations_cents = month.donations_cents.filter(|_| see_gifts);
    }
    Ok(Json(Stats {
        members_by_status: m.by_status,
        new_members_this_month: m.new_this_month,
        pending_validations: m.pending_validations,
        active_subscriptions: m.active_subscriptions,
        subscription_revenue_this_year_cents: see_revenue.then_some(subscriptions),
        donations_this_year_cents: see_gifts.then_some(donations),
        upcoming_events,
        monthly,
    }))
}
