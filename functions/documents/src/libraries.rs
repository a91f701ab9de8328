//! The three libraries, each with its table, its own fields and its own
//! permissions: newsletters (title, description, published date), financial
//! reports (year, title), bylaws (title, version, effective date, one
//! current version). Routes take the library from the path.

use loaf_http::auth::AuthUser;
use loaf_http::{ApiError, ApiResult};

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
        user.require(self.permission(action))
    }
}
