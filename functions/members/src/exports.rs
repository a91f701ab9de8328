//! `GET /api/members/export`: the member list, with the list's filters and
//! order, written as CSV to S3 while the rows stream from the database (so
//! memory stays flat at any size) and handed back as a short-lived link.

use axum::extract::State;
use chrono::{DateTime, Utc};
use loaf_domain::members::list::{self, ExportRow, Filter};
use loaf_domain::permissions::perm;
use loaf_http::auth::Require;
use loaf_http::csv_export::{self, ExportLink};
use loaf_http::extract::{Json, Query};
use loaf_http::{ApiResult, AppState};

const HEADER: &[&str] = &[
    "id",
    "email",
    "first_name",
    "last_name",
    "status",
    "role",
    "phone",
    "address",
    "city",
    "state",
    "zipcode",
    "date_of_birth",
    "member_since",
    "joined_at",
    "has_active_subscription",
    "newsletter_subscribed",
    "show_in_directory",
];

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// A member as a line of the CSV export.
fn cells(row: ExportRow) -> [String; 17] {
    let day = |d: Option<DateTime<Utc>>| d.map(|d| d.date_naive().to_string()).unwrap_or_default();
    [
        row.id.to_string(),
        row.email,
        row.first_name,
        row.last_name,
        row.status.as_str().to_string(),
        row.role_code.unwrap_or_default(),
        row.phone.unwrap_or_default(),
        row.address.unwrap_or_default(),
        row.city.unwrap_or_default(),
        row.state.unwrap_or_default(),
        row.zipcode.unwrap_or_default(),
        row.date_of_birth.map(|d| d.to_string()).unwrap_or_default(),
        day(row.member_since),
        day(Some(row.created_at)),
        yes_no(row.has_active_subscription),
        yes_no(row.newsletter_subscribed),
        yes_no(row.show_in_directory),
    ]
}

/// `GET /api/members/export?q=&status=&role=&...&sort=`
pub async fn members(
    State(state): State<AppState>,
    _: Require<perm::UsersExport>,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<ExportLink>> {
    let mut select = list::export_query(&filter.prepare()?);
    let mut conn = state.db.acquire().await?;
    Ok(Json(
        csv_export::export(
            &state.storage,
            &mut conn,
            &mut select,
            "members",
            HEADER,
            cells,
        )
        .await?,
    ))
}
