//! The provider's webhook events, as far as we read them: the envelope
//! (`id`, `type`, `created`, `data.object`) and the fields of the objects
//! the handled types carry. Unknown fields are ignored, so the provider
//! adding some breaks nothing.

use serde::Deserialize;
use std::collections::HashMap;

/// One delivery's body.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    /// `evt_…`: the same for every redelivery of one event.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub data: EventData,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventData {
    pub object: serde_json::Value,
}

/// A checkout session (`checkout.session.*` events).
#[derive(Debug, Clone, Deserialize)]
pub struct Session {
    pub id: String,
    pub client_reference_id: Option<String>,
    #[serde(default)]
    pub metadata: HashMap<String, String>,
    /// `paid`, `unpaid` or `no_payment_required`.
    pub payment_status: String,
    pub amount_total: Option<i64>,
    pub currency: Option<String>,
    pub payment_intent: Option<String>,
    pub customer: Option<String>,
}

/// A payment intent (`payment_intent.*` events).
#[derive(Debug, Clone, Deserialize)]
pub struct PaymentIntent {
    pub id: String,
    #[serde(default)]
    pub metadata: HashMap<String, String>,
}

/// A charge (`charge.refunded`).
#[derive(Debug, Clone, Deserialize)]
pub struct Charge {
    pub payment_intent: Option<String>,
    /// The amount charged and how much of it is refunded so far.
    pub amount: i64,
    pub amount_refunded: i64,
}

impl Event {
    /// The event's object read as `T`; `None` when it does not fit.
    pub fn object<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        T::deserialize(&self.data.object).ok()
    }
}

/// Our reference (the `reference` metadata, or the client reference) as
/// set by [`super::provider::Provider::create_checkout`].
pub fn reference(metadata: &HashMap<String, String>, fallback: Option<&str>) -> Option<uuid::Uuid> {
    metadata
        .get("reference")
        .map(String::as_str)
        .or(fallback)
        .and_then(|r| r.parse().ok())
}
