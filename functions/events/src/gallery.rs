//! Photo galleries: uploads through presigned S3 URLs (images only, the key
//! chosen by the server under the event's own prefix), confirmed once the
//! object is checked and counted in the storage usage; captions; deletion
//! frees the bytes and the object; the list carries short-lived view links.

use crate::events::{visible, Sight};
use axum::extract::State;
use chrono::{DateTime, Utc};
use loaf_core::file_types::IMAGE_EXTENSIONS;
use loaf_domain::audit;
use loaf_domain::permissions::perm;
use loaf_domain::uploads::{self, Declared, Reserved};
use loaf_domain::validate::optional_long_text;
use loaf_http::auth::Require;
use loaf_http::extract::{Json, Path};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::reply::{Created, NoContent};
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

/// How long a photo's view link works.
const VIEW_WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, Serialize, JsonSchema)]
pub struct Photo {
    id: Uuid,
    caption: Option<String>,
    size_bytes: i64,
    uploaded_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    /// A short-lived link to the image.
    url: String,
}

/// A photo as stored: where its image is rather than a link to it.
struct Stored {
    id: Uuid,
    caption: Option<String>,
    size_bytes: i64,
    uploaded_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    image_key: String,
}

/// The upload purpose of event `id`'s gallery: an upload reserved for one
/// event cannot be confirmed in another's.
fn purpose(event: Uuid) -> String {
    format!("gallery:{event}")
}

/// `GET /api/events/{id}/gallery`
pub async fn list(
    State(state): State<AppState>,
    viewer: Require<perm::GalleryView>,
    Path(id): Path<Uuid>,
    page: PageParams,
) -> ApiResult<Json<Page<Photo>>> {
    let mut conn = state.db.acquire().await?;
    visible(&mut conn, id, Sight::of(Some(&viewer.user))).await?;
    let total: i64 = sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM event_galleries WHERE event_id = $1",
        id,
    )
    .fetch_one(&mut *conn)
    .await?;
    let stored = sqlx::query_as!(
        Stored,
        "SELECT id, caption, file_size_bytes AS size_bytes, uploaded_by, created_at, image_key \
         FROM event_galleries WHERE event_id = $1 ORDER BY created_at, id LIMIT $2 OFFSET $3",
        id,
        page.limit(),
        page.offset(),
    )
    .fetch_all(&mut *conn)
    .await?;
    drop(conn);
    let mut items = Vec::with_capacity(stored.len());
    for photo in stored {
        items.push(presigned(&state, photo).await?);
    }
    Ok(Json(Page::new(items, page, total)))
}

/// `POST /api/events/{id}/gallery/uploads`
pub async fn reserve(
    State(state): State<AppState>,
    uploader: Require<perm::GalleryUpload>,
    Path(id): Path<Uuid>,
    Json(declared): Json<Declared>,
) -> ApiResult<Created<Reserved>> {
    let mut tx = audit::begin_as(&state.db, uploader.user.id).await?;
    visible(&mut tx, id, Sight::of(Some(&uploader.user))).await?;
    let reserved = uploads::reserve(
        &mut tx,
        &state.storage,
        &purpose(id),
        &format!("gallery/{id}"),
        &declared,
        IMAGE_EXTENSIONS,
        state.config.uploads.max_image_bytes,
        uploader.user.id,
    )
    .await?;
    tx.commit().await?;
    Ok(Created(reserved))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    upload_id: Uuid,
    caption: Option<String>,
}

async fn presigned(state: &AppState, photo: Stored) -> ApiResult<Photo> {
    Ok(Photo {
        url: state
            .storage
            .presign_get(&photo.image_key, VIEW_WINDOW, None)
            .await?,
        id: photo.id,
        caption: photo.caption,
        size_bytes: photo.size_bytes,
        uploaded_by: photo.uploaded_by,
        created_at: photo.created_at,
    })
}

/// `POST /api/events/{id}/gallery`: the uploaded image joins the gallery.
pub async fn confirm(
    State(state): State<AppState>,
    uploader: Require<perm::GalleryUpload>,
    Path(id): Path<Uuid>,
    Json(body): Json<Confirm>,
) -> ApiResult<Created<Photo>> {
    let caption = optional_long_text("caption", body.caption.as_deref(), 1000)?;
    let mut tx = audit::begin_as(&state.db, uploader.user.id).await?;
    visible(&mut tx, id, Sight::of(Some(&uploader.user))).await?;
    let file = uploads::claim(&mut tx, &state.storage, &purpose(id), body.upload_id).await?;
    let photo = sqlx::query_as!(
        Stored,
        "INSERT INTO event_galleries (event_id, image_url, image_key, caption, uploaded_by, file_size_bytes) \
         VALUES ($1, $2, $2, $3, $4, $5) \
         RETURNING id, caption, file_size_bytes AS size_bytes, uploaded_by, created_at, image_key",
        id,
        file.key,
        caption,
        uploader.user.id,
        file.size_bytes,
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Created(presigned(&state, photo).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Caption {
    caption: Option<String>,
}

/// `PATCH /api/events/{id}/gallery/{image_id} {caption}`
pub async fn caption(
    State(state): State<AppState>,
    editor: Require<perm::GalleryEdit>,
    Path((id, image)): Path<(Uuid, Uuid)>,
    Json(body): Json<Caption>,
) -> ApiResult<Json<Photo>> {
    let caption = optional_long_text("caption", body.caption.as_deref(), 1000)?;
    let mut tx = audit::begin_as(&state.db, editor.user.id).await?;
    let photo = sqlx::query_as!(
        Stored,
        "UPDATE event_galleries SET caption = $3 WHERE id = $2 AND event_id = $1 \
         RETURNING id, caption, file_size_bytes AS size_bytes, uploaded_by, created_at, image_key",
        id,
        image,
        caption,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    Ok(Json(presigned(&state, photo).await?))
}

/// `DELETE /api/events/{id}/gallery/{image_id}`
pub async fn delete(
    State(state): State<AppState>,
    admin: Require<perm::GalleryDelete>,
    Path((id, image)): Path<(Uuid, Uuid)>,
) -> ApiResult<NoContent> {
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    let gone: Option<(String, i64)> = sqlx::query!(
        "DELETE FROM event_galleries WHERE id = $2 AND event_id = $1 RETURNING image_key, file_size_bytes",
        id,
        image,
    )
    .map(|r| (r.image_key, r.file_size_bytes))
    .fetch_optional(&mut *tx)
    .await?;
    let (key, size) = gone.ok_or(ApiError::NotFound)?;
    uploads::forget(&mut tx, &key, size).await?;
    tx.commit().await?;
    uploads::delete_now(&state.db, &state.storage, Some(&[key])).await?;
    Ok(NoContent)
}
