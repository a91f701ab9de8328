//! Photo galleries: uploads through presigned S3 URLs (images only, the key
//! chosen by the server under the event's own prefix), confirmed once the
//! object is checked and counted in the storage usage; captions; deletion
//! frees the bytes and the object; the list carries short-lived view links.

use crate::events::{sight, visible};
use axum::extract::State;
use chrono::{DateTime, Utc};
use loaf_core::file_types::IMAGE_EXTENSIONS;
use loaf_domain::audit;
use loaf_domain::events::gallery::{self, Stored};
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
    visible(&mut conn, id, sight(Some(&viewer.user))).await?;
    let total = gallery::count(&mut conn, id).await?;
    let stored = gallery::list(&mut conn, id, page.limit(), page.offset()).await?;
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
    visible(&mut tx, id, sight(Some(&uploader.user))).await?;
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
    visible(&mut tx, id, sight(Some(&uploader.user))).await?;
    let file = uploads::claim(&mut tx, &state.storage, &purpose(id), body.upload_id).await?;
    let photo = gallery::add(
        &mut tx,
        id,
        &file.key,
        file.size_bytes,
        caption.as_deref(),
        uploader.user.id,
    )
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
    let photo = gallery::set_caption(&mut tx, id, image, caption.as_deref())
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
    let gone = gallery::remove(&mut tx, id, image).await?;
    let (key, size) = gone.ok_or(ApiError::NotFound)?;
    uploads::forget(&mut tx, &key, size).await?;
    tx.commit().await?;
    uploads::delete_now(&state.db, &state.storage, Some(&[key])).await?;
    Ok(NoContent)
}
