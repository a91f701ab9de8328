//! The provider's webhook: what it tells us happened. The signature is
//! checked over the body exactly as received (API Gateway's base64 is
//! undone by the runtime adapter before we see it; the body is never parsed
//! and re-serialised before the check). Each event's id is recorded in the
//! same transaction as its effect, so a redelivered event changes nothing,
//! and a failure rolls both back for the provider to retry. The checkout's
//! metadata says whether an event is about a membership or a donation.

use super::event_log::{self, Outcome};
use super::events::{Charge, Event, PaymentIntent, Session};
use super::signature::{self, SignatureError};
use super::{donation_payments, membership_payments, CheckoutKind, PaymentError, Payments};
use crate::enums::CheckoutStatus;
use chrono::Utc;
use loaf_core::config::EmailConfig;
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

/// What the provider is answered.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Receipt {
    received: bool,
    /// The event was handled before; nothing was done this time.
    duplicate: bool,
    outcome: String,
}

/// Handles one delivery: `signature` is its `Stripe-Signature` header.
pub async fn receive(
    db: &PgPool,
    payments: &Payments,
    email: &EmailConfig,
    signature: Option<&str>,
    body: &[u8],
) -> Result<Receipt, PaymentError> {
    let provider = payments.provider().await.ok_or(PaymentError::Unavailable)?;
    let header = signature.ok_or(PaymentError::Signature(SignatureError::Malformed))?;
    signature::verify(
        provider.config().webhook_secret.expose(),
        header,
        body,
        Utc::now().timestamp(),
    )
    .map_err(PaymentError::Signature)?;
    let event: Event =
        serde_json::from_slice(body).map_err(|e| PaymentError::NotAnEvent(e.to_string()))?;

    let mut tx = crate::audit::begin_as(db, crate::audit::Actor::PaymentProvider).await?;
    if let Some(outcome) = event_log::earlier_outcome(&mut tx, &event).await? {
        return Ok(Receipt {
            received: true,
            duplicate: true,
            outcome,
        });
    }
    let outcome = dispatch(&mut tx, email, &event).await?;
    event_log::record(&mut tx, &event, &outcome).await?;
    tx.commit().await?;
    tracing::info!(event = %event.id, kind = %event.kind, outcome = outcome.label, "payment event");
    Ok(Receipt {
        received: true,
        duplicate: false,
        outcome: outcome.label.to_string(),
    })
}

/// The events we act on; any other type is recorded as `ignored`.
async fn dispatch(
    conn: &mut PgConnection,
    email: &EmailConfig,
    event: &Event,
) -> sqlx::Result<Outcome> {
    let malformed = || Outcome::just("malformed");
    Ok(match event.kind.as_str() {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
            let Some(session) = event.object::<Session>() else {
                return Ok(malformed());
            };
            if session.payment_status != "paid" {
                // Paid later by a delayed method: async_payment_* follows.
                return Ok(Outcome::just("awaiting_payment"));
            }
            match CheckoutKind::of(&session.metadata) {
                Some(CheckoutKind::Membership) => {
                    membership_payments::complete(conn, email, &session).await?
                }
                Some(CheckoutKind::Donation) => {
                    donation_payments::complete(conn, email, &session).await?
                }
                _ => Outcome::just("not_ours"),
            }
        }
        "checkout.session.async_payment_failed" | "checkout.session.expired" => {
            let Some(session) = event.object::<Session>() else {
                return Ok(malformed());
            };
            let reference = session.client_reference_id.as_deref();
            match CheckoutKind::of(&session.metadata) {
                Some(CheckoutKind::Membership) => {
                    let to = if event.kind.ends_with("expired") {
                        CheckoutStatus::Expired
                    } else {
                        CheckoutStatus::Failed
                    };
                    membership_payments::close(conn, &session.metadata, reference, to).await?
                }
                Some(CheckoutKind::Donation) => {
                    donation_payments::close(conn, &session.metadata, reference).await?
                }
                _ => Outcome::just("not_ours"),
            }
        }
        "payment_intent.payment_failed" => {
            let Some(intent) = event.object::<PaymentIntent>() else {
                return Ok(malformed());
            };
            let mut outcome = match CheckoutKind::of(&intent.metadata) {
                Some(CheckoutKind::Membership) => {
                    membership_payments::close(conn, &intent.metadata, None, CheckoutStatus::Failed)
                        .await?
                }
                Some(CheckoutKind::Donation) => {
                    donation_payments::close(conn, &intent.metadata, None).await?
                }
                _ => Outcome::just("not_ours"),
            };
            outcome.payment_intent = Some(intent.id);
            outcome
        }
        "charge.refunded" => {
            let Some(Charge {
                payment_intent: Some(intent),
                amount_refunded,
                ..
            }) = event.object::<Charge>()
            else {
                return Ok(malformed());
            };
            // A charge does not carry the checkout's metadata: find the
            // payment among memberships, then donations; neither yet means
            // the refund came first, kept for the payment to find.
            let label = match membership_payments::refund(conn, &intent, amount_refunded).await? {
                Some(label) => label,
                None => donation_payments::refund(conn, email, &intent, amount_refunded)
                    .await?
                    .unwrap_or("refund_before_payment"),
            };
            Outcome {
                label,
                payment_intent: Some(intent),
                refunded_cents: Some(amount_refunded),
            }
        }
        _ => Outcome::just("ignored"),
    })
}
