//! The member directory: active members who chose to be listed, with only
//! the fields they chose to show. `search_text` is name and email folded
//! (migration 0004), the term folded the same way; planned per term, as
//! the member list is (see [`super::list`]).

use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Serialize, sqlx::FromRow, JsonSchema)]
#[schemars(rename = "DirectoryEntry")]
pub struct Entry {
    id: Uuid,
    first_name: String,
    last_name: String,
    email: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    bio: Option<String>,
    partner_name: Option<String>,
    photo_url: Option<String>,
}

/// Whether member `user` chose to be listed.
pub async fn listed(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!("SELECT show_in_directory FROM users WHERE id = $1", user)
        .fetch_one(conn)
        .await
}

/// How many listed, active members match `term_like` (a `LIKE` pattern of
/// the folded term; `None`: all).
pub async fn count(conn: &mut PgConnection, term_like: Option<&str>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM users u
           WHERE u.show_in_directory AND u.status = 'active'
             AND ($1::text IS NULL OR u.search_text LIKE loaf_fold($1))"#,
        term_like,
    )
    .persistent(false)
    .fetch_one(conn)
    .await
}

/// A page of the members [`count`] counts, by name.
pub async fn list(
    conn: &mut PgConnection,
    term_like: Option<&str>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Entry>> {
    // Only the directory_* fields: the account's own email, phone and
    // address stay private unless the member copied them here.
    loaf_core::query_as_unprepared!(
        Entry,
        "SELECT u.id, u.first_name, u.last_name, u.directory_email AS email, \
                u.directory_phone AS phone, u.directory_address AS address, u.directory_bio AS bio, \
                u.directory_partner_name AS partner_name, u.profile_photo_url AS photo_url \
         FROM users u \
         WHERE u.show_in_directory AND u.status = 'active' \
           AND ($1::text IS NULL OR u.search_text LIKE loaf_fold($1)) \
         ORDER BY u.name_key, u.id LIMIT $2 OFFSET $3",
        term_like,
        limit,
        offset,
    )
    .fetch_all(conn)
    .await
}
