//! The admin dashboard's figures in one round trip: one query for the
//! members, one for money, one for events. Money is shown only to those
//! who hold the statistics permissions.

use axum::extract::State;
use loaf_domain::dashboard::{self, Month};
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

/// `GET /api/dashboard/stats`
pub async fn stats(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::UsersView>,
) -> ApiResult<Json<Stats>> {
    let mut conn = state.db.acquire().await?;
    let m = dashboard::member_figures(&mut conn).await?;
    let (subscriptions, donations) = dashboard::year_revenue(&mut conn).await?;
    let upcoming_events = events::next_five(&mut conn).await?;
    let mut monthly = dashboard::monthly(&mut conn).await?;
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
