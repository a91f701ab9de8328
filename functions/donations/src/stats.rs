//! `GET /api/donations/stats?year=`: completed donations net of refunds,
//! counted on the organisation's calendar (a gift at 23:30 on 31 December
//! local time belongs to that year, whatever UTC says): the year against
//! the one before (whole and to the same day), month by month, by type,
//! and the top donors for those who may see donors. A few aggregate
//! queries over the two years' donations, found by index.

use axum::extract::State;
use loaf_domain::donations::stats::{self, Bucket, Donor, Totals};
use loaf_domain::permissions::{perm, Permission};
use loaf_http::auth::Require;
use loaf_http::extract::{Json, Query};
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[schemars(rename = "DonationStats")]
pub struct StatsQuery {
    /// The year on the organisation's calendar; the current one if absent.
    year: Option<i32>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Stats {
    #[serde(flatten)]
    totals: Totals,
    /// Every month of the year, empty ones included.
    by_month: Vec<Bucket>,
    by_type: Vec<Bucket>,
    /// The year's ten largest donors; present with `donations.view`.
    #[serde(skip_serializing_if = "Option::is_none")]
    top_donors: Option<Vec<Donor>>,
}

pub async fn stats(
    State(state): State<AppState>,
    caller: Require<perm::DonationsStats>,
    Query(query): Query<StatsQuery>,
) -> ApiResult<Json<Stats>> {
    if query.year.is_some_and(|y| !(1900..=9999).contains(&y)) {
        return Err(ApiError::invalid("year", "year is from 1900 to 9999"));
    }
    let mut conn = state.db.acquire().await?;
    let totals = stats::totals(&mut conn, query.year).await?;
    let by_month = stats::by_month(&mut conn, totals.year).await?;
    let by_type = stats::by_type(&mut conn, totals.year).await?;
    let top_donors = if caller.user.can(perm::DonationsView::CODE) {
        Some(stats::top_donors(&mut conn, totals.year).await?)
    } else {
        None
    };
    Ok(Json(Stats {
        totals,
        by_month,
        by_type,
        top_donors,
    }))
}
