//! The three libraries, each with its table, its own fields and its own
//! permissions: newsletters (title, description, published date), financial
//! reports (year, title), bylaws (title, version, effective date, one
//! current version). Routes take the library from the path.

use loaf_shared::auth::AuthUser;
use loaf_shared::{ApiError, ApiResult};

/// A library, as the path names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Newsletters,
    FinancialReports,
    Bylaws,
}

/// What one may do in a library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    View,
    Create,
    Edit,
    Delete,
}

impl Kind {
    /// The library named by the path segment `kind`; unknown ones are 404.
    pub fn from_path(kind: &str) -> ApiResult<Kind> {
        match kind {
            "newsletters" => Ok(Kind::Newsletters),
            "financial-reports" => Ok(Kind::FinancialReports),
            "bylaws" => Ok(Kind::Bylaws),
            _ => Err(ApiError::NotFound),
        }
    }

    /// The path segment, also the upload purpose and key prefix part.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Newsletters => "newsletters",
            Kind::FinancialReports => "financial-reports",
            Kind::Bylaws => "bylaws",
        }
    }

    pub fn table(self) -> &'static str {
        match self {
            Kind::Newsletters => "newsletter_archives",
            Kind::FinancialReports => "financial_reports",
            Kind::Bylaws => "bylaws_documents",
        }
    }

    /// The permission `action` needs here: `newsletters.*`, `financials.*`
    /// (financial reports can be kept to some roles), `bylaws.*`.
    pub fn permission(self, action: Action) -> &'static str {
        match (self, action) {
            (Kind::Newsletters, Action::View) => "newsletters.view",
            (Kind::Newsletters, Action::Create) => "newsletters.create",
            (Kind::Newsletters, Action::Edit) => "newsletters.edit",
            (Kind::Newsletters, Action::Delete) => "newsletters.delete",
            (Kind::FinancialReports, Action::View) => "financials.view",
            (Kind::FinancialReports, Action::Create) => "financials.create",
            (Kind::FinancialReports, Action::Edit) => "financials.edit",
            (Kind::FinancialReports, Action::Delete) => "financials.delete",
            (Kind::Bylaws, Action::View) => "bylaws.view",
            (Kind::Bylaws, Action::Create) => "bylaws.create",
            (Kind::Bylaws, Action::Edit) => "bylaws.edit",
            (Kind::Bylaws, Action::Delete) => "bylaws.delete",
        }
    }

    /// Refuses `user` (403) unless they may do `action` here.
    pub fn require(self, user: &AuthUser, action: Action) -> ApiResult<()> {
        if user.can(self.permission(action)) {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// The row's columns in the one shape every library answers with;
    /// fields a library does not have are NULL (and left out of the JSON).
    pub fn select(self) -> String {
        let specific = match self {
            Kind::Newsletters => {
                "description, (published_date AT TIME ZONE o.time_zone)::date AS published_date, \
                 NULL::int AS year, NULL::text AS version, NULL::date AS effective_date, \
                 NULL::boolean AS is_current, updated_at"
            }
            Kind::FinancialReports => {
                "NULL::text AS description, NULL::date AS published_date, year, \
                 NULL::text AS version, NULL::date AS effective_date, NULL::boolean AS is_current, \
                 updated_at"
            }
            Kind::Bylaws => {
                "NULL::text AS description, NULL::date AS published_date, NULL::int AS year, \
                 version, (effective_date AT TIME ZONE o.time_zone)::date AS effective_date, \
                 is_current, updated_at"
            }
        };
        format!(
            "SELECT id, '{kind}' AS kind, title, {specific}, \
                 CASE WHEN file_key IS NULL THEN document_url END AS link, \
                 file_key, file_name, COALESCE(content_type, document_type) AS content_type, \
                 file_size_bytes AS size_bytes, created_by, created_at \
             FROM {table} CROSS JOIN (SELECT time_zone FROM organisation_settings) o",
            kind = self.as_str(),
            table = self.table()
        )
    }

    /// The list's order: newest first by the library's own date.
    pub fn order(self) -> &'static str {
        match self {
            Kind::Newsletters => "published_date DESC, created_at DESC, id",
            Kind::FinancialReports => "year DESC, created_at DESC, id",
            Kind::Bylaws => "is_current DESC, effective_date DESC, id",
        }
    }
}
