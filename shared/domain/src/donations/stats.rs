//! The donation statistics: completed donations net of refunds, counted
//! on the organisation's calendar (a gift at 23:30 on 31 December local
//! time belongs to that year, whatever UTC says): a year against the one
//! before (whole and to the same day), month by month, by type, and the
//! top donors. A few aggregate queries over the two years' donations,
//! found by index.

use crate::enums::DonationType;
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgConnection;

#[derive(Debug, Serialize, JsonSchema)]
pub struct Totals {
    pub year: i32,
    currency: String,
    total_cents: i64,
    count: i64,
    previous_year_cents: i64,
    /// The previous year up to the same day and time: a fair comparison
    /// while the year is running.
    previous_year_to_date_cents: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Bucket {
    /// `2026-03` for months, `member`/`public` for types.
    key: String,
    total_cents: i64,
    count: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Donor {
    donor_name: Option<String>,
    donor_email: Option<String>,
    user_id: Option<uuid::Uuid>,
    total_cents: i64,
    count: i64,
}

/// The year asked for (`$1`, else the current one) and its bounds as
/// instants on the organisation's calendar, as `b`; the completed
/// donations of that year and the one before, net of refunds, as `d`
/// (found through the index on when they were given; donations adopted
/// from the old platform have no `donated_at`, their creation stands in);
/// then `$rest`, as `sqlx::query_as!($out, …)`.
macro_rules! scoped {
    ($out:path, $rest:literal, $year:expr) => {
        sqlx::query_as!(
            $out,
            "WITH o AS (SELECT time_zone AS tz, currency::text AS currency \
                        FROM organisation_settings), \
             y AS (SELECT COALESCE($1, extract(year FROM now() AT TIME ZONE o.tz)::int) AS year \
                   FROM o), \
             b AS (SELECT y.year, o.tz, o.currency, \
                      make_timestamp(y.year - 1, 1, 1, 0, 0, 0) AT TIME ZONE o.tz AS previous_start, \
                      make_timestamp(y.year, 1, 1, 0, 0, 0) AT TIME ZONE o.tz AS start, \
                      make_timestamp(y.year + 1, 1, 1, 0, 0, 0) AT TIME ZONE o.tz AS next_start \
                   FROM y, o), \
             d AS (SELECT x.id, x.donation_type, x.user_id, x.donor_name, x.donor_email, \
                      x.amount_cents - x.refunded_cents AS net, \
                      COALESCE(x.donated_at, x.created_at) AS at \
                   FROM donations x, b WHERE x.status = 'completed' \
                      AND COALESCE(x.donated_at, x.created_at) >= b.previous_start \
                      AND COALESCE(x.donated_at, x.created_at) < b.next_start)"
                + $rest,
            $year
        )
    };
}

/// The totals of `year` (the current one if `None`) and the year before;
/// "to date" in the previous year is up to the same local day and time a
/// year ago while the asked year runs, the whole year for a past one.
pub async fn totals(conn: &mut PgConnection, year: Option<i32>) -> sqlx::Result<Totals> {
    scoped!(
        Totals,
        ", c AS (SELECT CASE WHEN now() < b.next_start \
                    THEN ((now() AT TIME ZONE b.tz) - interval '1 year') AT TIME ZONE b.tz \
                    ELSE b.start END AS cutoff FROM b) \
         SELECT b.year AS \"year!\", b.currency AS \"currency!\", \
                COALESCE(sum(d.net) FILTER (WHERE d.at >= b.start), 0)::bigint AS \"total_cents!\", \
                count(d.id) FILTER (WHERE d.at >= b.start) AS \"count!\", \
                COALESCE(sum(d.net) FILTER (WHERE d.at < b.start), 0)::bigint AS \"previous_year_cents!\", \
                COALESCE(sum(d.net) FILTER (WHERE d.at < b.start AND d.at <= c.cutoff), 0)::bigint \
                    AS \"previous_year_to_date_cents!\" \
         FROM b CROSS JOIN c LEFT JOIN d ON true \
         GROUP BY b.year, b.currency",
        year
    )
    .fetch_one(conn)
    .await
}

/// Every month of `year`, empty ones included.
pub async fn by_month(conn: &mut PgConnection, year: i32) -> sqlx::Result<Vec<Bucket>> {
    scoped!(
        Bucket,
        ", g AS (SELECT date_trunc('month', d.at AT TIME ZONE b.tz) AS month, \
                            sum(d.net) AS total, count(*) AS n \
                     FROM d, b WHERE d.at >= b.start GROUP BY 1) \
         SELECT to_char(m, 'YYYY-MM') AS \"key!\", COALESCE(g.total, 0)::bigint AS \"total_cents!\", \
                COALESCE(g.n, 0) AS \"count!\" \
         FROM b, generate_series(make_timestamp(b.year, 1, 1, 0, 0, 0), \
                                 make_timestamp(b.year, 12, 1, 0, 0, 0), interval '1 month') AS m \
         LEFT JOIN g ON g.month = m ORDER BY m",
        year
    )
    .fetch_all(conn)
    .await
}

/// A type of gift's total.
struct ByType {
    kind: DonationType,
    total_cents: i64,
    count: i64,
}

/// `year` by type of gift, every type included.
pub async fn by_type(conn: &mut PgConnection, year: i32) -> sqlx::Result<Vec<Bucket>> {
    let found = scoped!(
        ByType,
        " SELECT d.donation_type AS \"kind: DonationType\", sum(d.net)::bigint AS \"total_cents!\", \
                count(*) AS \"count!\" \
         FROM d, b WHERE d.at >= b.start GROUP BY 1",
        year
    )
    .fetch_all(conn)
    .await?;
    Ok(DonationType::ALL
        .iter()
        .map(|kind| {
            let given = found.iter().find(|f| f.kind == *kind);
            Bucket {
                key: kind.to_string(),
                total_cents: given.map_or(0, |g| g.total_cents),
                count: given.map_or(0, |g| g.count),
            }
        })
        .collect())
}

/// The ten largest donors of `year`: one per account, else per address,
/// else per name.
pub async fn top_donors(conn: &mut PgConnection, year: i32) -> sqlx::Result<Vec<Donor>> {
    scoped!(
        Donor,
        " SELECT max(d.donor_name) AS donor_name, max(d.donor_email) AS donor_email, \
                d.user_id, sum(d.net)::bigint AS \"total_cents!\", count(*) AS \"count!\" \
         FROM d, b WHERE d.at >= b.start \
         GROUP BY d.user_id, COALESCE(d.user_id::text, lower(d.donor_email), lower(d.donor_name)) \
         ORDER BY sum(d.net) DESC, count(*) DESC LIMIT 10",
        year
    )
    .fetch_all(conn)
    .await
}
