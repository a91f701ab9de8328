//! Payments a member promises to make offline: they choose a bank transfer
//! or a cheque, see the organisation's instructions and a reference to
//! write on it, and the payment waits as `pending` (one per member: a new
//! promise replaces the last). When the money arrives an admin confirms it,
//! with the same effect as a payment recorded by hand (the period, the
//! member `active`, the confirmation email); or cancels it, and the member
//! is told. The daily job reminds a member whose payment stays pending
//! (`remind`). Whether the member has the members' content while waiting
//! is the organisation's `pending_payment_access` (the access rule).

use super::checkout::{priced, MembershipOrder, Payer};
use super::PaymentError;
use crate::domain::money;
use crate::email::{outbox, Mail};
use crate::enums::{PendingStatus, PromisedMethod};
use crate::memberships::{self, PaidBy, Payment};
use chrono::{DateTime, NaiveDate, Utc};
use loaf_core::config::EmailConfig;
use rand::distributions::{Alphanumeric, DistString};
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A promised payment, as its member and the admins see it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PendingPayment {
    pub id: Uuid,
    pub user_id: Uuid,
    pub member_name: String,
    pub member_email: String,
    pub plan_id: Uuid,
    pub plan_name: String,
    pub method: PromisedMethod,
    pub base_cents: i64,
    pub donation_cents: i64,
    pub total_cents: i64,
    pub currency: String,
    /// To write on the transfer or the back of the cheque.
    pub reference: String,
    pub status: PendingStatus,
    /// How to pay: the organisation's instructions.
    pub instructions: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub subscription_id: Option<Uuid>,
}

/// `sqlx::query_as!(PendingPayment, …)` over `pending_payments g`, then
/// `$tail`.
macro_rules! pending_query {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            PendingPayment,
            r#"SELECT g.id, g.user_id,
                      trim(concat_ws(' ', u.first_name, u.last_name)) AS "member_name!",
                      u.email AS member_email, g.plan_id, p.name AS plan_name,
                      g.method AS "method: PromisedMethod", g.base_cents, g.donation_cents,
                      g.total_cents, g.currency::text AS "currency!", g.reference,
                      g.status AS "status: PendingStatus", o.payment_instructions AS instructions,
                      g.created_at, g.decided_at, g.cancel_reason, g.subscription_id
               FROM pending_payments g
               JOIN users u ON u.id = g.user_id
               JOIN subscription_plans p ON p.id = g.plan_id
               CROSS JOIN organisation_settings o "# + $tail
            $(, $arg)*
        )
    };
}

/// One promised payment.
pub async fn find(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<PendingPayment>, sqlx::Error> {
    pending_query!("WHERE g.id = $1", id)
        .fetch_optional(conn)
        .await
}

/// The member's pending payment, if any.
pub async fn pending_of(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<Option<PendingPayment>, sqlx::Error> {
    pending_query!("WHERE g.user_id = $1 AND g.status = 'pending'", user_id)
        .fetch_optional(conn)
        .await
}

/// Every pending payment, oldest first, a page at a time; and how many.
pub async fn pending(
    conn: &mut PgConnection,
    limit: i64,
    offset: i64,
) -> Result<(Vec<PendingPayment>, i64), sqlx::Error> {
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM pending_payments WHERE status = 'pending'"#
    )
    .fetch_one(&mut *conn)
    .await?;
    let items = pending_query!(
        "WHERE g.status = 'pending' ORDER BY g.created_at, g.id LIMIT $1 OFFSET $2",
        limit,
        offset,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok((items, total))
}

/// `payer` promises to pay `order` by `method`: refused unless the
/// organisation gives instructions, the payer's status pays memberships,
/// they hold no lifetime membership and the amounts fit the plan. Their
/// earlier pending promise, if any, is cancelled (replaced). The member is
/// emailed the instructions and the reference.
pub async fn promise(
    db: &PgPool,
    email: &EmailConfig,
    payer: Payer<'_>,
    order: MembershipOrder,
    method: PromisedMethod,
    max_cents: i64,
) -> Result<PendingPayment, PaymentError> {
    let mut tx = crate::audit::begin_as(db, payer.id).await?;
    let instructions = crate::settings::payment_instructions(&mut tx).await?;
    if instructions.is_none() {
        return Err(PaymentError::OfflineUnavailable);
    }
    let (plan, terms, base) = priced(&mut tx, payer, order).await?;
    memberships::check_amounts(&plan, &terms, base, order.donation_cents, max_cents)?;
    let total = base + order.donation_cents;
    if total == 0 {
        return Err(PaymentError::invalid(
            "amount_cents",
            "there is nothing to pay: ask the organisation to record the membership",
        ));
    }
    sqlx::query!(
        "UPDATE pending_payments SET status = 'cancelled', decided_at = now(), \
             cancel_reason = 'replaced by a new promise' \
         WHERE user_id = $1 AND status = 'pending'",
        payer.id,
    )
    .execute(&mut *tx)
    .await?;
    let currency = crate::settings::currency(&mut tx).await?;
    let reference = format!(
        "M-{}",
        Alphanumeric
            .sample_string(&mut rand::thread_rng(), 8)
            .to_ascii_uppercase()
    );
    let id: Uuid = sqlx::query_scalar!(
        "INSERT INTO pending_payments (user_id, plan_id, method, base_cents, donation_cents, \
             total_cents, currency, reference) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        payer.id,
        plan.id,
        method as _,
        base,
        order.donation_cents,
        total,
        currency,
        reference,
    )
    .fetch_one(&mut *tx)
    .await?;
    let promised = find(&mut tx, id).await?.ok_or(sqlx::Error::RowNotFound)?;
    let mail = instructions_mail(&promised, false);
    outbox::enqueue(&mut tx, email, payer.email, &mail).await?;
    tx.commit().await?;
    Ok(promised)
}

/// The instructions and reference of `p`, first or as a `reminder`.
fn instructions_mail(p: &PendingPayment, reminder: bool) -> Mail {
    Mail::OfflinePayment {
        first_name: p
            .member_name
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_string(),
        plan: p.plan_name.clone(),
        amount: format!("{} {}", p.currency, money(p.total_cents)),
        reference: p.reference.clone(),
        instructions: p.instructions.clone().unwrap_or_default(),
        reminder,
    }
}

/// Locks promised payment `id` and answers it while it is pending.
async fn lock_pending(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<PendingPayment>, PaymentError> {
    let status = sqlx::query_scalar!(
        r#"SELECT status AS "status: PendingStatus" FROM pending_payments WHERE id = $1 FOR UPDATE"#,
        id,
    )
    .fetch_optional(&mut *conn)
    .await?;
    match status {
        None => Ok(None),
        Some(PendingStatus::Pending) => Ok(find(conn, id).await?),
        Some(_) => Err(PaymentError::NotPending),
    }
}

/// An admin says the money of promised payment `id` arrived on `paid_on`
/// (today by default): recorded as a payment by hand of its method, amount
/// and plan (retired since or not), noting the reference. Answers the
/// subscription; `None` when there is no such payment.
pub async fn confirm(
    db: &PgPool,
    email: &EmailConfig,
    id: Uuid,
    admin: Uuid,
    paid_on: Option<NaiveDate>,
) -> Result<Option<Uuid>, PaymentError> {
    let mut tx = crate::audit::begin_as(db, admin).await?;
    let Some(p) = lock_pending(&mut tx, id).await? else {
        return Ok(None);
    };
    let (today, paid_at) = crate::settings::paid_day(&mut tx, paid_on).await?;
    if paid_on.is_some_and(|d| d > today) {
        return Err(PaymentError::invalid(
            "paid_on",
            "paid_on may not be in the future",
        ));
    }
    let plan = memberships::find_plan(&mut tx, p.plan_id, true)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    let terms = memberships::terms(&mut tx, &plan, p.user_id, paid_at).await?;
    let subscription = memberships::record_payment(
        &mut tx,
        email,
        Payment {
            user_id: p.user_id,
            plan: &plan,
            terms: &terms,
            base_cents: p.base_cents,
            donation_cents: p.donation_cents,
            currency: &p.currency,
            paid_at,
            by: PaidBy::Manual {
                method: p.method.into(),
                admin_id: admin,
                notes: Some(format!("Promised payment, reference {}", p.reference)),
            },
        },
    )
    .await?;
    sqlx::query!(
        "UPDATE pending_payments SET status = 'confirmed', decided_at = now(), decided_by = $2, \
             subscription_id = $3 WHERE id = $1",
        id,
        admin,
        subscription,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(subscription))
}

/// An admin cancels promised payment `id` (the money never came, or the
/// member changed their mind), saying why; the member is told. `None` when
/// there is no such payment.
pub async fn cancel(
    db: &PgPool,
    email: &EmailConfig,
    id: Uuid,
    admin: Uuid,
    reason: Option<String>,
) -> Result<Option<PendingPayment>, PaymentError> {
    let mut tx = crate::audit::begin_as(db, admin).await?;
    let Some(p) = lock_pending(&mut tx, id).await? else {
        return Ok(None);
    };
    sqlx::query!(
        "UPDATE pending_payments SET status = 'cancelled', decided_at = now(), decided_by = $2, \
             cancel_reason = $3 WHERE id = $1",
        id,
        admin,
        reason,
    )
    .execute(&mut *tx)
    .await?;
    let mail = Mail::OfflinePaymentCancelled {
        first_name: p
            .member_name
            .split(' ')
            .next()
            .unwrap_or_default()
            .to_string(),
        reference: p.reference.clone(),
        reason,
    };
    outbox::enqueue(&mut tx, email, &p.member_email, &mail).await?;
    let cancelled = find(&mut tx, id).await?;
    tx.commit().await?;
    Ok(cancelled)
}

/// The member withdraws their pending payment (they will pay another
/// way, or not at all): `cancelled`. `None` when they have none.
pub async fn withdraw(db: &PgPool, user_id: Uuid) -> Result<Option<PendingPayment>, sqlx::Error> {
    let mut tx = crate::audit::begin_as(db, user_id).await?;
    let id: Option<Uuid> = sqlx::query_scalar!(
        "UPDATE pending_payments SET status = 'cancelled', decided_at = now(), decided_by = $1, \
             cancel_reason = 'withdrawn by the member' \
         WHERE user_id = $1 AND status = 'pending' RETURNING id",
        user_id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let withdrawn = match id {
        Some(id) => find(&mut tx, id).await?,
        None => None,
    };
    tx.commit().await?;
    Ok(withdrawn)
}

/// The daily job: reminds the member of each payment pending `days` (since
/// the promise or the last reminder), at most `max` times, with the
/// instructions again. The statement that picks a payment counts the
/// reminder, and re-checks it on the row it waited for, so two runs at once
/// send each once. Answers how many.
pub async fn remind(
    db: &PgPool,
    email: &EmailConfig,
    at: DateTime<Utc>,
    days: i32,
    max: i32,
) -> Result<u64, sqlx::Error> {
    let mut tx = crate::audit::begin_as(db, crate::audit::Actor::Scheduler).await?;
    let due: Vec<Uuid> = sqlx::query_scalar!(
        "UPDATE pending_payments SET reminders_sent = reminders_sent + 1, last_reminder_at = $1 \
         WHERE status = 'pending' AND reminders_sent < $3 \
           AND COALESCE(last_reminder_at, created_at) <= $1::timestamptz - make_interval(days => $2) \
         RETURNING id",
        at,
        days,
        max,
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut mails = Vec::with_capacity(due.len());
    for id in &due {
        if let Some(p) = find(&mut tx, *id).await? {
            let mail = instructions_mail(&p, true);
            mails.push((p.member_email, mail));
        }
    }
    outbox::enqueue_many(&mut tx, email, &mails).await?;
    tx.commit().await?;
    Ok(due.len() as u64)
}
