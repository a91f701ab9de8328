//! The LOAF platform's domain: what a member, a membership, a payment, a
//! donation, a role and an upload are, and the rules that move them, each
//! with its own error type. No HTTP here (no axum): the route functions
//! turn requests into calls of this crate and its errors into answers
//! (`loaf_http::error`), so the rules build and test without a server.

// The query macros' type overrides name types by path
// (`loaf_domain::enums::…`), which must resolve inside this crate too.
extern crate self as loaf_domain;

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod dashboard;
pub mod data_exports;
pub mod documents;
pub mod domain;
pub mod donations;
pub mod email;
pub mod enums;
pub mod erasure;
pub mod events;
pub mod imports;
pub mod invitations;
pub mod members;
pub mod memberships;
pub mod payments;
pub mod permissions;
pub mod profile;
pub mod rate_limit;
pub mod receipt_pdf;
pub mod receipts;
pub mod reminders;
pub mod roles;
pub mod settings;
pub mod statements;
pub mod uploads;
pub mod validate;
