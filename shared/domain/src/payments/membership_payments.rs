//! What the provider's events do to membership checkouts. Events may come
//! in any order and more than once, so each step reads the checkout's
//! state under a row lock and only moves it forward: a payment wins over an
//! earlier failure or expiry; a refund that arrives before its payment is
//! remembered (in `payment_events`) and applied when the payment lands.

use super::event_log::{self, Outcome};
use super::events::{self, Session};
use crate::enums::CheckoutStatus;
use crate::memberships::{self, PaidBy, Payment, Refunded};
use chrono::Utc;
use loaf_core::config::EmailConfig;
use sqlx::PgConnection;
use std::collections::HashMap;
use uuid::Uuid;

struct Checkout {
    id: Uuid,
    user_id: Uuid,
    plan_id: Uuid,
    base_cents: i64,
    donation_cents: i64,
    total_cents: i64,
    currency: String,
    status: CheckoutStatus,
    subscription_id: Option<Uuid>,
}

/// How an event names its checkout.
enum By<'a> {
    Id(Uuid),
    PaymentIntent(&'a str),
}

async fn lock(conn: &mut PgConnection, by: By<'_>) -> Result<Option<Checkout>, sqlx::Error> {
    let found = match by {
        By::Id(id) => {
            sqlx::query_as!(
                Checkout,
                r#"SELECT id, user_id, plan_id, base_cents, donation_cents, total_cents,
                      currency::text AS "currency!", status AS "status: CheckoutStatus",
                      subscription_id
               FROM membership_checkouts WHERE id = $1 FOR UPDATE"#,
                id,
            )
            .fetch_optional(conn)
            .await?
        }
        By::PaymentIntent(intent) => {
            sqlx::query_as!(
                Checkout,
                r#"SELECT id, user_id, plan_id, base_cents, donation_cents, total_cents,
                      currency::text AS "currency!", status AS "status: CheckoutStatus",
                      subscription_id
               FROM membership_checkouts WHERE payment_intent_id = $1 FOR UPDATE"#,
                intent,
            )
            .fetch_optional(conn)
            .await?
        }
    };
    Ok(found)
}

/// A paid checkout session: the membership is recorded once.
pub async fn complete(
    conn: &mut PgConnection,
    email: &EmailConfig,
    session: &Session,
) -> Result<Outcome, sqlx::Error> {
    let Some(reference) =
        events::reference(&session.metadata, session.client_reference_id.as_deref())
    else {
        return Ok(Outcome::just("unknown_checkout"));
    };
    let Some(checkout) = lock(conn, By::Id(reference)).await? else {
        return Ok(Outcome::just("unknown_checkout"));
    };
    let outcome = |label| Outcome {
        label,
        payment_intent: session.payment_intent.clone(),
        refunded_cents: None,
    };
    if matches!(
        checkout.status,
        CheckoutStatus::Paid | CheckoutStatus::Refunded
    ) {
        return Ok(outcome("already_paid"));
    }
    let currency_matches = session
        .currency
        .as_deref()
        .is_some_and(|c| c.eq_ignore_ascii_case(&checkout.currency));
    if session.amount_total != Some(checkout.total_cents) || !currency_matches {
        tracing::error!(checkout = %checkout.id, expected = checkout.total_cents,
            got = ?session.amount_total, currency = ?session.currency,
            "paid amount differs from the checkout's: not applied, look at it in the provider's dashboard");
        return Ok(outcome("amount_mismatch"));
    }
    // The plan may have been retired since the checkout: the money is in,
    // so the membership it paid for is recorded anyway.
    // A checkout's plan cannot be deleted (ON DELETE RESTRICT).
    let plan = memberships::find_plan(conn, checkout.plan_id, true)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let now = Utc::now();
    let terms = memberships::terms(conn, &plan, checkout.user_id, now).await?;
    let subscription_id = memberships::record_payment(
        conn,
        email,
        Payment {
            user_id: checkout.user_id,
            plan: &plan,
            terms: &terms,
            base_cents: checkout.base_cents,
            donation_cents: checkout.donation_cents,
            currency: &checkout.currency,
            paid_at: now,
            by: PaidBy::Online {
                customer_id: session.customer.clone(),
            },
        },
    )
    .await?;
    sqlx::query!(
        "UPDATE membership_checkouts SET status = 'paid', completed_at = now(), subscription_id = $2, \
             payment_intent_id = $3, provider_session_id = COALESCE(provider_session_id, $4) \
         WHERE id = $1",
        checkout.id,
        subscription_id,
        session.payment_intent,
        session.id,
    )
    .execute(&mut *conn)
    .await?;
    if let Some(intent) = &session.payment_intent {
        if let Some(refunded) = event_log::refunded_before(conn, intent).await? {
            let paid = Checkout {
                status: CheckoutStatus::Paid,
                subscription_id: Some(subscription_id),
                ..checkout
            };
            apply_refund(conn, &paid, refunded).await?;
            return Ok(outcome("membership_paid_then_refunded"));
        }
    }
    Ok(outcome("membership_paid"))
}

/// A checkout that will not be paid (`failed` or `expired`), unless it was
/// paid already: then the payment stands.
pub async fn close(
    conn: &mut PgConnection,
    metadata: &HashMap<String, String>,
    client_reference: Option<&str>,
    to: CheckoutStatus,
) -> Result<Outcome, sqlx::Error> {
    let Some(reference) = events::reference(metadata, client_reference) else {
        return Ok(Outcome::just("unknown_checkout"));
    };
    let closed = sqlx::query!(
        "UPDATE membership_checkouts SET status = $2 WHERE id = $1 AND status IN ('open', 'failed')",
        reference,
        to as _,
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(Outcome::just(match (closed, to) {
        (0, _) => "already_settled",
        (_, CheckoutStatus::Expired) => "checkout_expired",
        _ => "payment_failed",
    }))
}

/// A refund of payment `intent` (`refunded` cents so far), when it paid a
/// membership checkout.
pub async fn refund(
    conn: &mut PgConnection,
    intent: &str,
    refunded: i64,
) -> Result<Option<&'static str>, sqlx::Error> {
    match lock(conn, By::PaymentIntent(intent)).await? {
        None => Ok(None),
        Some(checkout) => {
            tracing::info!(checkout = %checkout.id, refunded, "membership refund");
            Ok(Some(apply_refund(conn, &checkout, refunded).await?))
        }
    }
}

/// Records `refunded` cents against a paid checkout's subscription (see
/// [`memberships::refund_subscription`]).
async fn apply_refund(
    conn: &mut PgConnection,
    checkout: &Checkout,
    refunded: i64,
) -> Result<&'static str, sqlx::Error> {
    let Some(subscription) = checkout.subscription_id else {
        return Ok("refund_before_payment");
    };
    Ok(
        match memberships::refund_subscription(conn, subscription, refunded, None).await? {
            Refunded::Partly => "partial_refund",
            Refunded::AlreadyInFull => "already_refunded",
            Refunded::InFull => "membership_refunded",
        },
    )
}
