//! The LOAF platform's HTTP side, shared by every route function: the one
//! error type and its JSON, the extractors (JSON, query, path, who is
//! calling), pagination, replies, the route declarations and their OpenAPI
//! description, health and fallbacks, the state a router holds, and the
//! Lambda `main`. Each function builds an [`AppState`] once per container
//! and hands it to its router; handlers extract what they need from it.

pub mod auth;
pub mod csv_export;
pub mod downloads;
pub mod error;
pub mod extract;
pub mod http;
pub mod lambda;
pub mod openapi;
pub mod pagination;
pub mod reply;
pub mod routes;
pub mod state;

pub use error::{ApiError, ApiResult};
pub use loaf_core::ErrorCode;
pub use state::AppState;
