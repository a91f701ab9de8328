//! Accounts that look like another: the validation queue's warning that an
//! applicant may already be a member (a second registration, a typo in the
//! name, a new address for the same phone). Each comparison reads one of
//! three indexed keys (migration 0011), so it stays a handful of index
//! lookups at 100,000 members.

use crate::domain::UserStatus;
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// How alike two folded names must be (pg_trgm's similarity, 0 to 1) to be
/// shown: "lovelace ada" and "lovelace adda" are 0.69, two different
/// people's names seldom above 0.3.
const NAME_SIMILARITY: f32 = 0.5;
/// The most shown: a warning, not a search.
const MOST: i64 = 10;

/// Another account that looks like the one asked about.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "SimilarMember")]
pub struct Similar {
    id: Uuid,
    first_name: String,
    last_name: String,
    email: String,
    status: UserStatus,
    /// The same or nearly the same name (accents and case ignored).
    same_name: bool,
    /// The same phone number (its last nine digits).
    same_phone: bool,
    /// The same street and zip code (accents, case and punctuation ignored).
    same_address: bool,
}

struct Keys {
    name_key: String,
    phone_key: Option<String>,
    address_key: Option<String>,
}

/// Up to ten other accounts with a name like member `id`'s, or the same
/// phone or address, the closest names first; `None`: no such member.
/// Inside a transaction of the caller's, so that the trigram threshold set
/// for it (like SET LOCAL, but a function call: nothing for a pooler to
/// pin on) ends with it.
pub async fn like(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Vec<Similar>>> {
    let Some(keys) = sqlx::query_as!(
        Keys,
        "SELECT name_key AS \"name_key!\", phone_key, address_key FROM users WHERE id = $1",
        id,
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    // `%` compares with pg_trgm's threshold, and the trigram index hands
    // over only the names above it: at the default 0.3 it is ten times as
    // many rows to read again, at 100,000 members 100 ms instead of 30.
    sqlx::query!(
        "SELECT set_config('pg_trgm.similarity_threshold', $1, true)",
        NAME_SIMILARITY.to_string(),
    )
    .fetch_optional(&mut *conn)
    .await?;
    // Each branch of the OR has its own index.
    let found = sqlx::query_as!(
        Similar,
        r#"SELECT id, first_name, last_name, email, status AS "status: UserStatus",
                  name_key % $2 AS "same_name!",
                  COALESCE(phone_key = $3, false) AS "same_phone!",
                  COALESCE(address_key = $4, false) AS "same_address!"
           FROM users
           WHERE id <> $1 AND (name_key % $2 OR phone_key = $3 OR address_key = $4)
           ORDER BY similarity(name_key, $2) DESC, id
           LIMIT $5"#,
        id,
        keys.name_key,
        keys.phone_key,
        keys.address_key,
        MOST,
    )
    .fetch_all(conn)
    .await?;
    Ok(Some(found))
}
