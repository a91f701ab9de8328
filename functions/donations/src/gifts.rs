//! Giving: anyone donates through the provider's checkout (a signed-in
//! member's gift is linked to their account and typed `member`, anyone
//! else's `public`), and finance admins record offline gifts (cash,
//! cheque, bank transfer, in kind). An online gift is `pending` until the
//! webhook completes or fails it; an offline one is completed at once.
//! Either way, completion numbers the receipt and emails it.

use crate::donations::load;
use axum::extract::State;
use chrono::NaiveDate;
use loaf_domain::audit;
use loaf_domain::domain::Email;
use loaf_domain::donations::{self, Donation, OfflineGift};
use loaf_domain::enums::{GiftMethod, PaymentMethod};
use loaf_domain::members;
use loaf_domain::payments::checkout::{self, DonationCheckout, GiftDetails, GiftStatus};
use loaf_domain::permissions::perm;
use loaf_domain::rate_limit;
use loaf_domain::receipts;
use loaf_domain::validate::{optional_long_text, optional_text};
use loaf_http::auth::{OptionalUser, Require};
use loaf_http::extract::{ClientAddress, Json, Path};
use loaf_http::reply::Created;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::Deserialize;
use uuid::Uuid;

/// What a donor says about a gift, online or offline (the request
/// bodies carry these fields flat; serde's `flatten` would lose
/// `deny_unknown_fields`).
struct About {
    donor_name: Option<String>,
    donor_email: Option<Email>,
    message: Option<String>,
    anonymous: bool,
    dedication: Option<String>,
    currency: Option<String>,
}

/// Moves the [`About`] fields out of a request body.
macro_rules! about {
    ($body:expr) => {
        About {
            donor_name: $body.donor_name,
            donor_email: $body.donor_email,
            message: $body.message,
            anonymous: $body.anonymous,
            dedication: $body.dedication,
            currency: $body.currency,
        }
    };
}

/// Checks the texts of `about` (lengths, blanks).
fn details(about: About) -> ApiResult<GiftDetails> {
    Ok(GiftDetails {
        donor_name: optional_text("donor_name", about.donor_name.as_deref(), 200)?,
        donor_email: about.donor_email.map(|e| e.as_str().to_string()),
        message: optional_long_text("message", about.message.as_deref(), 2000)?,
        anonymous: about.anonymous,
        dedication: optional_long_text("dedication", about.dedication.as_deref(), 500)?,
        currency: about.currency,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NewDonationCheckout")]
pub struct NewCheckout {
    amount_cents: i64,
    donor_name: Option<String>,
    donor_email: Option<Email>,
    message: Option<String>,
    #[serde(default)]
    anonymous: bool,
    /// "In memory of …", "In honour of …".
    dedication: Option<String>,
    /// When given, must be the organisation's currency.
    currency: Option<String>,
}

/// `POST /api/donations/checkout`: open to anyone, so limited per source
/// address and per donor address (each gift started is a row and a call to
/// the provider); a gift left unpaid stays `pending`, out of the admins'
/// default list, until the daily job marks it `failed`.
pub async fn checkout(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    OptionalUser(user): OptionalUser,
    Json(body): Json<NewCheckout>,
) -> ApiResult<Created<DonationCheckout>> {
    // Every request from a source counts, before any work.
    if let Some(address) = &address {
        rate_limit::check(&state.db, &rate_limit::GIFTS_PER_SOURCE, address).await?;
    }
    let amount = body.amount_cents;
    let gift = details(about!(body))?;
    let opened = checkout::donation(
        &state.db,
        &state.payments,
        &state.config.email,
        user.map(|u| u.id),
        amount,
        gift,
    )
    .await?;
    Ok(Created(opened))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Offline {
    amount_cents: i64,
    /// For `in_kind`, the amount is the gift's value.
    method: GiftMethod,
    /// What an in-kind gift is; required for `in_kind`.
    in_kind_description: Option<String>,
    /// The day it was given (the organisation's calendar); today if absent.
    donated_on: Option<NaiveDate>,
    /// A member the gift comes from: typed `member`, their name and
    /// address used unless given.
    user_id: Option<Uuid>,
    notes: Option<String>,
    donor_name: Option<String>,
    donor_email: Option<Email>,
    message: Option<String>,
    #[serde(default)]
    anonymous: bool,
    dedication: Option<String>,
    currency: Option<String>,
}

/// `POST /api/donations/manual`: an offline gift, completed and receipted.
pub async fn record(
    State(state): State<AppState>,
    admin: Require<perm::DonationsCreate>,
    Json(body): Json<Offline>,
) -> ApiResult<Created<Donation>> {
    let method = PaymentMethod::from(body.method);
    let in_kind = optional_long_text(
        "in_kind_description",
        body.in_kind_description.as_deref(),
        1000,
    )?;
    match (body.method, &in_kind) {
        (GiftMethod::InKind, None) => return Err(ApiError::required("in_kind_description")),
        (GiftMethod::InKind, Some(_)) | (_, None) => {}
        (_, Some(_)) => {
            return Err(ApiError::invalid(
                "in_kind_description",
                "only an in_kind gift has a description",
            ))
        }
    }
    let notes = optional_long_text("notes", body.notes.as_deref(), 2000)?;
    let max = state.payments.max_cents();

    let amount = body.amount_cents;
    let mut gift = details(about!(body))?;
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    let currency =
        checkout::gift_currency(&mut tx, amount, (1, max), gift.currency.as_deref()).await?;
    if let Some(user_id) = body.user_id {
        let found = members::name_and_email(&mut tx, user_id).await?;
        let (name, email) =
            found.ok_or_else(|| ApiError::invalid("user_id", "No member has this id."))?;
        gift.donor_name = gift.donor_name.or(Some(name));
        gift.donor_email = gift.donor_email.or(Some(email));
    }
    let (today, donated_at) = donations::gift_day(&mut tx, body.donated_on).await?;
    if body.donated_on.is_some_and(|d| d > today) {
        return Err(ApiError::invalid(
            "donated_on",
            "donated_on may not be in the future",
        ));
    }
    let offline = OfflineGift {
        amount_cents: amount,
        currency,
        user_id: body.user_id,
        details: gift,
        method,
        in_kind_description: in_kind,
        notes,
        donated_at,
    };
    let id = donations::record_offline(&mut tx, &offline, admin.user.id).await?;
    receipts::issue(&mut tx, &state.config.email, id).await?;
    let donation = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Created(donation))
}

/// `GET /api/donations/checkout/{session_id}`: where an online gift
/// stands, for the page the provider sends the donor back to.
pub async fn checkout_status(
    State(state): State<AppState>,
    Path(session_id): Path<String>,
) -> ApiResult<Json<GiftStatus>> {
    checkout::gift_status(&state.db, &session_id)
        .await?
        .map(Json)
        .ok_or(ApiError::NotFound)
}
