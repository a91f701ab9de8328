//! Members as stored (`users`): the statements other aggregates' rules
//! need about a person. The members' own routes (profiles, lists, status
//! changes) keep theirs in the members function for now.

use crate::domain::UserStatus;
use sqlx::PgConnection;
use uuid::Uuid;

/// Member `id`'s full name and address.
pub async fn name_and_email(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query!(
        "SELECT trim(concat_ws(' ', first_name, last_name)) AS \"name!\", email FROM users WHERE id = $1",
        id,
    )
    .map(|r| (r.name, r.email))
    .fetch_optional(conn)
    .await
}

/// Member `id`'s status.
pub async fn status_of(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<UserStatus>> {
    sqlx::query_scalar!(
        "SELECT status AS \"status: loaf_domain::domain::UserStatus\" FROM users WHERE id = $1",
        id,
    )
    .fetch_optional(conn)
    .await
}
