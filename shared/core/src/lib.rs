//! The LOAF platform's infrastructure, shared by every function: the
//! configuration, the database pool and its rotating credentials, S3
//! storage, AWS clients, logging, and the catalogue of error codes. It
//! knows nothing of HTTP or of the association's rules.

pub mod aws;
pub mod config;
pub mod db;
pub mod error_code;
pub mod file_types;
pub mod hex;
pub mod percent;
pub mod secrets;
pub mod storage;
pub mod telemetry;

pub use error_code::ErrorCode;
