//! The library routes: list, upload (reserve, then create with the
//! confirmed file, or create with an external link), download by a
//! short-lived link, edit, delete. Each checks the library's own
//! permission; a member without it gets 403, an anonymous caller 401.

use crate::libraries::{Action, Kind};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use loaf_domain::audit;
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

#[derive(Debug, Serialize, JsonSchema)]
pub struct Document {
    id: Uuid,
    kind: String,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    published_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    year: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    effective_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    is_current: Option<bool>,
    /// An external document's address; `None` for an uploaded file.
    link: Option<String>,
    #[serde(skip)]
    file_key: Option<String>,
    file_name: Option<String>,
    content_type: Option<String>,
    size_bytes: Option<i64>,
    created_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// `sqlx::query_as!(Document, …)` over the view of the three libraries
/// (`migrations/0016_library_documents.sql`), followed by `$tail`.
macro_rules! document_query {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Document,
            r#"SELECT id AS "id!", kind AS "kind!", title AS "title!", description,
                   published_date, year, version, effective_date, is_current, link, file_key,
                   file_name, content_type, size_bytes, created_by,
                   created_at AS "created_at!", updated_at AS "updated_at!"
               FROM library_documents "# + $tail
            $(, $arg)*
        )
    };
            }

async fn load(conn: &mut PgConnection, kind: Kind, id: Uuid) -> ApiResult<Document> {
    document_query!("WHERE kind = $1 AND id = $2", kind.as_str(), id)
        .fetch_optional(conn)
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
    let kind = Kind::from_path(&kind)?;
    kind.require(&user, Action::View)?;
    let q = optional_text("q", filter.q.as_deref(), 200)?
        .map(|q| loaf_core::db::like_contains(&q.to_lowercase()));
    let mut conn = state.db.acquire().await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM library_documents
           WHERE kind = $1 AND ($2::text IS NULL OR lower(title) LIKE $2)"#,
        kind.as_str(),
        q,
    )
    .fetch_one(&mut *conn)
    .await?;
    // Newest first by the library's own date (the others' are NULL):
    // bylaws current first, then by effective date; newsletters by
    // published date; reports by year; then the latest added.
    let items = document_query!(
        "WHERE kind = $1 AND ($2::text IS NULL OR lower(title) LIKE $2) \
         ORDER BY is_current DESC, COALESCE(published_date, effective_date) DESC, year DESC, \
             CASE WHEN kind = 'bylaws' THEN NULL ELSE created_at END DESC, id \
         LIMIT $3 OFFSET $4",
        kind.as_str(),
        q,
        page.limit(),
        page.offset(),
    )
    .fetch_all(&mut *conn)
    .await?;
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
    let kind = Kind::from_path(&kind)?;
    kind.require(&user, Action::Create)?;
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
/// first thing in its transaction (taken after the request's own row
/// writes, it would deadlock with a concurrent one). Concurrent "make
/// current" requests take turns and the last one wins; the unique index on
/// the current row would refuse a second current version anyway.
async fn lock_if_making_current(
    conn: &mut PgConnection,
    kind: Kind,
    body: &Fields,
) -> ApiResult<()> {
    if kind == Kind::Bylaws && body.is_current == Some(true) {
        sqlx::query!("LOCK TABLE bylaws_documents IN SHARE ROW EXCLUSIVE MODE",)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// Marks bylaws `id` the current version, un-marking the others, in a
/// transaction that holds the lock of [`lock_if_making_current`].
async fn make_current(conn: &mut PgConnection, id: Uuid) -> ApiResult<()> {
    sqlx::query!(
        "UPDATE bylaws_documents SET is_current = false, updated_at = now() \
         WHERE is_current AND id <> $1",
        id,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE bylaws_documents SET is_current = true, updated_at = now() WHERE id = $1",
        id,
    )
    .execute(&mut *conn)
    .await?;
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
    let kind = Kind::from_path(&kind)?;
    kind.require(&user, Action::Create)?;
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
    let id = Uuid::new_v4();
    let (url, key, name, content_type, size, doc_type) = match (&file, &link) {
        (Some(f), _) => (
            f.key.clone(),
            Some(f.key.clone()),
            Some(f.file_name.clone()),
            Some(f.content_type.clone()),
            Some(f.size_bytes),
            f.extension.to_string(),
        ),
        (None, Some(l)) => (l.clone(), None, None, None, None, "link".to_string()),
        (None, None) => unreachable!("checked above"),
    };
    // Dates are days on the organisation's calendar, stored as its midnight.
    match kind {
        Kind::Newsletters => sqlx::query!(
            "INSERT INTO newsletter_archives (id, title, description, published_date, \
                 document_url, document_type, file_size_bytes, file_key, file_name, content_type, \
                 created_by) \
             VALUES ($1, $2, $3, \
                 $4::date::timestamp AT TIME ZONE (SELECT time_zone FROM organisation_settings), \
                 $5, $6, $7, $8, $9, $10, $11)",
            id,
            title,
            description,
            body.published_date,
            url,
            doc_type,
            size,
            key,
            name,
            content_type,
            user.id,
        ),
        Kind::FinancialReports => sqlx::query!(
            "INSERT INTO financial_reports (id, title, year, document_url, document_type, \
                 file_size_bytes, file_key, file_name, content_type, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            id,
            title,
            body.year,
            url,
            doc_type,
            size,
            key,
            name,
            content_type,
            user.id,
        ),
        Kind::Bylaws => sqlx::query!(
            "INSERT INTO bylaws_documents (id, title, version, effective_date, \
                 document_url, document_type, file_size_bytes, file_key, file_name, content_type, \
                 created_by) \
             VALUES ($1, $2, $3, \
                 $4::date::timestamp AT TIME ZONE (SELECT time_zone FROM organisation_settings), \
                 $5, $6, $7, $8, $9, $10, $11)",
            id,
            title,
            version,
            body.effective_date,
            url,
            doc_type,
            size,
            key,
            name,
            content_type,
            user.id,
        ),
    }
    .execute(&mut *tx)
    .await?;
    if kind == Kind::Bylaws && body.is_current == Some(true) {
        make_current(&mut tx, id).await?;
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
    let kind = Kind::from_path(&kind)?;
    kind.require(&user, Action::View)?;
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
    let kind = Kind::from_path(&kind)?;
    kind.require(&user, Action::Edit)?;
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
    // A title, and an external link's address; then the library's own
    // fields. Dates are days on the organisation's calendar, stored as its
    // midnight.
    match kind {
        Kind::Newsletters => sqlx::query!(
            "UPDATE newsletter_archives SET title = COALESCE($2, title), updated_at = now(), \
                 document_url = CASE WHEN file_key IS NULL THEN COALESCE($3, document_url) \
                                ELSE document_url END \
             WHERE id = $1",
            id,
            title,
            url,
        ),
        Kind::FinancialReports => sqlx::query!(
            "UPDATE financial_reports SET title = COALESCE($2, title), updated_at = now(), \
                 document_url = CASE WHEN file_key IS NULL THEN COALESCE($3, document_url) \
                                ELSE document_url END \
             WHERE id = $1",
            id,
            title,
            url,
        ),
        Kind::Bylaws => sqlx::query!(
            "UPDATE bylaws_documents SET title = COALESCE($2, title), updated_at = now(), \
                 document_url = CASE WHEN file_key IS NULL THEN COALESCE($3, document_url) \
                                ELSE document_url END \
             WHERE id = $1",
            id,
            title,
            url,
        ),
    }
    .execute(&mut *tx)
    .await?;
    match kind {
        Kind::Newsletters => {
            sqlx::query!(
                "UPDATE newsletter_archives \
                 SET description = CASE WHEN $2 THEN $3 ELSE description END, \
                     published_date = COALESCE($4::date::timestamp \
                         AT TIME ZONE (SELECT time_zone FROM organisation_settings), published_date) \
                 WHERE id = $1",
                id,
                body.description.is_some(),
                description,
                body.published_date,
            )
            .execute(&mut *tx)
            .await?;
        }
        Kind::FinancialReports => {
            sqlx::query!(
                "UPDATE financial_reports SET year = COALESCE($2, year) WHERE id = $1",
                id,
                body.year,
            )
            .execute(&mut *tx)
            .await?;
        }
        Kind::Bylaws => {
            sqlx::query!(
                "UPDATE bylaws_documents SET version = COALESCE($2, version), \
                     effective_date = COALESCE($3::date::timestamp \
                         AT TIME ZONE (SELECT time_zone FROM organisation_settings), effective_date) \
                 WHERE id = $1",
                id,
                version,
                body.effective_date,
            )
            .execute(&mut *tx)
            .await?;
            if body.is_current == Some(true) {
                make_current(&mut tx, id).await?;
            }
        }
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
    let kind = Kind::from_path(&kind)?;
    kind.require(&user, Action::Delete)?;
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    let gone: Option<(Option<String>, Option<i64>)> = match kind {
        Kind::Newsletters => {
            sqlx::query!(
                "DELETE FROM newsletter_archives WHERE id = $1 RETURNING file_key, file_size_bytes",
                id,
            )
            .map(|r| (r.file_key, r.file_size_bytes))
            .fetch_optional(&mut *tx)
            .await?
        }
        Kind::FinancialReports => {
            sqlx::query!(
                "DELETE FROM financial_reports WHERE id = $1 RETURNING file_key, file_size_bytes",
                id,
            )
            .map(|r| (r.file_key, r.file_size_bytes))
            .fetch_optional(&mut *tx)
            .await?
        }
        Kind::Bylaws => {
            sqlx::query!(
                "DELETE FROM bylaws_documents WHERE id = $1 RETURNING file_key, file_size_bytes",
                id,
            )
            .map(|r| (r.file_key, r.file_size_bytes))
            .fetch_optional(&mut *tx)
            .await?
        }
    };
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
