//! Who is calling and what they may do: access tokens, password hashing, the
//! per-container permission cache and the extractors routes declare.

mod extractor;
pub mod jwt;
pub mod password;
mod permission_cache;
pub mod secret_token;

pub use extractor::{AuthUser, Require};
pub use jwt::{Claims, TokenError, TokenKeys};
pub use permission_cache::PermissionCache;
