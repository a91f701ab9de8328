//! The extractors routes declare (who is calling, with which permission)
//! and the browser's session cookie. Tokens, passwords and the permission
//! cache they read are the domain's (`loaf_domain::auth`).

mod extractor;
pub mod session_cookie;

pub use extractor::{AuthUser, OptionalUser, Require};
