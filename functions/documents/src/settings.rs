//! The organisation's settings: name, contact address, time zone (periods
//! and totals are counted on its calendar), currency, the grace period after
//! a membership runs out, whether staff need a membership in force for the
//! members' content, and the logo the dashboard shows. Anyone reads them (the frontend needs them before
//! sign-in); `settings.edit` changes them, `settings.logo` the logo.

use axum::extract::State;
use chrono::{DateTime, Utc};
use loaf_core::file_types::IMAGE_EXTENSIONS;
use loaf_domain::audit;
use loaf_domain::domain::Email;
use loaf_domain::permissions::perm;
use loaf_domain::settings::{self, Changes};
use loaf_domain::uploads::{self, Declared, Reserved};
use loaf_domain::validate::{optional_long_text, text};
use loaf_http::auth::Require;
use loaf_http::extract::Json;
use loaf_http::reply::Created;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use std::time::Duration;
use uuid::Uuid;

/// How long the logo's link works: the dashboard may cache the settings.
const LOGO_LINK: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Debug, Serialize, JsonSchema)]
pub struct Settings {
    name: String,
    contact_email: Option<String>,
    time_zone: String,
    currency: String,
    /// A long-lived (7-day) link to the logo; ask again for a fresh one.
    logo_url: Option<String>,
    logo_expires_at: Option<DateTime<Utc>>,
    /// The version of the terms of service a registration must accept.
    terms_version: String,
    /// Whether staff (roles with any administrative permission) need a
    /// membership in force for the members' content (documents, galleries,
    /// members-only events, the directory), as members do. Their
    /// administrative permissions never depend on it.
    staff_need_membership: bool,
    /// Days after a membership runs out during which the member keeps the
    /// members' content (and is reminded); 0 closes it at once.
    grace_days: i32,
    /// How to pay by bank transfer or cheque (the bank details, where to
    /// send a cheque); offline payment is offered to members when set.
    payment_instructions: Option<String>,
    /// Whether a member whose offline payment is on its way (pending, not
    /// confirmed yet) has the members' content meanwhile.
    pending_payment_access: bool,
    /// Years the financial records of an erased member keep what still
    /// ties them to a payment account, before the daily job anonymises it.
    record_retention_years: i32,
    /// The organisation's postal address, printed on donation statements.
    postal_address: Option<String>,
}

async fn read(conn: &mut PgConnection, state: &AppState) -> ApiResult<Settings> {
    let row = settings::read(conn).await?;
    let logo_url = match &row.logo_key {
        Some(key) => Some(state.storage.presign_get(key, LOGO_LINK, None).await?),
        None => None,
    };
    Ok(Settings {
        name: row
            .name
            .unwrap_or_else(|| state.config.email.org_name.clone()),
        contact_email: row.contact_email,
        time_zone: row.time_zone,
        currency: row.currency,
        logo_expires_at: logo_url
            .as_ref()
            .map(|_| Utc::now() + chrono::Duration::seconds(LOGO_LINK.as_secs() as i64)),
        logo_url,
        terms_version: state.config.auth.terms_version.clone(),
        staff_need_membership: row.staff_need_membership,
        grace_days: row.grace_days,
        payment_instructions: row.payment_instructions,
        pending_payment_access: row.pending_payment_access,
        record_retention_years: row.record_retention_years,
        postal_address: row.postal_address,
    })
}

/// `GET /api/settings`
pub async fn show(State(state): State<AppState>) -> ApiResult<Json<Settings>> {
    let mut conn = state.db.acquire().await?;
    Ok(Json(read(&mut conn, &state).await?))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Patch {
    name: Option<String>,
    contact_email: Option<Email>,
    /// An IANA zone such as `Europe/Paris`.
    time_zone: Option<String>,
    /// ISO 4217, such as `EUR`.
    currency: Option<String>,
    staff_need_membership: Option<bool>,
    /// 0 to 365.
    grace_days: Option<i32>,
    /// Up to 2,000 characters; empty stops offering offline payment.
    payment_instructions: Option<String>,
    pending_payment_access: Option<bool>,
    /// 1 to 30.
    record_retention_years: Option<i32>,
    /// Up to 500 characters; empty removes it.
    postal_address: Option<String>,
}

/// `PATCH /api/settings`
pub async fn update(
    State(state): State<AppState>,
    admin: Require<perm::SettingsEdit>,
    Json(body): Json<Patch>,
) -> ApiResult<Json<Settings>> {
    let name = body
        .name
        .as_deref()
        .map(|n| text("name", n, 200))
        .transpose()?;
    let currency = match body.currency.as_deref().map(str::trim) {
        Some(c) if c.len() == 3 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => {
            Some(c.to_ascii_uppercase())
        }
        Some(_) => {
            return Err(ApiError::invalid(
                "currency",
                "currency is a three-letter ISO 4217 code, such as EUR",
            ))
        }
        None => None,
    };
    if body.grace_days.is_some_and(|d| !(0..=365).contains(&d)) {
        return Err(ApiError::invalid(
            "grace_days",
            "grace_days is a number of days from 0 to 365",
        ));
    }
    if body
        .record_retention_years
        .is_some_and(|y| !(1..=30).contains(&y))
    {
        return Err(ApiError::invalid(
            "record_retention_years",
            "record_retention_years is a number of years from 1 to 30",
        ));
    }
    let address = body
        .postal_address
        .as_deref()
        .map(|a| optional_long_text("postal_address", Some(a), 500))
        .transpose()?;
    // `Some("")` clears the instructions (offline payment no longer offered).
    let instructions = body
        .payment_instructions
        .as_deref()
        .map(|i| optional_long_text("payment_instructions", Some(i), 2000))
        .transpose()?;
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    if let Some(zone) = &body.time_zone {
        if !settings::zone_known(&mut tx, zone).await? {
            return Err(ApiError::invalid(
                "time_zone",
                "time_zone is an IANA zone name, such as Europe/Paris",
            ));
        }
    }
    let changes = Changes {
        name: name.as_deref(),
        contact_email: body.contact_email.as_ref().map(Email::as_str),
        time_zone: body.time_zone.as_deref(),
        currency: currency.as_deref(),
        staff_need_membership: body.staff_need_membership,
        grace_days: body.grace_days,
        payment_instructions: instructions.as_ref().map(Option::as_deref),
        pending_payment_access: body.pending_payment_access,
        record_retention_years: body.record_retention_years,
        postal_address: address.as_ref().map(Option::as_deref),
    };
    settings::update(&mut tx, &changes, admin.user.id).await?;
    let settings = read(&mut tx, &state).await?;
    tx.commit().await?;
    Ok(Json(settings))
}

/// `POST /api/settings/logo/uploads`: reserves the logo's upload (PNG,
/// JPEG, GIF or WebP; SVG can carry script).
pub async fn reserve_logo(
    State(state): State<AppState>,
    admin: Require<perm::SettingsLogo>,
    Json(declared): Json<Declared>,
) -> ApiResult<Created<Reserved>> {
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    let reserved = uploads::reserve(
        &mut tx,
        &state.storage,
        "logo",
        "branding/logo",
        &declared,
        IMAGE_EXTENSIONS,
        state.config.uploads.max_image_bytes,
        admin.user.id,
    )
    .await?;
    tx.commit().await?;
    Ok(Created(reserved))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLogo {
    upload_id: Uuid,
}

/// `PUT /api/settings/logo {upload_id}`: the uploaded image becomes the logo.
pub async fn set_logo(
    State(state): State<AppState>,
    admin: Require<perm::SettingsLogo>,
    Json(body): Json<NewLogo>,
) -> ApiResult<Json<Settings>> {
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    let file = uploads::claim(&mut tx, &state.storage, "logo", body.upload_id).await?;
    let old =
        settings::swap_logo(&mut tx, Some((&file.key, file.size_bytes)), admin.user.id).await?;
    let settings = read(&mut tx, &state).await?;
    tx.commit().await?;
    if let Some(old) = old {
        uploads::delete_now(&state.db, &state.storage, Some(&[old])).await?;
    }
    Ok(Json(settings))
}

/// `DELETE /api/settings/logo`
pub async fn remove_logo(
    State(state): State<AppState>,
    admin: Require<perm::SettingsLogo>,
) -> ApiResult<Json<Settings>> {
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    let old = settings::swap_logo(&mut tx, None, admin.user.id).await?;
    let settings = read(&mut tx, &state).await?;
    tx.commit().await?;
    if let Some(old) = old {
        uploads::delete_now(&state.db, &state.storage, Some(&[old])).await?;
    }
    Ok(Json(settings))
}
