//! The record of the payment provider's events (`payment_events`): each
//! event is handled once, what handling it did is kept with it, and what
//! earlier events did is there for a handler to read (a refund may arrive
//! before the payment it refunds). The webhook writes it; the membership
//! and donation payment handlers read it.

use super::events::Event;
use sqlx::PgConnection;

/// What handling an event did, recorded with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// A stable label (`membership_paid`, `ignored`, ...).
    pub label: &'static str,
    /// The payment the event is about, when it names one.
    pub payment_intent: Option<String>,
    /// For refunds: how much of the payment is refunded so far.
    pub refunded_cents: Option<i64>,
}

impl Outcome {
    pub fn just(label: &'static str) -> Self {
        Outcome {
            label,
            payment_intent: None,
            refunded_cents: None,
        }
    }
}

/// Claims `event` inside the caller's transaction: `None` when it is new
/// (it is now recorded as being handled), else what handling it did the
/// first time.
pub async fn earlier_outcome(
    conn: &mut PgConnection,
    event: &Event,
) -> Result<Option<String>, sqlx::Error> {
    let fresh = sqlx::query_scalar!(
        "INSERT INTO payment_events (id, type, outcome) VALUES ($1, $2, 'handling') \
         ON CONFLICT (id) DO NOTHING RETURNING true AS \"fresh!\"",
        event.id,
        event.kind,
    )
    .fetch_optional(&mut *conn)
    .await?;
    if fresh.is_some() {
        return Ok(None);
    }
    let outcome = sqlx::query_scalar!("SELECT outcome FROM payment_events WHERE id = $1", event.id)
        .fetch_one(conn)
        .await?;
    Ok(Some(outcome))
}

/// Keeps what handling `event` did, in the transaction that did it.
pub async fn record(
    conn: &mut PgConnection,
    event: &Event,
    outcome: &Outcome,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE payment_events SET outcome = $2, payment_intent_id = $3, refunded_cents = $4 \
         WHERE id = $1",
        event.id,
        outcome.label,
        outcome.payment_intent,
        outcome.refunded_cents,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// How much of payment `intent` a `charge.refunded` event handled before
/// the payment itself said was refunded: refunds may arrive first.
pub async fn refunded_before(
    conn: &mut PgConnection,
    intent: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let refunded: Option<i64> = sqlx::query_scalar!(
        "SELECT max(refunded_cents) FROM payment_events \
         WHERE payment_intent_id = $1 AND type = 'charge.refunded'",
        intent,
    )
    .fetch_one(conn)
    .await?;
    Ok(refunded)
}
