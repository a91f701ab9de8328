//! The payment provider: its API client, its webhook signature and the
//! events it sends. Memberships (the members function) and donations share
//! them; the webhook itself is a route of the donations function.

pub mod events;
mod keys;
pub mod provider;
pub mod signature;

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
