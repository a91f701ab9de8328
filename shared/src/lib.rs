//! The shared crate of the LOAF membership platform: everything two or more
//! functions need. Each function builds an [`AppState`] once per container
//! and hands it to its router; handlers extract what they need from it.

// The query macros' type overrides name types by path (`loaf_shared::…`),
// which must resolve inside this crate too.
extern crate self as loaf_shared;

pub mod audit;
pub mod auth;
pub mod aws;
pub mod config;
pub mod csv_export;
pub mod db;
pub mod domain;
pub mod email;
pub mod enums;
pub mod error;
pub mod error_code;
pub mod extract;
pub mod file_types;
pub mod http;
pub mod lambda;
pub mod memberships;
pub mod openapi;
pub mod pagination;
pub mod payments;
pub mod percent;
pub mod permissions;
pub mod profile;
pub mod rate_limit;
pub mod receipts;
pub mod reply;
pub mod routes;
pub mod secrets;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod uploads;
pub mod validate;

pub use error::{ApiError, ApiResult};
pub use error_code::ErrorCode;
pub use state::AppState;
