//! The audit trail, read back (`loaf_domain::audit` writes it): the whole
//! trail with filters for `GET /api/audit`, and a member's own view (their
//! status, role, profile and membership entries) for their page.

use axum::extract::State;
use chrono::{DateTime, Utc};
use loaf_domain::permissions::perm;
use loaf_domain::validate::optional_text;
use loaf_http::auth::Require;
use loaf_http::extract::{Json, Query};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "AuditEntry")]
pub struct Entry {
    id: Uuid,
    created_at: DateTime<Utc>,
    /// What happened: `status`, `role`, `profile`, `membership` on a
    /// member; `<target>.insert|update|delete` for a row an admin manages
    /// (`plan.update`, `role_permission.insert`); `export.*`, `erasure.*`.
    action: String,
    /// `member`, `role`, `role_permission`, `plan`, `subscription`,
    /// `pending_payment`, `refund`, `donation`, `event`, `gallery_image`,
    /// `document`, `settings`, `import`, `invitation`, `export`, `erasure`.
    target_type: String,
    target_id: Option<Uuid>,
    /// The member the entry is about, when there is one.
    subject_id: Option<Uuid>,
    subject_name: Option<String>,
    /// The person who acted; `None` when a job did (`actor_job`).
    actor_id: Option<Uuid>,
    actor_name: Option<String>,
    /// `scheduler`, `payment_provider`, `email_provider`, `setup`,
    /// `visitor` (someone not signed in), or `database` (a change made by
    /// hand in the database, outside the application).
    actor_job: Option<String>,
    /// A member entry's values.
    from_value: Option<String>,
    to_value: Option<String>,
    reason: Option<String>,
    /// A row's changed fields, each `[before, after]` (`null` before an
    /// insert, after a delete); a secret field shows `"[secret]"`.
    #[schemars(with = "Option<std::collections::BTreeMap<String, serde_json::Value>>")]
    changes: Option<serde_json::Value>,
}

/// A checked query of whole entries: `$tail` follows the joins.
macro_rules! entry_query {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Entry,
            "SELECT a.id, a.created_at, a.action, a.target_type, a.target_id, a.subject_id, \
                 NULLIF(trim(concat_ws(' ', s.first_name, s.last_name)), '') AS subject_name, \
                 a.actor_id, NULLIF(trim(concat_ws(' ', u.first_name, u.last_name)), '') AS actor_name, \
                 a.actor_job, a.from_value, a.to_value, a.reason, a.changes \
             FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id \
                 LEFT JOIN users s ON s.id = a.subject_id "
                + $tail
            $(, $arg)*
        )
    };
}

/// One page of `user_id`'s own trail, newest first.
pub async fn page(
    conn: &mut PgConnection,
    user_id: Uuid,
    page: PageParams,
) -> Result<Page<Entry>, sqlx::Error> {
    let total: i64 = sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM audit_log WHERE subject_id = $1 AND target_type = 'member'",
        user_id,
    )
    .fetch_one(&mut *conn)
    .await?;
    let items = entry_query!(
        "WHERE a.subject_id = $1 AND a.target_type = 'member' \
         ORDER BY a.created_at DESC, a.id LIMIT $2 OFFSET $3",
        user_id,
        page.limit(),
        page.offset(),
    )
    .fetch_all(conn)
    .await?;
    Ok(Page::new(items, page, total))
}

/// What `GET /api/audit` may be narrowed to; every filter is optional.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(rename = "AuditFilter")]
pub struct Filter {
    /// The person who acted.
    actor_id: Option<Uuid>,
    /// A job that acted (`scheduler`, `payment_provider`, …).
    actor_job: Option<String>,
    /// The member entries are about.
    subject_id: Option<Uuid>,
    target_type: Option<String>,
    target_id: Option<Uuid>,
    /// An action (`plan.update`), or a prefix ending in `.` (`plan.`).
    action: Option<String>,
    /// From this instant, inclusive.
    from: Option<DateTime<Utc>>,
    /// Before this instant.
    to: Option<DateTime<Utc>>,
}

/// `GET /api/audit`: the whole trail, newest first, filtered and paged.
pub async fn search(
    State(state): State<AppState>,
    _: Require<perm::UsersAudit>,
    page: PageParams,
    Query(f): Query<Filter>,
) -> ApiResult<Json<Page<Entry>>> {
    let name = |field: &str, v: &Option<String>| optional_text(field, v.as_deref(), 40);
    let actor_job = name("actor_job", &f.actor_job)?;
    let target_type = name("target_type", &f.target_type)?;
    let action = name("action", &f.action)?;
    if let (Some(from), Some(to)) = (f.from, f.to) {
        if from >= to {
            return Err(ApiError::invalid("to", "to must come after from"));
        }
    }
    // An action ending in `.` is a prefix (`plan.` is every plan entry);
    // LIKE's own wildcards cannot occur in a name that passed the check
    // below, so the pattern is exact otherwise.
    if let Some(a) = &action {
        if !a
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.')
        {
            return Err(ApiError::invalid(
                "action",
                "an action is lowercase letters, '_' and '.' (plan.update, or plan. for all)",
            ));
        }
    }
    let pattern = action.map(|a| if a.ends_with('.') { format!("{a}%") } else { a });
    let mut conn = state.db.acquire().await?;
    let total: i64 = sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM audit_log a \
         WHERE ($1::uuid IS NULL OR a.actor_id = $1) AND ($2::text IS NULL OR a.actor_job = $2) \
           AND ($3::uuid IS NULL OR a.subject_id = $3) AND ($4::text IS NULL OR a.target_type = $4) \
           AND ($5::uuid IS NULL OR a.target_id = $5) AND ($6::text IS NULL OR a.action LIKE $6) \
           AND ($7::timestamptz IS NULL OR a.created_at >= $7) \
           AND ($8::timestamptz IS NULL OR a.created_at < $8)",
        f.actor_id,
        actor_job,
        f.subject_id,
        target_type,
        f.target_id,
        pattern,
        f.from,
        f.to,
    )
    .fetch_one(&mut *conn)
    .await?;
    let items = entry_query!(
        "WHERE ($1::uuid IS NULL OR a.actor_id = $1) AND ($2::text IS NULL OR a.actor_job = $2) \
           AND ($3::uuid IS NULL OR a.subject_id = $3) AND ($4::text IS NULL OR a.target_type = $4) \
           AND ($5::uuid IS NULL OR a.target_id = $5) AND ($6::text IS NULL OR a.action LIKE $6) \
           AND ($7::timestamptz IS NULL OR a.created_at >= $7) \
           AND ($8::timestamptz IS NULL OR a.created_at < $8) \
         ORDER BY a.created_at DESC, a.id LIMIT $9 OFFSET $10",
        f.actor_id,
        actor_job,
        f.subject_id,
        target_type,
        f.target_id,
        pattern,
        f.from,
        f.to,
        page.limit(),
        page.offset(),
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Json(Page::new(items, page, total)))
}
