//! Checkouts: a member paying a membership (`membership_checkouts`) and
//! anyone giving online (`donations`, `pending` until paid). Each records
//! its row, commits, then asks the provider for a hosted checkout session
//! and records the answer on the row: no transaction stays open across a
//! network call, and the row exists when the webhook comes. The payer's
//! return page reads where a checkout stands from here too.

use super::provider::{CheckoutKind, CheckoutRequest, CheckoutSession, LineItem, Provider};
use super::{looks_like_session_id, PaymentError, Payments};
use crate::audit::{self, Actor};
use crate::domain::{money, UserStatus};
use crate::enums::{self, CheckoutStatus, DonationStatus, DonationType};
use crate::memberships;
use crate::rate_limit;
use chrono::{DateTime, Utc};
use loaf_core::config::EmailConfig;
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Who pays a membership: the signed-in member.
#[derive(Debug, Clone, Copy)]
pub struct Payer<'a> {
    pub id: Uuid,
    pub email: &'a str,
    pub status: UserStatus,
}

/// What a member asks to pay.
#[derive(Debug, Clone, Copy)]
pub struct MembershipOrder {
    pub plan_id: Uuid,
    /// The membership part; the plan's suggested price, else its price for
    /// the period, when absent.
    pub amount_cents: Option<i64>,
    pub donation_cents: i64,
}

/// An opened membership checkout.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "MembershipCheckout")]
pub struct MembershipCheckout {
    checkout_id: Uuid,
    /// Where to send the member to pay.
    checkout_url: String,
    amount_cents: i64,
    donation_cents: i64,
    total_cents: i64,
    currency: String,
    /// The period the payment will cover if made now.
    starts_at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
}

/// What `payer` would pay for `order` now, online or offline: the plan,
/// the period's terms and the membership part (the asked amount, else the
/// plan's suggested price, else its price). Refused unless the payer's
/// status pays memberships, they hold no lifetime membership and the plan
/// takes payments. Locks the payer's row (`memberships::terms`), so two
/// payments of one member are made one after the other.
pub(super) async fn priced(
    conn: &mut PgConnection,
    payer: Payer<'_>,
    order: MembershipOrder,
) -> Result<(memberships::Plan, memberships::Terms, i64), PaymentError> {
    match payer.status {
        UserStatus::PaymentPending
        | UserStatus::Active
        | UserStatus::Expired
        | UserStatus::Canceled => {}
        UserStatus::PendingValidation | UserStatus::PreValidated => {
            return Err(PaymentError::NotValidated)
        }
        other => return Err(PaymentError::NotPayable(other)),
    }
    let plan = memberships::payable_plan(conn, order.plan_id).await?;
    let lifetime: bool = sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM subscriptions WHERE user_id = $1 \
         AND status = 'active' AND end_date IS NULL) AS \"n!\"",
        payer.id,
    )
    .fetch_one(&mut *conn)
    .await?;
    if lifetime {
        return Err(PaymentError::AlreadyLifetime);
    }
    let terms = memberships::terms(conn, &plan, payer.id, Utc::now()).await?;
    let amount = order
        .amount_cents
        .unwrap_or_else(|| match plan.suggested_price_cents {
            Some(s) if plan.pay_what_you_can() => s.max(terms.minimum_cents),
            _ => terms.price_cents,
        });
    Ok((plan, terms, amount))
}

/// Opens a checkout for `payer` to pay `order`: refused unless online
/// payments are on, the payer's status pays memberships, they hold no
/// lifetime membership, the plan takes payments and the amounts fit it and
/// the provider's limits.
pub async fn membership(
    db: &PgPool,
    payments: &Payments,
    site: &EmailConfig,
    payer: Payer<'_>,
    order: MembershipOrder,
) -> Result<MembershipCheckout, PaymentError> {
    let provider = payments.provider().await.ok_or(PaymentError::Unavailable)?;
    let mut tx = audit::begin_as(db, payer.id).await?;
    let (plan, terms, amount) = priced(&mut tx, payer, order).await?;
    let donation = order.donation_cents;
    let limits = provider.config();
    memberships::check_amounts(&plan, &terms, amount, donation, limits.max_cents)?;
    let total = amount + donation;
    if total < limits.min_cents {
        return Err(PaymentError::invalid(
            "amount_cents",
            format!(
                "online payments start at {}: ask the organisation to record a smaller payment",
                money(limits.min_cents)
            ),
        ));
    }
    let currency = crate::settings::currency(&mut tx).await?;
    let checkout_id: Uuid = sqlx::query_scalar!(
        "INSERT INTO membership_checkouts (user_id, plan_id, base_cents, donation_cents, total_cents, currency) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        payer.id,
        plan.id,
        amount,
        donation,
        total,
        currency,
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;

    let mut items = vec![LineItem {
        name: format!("Membership: {}", plan.name),
        amount_cents: amount,
    }];
    if donation > 0 {
        items.push(LineItem {
            name: "Donation".into(),
            amount_cents: donation,
        });
    }
    let frontend = &site.frontend_url;
    let session = open(
        db,
        payer.id.into(),
        &provider,
        &CheckoutRequest {
            reference: checkout_id,
            kind: CheckoutKind::Membership,
            currency: currency.clone(),
            items,
            customer_email: Some(payer.email.to_string()),
            success_url: format!(
                "{frontend}/membership/complete?session_id={{CHECKOUT_SESSION_ID}}"
            ),
            cancel_url: format!("{frontend}/membership"),
        },
    )
    .await?;
    Ok(MembershipCheckout {
        checkout_id,
        checkout_url: session.url,
        amount_cents: amount,
        donation_cents: donation,
        total_cents: total,
        currency,
        starts_at: terms.starts_at,
        ends_at: terms.ends_at,
    })
}

/// What a donor says about a gift, its texts checked for length.
#[derive(Debug, Clone, Default)]
pub struct GiftDetails {
    pub donor_name: Option<String>,
    pub donor_email: Option<String>,
    pub message: Option<String>,
    pub anonymous: bool,
    /// "In memory of …", "In honour of …".
    pub dedication: Option<String>,
    /// When given, must be the organisation's currency.
    pub currency: Option<String>,
}

/// Checks a gift's amount against `[min, max]` and its currency against
/// the organisation's; answers the currency it is taken in. Online and
/// offline gifts alike.
pub async fn gift_currency(
    conn: &mut PgConnection,
    amount_cents: i64,
    (min, max): (i64, i64),
    asked: Option<&str>,
) -> Result<String, PaymentError> {
    if amount_cents < min {
        return Err(PaymentError::invalid(
            "amount_cents",
            format!("a donation is at least {} (in cents: {min})", money(min)),
        ));
    }
    if amount_cents > max {
        return Err(PaymentError::invalid(
            "amount_cents",
            format!("a donation is at most {} (in cents: {max})", money(max)),
        ));
    }
    let currency = crate::settings::currency(conn).await?;
    match asked {
        Some(c) if !c.eq_ignore_ascii_case(&currency) => Err(PaymentError::invalid(
            "currency",
            format!("donations are taken in {currency}"),
        )),
        _ => Ok(currency),
    }
}

/// An opened gift checkout.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "DonationCheckout")]
pub struct DonationCheckout {
    donation_id: Uuid,
    checkout_url: String,
    amount_cents: i64,
    currency: String,
}

/// Opens a checkout for a gift of `amount_cents`: a signed-in `member`
/// gives as themselves (typed `member`, the receipt to their account's
/// address), anyone else names themselves (`public`). Each donor address
/// is limited (each gift started is a row and a call to the provider);
/// the caller limits per source address before any work.
pub async fn donation(
    db: &PgPool,
    payments: &Payments,
    site: &EmailConfig,
    member: Option<Uuid>,
    amount_cents: i64,
    mut gift: GiftDetails,
) -> Result<DonationCheckout, PaymentError> {
    let provider = payments.provider().await.ok_or(PaymentError::Unavailable)?;
    let limits = provider.config();
    let mut tx = audit::begin_as(db, member.map_or(Actor::Visitor, Actor::Person)).await?;
    let currency = gift_currency(
        &mut tx,
        amount_cents,
        (limits.min_cents, limits.max_cents),
        gift.currency.as_deref(),
    )
    .await?;
    if let Some(member) = member {
        let (name, email) = sqlx::query!(
            "SELECT trim(concat_ws(' ', first_name, last_name)) AS \"name!\", email FROM users WHERE id = $1",
            member,
        )
        .map(|r| (r.name, r.email))
        .fetch_one(&mut *tx)
        .await?;
        gift.donor_name = gift.donor_name.or(Some(name));
        gift.donor_email = Some(email);
    }
    if gift.donor_name.is_none() {
        return Err(PaymentError::Required("donor_name"));
    }
    let Some(donor_email) = gift.donor_email.as_deref() else {
        return Err(PaymentError::Required("donor_email"));
    };
    // A valid gift counts against its donor, in its own transaction: one
    // over the limit rolls back with the rest.
    if let Some(retry_after_secs) =
        rate_limit::hit(&mut *tx, &rate_limit::GIFTS_PER_DONOR, donor_email).await?
    {
        return Err(PaymentError::TooMany { retry_after_secs });
    }
    let kind = match member {
        Some(_) => DonationType::Member,
        None => DonationType::Public,
    };
    let id: Uuid = sqlx::query_scalar!(
        "INSERT INTO donations (amount_cents, currency, donation_type, status, user_id, donor_name, \
             donor_email, message, anonymous, dedication, payment_method) \
         VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9, 'online') RETURNING id",
        amount_cents,
        currency,
        kind as _,
        member,
        gift.donor_name,
        gift.donor_email,
        gift.message,
        gift.anonymous,
        gift.dedication,
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;

    let frontend = &site.frontend_url;
    let session = open(
        db,
        member.map_or(Actor::Visitor, Actor::Person),
        &provider,
        &CheckoutRequest {
            reference: id,
            kind: CheckoutKind::Donation,
            currency: currency.clone(),
            items: vec![LineItem {
                name: format!("Donation to {}", site.org_name),
                amount_cents,
            }],
            customer_email: gift.donor_email,
            success_url: format!("{frontend}/donate/thanks?session_id={{CHECKOUT_SESSION_ID}}"),
            cancel_url: format!("{frontend}/donate"),
        },
    )
    .await?;
    Ok(DonationCheckout {
        donation_id: id,
        checkout_url: session.url,
        amount_cents,
        currency,
    })
}

/// Opens a checkout for the committed row `req.reference` and records the
/// outcome on it: the session id, or the row marked failed (the provider
/// refused, and nothing was charged), attributed to `actor`.
async fn open(
    db: &PgPool,
    actor: Actor,
    provider: &Provider,
    req: &CheckoutRequest,
) -> Result<CheckoutSession, PaymentError> {
    let session = provider.create_checkout(req).await;
    let reference = req.reference;
    let mut tx = audit::begin_as(db, actor).await?;
    match (&session, req.kind) {
        (Ok(session), CheckoutKind::Membership) => sqlx::query!(
            "UPDATE membership_checkouts SET provider_session_id = $2 WHERE id = $1",
            reference,
            session.id,
        ),
        (Ok(session), CheckoutKind::Donation) => sqlx::query!(
            "UPDATE donations SET stripe_checkout_session_id = $2 WHERE id = $1",
            reference,
            session.id,
        ),
        (Err(_), CheckoutKind::Membership) => sqlx::query!(
            "UPDATE membership_checkouts SET status = 'failed' WHERE id = $1 AND status = 'open'",
            reference,
        ),
        (Err(_), CheckoutKind::Donation) => sqlx::query!(
            "UPDATE donations SET status = 'failed', updated_at = now() WHERE id = $1",
            reference,
        ),
    }
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    session
}

/// Where a membership checkout stands, for the page the provider sends the
/// payer back to: it waits until the webhook has made the payment count.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "MembershipCheckoutStatus")]
pub struct MembershipCheckoutStatus {
    /// `open` while not paid yet (or the provider has not told us).
    status: CheckoutStatus,
    total_cents: i64,
    currency: String,
    /// The membership the payment made or extended, once paid.
    subscription_id: Option<Uuid>,
    /// Its period, once paid.
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
}

/// One of `member`'s own checkouts, by the provider's session id (the
/// return URL carries it).
pub async fn membership_status(
    db: &PgPool,
    member: Uuid,
    session_id: &str,
) -> Result<Option<MembershipCheckoutStatus>, sqlx::Error> {
    if !looks_like_session_id(session_id) {
        return Ok(None);
    }
    sqlx::query_as!(
        MembershipCheckoutStatus,
        "SELECT c.status AS \"status: enums::CheckoutStatus\", c.total_cents, c.currency, c.subscription_id, \
                s.start_date AS \"starts_at?\", s.end_date AS \"ends_at?\" \
         FROM membership_checkouts c LEFT JOIN subscriptions s ON s.id = c.subscription_id \
         WHERE c.provider_session_id = $1 AND c.user_id = $2",
        session_id,
        member,
    )
    .fetch_optional(db)
    .await
}

/// Where an online gift stands, for the page the provider sends the donor
/// back to (anonymous donors included: the provider's session id, which
/// only the donor's browser was given, finds the gift).
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "GiftStatus")]
pub struct GiftStatus {
    /// `pending` until the provider's webhook says the money came in.
    status: DonationStatus,
    amount_cents: i64,
    currency: Option<String>,
    /// Once completed.
    receipt_number: Option<String>,
}

/// A gift by its checkout session id.
pub async fn gift_status(db: &PgPool, session_id: &str) -> Result<Option<GiftStatus>, sqlx::Error> {
    if !looks_like_session_id(session_id) {
        return Ok(None);
    }
    sqlx::query_as!(
        GiftStatus,
        "SELECT status AS \"status: enums::DonationStatus\", amount_cents, currency, receipt_number \
         FROM donations WHERE stripe_checkout_session_id = $1",
        session_id,
    )
    .fetch_optional(db)
    .await
}
