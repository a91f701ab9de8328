//! An event's photos as stored: where each image is, not a link to it (the
//! route presigns one per photo).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A photo as stored.
#[derive(Debug)]
pub struct Stored {
    pub id: Uuid,
    pub caption: Option<String>,
    pub size_bytes: i64,
    pub uploaded_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub image_key: String,
}

/// How many photos `event` has.
pub async fn count(conn: &mut PgConnection, event: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM event_galleries WHERE event_id = $1",
        event,
    )
    .fetch_one(conn)
    .await
}

/// A page of `event`'s photos, oldest first.
pub async fn list(
    conn: &mut PgConnection,
    event: Uuid,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Stored>> {
    sqlx::query_as!(
        Stored,
        "SELECT id, caption, file_size_bytes AS size_bytes, uploaded_by, created_at, image_key \
         FROM event_galleries WHERE event_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3",
        event,
        limit,
        offset,
    )
    .fetch_all(conn)
    .await
}

/// Adds the uploaded object `key` (`size_bytes`) to `event`'s gallery.
pub async fn add(
    conn: &mut PgConnection,
    event: Uuid,
    key: &str,
    size_bytes: i64,
    caption: Option<&str>,
    uploaded_by: Uuid,
) -> sqlx::Result<Stored> {
    sqlx::query_as!(
        Stored,
        "INSERT INTO event_galleries (event_id, image_url, image_key, caption, uploaded_by, file_size_bytes) \
         VALUES ($1, $2, $2, $3, $4, $5) \
         RETURNING id, caption, file_size_bytes AS size_bytes, uploaded_by, created_at, image_key",
        event,
        key,
        caption,
        uploaded_by,
        size_bytes,
    )
    .fetch_one(conn)
    .await
}

/// Sets photo `image`'s caption; `None`: no such photo at `event`.
pub async fn set_caption(
    conn: &mut PgConnection,
    event: Uuid,
    image: Uuid,
    caption: Option<&str>,
) -> sqlx::Result<Option<Stored>> {
    sqlx::query_as!(
        Stored,
        "UPDATE event_galleries SET caption = $3 WHERE id = $2 AND event_id = $1 \
         RETURNING id, caption, file_size_bytes AS size_bytes, uploaded_by, created_at, image_key",
        event,
        image,
        caption,
    )
    .fetch_optional(conn)
    .await
}

/// Takes photo `image` out of `event`'s gallery; answers its object and
/// size, `None`: no such photo.
pub async fn remove(
    conn: &mut PgConnection,
    event: Uuid,
    image: Uuid,
) -> sqlx::Result<Option<super::StoredObject>> {
    sqlx::query!(
        "DELETE FROM event_galleries WHERE id = $2 AND event_id = $1 RETURNING image_key, file_size_bytes",
        event,
        image,
    )
    .map(|r| (r.image_key, r.file_size_bytes))
    .fetch_optional(conn)
    .await
}
