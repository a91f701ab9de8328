//! The member list and its export: filters, the orders it offers, and a
//! search tuned to its trigram index (see [`find_page`]).

use crate::domain::UserStatus;
use crate::validate::{optional_text, FieldError};
use chrono::{DateTime, NaiveDate, Utc};
use loaf_core::db::like_contains;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

/// A row of the member list.
#[derive(Debug, Serialize, sqlx::FromRow, JsonSchema)]
pub struct MemberSummary {
    id: Uuid,
    email: String,
    first_name: String,
    last_name: String,
    status: UserStatus,
    role_code: Option<String>,
    role_name: Option<String>,
    member_since: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    last_login_at: Option<DateTime<Utc>>,
    has_active_subscription: bool,
}

/// The role a user holds (`role_id`: the legacy `role` column is only kept
/// in step with it, migration 0013).
const ROLE_JOIN: &str = "LEFT JOIN roles r ON r.id = u.role_id";

/// A subscription that is active now.
pub(crate) const ACTIVE_SUBSCRIPTION: &str =
    "EXISTS (SELECT 1 FROM subscriptions s WHERE s.user_id = u.id \
     AND s.status = 'active' AND (s.end_date IS NULL OR s.end_date > now()))";

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(rename = "MemberFilter")]
pub struct Filter {
    /// Part of a name or email; accents and case are ignored.
    q: Option<String>,
    status: Option<UserStatus>,
    /// A role code (`member`, `finance`, a custom role's code).
    role: Option<String>,
    member_since_from: Option<NaiveDate>,
    member_since_to: Option<NaiveDate>,
    has_active_subscription: Option<bool>,
    sort: Sort,
}

/// The list's order: by name by default; `-` in front reverses.
#[derive(Debug, Default, Clone, Copy, Deserialize, JsonSchema)]
#[schemars(rename = "MemberSort")]
pub enum Sort {
    #[default]
    #[serde(rename = "name")]
    Name,
    #[serde(rename = "-name")]
    NameDesc,
    #[serde(rename = "email")]
    Email,
    #[serde(rename = "-email")]
    EmailDesc,
    #[serde(rename = "created_at")]
    CreatedAt,
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    #[serde(rename = "member_since")]
    MemberSince,
    #[serde(rename = "-member_since")]
    MemberSinceDesc,
    #[serde(rename = "status")]
    Status,
    #[serde(rename = "-status")]
    StatusDesc,
}

impl Sort {
    fn order_by(self) -> &'static str {
        match self {
            // As ix_users_name_order indexes it.
            Sort::Name => "u.name_key, u.id",
            Sort::NameDesc => "u.name_key DESC, u.id DESC",
            Sort::Email => "lower(u.email), u.id",
            Sort::EmailDesc => "lower(u.email) DESC, u.id",
            Sort::CreatedAt => "u.created_at, u.id",
            Sort::CreatedAtDesc => "u.created_at DESC, u.id",
            Sort::MemberSince => "u.member_since NULLS LAST, u.id",
            Sort::MemberSinceDesc => "u.member_since DESC NULLS LAST, u.id",
            Sort::Status => "u.status, u.name_key, u.id",
            Sort::StatusDesc => "u.status DESC, u.name_key, u.id",
        }
    }
}

/// A checked [`Filter`]: its cleaned search term and ORDER BY clause.
#[derive(Debug)]
pub struct Search<'a> {
    filter: &'a Filter,
    q: Option<String>,
    order: &'static str,
}

impl Filter {
    /// The filter checked: a search over 200 characters is refused.
    pub fn prepare(&self) -> Result<Search<'_>, FieldError> {
        Ok(Search {
            filter: self,
            q: optional_text("q", self.q.as_deref(), 200)?,
            order: self.sort.order_by(),
        })
    }
}

/// Appends ` FROM … WHERE …` selecting the filtered members as `u`.
///
/// With a search term the matches are the source, found first through the
/// trigram index (the `OFFSET 0` keeps the planner from folding them back
/// into a walk of the name index that tests every row, slow when the few
/// matches sort late). The role join is there only to filter by role;
/// callers join roles again on the page they keep, so a page costs one
/// role lookup per shown row, not per matching row.
fn push_members(qb: &mut QueryBuilder<'_, Postgres>, f: &Filter, q: &Option<String>) {
    match q {
        Some(q) => {
            qb.push(" FROM (SELECT * FROM users s WHERE s.search_text LIKE loaf_fold(")
                .push_bind(like_contains(q))
                .push(") OFFSET 0) u");
        }
        None => {
            qb.push(" FROM users u");
        }
    }
    push_filters(qb, f);
}

/// Appends the role join and ` WHERE …` of every filter but the term.
fn push_filters(qb: &mut QueryBuilder<'_, Postgres>, f: &Filter) {
    if let Some(role) = &f.role {
        qb.push(format!(" {ROLE_JOIN} WHERE r.code = "))
            .push_bind(role.clone());
    } else {
        qb.push(" WHERE TRUE");
    }
    if let Some(status) = f.status {
        qb.push(" AND u.status = ").push_bind(status);
    }
    if let Some(from) = f.member_since_from {
        qb.push(" AND u.member_since >= ").push_bind(from);
    }
    if let Some(to) = f.member_since_to {
        qb.push(" AND u.member_since < ").push_bind(to).push(" + 1");
    }
    match f.has_active_subscription {
        Some(true) => {
            qb.push(format!(" AND {ACTIVE_SUBSCRIPTION}"));
        }
        Some(false) => {
            qb.push(format!(" AND NOT {ACTIVE_SUBSCRIPTION}"));
        }
        None => {}
    }
}

/// A search the planner expects to match more members than this is a
/// common term ("zoe", "mar"): its total is that estimate, and its page is
/// looked for by walking the name order (see [`walk`]). Counting exactly
/// costs a heap check per match (10,000 matches: ~35 ms), more than the
/// page itself. The planner's estimate comes from the column's statistics
/// (a histogram of ~100 sampled names), so a term estimated this high
/// matches at least a few per cent of the members, never a handful.
const COMMON_ESTIMATE: i64 = 5_000;

/// A page of the members `search` finds, and their total. A search that
/// matches up to a few thousand members is counted and sorted exactly; a
/// common term answers with an estimated total (`estimated`) and finds
/// its page without visiting every match.
pub async fn find_page(
    conn: &mut PgConnection,
    search: &Search<'_>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Found> {
    let (filter, q, order) = (search.filter, &search.q, search.order);
    // Unnamed statements, planned for each search term: a cached generic
    // plan cannot see that `%term%` is selective and would scan by name.
    let estimate = match q {
        Some(_) => Some(planned_rows(&mut *conn, filter, q).await?)
            .filter(|planned| *planned > COMMON_ESTIMATE),
        None => None,
    };
    let total = match estimate {
        Some(planned) => planned,
        None => {
            let mut count = QueryBuilder::new("SELECT count(*)");
            push_members(&mut count, filter, q);
            count
                .build_query_scalar()
                .persistent(false)
                .fetch_one(&mut *conn)
                .await?
        }
    };

    let walked = match (q, estimate, walk_order(order)) {
        (Some(q), Some(_), Some(index_order)) => {
            walk(&mut *conn, filter, q, order, index_order, limit, offset).await?
        }
        _ => None,
    };
    let items = match walked {
        Some(items) => items,
        None => {
            // The page is chosen first, then its rows get their role and
            // subscription flag.
            let mut select =
                QueryBuilder::new(format!("{} FROM (SELECT u.*", select_page_columns()));
            push_members(&mut select, filter, q);
            select
                .push(format!(" ORDER BY {order} LIMIT "))
                .push_bind(limit)
                .push(" OFFSET ")
                .push_bind(offset)
                .push(format!(") u {ROLE_JOIN} ORDER BY {order}"));
            select
                .build_query_as()
                .persistent(false)
                .fetch_all(&mut *conn)
                .await?
        }
    };
    Ok(Found {
        items,
        total,
        estimated: estimate.is_some(),
    })
}

/// A page of the member list.
#[derive(Debug)]
pub struct Found {
    pub items: Vec<MemberSummary>,
    pub total: i64,
    /// `total` is the planner's estimate (a common search term).
    pub estimated: bool,
}

/// What a row of the list shows, selected from a page of members `u`.
fn select_page_columns() -> String {
    format!(
        "SELECT u.id, u.email, u.first_name, u.last_name, u.status, r.code AS role_code, \
                r.name AS role_name, u.member_since, u.created_at, u.last_login_at, \
                {ACTIVE_SUBSCRIPTION} AS has_active_subscription"
    )
}

/// How many members the planner expects the search to match: read from
/// `EXPLAIN`, which plans without running.
async fn planned_rows(
    conn: &mut PgConnection,
    filter: &Filter,
    q: &Option<String>,
) -> sqlx::Result<i64> {
    let mut explain = QueryBuilder::new("EXPLAIN (FORMAT JSON) SELECT 1");
    push_members(&mut explain, filter, q);
    let plan: serde_json::Value = explain
        .build_query_scalar()
        .persistent(false)
        .fetch_one(&mut *conn)
        .await?;
    Ok(plan[0]["Plan"]["Plan Rows"].as_f64().unwrap_or(0.0) as i64)
}

/// The name index's order for the list's name orders (the only ones an
/// index walk can follow).
fn walk_order(order: &str) -> Option<&'static str> {
    match order {
        "u.name_key, u.id" => Some("s.name_key, s.id"),
        "u.name_key DESC, u.id DESC" => Some("s.name_key DESC, s.id DESC"),
        _ => None,
    }
}

/// A common term's page found by walking the name index and testing each
/// member until the page is full: when one member in ten matches, page one
/// reads ~250 rows instead of checking and sorting all 10,000 matches. The
/// walk is bounded (twenty times the rows the page needs, from 2,000 to
/// 20,000), so a term whose matches sort late (all of one surname), or a
/// page deep in the list, gives up before costing more than the trigram
/// path; `None` then, and the caller takes the matches through the index.
async fn walk(
    conn: &mut PgConnection,
    filter: &Filter,
    q: &str,
    order: &str,
    index_order: &str,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Option<Vec<MemberSummary>>> {
    let needed = offset + limit;
    let mut select = QueryBuilder::new(format!(
        "{} FROM (SELECT u.* FROM (SELECT * FROM users s ORDER BY {index_order} LIMIT ",
        select_page_columns()
    ));
    select
        .push_bind((needed * 20).clamp(2_000, 20_000))
        .push(") u");
    push_filters(&mut select, filter);
    select
        .push(" AND u.search_text LIKE loaf_fold(")
        .push_bind(like_contains(q))
        .push(format!(") ORDER BY {order} LIMIT "))
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset)
        .push(format!(") u {ROLE_JOIN} ORDER BY {order}"));
    let items: Vec<MemberSummary> = select
        .build_query_as()
        .persistent(false)
        .fetch_all(&mut *conn)
        .await?;
    Ok((items.len() as i64 == limit).then_some(items))
}

/// A member as the CSV export has them.
#[derive(sqlx::FromRow)]
pub struct ExportRow {
    pub id: Uuid,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub status: UserStatus,
    pub role_code: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zipcode: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub member_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub has_active_subscription: bool,
    pub newsletter_subscribed: bool,
    pub show_in_directory: bool,
}

/// The statement of the CSV export: every member `search` finds, in its
/// order, as [`ExportRow`]s.
pub fn export_query(search: &Search<'_>) -> QueryBuilder<'static, Postgres> {
    let mut select = QueryBuilder::new(format!(
        "SELECT u.id, u.email, u.first_name, u.last_name, u.status, r.code AS role_code, \
                u.phone, u.address, u.city, u.state, u.zipcode, u.date_of_birth, u.member_since, u.created_at, \
                {ACTIVE_SUBSCRIPTION} AS has_active_subscription, \
                u.newsletter_subscribed, u.show_in_directory \
         FROM (SELECT u.*"
    ));
    push_members(&mut select, search.filter, &search.q);
    select.push(format!(
        ") u {ROLE_JOIN} ORDER BY {order}",
        order = search.order
    ));
    select
}
