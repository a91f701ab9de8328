//! `GET /api/members/export`: the member list, with the list's filters and
//! order, written as CSV to S3 while the rows stream from the database (so
//! memory stays flat at any size) and handed back as a short-lived link.

use crate::members::{push_members, Filter, ACTIVE_SUBSCRIPTION, ROLE_JOIN};
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use loaf_domain::domain::UserStatus;
use loaf_domain::permissions::perm;
use loaf_http::auth::Require;
use loaf_http::csv_export::{self, ExportLink};
use loaf_http::extract::{Json, Query};
use loaf_http::{ApiResult, AppState};
use sqlx::QueryBuilder;
use uuid::Uuid;

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

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    email: String,
    first_name: String,
    last_name: String,
    status: UserStatus,
    role_code: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    city: Option<String>,
    state: Option<String>,
    zipcode: Option<String>,
    date_of_birth: Option<NaiveDate>,
    member_since: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    has_active_subscription: bool,
    newsletter_subscribed: bool,
    show_in_directory: bool,
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

impl Row {
    fn cells(self) -> [String; 17] {
        let day =
            |d: Option<DateTime<Utc>>| d.map(|d| d.date_naive().to_string()).unwrap_or_default();
        [
            self.id.to_string(),
            self.email,
            self.first_name,
            self.last_name,
            self.status.as_str().to_string(),
            self.role_code.unwrap_or_default(),
            self.phone.unwrap_or_default(),
            self.address.unwrap_or_default(),
            self.city.unwrap_or_default(),
            self.state.unwrap_or_default(),
            self.zipcode.unwrap_or_default(),
            self.date_of_birth
                .map(|d| d.to_string())
                .unwrap_or_default(),
            day(self.member_since),
            day(Some(self.created_at)),
            yes_no(self.has_active_subscription),
            yes_no(self.newsletter_subscribed),
            yes_no(self.show_in_directory),
        ]
    }
}

/// `GET /api/members/export?q=&status=&role=&...&sort=`
pub async fn members(
    State(state): State<AppState>,
    _: Require<perm::UsersExport>,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<ExportLink>> {
    let (q, order) = filter.prepare()?;
    let mut select = QueryBuilder::new(format!(
        "SELECT u.id, u.email, u.first_name, u.last_name, u.status, r.code AS role_code, \
                u.phone, u.address, u.city, u.state, u.zipcode, u.date_of_birth, u.member_since, u.created_at, \
                {ACTIVE_SUBSCRIPTION} AS has_active_subscription, \
                u.newsletter_subscribed, u.show_in_directory \
         FROM (SELECT u.*"
    ));
    push_members(&mut select, &filter, &q);
    select.push(format!(") u {ROLE_JOIN} ORDER BY {order}"));

    let mut conn = state.db.acquire().await?;
    Ok(Json(
        csv_export::export(
            &state.storage,
            &mut conn,
            &mut select,
            "members",
            HEADER,
            Row::cells,
        )
        .await?,
    ))
}
