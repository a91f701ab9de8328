//! Refunds an admin makes: all or part of a membership payment or a gift.
//! A payment made online is refunded through the provider's refund API
//! first (outside any transaction: the provider then sends
//! `charge.refunded`, which must not wait on our locks), then recorded; an
//! offline one (cash, cheque, bank transfer, in kind) is recorded by hand,
//! the money having gone back outside the platform. Either way the
//! membership or the gift follows as it does for the provider's own
//! refund events (see `memberships::refund_subscription` and
//! `donation_payments::record_refund`), and the refund is a row of
//! `payment_refunds` (who, when, how much, why) and, for a membership, an
//! entry of its member's trail.

use super::keys::Payments;
use super::{donation_payments, PaymentError};
use crate::audit;
use crate::domain::money;
use crate::enums::PaymentMethod;
use crate::memberships;
use loaf_core::config::EmailConfig;
use schemars::JsonSchema;
use serde::Deserialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// What is refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Subscription(Uuid),
    Donation(Uuid),
}

/// An admin's refund.
#[derive(Debug, Clone)]
pub struct Request {
    /// `None`: everything not refunded yet.
    pub amount_cents: Option<i64>,
    pub reason: String,
    pub by: Uuid,
}

/// The body of a refund route.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Asked {
    /// In cents; everything not refunded yet when absent.
    amount_cents: Option<i64>,
    /// Why (a cancelled event, a mistake, the member's request): kept with
    /// the refund and, for a membership, in the member's trail.
    reason: String,
}

impl Asked {
    /// The request `by` makes, its reason checked.
    pub fn by(self, by: Uuid) -> Result<Request, PaymentError> {
        let reason = self.reason.trim();
        if reason.is_empty() {
            return Err(PaymentError::Required("reason"));
        }
        if reason.chars().count() > 500 {
            return Err(PaymentError::invalid(
                "reason",
                "Say why in at most 500 characters.",
            ));
        }
        Ok(Request {
            amount_cents: self.amount_cents,
            reason: reason.to_string(),
            by,
        })
    }
}

/// A payment as a refund sees it.
struct Paid {
    total: i64,
    refunded: i64,
    method: Option<PaymentMethod>,
    /// The provider's payment, for one made online.
    intent: Option<String>,
    /// A gift not completed (pending, failed) was never received.
    received: bool,
    /// The member a membership payment is theirs (for the trail).
    member: Option<Uuid>,
    currency: Option<String>,
}

/// Locks the payment's row for the rest of the transaction.
async fn lock(conn: &mut PgConnection, target: Target) -> Result<(), sqlx::Error> {
    match target {
        Target::Subscription(id) => {
            sqlx::query!("SELECT id FROM subscriptions WHERE id = $1 FOR UPDATE", id)
                .fetch_optional(conn)
                .await?;
        }
        Target::Donation(id) => {
            sqlx::query!("SELECT id FROM donations WHERE id = $1 FOR UPDATE", id)
                .fetch_optional(conn)
                .await?;
        }
    }
    Ok(())
}

async fn paid(conn: &mut PgConnection, target: Target) -> Result<Option<Paid>, sqlx::Error> {
    match target {
        Target::Subscription(id) => {
            sqlx::query_as!(
                Paid,
                r#"SELECT COALESCE(s.amount_paid_cents, s.base_subscription_cents + s.donation_cents) AS "total!",
                          s.refunded_cents AS refunded,
                          s.payment_method AS "method: PaymentMethod",
                          (SELECT c.payment_intent_id FROM membership_checkouts c
                           WHERE c.subscription_id = s.id AND c.payment_intent_id IS NOT NULL LIMIT 1) AS intent,
                          true AS "received!", s.user_id AS "member?", s.currency::text AS currency
                   FROM subscriptions s WHERE s.id = $1"#,
                id,
            )
            .fetch_optional(conn)
            .await
        }
        Target::Donation(id) => {
            sqlx::query_as!(
                Paid,
                r#"SELECT d.amount_cents AS total, d.refunded_cents AS refunded,
                          d.payment_method AS "method: PaymentMethod",
                          d.stripe_payment_intent_id AS intent,
                          d.status = 'completed' AS "received!", NULL::uuid AS member,
                          d.currency::text AS currency
                   FROM donations d WHERE d.id = $1"#,
                id,
            )
            .fetch_optional(conn)
            .await
        }
    }
}

/// The amount to refund of `p`: `asked`, or all that is left.
fn amount(p: &Paid, asked: Option<i64>) -> Result<i64, PaymentError> {
    let left = p.total - p.refunded;
    if !p.received || left <= 0 {
        return Err(PaymentError::NothingToRefund);
    }
    match asked {
        None => Ok(left),
        Some(a) if (1..=left).contains(&a) => Ok(a),
        Some(_) => Err(PaymentError::invalid(
            "amount_cents",
            format!("Refund from 1 to {left} cents: what is left of the payment."),
        )),
    }
}

/// Refunds `req` of `target`; answers the refund's id (its row of
/// `payment_refunds`), `None` when there is no such payment.
pub async fn refund(
    db: &PgPool,
    payments: &Payments,
    email: &EmailConfig,
    target: Target,
    req: &Request,
) -> Result<Option<Uuid>, PaymentError> {
    let id = Uuid::new_v4();
    let mut conn = db.acquire().await?;
    let Some(before) = paid(&mut conn, target).await? else {
        return Ok(None);
    };
    drop(conn);
    let online = before.method == Some(PaymentMethod::Online);
    let mut provider_refund = None;
    let amount_cents = if online {
        let amount_cents = amount(&before, req.amount_cents)?;
        let intent = before
            .intent
            .as_deref()
            .ok_or(PaymentError::NothingToRefund)?;
        let provider = payments.provider().await.ok_or(PaymentError::Unavailable)?;
        provider_refund = Some(provider.refund(intent, amount_cents, id).await?);
        amount_cents
    } else {
        0
    };

    let mut tx = crate::audit::begin_as(db, req.by).await?;
    lock(&mut tx, target).await?;
    let now = paid(&mut tx, target)
        .await?
        .ok_or(PaymentError::NothingToRefund)?;
    let (amount_cents, cumulative) = if online {
        // The provider's event may have been recorded meanwhile: the total
        // refunded is what was before plus this refund, whichever came first.
        (
            amount_cents,
            now.refunded.max(before.refunded + amount_cents),
        )
    } else {
        // By hand: checked again under the lock, so two admins at once
        // cannot refund more than was paid.
        let a = amount(&now, req.amount_cents)?;
        (a, now.refunded + a)
    };
    match target {
        Target::Subscription(s) => {
            memberships::refund_subscription(&mut tx, s, cumulative, Some(req.by)).await?;
        }
        Target::Donation(d) => {
            donation_payments::record_refund(&mut tx, email, d, cumulative).await?
        }
    }
    let (subscription_id, donation_id) = match target {
        Target::Subscription(s) => (Some(s), None),
        Target::Donation(d) => (None, Some(d)),
    };
    sqlx::query!(
        "INSERT INTO payment_refunds (id, subscription_id, donation_id, amount_cents, \
             provider_refund_id, reason, refunded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        id,
        subscription_id,
        donation_id,
        amount_cents,
        provider_refund,
        req.reason,
        req.by,
    )
    .execute(&mut *tx)
    .await?;
    if let Some(member) = now.member {
        let what = format!(
            "refunded {} {}",
            now.currency.as_deref().unwrap_or_default(),
            money(amount_cents)
        );
        audit::record(
            &mut tx,
            member,
            Some(req.by),
            "membership",
            None,
            Some(what.trim()),
            Some(&req.reason),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(Some(id))
}
