//! The member list, a member's details and an admin's edits, and the audit
//! trail of who changed what.

use crate::audit;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use loaf_core::db::like_contains;
use loaf_domain::domain::UserStatus;
use loaf_domain::email::suppressions::{self, Suppression};
use loaf_domain::permissions::perm;
use loaf_domain::profile::{Profile, ProfilePatch};
use loaf_domain::validate::optional_text;
use loaf_http::auth::Require;
use loaf_http::extract::{Json, Path, Query};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::reply::NoContent;
use loaf_http::{ApiError, ApiResult, AppState};
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
pub const ROLE_JOIN: &str = "LEFT JOIN roles r ON r.id = u.role_id";

/// A subscription that is active now.
pub const ACTIVE_SUBSCRIPTION: &str =
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
    /// `name` (default), `email`, `created_at`, `member_since`, `status`;
    /// a leading `-` sorts descending.
    sort: Option<String>,
}

impl Filter {
    /// The cleaned search term and the ORDER BY clause, or a 422.
    pub fn prepare(&self) -> ApiResult<(Option<String>, &'static str)> {
        Ok((
            optional_text("q", self.q.as_deref(), 200)?,
            order_by(self.sort.as_deref())?,
        ))
    }
}

fn order_by(sort: Option<&str>) -> ApiResult<&'static str> {
    let (desc, key) = match sort {
        None | Some("") => (false, "name"),
        Some(s) => match s.strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, s),
        },
    };
    let clause = match (key, desc) {
        // As ix_users_name_order indexes it.
        ("name", false) => "u.name_key, u.id",
        ("name", true) => "u.name_key DESC, u.id DESC",
        ("email", false) => "lower(u.email), u.id",
        ("email", true) => "lower(u.email) DESC, u.id",
        ("created_at", false) => "u.created_at, u.id",
        ("created_at", true) => "u.created_at DESC, u.id",
        ("member_since", false) => "u.member_since NULLS LAST, u.id",
        ("member_since", true) => "u.member_since DESC NULLS LAST, u.id",
        ("status", false) => "u.status, u.name_key, u.id",
        ("status", true) => "u.status DESC, u.name_key, u.id",
        _ => {
            return Err(ApiError::invalid(
                "sort",
                "sort is one of name, email, created_at, member_since, status, optionally prefixed with -",
            ))
        }
    };
    Ok(clause)
}

/// Appends ` FROM … WHERE …` selecting the filtered members as `u`.
///
/// With a search term the matches are the source, found first through the
/// trigram index (the `OFFSET 0` keeps the planner from folding them back
/// into a walk of the name index that tests every row, slow when the few
/// matches sort late). The role join is there only to filter by role;
/// callers join roles again on the page they keep, so a page costs one
/// role lookup per shown row, not per matching row.
pub fn push_members(qb: &mut QueryBuilder<'_, Postgres>, f: &Filter, q: &Option<String>) {
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

/// `GET /api/members`
///
/// A search that matches up to a few thousand members is counted and
/// sorted exactly. A common term answers with an estimated total
/// (`total_is_estimate`) and finds its page without visiting every match.
pub async fn list(
    State(state): State<AppState>,
    _: Require<perm::UsersView>,
    page: PageParams,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<Page<MemberSummary>>> {
    let (q, order) = filter.prepare()?;
    let mut conn = state.db.acquire().await?;

    // Unnamed statements, planned for each search term: a cached generic
    // plan cannot see that `%term%` is selective and would scan by name.
    let estimate = match &q {
        Some(_) => Some(planned_rows(&mut conn, &filter, &q).await?)
            .filter(|planned| *planned > COMMON_ESTIMATE),
        None => None,
    };
    let total = match estimate {
        Some(planned) => planned,
        None => {
            let mut count = QueryBuilder::new("SELECT count(*)");
            push_members(&mut count, &filter, &q);
            count
                .build_query_scalar()
                .persistent(false)
                .fetch_one(&mut *conn)
                .await?
        }
    };

    let walked = match (&q, estimate, walk_order(order)) {
        (Some(q), Some(_), Some(index_order)) => {
            walk(&mut conn, &filter, q, order, index_order, page).await?
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
            push_members(&mut select, &filter, &q);
            select
                .push(format!(" ORDER BY {order} LIMIT "))
                .push_bind(page.limit())
                .push(" OFFSET ")
                .push_bind(page.offset())
                .push(format!(") u {ROLE_JOIN} ORDER BY {order}"));
            select
                .build_query_as()
                .persistent(false)
                .fetch_all(&mut *conn)
                .await?
        }
    };
    Ok(Json(match estimate {
        Some(_) => Page::estimated(items, page, total),
        None => Page::new(items, page, total),
    }))
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
) -> ApiResult<i64> {
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
    page: PageParams,
) -> ApiResult<Option<Vec<MemberSummary>>> {
    let needed = page.offset() + page.limit();
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
        .push_bind(page.limit())
        .push(" OFFSET ")
        .push_bind(page.offset())
        .push(format!(") u {ROLE_JOIN} ORDER BY {order}"));
    let items: Vec<MemberSummary> = select
        .build_query_as()
        .persistent(false)
        .fetch_all(&mut *conn)
        .await?;
    Ok((items.len() as i64 == page.limit()).then_some(items))
}

/// A member as an admin sees them.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Member {
    id: Uuid,
    email: String,
    status: UserStatus,
    role_id: Option<Uuid>,
    role_code: Option<String>,
    role_name: Option<String>,
    email_verified: bool,
    member_since: Option<DateTime<Utc>>,
    validated_at: Option<DateTime<Utc>>,
    validated_by: Option<Uuid>,
    rejection_reason: Option<String>,
    rejected_at: Option<DateTime<Utc>>,
    rejected_by: Option<Uuid>,
    tos_version: Option<String>,
    tos_accepted_at: Option<DateTime<Utc>>,
    has_active_subscription: bool,
    last_login_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    profile: Option<Profile>,
    /// The statuses `POST /api/members/{id}/status` may move them to (its
    /// transition table); validation and rejection have their own routes.
    /// None once erased.
    status_moves: Vec<UserStatus>,
    /// When the account was erased: what is left is a tombstone that keeps
    /// the financial records' owner, and nothing changes it any more.
    erased_at: Option<DateTime<Utc>>,
    /// Set when mail to the address is not sent any more: it bounced for
    /// good, or its owner reported our mail as spam. Cleared by
    /// `DELETE /api/members/{id}/email-suppression`.
    email_suppression: Option<Suppression>,
}

/// Member `id` with their profile; 404 when there is none.
pub async fn load(conn: &mut PgConnection, id: Uuid) -> ApiResult<Member> {
    // The subscription test is ACTIVE_SUBSCRIPTION, which the lists share.
    let found = sqlx::query!(
        r#"SELECT u.id, u.email, u.status AS "status: UserStatus", r.id AS "role_id?",
                  r.code AS "role_code?", r.name AS "role_name?", u.email_verified,
                  u.member_since, u.validated_at, u.validated_by, u.rejection_reason,
                  u.rejected_at, u.rejected_by, u.tos_version, u.tos_accepted_at,
                  EXISTS (SELECT 1 FROM subscriptions s WHERE s.user_id = u.id
                          AND s.status = 'active' AND (s.end_date IS NULL OR s.end_date > now()))
                      AS "has_active_subscription!",
                  u.last_login_at, u.created_at, u.updated_at, u.erased_at
           FROM users u LEFT JOIN roles r ON r.id = u.role_id WHERE u.id = $1"#,
        id,
    )
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(ApiError::NotFound)?;
    Ok(Member {
        profile: Some(Profile::load(conn, id).await?),
        email_suppression: suppressions::of(conn, &found.email).await?,
        status_moves: match found.erased_at {
            Some(_) => Vec::new(),
            None => found.status.moves(),
        },
        erased_at: found.erased_at,
        id: found.id,
        email: found.email,
        status: found.status,
        role_id: found.role_id,
        role_code: found.role_code,
        role_name: found.role_name,
        email_verified: found.email_verified,
        member_since: found.member_since,
        validated_at: found.validated_at,
        validated_by: found.validated_by,
        rejection_reason: found.rejection_reason,
        rejected_at: found.rejected_at,
        rejected_by: found.rejected_by,
        tos_version: found.tos_version,
        tos_accepted_at: found.tos_accepted_at,
        has_active_subscription: found.has_active_subscription,
        last_login_at: found.last_login_at,
        created_at: found.created_at,
        updated_at: found.updated_at,
    })
}

/// `GET /api/members/{id}`
pub async fn show(
    State(state): State<AppState>,
    _: Require<perm::UsersView>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Member>> {
    let mut conn = state.db.acquire().await?;
    Ok(Json(load(&mut conn, id).await?))
}

/// `PATCH /api/members/{id}`: the profile, as the member could edit it;
/// status and role have their own routes. The audit trail records which
/// parts changed.
pub async fn update(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::UsersEdit>,
    Path(id): Path<Uuid>,
    Json(patch): Json<ProfilePatch>,
) -> ApiResult<Json<Member>> {
    let mut tx = loaf_domain::audit::begin_as(&state.db, user.id).await?;
    sqlx::query_scalar!(
        "SELECT id FROM users WHERE id = $1 AND erased_at IS NULL FOR UPDATE",
        id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ApiError::NotFound)?;
    let before = Profile::load(&mut tx, id).await?;
    let after = patch.apply(before.clone()).validated("")?;
    let changed = before.changed_parts(&after);
    if !changed.is_empty() {
        after.store(&mut tx, id).await?;
        loaf_domain::audit::record(
            &mut tx,
            id,
            Some(user.id),
            "profile",
            None,
            Some(&changed.join(", ")),
            None,
        )
        .await?;
    }
    let member = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(member))
}

/// `GET /api/members/{id}/audit`: the member's changes, newest first.
pub async fn audit_trail(
    State(state): State<AppState>,
    _: Require<perm::UsersAudit>,
    Path(id): Path<Uuid>,
    page: PageParams,
) -> ApiResult<Json<Page<audit::Entry>>> {
    let mut conn = state.db.acquire().await?;
    sqlx::query_scalar!("SELECT id FROM users WHERE id = $1", id,)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(audit::page(&mut conn, id, page).await?))
}

/// `DELETE /api/members/{id}/email-suppression`: mail the member's address
/// again (they fixed their mailbox, or asked to hear from us again). 404
/// when it is not marked.
pub async fn clear_email_suppression(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::UsersEdit>,
    Path(id): Path<Uuid>,
) -> ApiResult<NoContent> {
    let mut tx = loaf_domain::audit::begin_as(&state.db, user.id).await?;
    let email: String = sqlx::query_scalar!(
        "SELECT email FROM users WHERE id = $1 AND erased_at IS NULL",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ApiError::NotFound)?;
    if !suppressions::clear(&mut tx, &email).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(NoContent)
}
