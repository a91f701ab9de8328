//! `POST /api/subscriptions/checkout`: a validated member (or one renewing)
//! picks a plan and an amount; we record the checkout, ask the payment
//! provider for a hosted checkout session and answer its URL. Nothing
//! changes for the member until the provider's webhook says the money came
//! in (the donations function handles it).

use crate::subscriptions::plan_for_payment;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use loaf_shared::auth::AuthUser;
use loaf_shared::domain::{money, UserStatus};
use loaf_shared::enums;
use loaf_shared::extract::{Json, Path};
use loaf_shared::memberships;
use loaf_shared::payments::{CheckoutKind, CheckoutRequest, LineItem};
use loaf_shared::reply::Created;
use loaf_shared::ErrorCode;
use loaf_shared::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NewMembershipCheckout")]
pub struct NewCheckout {
    plan_id: Uuid,
    /// The membership part; the plan's suggested price, else its price for
    /// the period, when absent.
    amount_cents: Option<i64>,
    #[serde(default)]
    donation_cents: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "MembershipCheckout")]
pub struct Checkout {
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

fn refused(code: ErrorCode, message: impl Into<String>) -> ApiError {
    ApiError::refused(StatusCode::CONFLICT, code, message)
}

pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<NewCheckout>,
) -> ApiResult<Created<Checkout>> {
    let provider = state.payments.provider().await.ok_or_else(|| {
        ApiError::refused(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::PaymentsUnavailable,
            "Online payment is not available: contact the organisation to pay another way.",
        )
    })?;
    match user.status {
        UserStatus::PaymentPending | UserStatus::Active | UserStatus::Expired => {}
        UserStatus::PendingValidation | UserStatus::PreValidated => {
            return Err(refused(
                ErrorCode::NotValidated,
                "Your application has not been validated yet: you can pay once it is.",
            ))
        }
        other => {
            return Err(refused(
                ErrorCode::NotPayable,
                format!(
                    "An account in status {} cannot pay a membership.",
                    other.as_str()
                ),
            ))
        }
    }

    let mut tx = state.db.begin().await?;
    let plan = plan_for_payment(&mut tx, body.plan_id).await?;
    let lifetime: bool = sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM subscriptions WHERE user_id = $1 \
         AND status = 'active' AND end_date IS NULL) AS \"n!\"",
        user.id,
    )
    .fetch_one(&mut *tx)
    .await?;
    if lifetime {
        return Err(refused(
            ErrorCode::AlreadyLifetime,
            "You hold a lifetime membership: there is nothing to renew.",
        ));
    }
    let terms = memberships::terms(&mut tx, &plan, user.id, Utc::now()).await?;
    let amount = body
        .amount_cents
        .unwrap_or_else(|| match plan.suggested_price_cents {
            Some(s) if plan.pay_what_you_can() => s.max(terms.minimum_cents),
            _ => terms.price_cents,
        });
    let limits = provider.config();
    memberships::check_amounts(&plan, &terms, amount, body.donation_cents, limits.max_cents)?;
    let total = amount + body.donation_cents;
    if total < limits.min_cents {
        return Err(ApiError::invalid(
            "amount_cents",
            format!(
                "online payments start at {}: ask the organisation to record a smaller payment",
                money(limits.min_cents)
            ),
        ));
    }
    let settings = memberships::org_settings(&mut tx).await?;
    let checkout_id: Uuid = sqlx::query_scalar!(
        "INSERT INTO membership_checkouts (user_id, plan_id, base_cents, donation_cents, total_cents, currency) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        user.id,
        plan.id,
        amount,
        body.donation_cents,
        total,
        settings.currency,
    )
    .fetch_one(&mut *tx)
    .await?;
    // Committed before the provider is called: no transaction stays open
    // across a network call, and the row exists when the webhook comes.
    tx.commit().await?;

    let mut items = vec![LineItem {
        name: format!("Membership: {}", plan.name),
        amount_cents: amount,
    }];
    if body.donation_cents > 0 {
        items.push(LineItem {
            name: "Donation".into(),
            amount_cents: body.donation_cents,
        });
    }
    let frontend = &state.config.email.frontend_url;
    let session = provider
        .open_for(
            &state.db,
            &CheckoutRequest {
                reference: checkout_id,
                kind: CheckoutKind::Membership,
                currency: settings.currency.clone(),
                items,
                customer_email: Some(user.email.clone()),
                success_url: format!(
                    "{frontend}/membership/complete?session_id={{CHECKOUT_SESSION_ID}}"
                ),
                cancel_url: format!("{frontend}/membership"),
            },
        )
        .await?;
    Ok(Created(Checkout {
        checkout_id,
        checkout_url: session.url,
        amount_cents: amount,
        donation_cents: body.donation_cents,
        total_cents: total,
        currency: settings.currency,
        starts_at: terms.starts_at,
        ends_at: terms.ends_at,
    }))
}

/// Where a membership checkout stands, for the page the provider sends the
/// payer back to: it waits until the webhook has made the payment count.
#[derive(Debug, Serialize, sqlx::FromRow, JsonSchema)]
#[schemars(rename = "MembershipCheckoutStatus")]
pub struct CheckoutStatus {
    /// `open` while not paid yet (or the provider has not told us).
    status: enums::CheckoutStatus,
    total_cents: i64,
    currency: String,
    /// The membership the payment made or extended, once paid.
    subscription_id: Option<Uuid>,
    /// Its period, once paid.
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
}

/// `GET /api/subscriptions/checkout/{session_id}`: one of the caller's own
/// checkouts, by the provider's session id (the return URL carries it).
pub async fn status(
    State(state): State<AppState>,
    user: AuthUser,
    Path(session_id): Path<String>,
) -> ApiResult<Json<CheckoutStatus>> {
    if !loaf_shared::payments::looks_like_session_id(&session_id) {
        return Err(ApiError::NotFound);
    }
    let found: Option<CheckoutStatus> = sqlx::query_as!(
        CheckoutStatus,
        "SELECT c.status AS \"status: enums::CheckoutStatus\", c.total_cents, c.currency, c.subscription_id, \
                s.start_date AS \"starts_at?\", s.end_date AS \"ends_at?\" \
         FROM membership_checkouts c LEFT JOIN subscriptions s ON s.id = c.subscription_id \
         WHERE c.provider_session_id = $1 AND c.user_id = $2",
        session_id,
        user.id,
    )
    .fetch_optional(&state.db)
    .await?;
    found.map(Json).ok_or(ApiError::NotFound)
}
