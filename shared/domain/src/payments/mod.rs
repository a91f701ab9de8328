//! Payments: everything money that comes in online goes through. This
//! module owns both kinds of checkout (a membership, a gift) from the
//! order to the provider's session, the provider's webhook and what its
//! events do to memberships and donations, and the record of those events.
//! Route handlers (the members and donations functions) only read the
//! request and answer; [`PaymentError`] is mapped to an answer in
//! `loaf_http::error`.

pub mod checkout;
mod donation_payments;
mod error;
mod event_log;
pub mod events;
mod keys;
mod membership_payments;
pub mod offline;
pub mod provider;
pub mod refunds;
pub mod signature;
pub mod webhook;

pub use error::PaymentError;
pub use keys::{Payments, FRESH_FOR};
pub use provider::{CheckoutKind, CheckoutRequest, CheckoutSession, LineItem, Provider};

/// `true` for what a provider's checkout session id can be (`cs_test_a1B2…`:
/// letters, digits and underscores, at most 255): anything else names no
/// session and is not worth a query.
pub fn looks_like_session_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 255
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}
