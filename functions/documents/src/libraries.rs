//! The three libraries, each with its table, its own fields and its own
//! permissions: newsletters (title, description, published date), financial
//! reports (year, title), bylaws (title, version, effective date, one
//! current version). Routes take the library from the path.

use loaf_domain::documents::Kind;
use loaf_http::auth::AuthUser;
use loaf_http::{ApiError, ApiResult};

/// What one may do in a library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    View,
    Create,
    Edit,
    Delete,
}

/// The library named by the path segment `kind`; unknown ones are 404.
pub fn from_path(kind: &str) -> ApiResult<Kind> {
    Kind::named(kind).ok_or(ApiError::NotFound)
}

/// The permission `action` needs in library `kind`: `newsletters.*`,
/// `financials.*` (financial reports can be kept to some roles), `bylaws.*`.
pub fn permission(kind: Kind, action: Action) -> &'static str {
    match (kind, action) {
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

/// Refuses `user` (403) unless they may do `action` in library `kind`.
pub fn require(kind: Kind, user: &AuthUser, action: Action) -> ApiResult<()> {
    user.require(permission(kind, action))
}
