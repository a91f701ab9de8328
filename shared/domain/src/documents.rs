//! The three libraries as stored, each with its table and its own fields:
//! newsletters (title, description, published date), financial reports
//! (year, title), bylaws (title, version, effective date, one current
//! version). Reads go through the view of the three
//! (`migrations/0016_library_documents.sql`). Every statement of these
//! tables is here (the storage usage and the reconciliation of stored
//! objects, in [`crate::uploads`], sum and list their files). Dates are
//! days on the organisation's calendar, stored as its midnight.

use crate::uploads::Claimed;
use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// A library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Newsletters,
    FinancialReports,
    Bylaws,
}

impl Kind {
    /// The library named `name` (a path segment, an upload purpose).
    pub fn named(name: &str) -> Option<Kind> {
        match name {
            "newsletters" => Some(Kind::Newsletters),
            "financial-reports" => Some(Kind::FinancialReports),
            "bylaws" => Some(Kind::Bylaws),
            _ => None,
        }
    }

    /// Its name: the path segment, also the upload purpose, the key prefix
    /// part and the view's `kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Newsletters => "newsletters",
            Kind::FinancialReports => "financial-reports",
            Kind::Bylaws => "bylaws",
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Document {
    pub id: Uuid,
    pub kind: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effective_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_current: Option<bool>,
    /// An external document's address; `None` for an uploaded file.
    pub link: Option<String>,
    #[serde(skip)]
    pub file_key: Option<String>,
    pub file_name: Option<String>,
    pub content_type: Option<String>,
    pub size_bytes: Option<i64>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `sqlx::query_as!(Document, …)` over the view of the three libraries,
/// followed by `$tail`.
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

/// Entry `id` of library `kind`.
pub async fn find(conn: &mut PgConnection, kind: Kind, id: Uuid) -> sqlx::Result<Option<Document>> {
    document_query!("WHERE kind = $1 AND id = $2", kind.as_str(), id)
        .fetch_optional(conn)
        .await
}

/// How many entries of `kind` have a title matching `title_like` (a
/// lower-case `LIKE` pattern; `None`: all).
pub async fn count(
    conn: &mut PgConnection,
    kind: Kind,
    title_like: Option<&str>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM library_documents
           WHERE kind = $1 AND ($2::text IS NULL OR lower(title) LIKE $2)"#,
        kind.as_str(),
        title_like,
    )
    .fetch_one(conn)
    .await
}

/// A page of the entries [`count`] counts, newest first by the library's
/// own date (the others' are NULL): bylaws current first, then by
/// effective date; newsletters by published date; reports by year; then
/// the latest added.
pub async fn list(
    conn: &mut PgConnection,
    kind: Kind,
    title_like: Option<&str>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Document>> {
    document_query!(
        "WHERE kind = $1 AND ($2::text IS NULL OR lower(title) LIKE $2) \
         ORDER BY is_current DESC, COALESCE(published_date, effective_date) DESC, year DESC, \
             CASE WHEN kind = 'bylaws' THEN NULL ELSE created_at END DESC, id \
         LIMIT $3 OFFSET $4",
        kind.as_str(),
        title_like,
        limit,
        offset,
    )
    .fetch_all(conn)
    .await
}

/// Takes the bylaws' table lock, first thing in a transaction that makes a
/// version current (taken after the transaction's own row writes, it
/// would deadlock with a concurrent one). Concurrent "make current"
/// transactions take turns and the last one wins; the unique index on the
/// current row would refuse a second current version anyway.
pub async fn lock_bylaws(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query!("LOCK TABLE bylaws_documents IN SHARE ROW EXCLUSIVE MODE")
        .execute(conn)
        .await?;
    Ok(())
}

/// Marks bylaws `id` the current version, un-marking the others, in a
/// transaction that holds [`lock_bylaws`].
pub async fn make_current(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
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
    .execute(conn)
    .await?;
    Ok(())
}

/// What an entry holds: an uploaded object, or an external document.
#[derive(Debug, Clone)]
pub enum Content {
    /// A confirmed upload; its extension is kept as the document's type.
    File(Claimed),
    Link(String),
}

/// A new entry, checked by the caller; each library uses its own fields.
#[derive(Debug, Clone)]
pub struct NewDocument {
    pub title: String,
    pub content: Content,
    pub description: Option<String>,
    pub published_date: Option<NaiveDate>,
    pub year: Option<i32>,
    pub version: Option<String>,
    pub effective_date: Option<NaiveDate>,
}

/// Adds entry `id` to library `kind`, made by `by`.
pub async fn insert(
    conn: &mut PgConnection,
    kind: Kind,
    id: Uuid,
    new: &NewDocument,
    by: Uuid,
) -> sqlx::Result<()> {
    let (url, key, name, content_type, size, doc_type) = match &new.content {
        Content::File(f) => (
            f.key.as_str(),
            Some(f.key.as_str()),
            Some(f.file_name.as_str()),
            Some(f.content_type.as_str()),
            Some(f.size_bytes),
            f.extension,
        ),
        Content::Link(link) => (link.as_str(), None, None, None, None, "link"),
    };
    match kind {
        Kind::Newsletters => sqlx::query!(
            "INSERT INTO newsletter_archives (id, title, description, published_date, \
                 document_url, document_type, file_size_bytes, file_key, file_name, content_type, \
                 created_by) \
             VALUES ($1, $2, $3, \
                 $4::date::timestamp AT TIME ZONE (SELECT time_zone FROM organisation_settings), \
                 $5, $6, $7, $8, $9, $10, $11)",
            id,
            new.title,
            new.description,
            new.published_date,
            url,
            doc_type,
            size,
            key,
            name,
            content_type,
            by,
        ),
        Kind::FinancialReports => sqlx::query!(
            "INSERT INTO financial_reports (id, title, year, document_url, document_type, \
                 file_size_bytes, file_key, file_name, content_type, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            id,
            new.title,
            new.year,
            url,
            doc_type,
            size,
            key,
            name,
            content_type,
            by,
        ),
        Kind::Bylaws => sqlx::query!(
            "INSERT INTO bylaws_documents (id, title, version, effective_date, \
                 document_url, document_type, file_size_bytes, file_key, file_name, content_type, \
                 created_by) \
             VALUES ($1, $2, $3, \
                 $4::date::timestamp AT TIME ZONE (SELECT time_zone FROM organisation_settings), \
                 $5, $6, $7, $8, $9, $10, $11)",
            id,
            new.title,
            new.version,
            new.effective_date,
            url,
            doc_type,
            size,
            key,
            name,
            content_type,
            by,
        ),
    }
    .execute(conn)
    .await?;
    Ok(())
}

/// An edit, checked by the caller: `None` keeps a field; `description:
/// Some(None)` clears it. A link's address changes only on an external
/// entry.
#[derive(Debug, Default, Clone)]
pub struct Edit {
    pub title: Option<String>,
    pub link: Option<String>,
    pub description: Option<Option<String>>,
    pub published_date: Option<NaiveDate>,
    pub year: Option<i32>,
    pub version: Option<String>,
    pub effective_date: Option<NaiveDate>,
}

/// Applies `edit` to entry `id` of library `kind`: the title and a link's
/// address, then the library's own fields.
pub async fn update(
    conn: &mut PgConnection,
    kind: Kind,
    id: Uuid,
    edit: &Edit,
) -> sqlx::Result<()> {
    match kind {
        Kind::Newsletters => sqlx::query!(
            "UPDATE newsletter_archives SET title = COALESCE($2, title), updated_at = now(), \
                 document_url = CASE WHEN file_key IS NULL THEN COALESCE($3, document_url) \
                                ELSE document_url END \
             WHERE id = $1",
            id,
            edit.title,
            edit.link,
        ),
        Kind::FinancialReports => sqlx::query!(
            "UPDATE financial_reports SET title = COALESCE($2, title), updated_at = now(), \
                 document_url = CASE WHEN file_key IS NULL THEN COALESCE($3, document_url) \
                                ELSE document_url END \
             WHERE id = $1",
            id,
            edit.title,
            edit.link,
        ),
        Kind::Bylaws => sqlx::query!(
            "UPDATE bylaws_documents SET title = COALESCE($2, title), updated_at = now(), \
                 document_url = CASE WHEN file_key IS NULL THEN COALESCE($3, document_url) \
                                ELSE document_url END \
             WHERE id = $1",
            id,
            edit.title,
            edit.link,
        ),
    }
    .execute(&mut *conn)
    .await?;
    match kind {
        Kind::Newsletters => sqlx::query!(
            "UPDATE newsletter_archives \
             SET description = CASE WHEN $2 THEN $3 ELSE description END, \
                 published_date = COALESCE($4::date::timestamp \
                     AT TIME ZONE (SELECT time_zone FROM organisation_settings), published_date) \
             WHERE id = $1",
            id,
            edit.description.is_some(),
            edit.description.clone().flatten(),
            edit.published_date,
        ),
        Kind::FinancialReports => sqlx::query!(
            "UPDATE financial_reports SET year = COALESCE($2, year) WHERE id = $1",
            id,
            edit.year,
        ),
        Kind::Bylaws => sqlx::query!(
            "UPDATE bylaws_documents SET version = COALESCE($2, version), \
                 effective_date = COALESCE($3::date::timestamp \
                     AT TIME ZONE (SELECT time_zone FROM organisation_settings), effective_date) \
             WHERE id = $1",
            id,
            edit.version,
            edit.effective_date,
        ),
    }
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes entry `id` of library `kind`; answers its object and size (both
/// `None` for a link), `None`: no such entry.
pub async fn remove(
    conn: &mut PgConnection,
    kind: Kind,
    id: Uuid,
) -> sqlx::Result<Option<(Option<String>, Option<i64>)>> {
    match kind {
        Kind::Newsletters => {
            sqlx::query!(
                "DELETE FROM newsletter_archives WHERE id = $1 RETURNING file_key, file_size_bytes",
                id,
            )
            .map(|r| (r.file_key, r.file_size_bytes))
            .fetch_optional(conn)
            .await
        }
        Kind::FinancialReports => {
            sqlx::query!(
                "DELETE FROM financial_reports WHERE id = $1 RETURNING file_key, file_size_bytes",
                id,
            )
            .map(|r| (r.file_key, r.file_size_bytes))
            .fetch_optional(conn)
            .await
        }
        Kind::Bylaws => {
            sqlx::query!(
                "DELETE FROM bylaws_documents WHERE id = $1 RETURNING file_key, file_size_bytes",
                id,
            )
            .map(|r| (r.file_key, r.file_size_bytes))
            .fetch_optional(conn)
            .await
        }
    }
}
