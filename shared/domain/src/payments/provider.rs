//! The payment provider's HTTP API (Stripe Checkout): two calls, creating a
//! hosted checkout session and refunding a payment, made with the
//! provider's documented form-encoded requests. The base URL comes from the configuration, so
//! `loaf serve` and the tests talk to a local stand-in that answers the
//! same way.

use super::PaymentError;
use loaf_core::config::PaymentsConfig;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use uuid::Uuid;

/// One line of a checkout: what is bought and its price.
#[derive(Debug, Clone)]
pub struct LineItem {
    pub name: String,
    pub amount_cents: i64,
}

/// What a checkout pays for: it names the table whose row started it, and
/// travels in the session's metadata so the webhook knows which handler an
/// event is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckoutKind {
    /// A row of `membership_checkouts`.
    Membership,
    /// A row of `donations`.
    Donation,
}

impl CheckoutKind {
    /// The metadata value.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckoutKind::Membership => "membership",
            CheckoutKind::Donation => "donation",
        }
    }

    /// The kind a provider object's metadata names, if it is one of ours.
    pub fn of(metadata: &std::collections::HashMap<String, String>) -> Option<CheckoutKind> {
        match metadata.get("kind").map(String::as_str) {
            Some("membership") => Some(CheckoutKind::Membership),
            Some("donation") => Some(CheckoutKind::Donation),
            _ => None,
        }
    }
}

/// What a checkout session is for.
#[derive(Debug, Clone)]
pub struct CheckoutRequest {
    /// Our row's id: sent as `client_reference_id` and in the metadata (and
    /// the payment's metadata), so every event about it finds it; also the
    /// idempotency key, so a retried call makes no second session.
    pub reference: Uuid,
    /// Which row started it, and so which handler the webhook calls.
    pub kind: CheckoutKind,
    /// ISO 4217, upper case as we store it (sent lower case).
    pub currency: String,
    pub items: Vec<LineItem>,
    pub customer_email: Option<String>,
    /// Where the provider sends the payer after paying / giving up.
    pub success_url: String,
    pub cancel_url: String,
}

/// The session the payer is sent to.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct CheckoutSession {
    pub id: String,
    pub url: String,
}

/// A client for the provider; cheap to clone. Its HTTP client (TLS roots
/// and all) is built for the first call, not at a container's start.
#[derive(Clone)]
pub struct Provider {
    http: Arc<OnceLock<reqwest::Client>>,
    config: PaymentsConfig,
}

/// How long one call to the provider may take: well inside the gateway's
/// 29 seconds.
const TIMEOUT: Duration = Duration::from_secs(10);

impl Provider {
    pub fn new(config: PaymentsConfig) -> Self {
        Provider {
            http: Arc::new(OnceLock::new()),
            config,
        }
    }

    fn http(&self) -> &reqwest::Client {
        self.http.get_or_init(|| {
            reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(5))
                .timeout(TIMEOUT)
                .build()
                .expect("the HTTP client's TLS setup is static")
        })
    }

    pub fn config(&self) -> &PaymentsConfig {
        &self.config
    }

    /// The form a checkout session is created with.
    fn form(req: &CheckoutRequest) -> String {
        let reference = req.reference.to_string();
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("mode", "payment")
            .append_pair("success_url", &req.success_url)
            .append_pair("cancel_url", &req.cancel_url)
            .append_pair("client_reference_id", &reference)
            .append_pair("metadata[kind]", req.kind.as_str())
            .append_pair("metadata[reference]", &reference)
            .append_pair("payment_intent_data[metadata][kind]", req.kind.as_str())
            .append_pair("payment_intent_data[metadata][reference]", &reference);
        if let Some(email) = &req.customer_email {
            form.append_pair("customer_email", email);
        }
        let currency = req.currency.to_ascii_lowercase();
        for (i, item) in req.items.iter().enumerate() {
            let key = |k: &str| format!("line_items[{i}]{k}");
            form.append_pair(&key("[quantity]"), "1")
                .append_pair(&key("[price_data][currency]"), &currency)
                .append_pair(
                    &key("[price_data][unit_amount]"),
                    &item.amount_cents.to_string(),
                )
                .append_pair(&key("[price_data][product_data][name]"), &item.name);
        }
        form.finish()
    }

    /// Creates a hosted checkout session. A provider that cannot be reached
    /// or refuses is logged and answered [`PaymentError::Provider`]; nothing
    /// was charged.
    pub async fn create_checkout(
        &self,
        req: &CheckoutRequest,
    ) -> Result<CheckoutSession, PaymentError> {
        let failed = |detail: String| {
            tracing::error!(reference = %req.reference, %detail, "payment provider call failed");
            PaymentError::Provider
        };
        let response = self
            .http()
            .post(format!("{}/v1/checkout/sessions", self.config.api_url))
            .bearer_auth(self.config.secret_key.expose())
            .header("idempotency-key", req.reference.to_string())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Self::form(req))
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| failed(e.to_string()))?;
        if !status.is_success() {
            return Err(failed(format!(
                "{status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(500)])
            )));
        }
        serde_json::from_slice(&body).map_err(|e| failed(format!("unreadable session: {e}")))
    }

    /// Refunds `amount_cents` of payment `intent` (`POST /v1/refunds`);
    /// `key` makes a retried call refund once. Answers the provider's
    /// refund id. The provider's refusal (more than is left, a payment it
    /// does not know) or silence is logged and answered
    /// [`PaymentError::RefundFailed`]: nothing was refunded. The provider
    /// then sends `charge.refunded`, which finds the refund recorded.
    pub async fn refund(
        &self,
        intent: &str,
        amount_cents: i64,
        key: Uuid,
    ) -> Result<String, PaymentError> {
        let failed = |detail: String| {
            tracing::error!(%intent, %detail, "payment provider refund failed");
            PaymentError::RefundFailed
        };
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("payment_intent", intent)
            .append_pair("amount", &amount_cents.to_string())
            .append_pair("metadata[refund]", &key.to_string())
            .finish();
        let response = self
            .http()
            .post(format!("{}/v1/refunds", self.config.api_url))
            .bearer_auth(self.config.secret_key.expose())
            .header("idempotency-key", key.to_string())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .map_err(|e| failed(e.to_string()))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| failed(e.to_string()))?;
        if !status.is_success() {
            return Err(failed(format!(
                "{status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(500)])
            )));
        }
        #[derive(serde::Deserialize)]
        struct Refund {
            id: String,
        }
        serde_json::from_slice::<Refund>(&body)
            .map(|r| r.id)
            .map_err(|e| failed(format!("unreadable refund: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_carries_the_reference_everywhere_and_one_line_per_item() {
        let reference = Uuid::new_v4();
        let form = Provider::form(&CheckoutRequest {
            reference,
            kind: CheckoutKind::Membership,
            currency: "EUR".into(),
            items: vec![
                LineItem {
                    name: "Membership: Yearly & co".into(),
                    amount_cents: 3000,
                },
                LineItem {
                    name: "Donation".into(),
                    amount_cents: 500,
                },
            ],
            customer_email: Some("ann+1@example.org".into()),
            success_url: "https://m.example.org/ok?session_id={CHECKOUT_SESSION_ID}".into(),
            cancel_url: "https://m.example.org/membership".into(),
        });
        let pairs: Vec<(String, String)> = form_urlencoded::parse(form.as_bytes())
            .into_owned()
            .collect();
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("client_reference_id"), Some(&*reference.to_string()));
        assert_eq!(
            get("payment_intent_data[metadata][reference]"),
            Some(&*reference.to_string())
        );
        assert_eq!(get("line_items[0][price_data][currency]"), Some("eur"));
        assert_eq!(get("line_items[1][price_data][unit_amount]"), Some("500"));
        assert_eq!(
            get("line_items[0][price_data][product_data][name]"),
            Some("Membership: Yearly & co")
        );
        assert_eq!(get("customer_email"), Some("ann+1@example.org"));
        assert!(get("success_url")
            .unwrap()
            .contains("{CHECKOUT_SESSION_ID}"));
    }
}
