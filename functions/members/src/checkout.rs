//! `POST /api/subscriptions/checkout`: a validated member (or one renewing)
//! picks a plan and an amount and is answered the provider's checkout URL;
//! `GET /api/subscriptions/checkout/{session_id}`: where it stands. The
//! payments module (`loaf_domain::payments`) does the work, and its webhook
//! makes the payment count when the money comes in.

use axum::extract::State;
use loaf_domain::payments::checkout::{
    self, MembershipCheckout, MembershipCheckoutStatus, MembershipOrder, Payer,
};
use loaf_http::auth::AuthUser;
use loaf_http::extract::{Json, Path};
use loaf_http::reply::Created;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::Deserialize;
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

/// The signed-in member as the payments module's payer.
pub(crate) fn payer(user: &AuthUser) -> Payer<'_> {
    Payer {
        id: user.id,
        email: &user.email,
        status: user.status,
    }
}

pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<NewCheckout>,
) -> ApiResult<Created<MembershipCheckout>> {
    let payer = payer(&user);
    let order = MembershipOrder {
        plan_id: body.plan_id,
        amount_cents: body.amount_cents,
        donation_cents: body.donation_cents,
    };
    let opened = checkout::membership(
        &state.db,
        &state.payments,
        &state.config.email,
        payer,
        order,
    )
    .await?;
    Ok(Created(opened))
}

/// One of the caller's own checkouts, by the provider's session id (the
/// return URL carries it).
pub async fn status(
    State(state): State<AppState>,
    user: AuthUser,
    Path(session_id): Path<String>,
) -> ApiResult<Json<MembershipCheckoutStatus>> {
    checkout::membership_status(&state.db, user.id, &session_id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}
