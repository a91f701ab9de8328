//! `GET /api/donations/stats?year=`: completed donations net of refunds,
//! counted on the organisation's calendar (a gift at 23:30 on 31 December
//! local time belongs to that year, whatever UTC says): the year against
//! the one before (whole and to the same day), month by month, by type,
//! and the top donors for those who may see donors. Three aggregate
//! queries over one filtered set.

use axum::extract::State;
use loaf_shared::auth::Require;
use loaf_shared::extract::{Json, Query};
use loaf_shared::permissions::{perm, Permission};
use loaf_shared::{ApiError, ApiResult, AppState};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatsQuery {
    /// The year on the organisation's calendar; the current one if absent.
    year: Option<i32>,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Totals {
    year: i32,
    currency: String,
    total_cents: i64,
    count: i64,
    previous_year_cents: i64,
    /// The previous year up to the same day and time: a fair comparison
    /// while the year is running.
    previous_year_to_date_cents: i64,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Bucket {
    /// `2026-03` for months, `member`/`public` for types.
    key: String,
    total_cents: i64,
    count: i64,
}

#[derive(Debug, Serialize, sqlx::FromRow)]
pub struct Donor {
    donor_name: Option<String>,
    donor_email: Option<String>,
    user_id: Option<uuid::Uuid>,
    total_cents: i64,
    count: i64,
}

#[derive(Debug, Serialize)]
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

/// Completed donations with their net amount and local time, as `d`
/// (donations adopted from the old platform have no `donated_at`: their
/// creation stands in).
const LOCAL: &str =
    "WITH o AS (SELECT time_zone, currency::text AS currency FROM organisation_settings), \
    d AS (SELECT x.*, x.amount_cents - x.refunded_cents AS net, \
                 COALESCE(x.donated_at, x.created_at) AT TIME ZONE o.time_zone AS local \
          FROM donations x, o WHERE x.status = 'completed')";

pub async fn stats(
    State(state): State<AppState>,
    caller: Require<perm::DonationsStats>,
    Query(query): Query<StatsQuery>,
) -> ApiResult<Json<Stats>> {
    if query.year.is_some_and(|y| !(1900..=9999).contains(&y)) {
        return Err(ApiError::invalid("year", "year is from 1900 to 9999"));
    }
    let mut conn = state.db.acquire().await?;
    let totals: Totals = sqlx::query_as(&format!(
        "{LOCAL}, y AS (SELECT COALESCE($1, extract(year FROM now() AT TIME ZONE o.time_zone)::int) AS year FROM o) \
         SELECT y.year, o.currency, \
                COALESCE(sum(d.net) FILTER (WHERE extract(year FROM d.local) = y.year), 0)::bigint AS total_cents, \
                count(d.id) FILTER (WHERE extract(year FROM d.local) = y.year) AS count, \
                COALESCE(sum(d.net) FILTER (WHERE extract(year FROM d.local) = y.year - 1), 0)::bigint \
                    AS previous_year_cents, \
                COALESCE(sum(d.net) FILTER (WHERE extract(year FROM d.local) = y.year - 1 \
                    AND d.local <= make_timestamp(y.year - 1, 1, 1, 0, 0, 0) \
                        + (LEAST(now() AT TIME ZONE o.time_zone, make_timestamp(y.year + 1, 1, 1, 0, 0, 0)) \
                           - make_timestamp(y.year, 1, 1, 0, 0, 0))), 0)::bigint \
                    AS previous_year_to_date_cents \
         FROM y CROSS JOIN o LEFT JOIN d ON extract(year FROM d.local) IN (y.year, y.year - 1) \
         GROUP BY y.year, o.currency"
    ))
    .bind(query.year)
    .fetch_one(&mut *conn)
    .await?;
    let by_month: Vec<Bucket> = sqlx::query_as(&format!(
        "{LOCAL} SELECT to_char(m, 'YYYY-MM') AS key, COALESCE(sum(d.net), 0)::bigint AS total_cents, \
                count(d.id) AS count \
         FROM generate_series(make_timestamp($1, 1, 1, 0, 0, 0), make_timestamp($1, 12, 1, 0, 0, 0), \
                              interval '1 month') AS m \
         LEFT JOIN d ON date_trunc('month', d.local) = m \
         GROUP BY m ORDER BY m"
    ))
    .bind(totals.year)
    .fetch_all(&mut *conn)
    .await?;
    let by_type: Vec<Bucket> = sqlx::query_as(&format!(
        "{LOCAL} SELECT t::text AS key, COALESCE(sum(d.net), 0)::bigint AS total_cents, count(d.id) AS count \
         FROM unnest(enum_range(NULL::donationtype)) AS t \
         LEFT JOIN d ON d.donation_type = t AND extract(year FROM d.local) = $1 \
         GROUP BY t ORDER BY t"
    ))
    .bind(totals.year)
    .fetch_all(&mut *conn)
    .await?;
    let top_donors = if caller.user.can(perm::DonationsView::CODE) {
        // One donor per account, else per address, else per name.
        Some(
            sqlx::query_as(&format!(
                "{LOCAL} SELECT max(d.donor_name) AS donor_name, max(d.donor_email) AS donor_email, \
                        d.user_id, sum(d.net)::bigint AS total_cents, count(*) AS count \
                 FROM d WHERE extract(year FROM d.local) = $1 \
                 GROUP BY d.user_id, COALESCE(d.user_id::text, lower(d.donor_email), lower(d.donor_name)) \
                 ORDER BY total_cents DESC, count DESC LIMIT 10"
            ))
            .bind(totals.year)
            .fetch_all(&mut *conn)
            .await?,
        )
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
