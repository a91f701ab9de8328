//! Memberships: plans, what a payment covers, and recording a payment. An
//! online payment (the webhook, in the payments module) and a manual one
//! (an admin, in the members function) end in the same [`record_payment`],
//! so both have the same effect: a subscription for the period paid, the
//! member `active`, `member_since` set by the first payment.

pub mod periods;
pub mod plans;
pub mod subscriptions;

use crate::domain::{money, UserStatus};
use crate::email::{outbox, Mail};
use crate::enums::{BillingCycle, OfflineMethod, PaymentMethod, SubscriptionStatus};
use crate::receipt_pdf::Receipt;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use loaf_core::config::EmailConfig;
use periods::{Coverage, Cycle, FixedPeriod, MonthDay};
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// Why a membership rule refused a payment. Mapped to an answer once, in
/// `loaf_http::error`.
#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    /// The plan a payment names does not exist.
    #[error("no plan has this id")]
    UnknownPlan,
    /// The plan is retired: it keeps its members but takes no new payments.
    #[error("the plan is retired")]
    PlanRetired,
    /// An amount the plan does not take; `field` is the request's.
    #[error("{field}: {message}")]
    Amount {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl MembershipError {
    fn amount(field: &'static str, message: impl Into<String>) -> Self {
        MembershipError::Amount {
            field,
            message: message.into(),
        }
    }
}

/// A subscription plan as stored and as the API shows it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Plan {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub price_cents: i64,
    pub billing_cycle: BillingCycle,
    pub minimum_price_cents: i64,
    pub suggested_price_cents: Option<i64>,
    pub allow_donation: bool,
    pub active: bool,
    pub custom_cycle_start_month: Option<i16>,
    pub custom_cycle_start_day: Option<i16>,
    pub custom_cycle_end_month: Option<i16>,
    pub custom_cycle_end_day: Option<i16>,
    pub custom_cycle_prorate: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `sqlx::query_as!(Plan, …)` with [`Plan`]'s columns between `$head` and
/// `$tail`: `plan_query!("SELECT", "FROM subscription_plans WHERE id = $1", id)`
/// or `plan_query!("UPDATE … RETURNING", "", …)`. The one place the plan's
/// column list (and its billing cycle's Rust type) is written.
#[macro_export]
macro_rules! plan_query {
    ($head:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            $crate::memberships::Plan,
            $head
                + " id, name, description, price_cents, \
                  billing_cycle AS \"billing_cycle: loaf_domain::enums::BillingCycle\", \
                  minimum_price_cents, suggested_price_cents, allow_donation, active, \
                  custom_cycle_start_month, custom_cycle_start_day, custom_cycle_end_month, \
                  custom_cycle_end_day, custom_cycle_prorate, created_at, updated_at "
                + $tail
            $(, $arg)*
        )
    };
        }

impl Plan {
    /// The plan's cycle. The write routes keep the custom days valid; a row
    /// written otherwise with incomplete custom days counts as yearly.
    pub fn cycle(&self) -> Cycle {
        let day = |m: Option<i16>, d: Option<i16>| MonthDay::new(m? as u32, d? as u32);
        match self.billing_cycle {
            BillingCycle::Monthly => Cycle::Monthly,
            BillingCycle::Quarterly => Cycle::Quarterly,
            BillingCycle::Yearly => Cycle::Yearly,
            BillingCycle::Lifetime => Cycle::Lifetime,
            BillingCycle::Custom => match (
                day(self.custom_cycle_start_month, self.custom_cycle_start_day),
                day(self.custom_cycle_end_month, self.custom_cycle_end_day),
            ) {
                (Some(start), Some(end)) => Cycle::Fixed(FixedPeriod {
                    start,
                    end,
                    prorate: self.custom_cycle_prorate,
                }),
                _ => Cycle::Yearly,
            },
        }
    }

    /// A fixed-price plan takes exactly its price; a pay-what-you-can plan
    /// (minimum below price) takes anything from its minimum up.
    pub fn pay_what_you_can(&self) -> bool {
        self.minimum_price_cents < self.price_cents
    }
}

/// Plan `id`, locked against a concurrent edit when `lock`.
pub async fn find_plan(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<Plan>, sqlx::Error> {
    if lock {
        plan_query!(
            "SELECT",
            "FROM subscription_plans WHERE id = $1 FOR SHARE",
            id
        )
        .fetch_optional(conn)
        .await
    } else {
        plan_query!("SELECT", "FROM subscription_plans WHERE id = $1", id)
            .fetch_optional(conn)
            .await
    }
}

/// Plan `id` for a new payment, locked against a concurrent edit: it
/// exists and is not retired.
pub async fn payable_plan(conn: &mut PgConnection, id: Uuid) -> Result<Plan, MembershipError> {
    let plan = find_plan(conn, id, true)
        .await?
        .ok_or(MembershipError::UnknownPlan)?;
    if !plan.active {
        return Err(MembershipError::PlanRetired);
    }
    Ok(plan)
}

/// What a payment starting at an instant would cover and cost.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Terms {
    pub starts_at: DateTime<Utc>,
    /// `None` for lifetime.
    pub ends_at: Option<DateTime<Utc>>,
    /// The plan's price for this period (prorated when the plan says so).
    pub price_cents: i64,
    /// The least this period may be paid (prorated likewise).
    pub minimum_cents: i64,
}

/// The terms of `plan` for `user_id` paying at `at`: the period starts at
/// `at`, or where the member's current paid period ends if that is later
/// (paying early extends a membership rather than overlapping it). Locks
/// the member's row first, so two payments for one member (a webhook and
/// an admin at once) take turns and the second starts after the first.
pub async fn terms(
    conn: &mut PgConnection,
    plan: &Plan,
    user_id: Uuid,
    at: DateTime<Utc>,
) -> Result<Terms, sqlx::Error> {
    sqlx::query!("SELECT id FROM users WHERE id = $1 FOR UPDATE", user_id,)
        .fetch_optional(&mut *conn)
        .await?;
    let (starts_at, local_day, time_zone): (DateTime<Utc>, NaiveDate, String) = sqlx::query!(
        "WITH s AS (SELECT GREATEST($2, (SELECT max(end_date) FROM subscriptions \
                WHERE user_id = $1 AND status = 'active')) AS at) \
         SELECT s.at AS \"at!\", (s.at AT TIME ZONE o.time_zone)::date AS \"local_day!\", o.time_zone \
         FROM s, organisation_settings o",
        user_id,
        at,
    ).map(|r| (r.at, r.local_day, r.time_zone))
    .fetch_one(&mut *conn)
    .await?;
    let coverage: Coverage = periods::coverage(plan.cycle(), local_day);
    let ends_at = match coverage.ends_before {
        Some(day) => Some(
            sqlx::query_scalar!(
                r#"SELECT ($1::date::timestamp AT TIME ZONE $2) AS "at!""#,
                day,
                &time_zone,
            )
            .fetch_one(&mut *conn)
            .await?,
        ),
        None => None,
    };
    Ok(Terms {
        starts_at,
        ends_at,
        price_cents: coverage.price(plan.price_cents),
        minimum_cents: coverage.price(plan.minimum_price_cents),
    })
}

/// Refuses amounts the plan does not take: below its (prorated) minimum,
/// other than the price of a fixed-price plan, a donation on a plan
/// without one, or a total above `max_cents`.
pub fn check_amounts(
    plan: &Plan,
    terms: &Terms,
    base_cents: i64,
    donation_cents: i64,
    max_cents: i64,
) -> Result<(), MembershipError> {
    if base_cents < 0 {
        return Err(MembershipError::amount(
            "amount_cents",
            "must not be negative",
        ));
    }
    if donation_cents < 0 {
        return Err(MembershipError::amount(
            "donation_cents",
            "must not be negative",
        ));
    }
    if plan.pay_what_you_can() {
        if base_cents < terms.minimum_cents {
            return Err(MembershipError::amount(
                "amount_cents",
                format!(
                    "is below this plan's minimum of {} for the period",
                    money(terms.minimum_cents)
                ),
            ));
        }
    } else if base_cents != terms.price_cents {
        return Err(MembershipError::amount(
            "amount_cents",
            format!(
                "must be this plan's price for the period, {} (add anything more as donation_cents)",
                money(terms.price_cents)
            ),
        ));
    }
    if donation_cents > 0 && !plan.allow_donation {
        return Err(MembershipError::amount(
            "donation_cents",
            "this plan takes no donation on top",
        ));
    }
    // Both are non-negative here; a sum past i64 is past any maximum too.
    if base_cents.saturating_add(donation_cents) > max_cents {
        return Err(MembershipError::amount(
            "amount_cents",
            format!("the total may not exceed {}", money(max_cents)),
        ));
    }
    Ok(())
}

/// How a payment was made.
#[derive(Debug, Clone)]
pub enum PaidBy {
    /// Through the provider's checkout (`membership_checkouts` links the
    /// session to the subscription).
    Online { customer_id: Option<String> },
    /// Recorded by an admin.
    Manual {
        method: OfflineMethod,
        admin_id: Uuid,
        notes: Option<String>,
    },
    /// Granted by an admin without payment (an honorary member, a
    /// volunteer, an extension), for `reason`.
    Complimentary { admin_id: Uuid, reason: String },
}

/// A payment to record.
#[derive(Debug, Clone)]
pub struct Payment<'a> {
    pub user_id: Uuid,
    pub plan: &'a Plan,
    pub terms: &'a Terms,
    pub base_cents: i64,
    pub donation_cents: i64,
    pub currency: &'a str,
    pub paid_at: DateTime<Utc>,
    pub by: PaidBy,
}

/// Statuses a payment makes `active`: a lapsed or cancelled member renews.
/// A manual payment also brings back a deactivated member (an admin
/// decided); an online one leaves them to an admin, as it does applicants
/// not validated yet.
fn activates(status: UserStatus, manual: bool) -> bool {
    use UserStatus::*;
    match status {
        PaymentPending | Active | Expired | Canceled => true,
        Inactive => manual,
        _ => false,
    }
}

/// Records `payment` inside the caller's transaction: the subscription for
/// its terms, the member `active` (audited), a guest given the `member`
/// role, `member_since` on the first payment, and a confirmation email
/// through the outbox (rendered with `mail`); answers the subscription's id.
/// The member's row is locked first, so two payments for one member are
/// recorded one after the other.
pub async fn record_payment(
    conn: &mut PgConnection,
    mail: &EmailConfig,
    payment: Payment<'_>,
) -> Result<Uuid, sqlx::Error> {
    let (status_before, email, first_name): (UserStatus, String, String) =
        sqlx::query!(
            r#"SELECT status AS "status: UserStatus", email, first_name FROM users WHERE id = $1 FOR UPDATE"#,
            payment.user_id,
        ).map(|r| (r.status, r.email, r.first_name))
            .fetch_one(&mut *conn)
            .await?;
    let (method, customer, manual) = match &payment.by {
        PaidBy::Online { customer_id } => (PaymentMethod::Online, customer_id.as_deref(), None),
        PaidBy::Manual {
            method,
            admin_id,
            notes,
        } => ((*method).into(), None, Some((*admin_id, notes.as_deref()))),
        PaidBy::Complimentary { admin_id, reason } => (
            PaymentMethod::Complimentary,
            None,
            Some((*admin_id, Some(reason.as_str()))),
        ),
    };
    let why = match &payment.by {
        PaidBy::Complimentary { reason, .. } => format!("complimentary period: {reason}"),
        _ => format!("{method} payment for {}", payment.plan.name),
    };
    let subscription_id: Uuid = sqlx::query_scalar!(
        "INSERT INTO subscriptions (user_id, plan_id, status, start_date, end_date, \
             base_subscription_cents, donation_cents, amount_paid_cents, currency, payment_method, \
             stripe_customer_id, manual_payment, manual_payment_admin_id, manual_payment_notes, \
             manual_payment_date) \
         VALUES ($1, $2, 'active', $3, $4, $5, $6, $5::bigint + $6::bigint, $7, $8, $9, $10, $11, $12, \
             CASE WHEN $10 THEN $13::timestamptz END) \
         RETURNING id",
        payment.user_id,
        payment.plan.id,
        payment.terms.starts_at,
        payment.terms.ends_at,
        payment.base_cents,
        payment.donation_cents,
        payment.currency,
        method as _,
        customer,
        manual.is_some(),
        manual.map(|(admin, _)| admin),
        manual.and_then(|(_, notes)| notes),
        payment.paid_at,
    )
    .fetch_one(&mut *conn)
    .await?;

    let status_after = if activates(status_before, manual.is_some()) {
        UserStatus::Active
    } else {
        status_before
    };
    sqlx::query!(
        "UPDATE users SET status = $2, member_since = COALESCE(member_since, $3), \
             updated_at = now() WHERE id = $1",
        payment.user_id,
        status_after as _,
        payment.paid_at,
    )
    .execute(&mut *conn)
    .await?;
    // Paying makes a guest (the role registration gives) a member; other
    // roles are an admin's choice and stay.
    let promoted = status_after == UserStatus::Active
        && crate::roles::promote_guest(conn, payment.user_id).await?;
    if promoted {
        crate::audit::record(
            conn,
            payment.user_id,
            manual.map(|(admin, _)| admin),
            "role",
            Some("guest"),
            Some("member"),
            Some("first payment"),
        )
        .await?;
    }
    if status_after != status_before {
        crate::audit::record(
            conn,
            payment.user_id,
            manual.map(|(admin, _)| admin),
            "status",
            Some(status_before.as_str()),
            Some(status_after.as_str()),
            Some(&why),
        )
        .await?;
    } else if status_before != UserStatus::Active {
        tracing::warn!(user = %payment.user_id, status = status_before.as_str(),
            "payment recorded for a member it does not activate; an admin decides");
    }
    let last_day: Option<NaiveDate> = sqlx::query_scalar!(
        "SELECT (s.end_date AT TIME ZONE o.time_zone)::date - 1 \
         FROM subscriptions s, organisation_settings o WHERE s.id = $1",
        subscription_id,
    )
    .fetch_one(&mut *conn)
    .await?;
    let told = match &payment.by {
        PaidBy::Complimentary { admin_id, .. } => {
            let until = last_day.map(|d| d.to_string());
            crate::audit::record(
                conn,
                payment.user_id,
                Some(*admin_id),
                "membership",
                None,
                Some(until.as_deref().unwrap_or("lifetime")),
                Some(&why),
            )
            .await?;
            Mail::MembershipGranted {
                first_name,
                plan: payment.plan.name.clone(),
                last_day,
            }
        }
        _ => Mail::MembershipPaid {
            first_name,
            plan: payment.plan.name.clone(),
            amount_cents: payment.base_cents + payment.donation_cents,
            currency: payment.currency.to_string(),
            last_day,
        },
    };
    outbox::enqueue(conn, mail, &email, &told).await?;
    Ok(subscription_id)
}

/// How a refund left a subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refunded {
    Partly,
    InFull,
    /// It was refunded in full before: nothing more changed.
    AlreadyInFull,
}

/// Records that `cumulative` cents of subscription `id`'s payment are
/// refunded so far (never fewer than recorded before, never more than
/// paid), in the caller's transaction. The refund that completes it
/// cancels the subscription (ending it now), marks its online checkout
/// refunded, and moves the member to `expired` unless another
/// subscription covers them, audited as done by `actor` (`None`: the
/// provider's webhook). Safe to repeat: the provider's `charge.refunded`
/// after an admin's refund changes nothing.
pub async fn refund_subscription(
    conn: &mut PgConnection,
    id: Uuid,
    cumulative: i64,
    actor: Option<Uuid>,
) -> Result<Refunded, sqlx::Error> {
    let r = sqlx::query!(
        r#"WITH before AS (
               SELECT refunded_cents,
                      COALESCE(amount_paid_cents, base_subscription_cents + donation_cents) AS total
               FROM subscriptions WHERE id = $1)
           UPDATE subscriptions s
           SET refunded_cents = GREATEST(s.refunded_cents, LEAST($2, b.total)), updated_at = now()
           FROM before b WHERE s.id = $1
           RETURNING s.user_id, b.refunded_cents AS before, s.refunded_cents AS after,
                     b.total AS "total!""#,
        id,
        cumulative,
    )
    .fetch_one(&mut *conn)
    .await?;
    if r.after < r.total {
        return Ok(Refunded::Partly);
    }
    if r.before >= r.total {
        return Ok(Refunded::AlreadyInFull);
    }
    sqlx::query!(
        "UPDATE subscriptions SET status = 'cancelled', cancelled_at = now(), \
             cancellation_reason = 'payment refunded', \
             end_date = LEAST(COALESCE(end_date, now()), now()), updated_at = now() \
         WHERE id = $1 AND status = 'active'",
        id,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE membership_checkouts SET status = 'refunded' WHERE subscription_id = $1",
        id,
    )
    .execute(&mut *conn)
    .await?;
    lapse_if_uncovered(
        conn,
        r.user_id,
        Utc::now(),
        UserStatus::Expired,
        actor,
        "payment refunded",
    )
    .await?;
    Ok(Refunded::InFull)
}

/// Moves `user_id` from `active` to `to` when no subscription covers them
/// at `at` any more (after a refund or an immediate cancellation), audited
/// with `reason`. Answers whether they moved.
pub async fn lapse_if_uncovered(
    conn: &mut PgConnection,
    user_id: Uuid,
    at: DateTime<Utc>,
    to: UserStatus,
    actor: Option<Uuid>,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    // loaf_covered: migrations/0015_covered_function.sql.
    let moved = sqlx::query!(
        "UPDATE users u SET status = $3, updated_at = now() \
         WHERE u.id = $2 AND u.status = 'active' AND NOT loaf_covered(u.id, $1)",
        at,
        user_id,
        to as _,
    )
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if moved {
        crate::audit::record(
            conn,
            user_id,
            actor,
            "status",
            Some(UserStatus::Active.as_str()),
            Some(to.as_str()),
            Some(reason),
        )
        .await?;
    }
    Ok(moved)
}

/// The confirmation of subscription `id`'s payment as [`Receipt`] facts
/// and the member it is for; numbered the first time it is asked for
/// (`M2026-000001`, per year of the period's start on the organisation's
/// calendar, without gaps: the counter row is taken in the caller's
/// transaction) and keeping that number. `None` when there is no such
/// subscription.
pub async fn confirmation(
    conn: &mut PgConnection,
    id: Uuid,
    org_name: String,
    logo: Option<Vec<u8>>,
) -> Result<Option<(Uuid, Receipt)>, sqlx::Error> {
    let s = sqlx::query!(
        r#"SELECT s.user_id, s.confirmation_number,
                  trim(concat_ws(' ', u.first_name, u.last_name)) AS "member!", p.name AS plan,
                  (s.start_date AT TIME ZONE o.time_zone)::date AS "starts_on!",
                  ((s.end_date AT TIME ZONE o.time_zone)::date - 1) AS last_day,
                  COALESCE(s.amount_paid_cents, s.base_subscription_cents + s.donation_cents)
                      - s.refunded_cents AS "net_cents!",
                  s.refunded_cents, s.currency::text AS currency,
                  s.payment_method AS "method: PaymentMethod",
                  s.status AS "status: SubscriptionStatus"
           FROM subscriptions s
           JOIN users u ON u.id = s.user_id
           JOIN subscription_plans p ON p.id = s.plan_id
           CROSS JOIN organisation_settings o
           WHERE s.id = $1 FOR UPDATE OF s"#,
        id,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(s) = s else { return Ok(None) };
    let number = match s.confirmation_number {
        Some(number) => number,
        None => {
            let year = s.starts_on.year();
            let n: i32 = sqlx::query_scalar!(
                "INSERT INTO membership_confirmation_counters (year, last_number) VALUES ($1, 1) \
                 ON CONFLICT (year) DO UPDATE \
                 SET last_number = membership_confirmation_counters.last_number + 1 \
                 RETURNING last_number",
                year,
            )
            .fetch_one(&mut *conn)
            .await?;
            let number = format!("M{year}-{n:06}");
            sqlx::query!(
                "UPDATE subscriptions SET confirmation_number = $2 WHERE id = $1",
                id,
                number,
            )
            .execute(&mut *conn)
            .await?;
            number
        }
    };
    let currency = s.currency.unwrap_or_default();
    let mut lines = vec![
        ("Member".to_string(), s.member),
        ("Membership".to_string(), s.plan),
        (
            "Period".to_string(),
            match s.last_day {
                Some(last) => format!("{} to {last} inclusive", s.starts_on),
                None => format!("from {}, for life", s.starts_on),
            },
        ),
        (
            "Paid".to_string(),
            format!("{currency} {}", money(s.net_cents)),
        ),
    ];
    if s.refunded_cents > 0 {
        lines.push((
            "Refunded".into(),
            format!("{currency} {}", money(s.refunded_cents)),
        ));
    }
    if let Some(method) = s.method {
        lines.push(("Paid by".into(), method.as_str().replace('_', " ")));
    }
    lines.push(("Status".into(), s.status.to_string()));
    Ok(Some((
        s.user_id,
        Receipt {
            footer: format!("Thank you for your membership of {org_name}."),
            org_name,
            logo,
            title: "Membership payment confirmation".into(),
            number,
            lines,
        },
    )))
}
