//! The payment provider: its API client, its webhook signature and the
//! events it sends. Memberships (the members function) and donations share
//! them; the webhook itself is a route of the donations function.

pub mod events;
mod keys;
pub mod provider;
pub mod signature;

pub use keys::{Payments, FRESH_FOR};
pub use provider::{Bookkeeping, CheckoutRequest, CheckoutSession, LineItem, Provider};
