//! The audit trail, read back: every change of a member's status or role
//! (and which profile parts an admin edited), with who, when, from, to and
//! why. Written through `loaf_domain::audit::record`.

use chrono::{DateTime, Utc};
use loaf_http::pagination::{Page, PageParams};
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Serialize, sqlx::FromRow, JsonSchema)]
#[schemars(rename = "AuditEntry")]
pub struct Entry {
    id: Uuid,
    action: String,
    from_value: Option<String>,
    to_value: Option<String>,
    reason: Option<String>,
    actor_id: Option<Uuid>,
    actor_name: Option<String>,
    created_at: DateTime<Utc>,
}

/// One page of `user_id`'s trail, newest first.
pub async fn page(
    conn: &mut PgConnection,
    user_id: Uuid,
    page: PageParams,
) -> Result<Page<Entry>, sqlx::Error> {
    let total: i64 = sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM member_audit_log WHERE user_id = $1",
        user_id,
    )
    .fetch_one(&mut *conn)
    .await?;
    let items = sqlx::query_as!(
        Entry,
        "SELECT a.id, a.action, a.from_value, a.to_value, a.reason, a.actor_id, \
                NULLIF(trim(concat_ws(' ', u.first_name, u.last_name)), '') AS actor_name, a.created_at \
         FROM member_audit_log a LEFT JOIN users u ON u.id = a.actor_id \
         WHERE a.user_id = $1 ORDER BY a.created_at DESC, a.id LIMIT $2 OFFSET $3",
        user_id,
        page.limit(),
        page.offset(),
    )
    .fetch_all(conn)
    .await?;
    Ok(Page::new(items, page, total))
}
