//! What the provider's events do to online donations: like membership
//! checkouts, each step reads the donation under a row lock and only moves
//! it forward. A payment completes a `pending` (or `failed`: the payer
//! retried) donation once, numbering and emailing its receipt; a failure
//! or expiry fails a pending one; refunds are recorded, including one that
//! arrived before its payment.

use super::event_log::{self, Outcome};
use super::events::{self, Session};
use crate::enums::DonationStatus;
use crate::receipts;
use loaf_core::config::EmailConfig;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

/// A paid checkout session for a donation.
pub async fn complete(
    conn: &mut PgConnection,
    email: &EmailConfig,
    session: &Session,
) -> Result<Outcome, sqlx::Error> {
    let outcome = |label| Outcome {
        label,
        payment_intent: session.payment_intent.clone(),
        refunded_cents: None,
    };
    let Some(id) = events::reference(&session.metadata, session.client_reference_id.as_deref())
    else {
        return Ok(outcome("unknown_donation"));
    };
    let found: Option<(DonationStatus, i64, Option<String>)> = sqlx::query!(
        "SELECT status AS \"status: crate::enums::DonationStatus\", amount_cents, currency::text FROM donations WHERE id = $1 FOR UPDATE",
        id,
    ).map(|r| (r.status, r.amount_cents, r.currency))
    .fetch_optional(&mut *conn)
    .await?;
    let Some((status, amount, currency)) = found else {
        return Ok(outcome("unknown_donation"));
    };
    if status == DonationStatus::Completed {
        return Ok(outcome("already_completed"));
    }
    let currency_matches = match (&session.currency, &currency) {
        (Some(paid), Some(ours)) => paid.eq_ignore_ascii_case(ours),
        _ => false,
    };
    if session.amount_total != Some(amount) || !currency_matches {
        tracing::error!(donation = %id, expected = amount, got = ?session.amount_total,
            currency = ?session.currency,
            "paid amount differs from the donation's: not applied, look at it in the provider's dashboard");
        return Ok(outcome("amount_mismatch"));
    }
    sqlx::query!(
        "UPDATE donations SET status = 'completed', donated_at = now(), updated_at = now(), \
             stripe_payment_intent_id = $2, \
             stripe_checkout_session_id = COALESCE(stripe_checkout_session_id, $3) \
         WHERE id = $1",
        id,
        session.payment_intent,
        session.id,
    )
    .execute(&mut *conn)
    .await?;
    receipts::issue(conn, email, id).await?;
    if let Some(intent) = &session.payment_intent {
        if let Some(refunded) = event_log::refunded_before(conn, intent).await? {
            record_refund(conn, email, id, refunded).await?;
            return Ok(outcome("donation_completed_then_refunded"));
        }
    }
    Ok(outcome("donation_completed"))
}

/// A donation checkout that will not be paid: `failed`, unless completed.
pub async fn close(
    conn: &mut PgConnection,
    metadata: &HashMap<String, String>,
    client_reference: Option<&str>,
) -> Result<Outcome, sqlx::Error> {
    let Some(id) = events::reference(metadata, client_reference) else {
        return Ok(Outcome::just("unknown_donation"));
    };
    let failed = sqlx::query!(
        "UPDATE donations SET status = 'failed', updated_at = now() WHERE id = $1 AND status = 'pending'",
        id,
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(Outcome::just(if failed == 0 {
        "already_settled"
    } else {
        "donation_failed"
    }))
}

/// A refund of payment `intent`, when it paid a donation.
pub async fn refund(
    conn: &mut PgConnection,
    email: &EmailConfig,
    intent: &str,
    refunded: i64,
) -> Result<Option<&'static str>, sqlx::Error> {
    let id: Option<Uuid> = sqlx::query_scalar!(
        "SELECT id FROM donations WHERE stripe_payment_intent_id = $1 FOR UPDATE",
        intent,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else {
        return Ok(None);
    };
    record_refund(conn, email, id, refunded).await?;
    Ok(Some("donation_refunded"))
}

/// Records that `refunded` cents of donation `id` are refunded so far
/// (never fewer than recorded, never more than given). The donation stays
/// `completed` (it was given); totals count it net of refunds. A refund
/// voids the gift's receipt number (kept in `voided_receipt_numbers`,
/// never reused) and what is left, if anything, gets a new receipt for
/// the net amount. Safe to repeat: the provider's `charge.refunded` after
/// an admin's refund changes nothing.
pub(crate) async fn record_refund(
    conn: &mut PgConnection,
    email: &EmailConfig,
    id: Uuid,
    refunded: i64,
) -> Result<(), sqlx::Error> {
    let r = sqlx::query!(
        "WITH before AS (SELECT refunded_cents FROM donations WHERE id = $1) \
         UPDATE donations d \
         SET refunded_cents = GREATEST(d.refunded_cents, LEAST($2, d.amount_cents)), updated_at = now() \
         FROM before b WHERE d.id = $1 \
         RETURNING b.refunded_cents AS before, d.refunded_cents AS after, d.amount_cents, d.receipt_number",
        id,
        refunded,
    )
    .fetch_one(&mut *conn)
    .await?;
    if r.after == r.before || r.receipt_number.is_none() {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE donations SET voided_receipt_numbers = voided_receipt_numbers || receipt_number, \
             receipt_number = NULL, receipt_sent_at = NULL \
         WHERE id = $1",
        id,
    )
    .execute(&mut *conn)
    .await?;
    if r.after < r.amount_cents {
        receipts::issue(conn, email, id).await?;
    }
    Ok(())
}
