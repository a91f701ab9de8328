//! The audit trail, read back (`loaf_domain::audit` writes it): the whole
//! trail with filters for `GET /api/audit`, and a member's own view (their
//! status, role, profile and membership entries) for their page.

use axum::extract::State;
use chrono::{DateTime, Utc};
use loaf_domain::audit::{self, Entry, Search};
use loaf_domain::permissions::perm;
use loaf_domain::validate::optional_text;
use loaf_http::auth::Require;
use loaf_http::extract::{Json, Query};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// One page of `user_id`'s own trail, newest first.
pub async fn page(
    conn: &mut PgConnection,
    user_id: Uuid,
    page: PageParams,
) -> Result<Page<Entry>, sqlx::Error> {
    let total = audit::count_about(&mut *conn, user_id).await?;
    let items = audit::about(conn, user_id, page.limit(), page.offset()).await?;
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
    let search = Search {
        actor_id: f.actor_id,
        actor_job,
        subject_id: f.subject_id,
        target_type,
        target_id: f.target_id,
        action_like: action.map(|a| if a.ends_with('.') { format!("{a}%") } else { a }),
        from: f.from,
        to: f.to,
    };
    let mut conn = state.db.acquire().await?;
    let total = audit::count(&mut conn, &search).await?;
    let items = audit::list(&mut conn, &search, page.limit(), page.offset()).await?;
    Ok(Json(Page::new(items, page, total)))
}
