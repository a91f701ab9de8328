//! Promised offline payments (`loaf_domain::payments::offline`): a member
//! chooses a bank transfer or a cheque and is given the organisation's
//! instructions and a reference; an admin holding
//! `subscriptions.manual_payment` lists what is pending and confirms each
//! payment when its money arrives, or cancels it.

use axum::extract::State;
use chrono::NaiveDate;
use loaf_domain::enums::PromisedMethod;
use loaf_domain::payments::checkout::MembershipOrder;
use loaf_domain::payments::offline::{self, PendingPayment};
use loaf_domain::permissions::perm;
use loaf_domain::validate::optional_long_text;
use loaf_http::auth::{AuthUser, Require};
use loaf_http::extract::{Json, OptionalJson, Path};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::reply::Created;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::Deserialize;
use uuid::Uuid;

use crate::subscriptions;
use loaf_domain::memberships::subscriptions::Subscription;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Promise {
    plan_id: Uuid,
    method: PromisedMethod,
    /// The membership part; the plan's suggested price, else its price for
    /// the period, when absent.
    amount_cents: Option<i64>,
    #[serde(default)]
    donation_cents: i64,
}

/// `POST /api/subscriptions/offline {plan_id, method, amount_cents?,
/// donation_cents?}` → 201: the pending payment with the instructions and
/// its reference (also emailed).
pub async fn promise(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<Promise>,
) -> ApiResult<Created<PendingPayment>> {
    let order = MembershipOrder {
        plan_id: body.plan_id,
        amount_cents: body.amount_cents,
        donation_cents: body.donation_cents,
    };
    let promised = offline::promise(
        &state.db,
        &state.config.email,
        crate::checkout::payer(&user),
        order,
        body.method,
        state.payments.max_cents(),
    )
    .await?;
    Ok(Created(promised))
}

/// `GET /api/subscriptions/offline/me`: the caller's pending payment; 404
/// without one.
pub async fn mine(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<PendingPayment>> {
    let mut conn = state.db.acquire().await?;
    offline::pending_of(&mut conn, user.id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// `DELETE /api/subscriptions/offline/me`: the caller will not pay this
/// way after all; answers the payment, now cancelled. 404 without one.
pub async fn withdraw(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<PendingPayment>> {
    offline::withdraw(&state.db, user.id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}

/// `GET /api/subscriptions/offline`: what is pending, oldest first.
pub async fn list(
    State(state): State<AppState>,
    _: Require<perm::SubscriptionsManualPayment>,
    page: PageParams,
) -> ApiResult<Json<Page<PendingPayment>>> {
    let mut conn = state.db.acquire().await?;
    let (items, total) = offline::pending(&mut conn, page.limit(), page.offset()).await?;
    Ok(Json(Page::new(items, page, total)))
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Confirm {
    /// The day the money arrived (the organisation's calendar); today when
    /// absent. The period starts then (or when the current one ends).
    paid_on: Option<NaiveDate>,
}

/// `POST /api/subscriptions/offline/{id}/confirm {paid_on?}`: the money
/// arrived; answers the subscription it paid (201).
pub async fn confirm(
    State(state): State<AppState>,
    admin: Require<perm::SubscriptionsManualPayment>,
    Path(id): Path<Uuid>,
    OptionalJson(body): OptionalJson<Confirm>,
) -> ApiResult<Created<Subscription>> {
    let subscription = offline::confirm(
        &state.db,
        &state.config.email,
        id,
        admin.user.id,
        body.paid_on,
    )
    .await?
    .ok_or(ApiError::NotFound)?;
    let mut conn = state.db.acquire().await?;
    Ok(Created(subscriptions::load(&mut conn, subscription).await?))
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Cancel {
    /// Told to the member.
    reason: Option<String>,
}

/// `POST /api/subscriptions/offline/{id}/cancel {reason?}`: the payment
/// will not come; the member is told.
pub async fn cancel(
    State(state): State<AppState>,
    admin: Require<perm::SubscriptionsManualPayment>,
    Path(id): Path<Uuid>,
    OptionalJson(body): OptionalJson<Cancel>,
) -> ApiResult<Json<PendingPayment>> {
    let reason = optional_long_text("reason", body.reason.as_deref(), 2000)?;
    offline::cancel(&state.db, &state.config.email, id, admin.user.id, reason)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}
