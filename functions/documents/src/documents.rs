//! The library routes: list, upload (reserve, then create with the
//! confirmed file, or create with an external link), download by a
//! short-lived link, edit, delete. Each checks the library's own
//! permission; a member without it gets 403, an anonymous caller 401.

use crate::libraries::{self, Action};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use loaf_domain::audit;
use loaf_domain::documents::{self, Content, Document, Edit, Kind, NewDocument};
use loaf_domain::uploads::{self, Claimed, Declared, Reserved};
use loaf_domain::validate::{optional_long_text, optional_text, text};
use loaf_http::auth::AuthUser;
use loaf_http::extract::{Json, Path, Query};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::reply::{Created, NoContent};
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use std::time::Duration;
use uuid::Uuid;

/// Entry `id` of library `kind`; 404 otherwise.
async fn load(conn: &mut PgConnection, kind: Kind, id: Uuid) -> ApiResult<Document> {
    documents::find(conn, kind, id)
        .await?
        .ok_or(ApiError::NotFound)
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(rename = "DocumentFilter")]
pub struct Filter {
    /// Title contains (case-insensitive).
    q: Option<String>,
}

/// `GET /api/documents/{kind}`
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    Path(kind): Path<String>,
    page: PageParams,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<Page<Document>>> {
    let kind = libraries::from_path(&kind)?;
    libraries::require(kind, &user, Action::View)?;
    let q = optional_text("q", filter.q.as_deref(), 200)?
        .map(|q| loaf_core::db::like_contains(&q.to_lowercase()));
    let mut conn = state.db.acquire().await?;
    let total = documents::count(&mut conn, kind, q.as_deref()).await?;
    let items = documents::list(&mut conn, kind, q.as_deref(), page.limit(), page.offset()).await?;
    Ok(Json(Page::new(items, page, total)))
}

/// `POST /api/documents/{kind}/uploads`: reserves an upload and answers
/// the presigned PUT (type and exact length signed in).
pub async fn reserve(
    State(state): State<AppState>,
    user: AuthUser,
    Path(kind): Path<String>,
    Json(declared): Json<Declared>,
) -> ApiResult<Created<Reserved>> {
    let kind = libraries::from_path(&kind)?;
    libraries::require(kind, &user, Action::Create)?;
    let allowed: Vec<&str> = state
        .config
        .uploads
        .document_types
        .iter()
        .map(String::as_str)
        .collect();
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    let reserved = uploads::reserve(
        &mut tx,
        &state.storage,
        kind.as_str(),
        &format!("documents/{}", kind.as_str()),
        &declared,
        &allowed,
        state.config.uploads.max_document_bytes,
        user.id,
    )
    .await?;
    tx.commit().await?;
    Ok(Created(reserved))
}

/// A new entry's or an edit's fields; each library takes its own.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DocumentFields")]
pub struct Fields {
    /// A confirmed upload (creation only)...
    upload_id: Option<Uuid>,
    /// ...or an external document's https address.
    url: Option<String>,
    title: Option<String>,
    description: Option<String>,
    published_date: Option<NaiveDate>,
    year: Option<i32>,
    version: Option<String>,
    effective_date: Option<NaiveDate>,
    is_current: Option<bool>,
}

impl Fields {
    /// Refuses a field the library does not have.
    fn only_for(&self, kind: Kind) -> ApiResult<()> {
        // Every library-specific field, and the library that has it.
        let fields = [
            ("description", self.description.is_some(), Kind::Newsletters),
            (
                "published_date",
                self.published_date.is_some(),
                Kind::Newsletters,
            ),
            ("year", self.year.is_some(), Kind::FinancialReports),
            ("version", self.version.is_some(), Kind::Bylaws),
            (
                "effective_date",
                self.effective_date.is_some(),
                Kind::Bylaws,
            ),
            ("is_current", self.is_current.is_some(), Kind::Bylaws),
        ];
        if let Some((field, _, _)) = fields
            .iter()
            .find(|(_, present, owner)| *present && *owner != kind)
        {
            return Err(ApiError::invalid(
                *field,
                format!("{} entries have no {field}", kind.as_str()),
            ));
        }
        if let Some(year) = self.year {
            if !(1900..=2200).contains(&year) {
                return Err(ApiError::invalid("year", "year is from 1900 to 2200"));
            }
        }
        Ok(())
    }
}

/// An external document's address: https only, no credentials.
fn external_url(url: &str) -> ApiResult<String> {
    let url = text("url", url, 500)?;
    let rest = url.strip_prefix("https://").ok_or_else(|| {
        ApiError::invalid("url", "an external document's address starts with https://")
    })?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || host.contains('@') || url.chars().any(char::is_whitespace) {
        return Err(ApiError::invalid("url", "not a usable https address"));
    }
    Ok(url)
}

/// Takes the bylaws' table lock when this request makes a version current,
/// first thing in its transaction ([`documents::lock_bylaws`]).
async fn lock_if_making_current(
    conn: &mut PgConnection,
    kind: Kind,
    body: &Fields,
) -> ApiResult<()> {
    if kind == Kind::Bylaws && body.is_current == Some(true) {
        documents::lock_bylaws(conn).await?;
    }
    Ok(())
}

/// `POST /api/documents/{kind}`: a confirmed upload or an external link,
/// with the library's fields.
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    Path(kind): Path<String>,
    Json(body): Json<Fields>,
) -> ApiResult<Created<Document>> {
    let kind = libraries::from_path(&kind)?;
    libraries::require(kind, &user, Action::Create)?;
    body.only_for(kind)?;
    let title = text("title", body.title.as_deref().unwrap_or_default(), 255)?;
    let description = optional_long_text("description", body.description.as_deref(), 5000)?;
    let version = optional_text("version", body.version.as_deref(), 50)?;
    match kind {
        Kind::Newsletters if body.published_date.is_none() => {
            return Err(ApiError::required("published_date"))
        }
        Kind::FinancialReports if body.year.is_none() => return Err(ApiError::required("year")),
        Kind::Bylaws if version.is_none() => return Err(ApiError::required("version")),
        Kind::Bylaws if body.effective_date.is_none() => {
            return Err(ApiError::required("effective_date"))
        }
        _ => {}
    }
    let link = match (&body.upload_id, &body.url) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "url",
                "give an upload_id or a url, not both",
            ))
        }
        (None, None) => return Err(ApiError::required("upload_id")),
        (None, Some(url)) => Some(external_url(url)?),
        (Some(_), None) => None,
    };

    let mut tx = audit::begin_as(&state.db, user.id).await?;
    lock_if_making_current(&mut tx, kind, &body).await?;
    let file: Option<Claimed> = match body.upload_id {
        Some(id) => Some(uploads::claim(&mut tx, &state.storage, kind.as_str(), id).await?),
        None => None,
    };
    let content = match (file, link) {
        (Some(f), _) => Content::File(f),
        (None, Some(l)) => Content::Link(l),
        (None, None) => unreachable!("checked above"),
    };
    let new = NewDocument {
        title,
        content,
        description,
        published_date: body.published_date,
        year: body.year,
        version,
        effective_date: body.effective_date,
    };
    let id = Uuid::new_v4();
    documents::insert(&mut tx, kind, id, &new, user.id).await?;
    if kind == Kind::Bylaws && body.is_current == Some(true) {
        documents::make_current(&mut tx, id).await?;
    }
    let document = load(&mut tx, kind, id).await?;
    tx.commit().await?;
    Ok(Created(document))
}

/// How long a download link works.
const DOWNLOAD_WINDOW: Duration = Duration::from_secs(5 * 60);

#[derive(Debug, Serialize, JsonSchema)]
pub struct Download {
    url: String,
    /// `None` for an external link.
    expires_at: Option<DateTime<Utc>>,
}

/// `GET /api/documents/{kind}/{id}/download`: a short-lived link that saves
/// the file under its own name, or the external document's address.
pub async fn download(
    State(state): State<AppState>,
    user: AuthUser,
    Path((kind, id)): Path<(String, Uuid)>,
) -> ApiResult<Json<Download>> {
    let kind = libraries::from_path(&kind)?;
    libraries::require(kind, &user, Action::View)?;
    let mut conn = state.db.acquire().await?;
    let doc = load(&mut conn, kind, id).await?;
    drop(conn);
    match (&doc.file_key, doc.link) {
        (Some(key), _) => {
            let name = doc
                .file_name
                .clone()
                .unwrap_or_else(|| format!("{}.pdf", doc.title));
            let url = state
                .storage
                .presign_get(key, DOWNLOAD_WINDOW, Some(&name))
                .await?;
            Ok(Json(Download {
                url,
                expires_at: Some(
                    Utc::now() + chrono::Duration::seconds(DOWNLOAD_WINDOW.as_secs() as i64),
                ),
            }))
        }
        (None, Some(link)) => Ok(Json(Download {
            url: link,
            expires_at: None,
        })),
        (None, None) => Err(ApiError::NotFound),
    }
}

/// `PATCH /api/documents/{kind}/{id}`: the library's fields; `is_current:
/// true` makes a version of the bylaws the current one.
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Path((kind, id)): Path<(String, Uuid)>,
    Json(body): Json<Fields>,
) -> ApiResult<Json<Document>> {
    let kind = libraries::from_path(&kind)?;
    libraries::require(kind, &user, Action::Edit)?;
    body.only_for(kind)?;
    if body.upload_id.is_some() {
        return Err(ApiError::invalid(
            "upload_id",
            "a file cannot be replaced: add a new entry and delete this one",
        ));
    }
    let title = body
        .title
        .as_deref()
        .map(|t| text("title", t, 255))
        .transpose()?;
    let description = body
        .description
        .as_deref()
        .map(|d| optional_long_text("description", Some(d), 5000))
        .transpose()?
        .flatten();
    let version = body
        .version
        .as_deref()
        .map(|v| text("version", v, 50))
        .transpose()?;
    let url = body.url.as_deref().map(external_url).transpose()?;

    let mut tx = audit::begin_as(&state.db, user.id).await?;
    lock_if_making_current(&mut tx, kind, &body).await?;
    let current = load(&mut tx, kind, id).await?;
    if url.is_some() && current.file_key.is_some() {
        return Err(ApiError::invalid(
            "url",
            "this entry is an uploaded file, not a link",
        ));
    }
    if body.is_current == Some(false) && current.is_current == Some(true) {
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::KeepACurrentVersion,
            "Mark another version of the bylaws current instead: one version is always current.",
        ));
    }
    let edit = Edit {
        title,
        link: url,
        description: body.description.is_some().then_some(description),
        published_date: body.published_date,
        year: body.year,
        version,
        effective_date: body.effective_date,
    };
    documents::update(&mut tx, kind, id, &edit).await?;
    if kind == Kind::Bylaws && body.is_current == Some(true) {
        documents::make_current(&mut tx, id).await?;
    }
    let document = load(&mut tx, kind, id).await?;
    tx.commit().await?;
    Ok(Json(document))
}

/// `DELETE /api/documents/{kind}/{id}`: the row and its bytes go in one
/// transaction; the object is then deleted from S3, or left queued for a
/// retry if S3 fails (never counted twice).
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    Path((kind, id)): Path<(String, Uuid)>,
) -> ApiResult<NoContent> {
    let kind = libraries::from_path(&kind)?;
    libraries::require(kind, &user, Action::Delete)?;
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    let gone = documents::remove(&mut tx, kind, id).await?;
    let (key, size) = gone.ok_or(ApiError::NotFound)?;
    if let Some(key) = &key {
        uploads::forget(&mut tx, key, size.unwrap_or(0)).await?;
    }
    tx.commit().await?;
    if let Some(key) = key {
        uploads::delete_now(&state.db, &state.storage, Some(&[key])).await?;
    }
    Ok(NoContent)
}
