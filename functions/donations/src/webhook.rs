//! `POST /api/payments/webhook`: the payment provider tells us what
//! happened. The signature is checked over the body exactly as received
//! (API Gateway's base64 is undone by the runtime adapter before we see
//! it; the body is never parsed and re-serialised before the check). Each
//! event's id is recorded in the same transaction as its effect, so a
//! redelivered event changes nothing, and a failure rolls both back for
//! the provider to retry. The checkout's metadata says whether an event is
//! about a membership or a donation.

use crate::payment_events::{self, Outcome};
use crate::{donation_payments, membership_payments};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;
use loaf_shared::config::EmailConfig;
use loaf_shared::enums::CheckoutStatus;
use loaf_shared::extract::{Json, RawBody};
use loaf_shared::payments::events::{Charge, Event, PaymentIntent, Session};
use loaf_shared::payments::signature::{self, SignatureError};
use loaf_shared::payments::CheckoutKind;
use loaf_shared::ErrorCode;
use loaf_shared::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgConnection;

#[derive(Debug, Serialize, JsonSchema)]
pub struct Receipt {
    received: bool,
    /// The event was handled before; nothing was done this time.
    duplicate: bool,
    outcome: String,
}

fn signature_refused(e: SignatureError) -> ApiError {
    let (code, message) = match e {
        SignatureError::Stale => (
            ErrorCode::StaleSignature,
            "The signature's timestamp is more than five minutes away from now.",
        ),
        SignatureError::Malformed | SignatureError::Mismatch => (
            ErrorCode::InvalidSignature,
            "The Stripe-Signature header does not sign this body with our secret.",
        ),
    };
    ApiError::refused(StatusCode::BAD_REQUEST, code, message)
}

pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawBody(body): RawBody,
) -> ApiResult<Json<Receipt>> {
    let Some(provider) = state.payments.provider().await else {
        return Err(ApiError::refused(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::PaymentsUnavailable,
            "Online payments are not configured.",
        ));
    };
    let header = headers
        .get(signature::HEADER)
        .and_then(|h| h.to_str().ok())
        .ok_or(signature_refused(SignatureError::Malformed))?;
    signature::verify(
        &provider.config().webhook_secret,
        header,
        &body,
        Utc::now().timestamp(),
    )
    .map_err(signature_refused)?;
    let event: Event = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("not a provider event: {e}")))?;

    let mut tx = state.db.begin().await?;
    if let Some(outcome) = payment_events::earlier_outcome(&mut tx, &event).await? {
        return Ok(Json(Receipt {
            received: true,
            duplicate: true,
            outcome,
        }));
    }
    let outcome = dispatch(&mut tx, &state.config.email, &event).await?;
    payment_events::record(&mut tx, &event, &outcome).await?;
    tx.commit().await?;
    tracing::info!(event = %event.id, kind = %event.kind, outcome = outcome.label, "payment event");
    Ok(Json(Receipt {
        received: true,
        duplicate: false,
        outcome: outcome.label.to_string(),
    }))
}

/// The events we act on; any other type is recorded as `ignored`.
async fn dispatch(
    conn: &mut PgConnection,
    email: &EmailConfig,
    event: &Event,
) -> ApiResult<Outcome> {
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
                None => donation_payments::refund(conn, &intent, amount_refunded)
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
