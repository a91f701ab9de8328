//! Receipts: a completed donation gets the next number of its year
//! (`2026-000042`, on the organisation's calendar, without gaps: the
//! counter row is taken in the transaction that completes the donation)
//! and, when the donor left an address, an email through the outbox. An
//! admin with `donations.receipts` can send it again.

use crate::donations::{self, Donation, OwnDonation};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use loaf_shared::auth::Require;
use loaf_shared::config::EmailConfig;
use loaf_shared::email::{outbox, Mail};
use loaf_shared::extract::{Json, Path};
use loaf_shared::permissions::perm;
use loaf_shared::ErrorCode;
use loaf_shared::{ApiError, ApiResult, AppState};
use sqlx::PgConnection;
use uuid::Uuid;

/// Numbers donation `id` (completed, `donated_at` set) and queues its
/// receipt. Inside the completing transaction.
pub async fn issue(conn: &mut PgConnection, email: &EmailConfig, id: Uuid) -> ApiResult<()> {
    let (year, day): (i32, NaiveDate) = sqlx::query!(
        "SELECT extract(year FROM d.donated_at AT TIME ZONE o.time_zone)::int AS \"year!\", \
                (d.donated_at AT TIME ZONE o.time_zone)::date AS \"day!\" \
         FROM donations d, organisation_settings o WHERE d.id = $1",
        id,
    )
    .map(|r| (r.year, r.day))
    .fetch_one(&mut *conn)
    .await?;
    let n: i32 = sqlx::query_scalar!(
        "INSERT INTO donation_receipt_counters (year, last_number) VALUES ($1, 1) \
         ON CONFLICT (year) DO UPDATE SET last_number = donation_receipt_counters.last_number + 1 \
         RETURNING last_number",
        year,
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE donations SET receipt_number = $2 WHERE id = $1",
        id,
        format!("{year}-{n:06}"),
    )
    .execute(&mut *conn)
    .await?;
    let donation = donations::load(conn, id).await?;
    send(conn, email, &donation.own, day).await
}

/// Queues the receipt email of a numbered donation, when it has an address.
async fn send(
    conn: &mut PgConnection,
    email: &EmailConfig,
    d: &OwnDonation,
    given_on: NaiveDate,
) -> ApiResult<()> {
    let (Some(to), Some(number)) = (&d.donor_email, &d.receipt_number) else {
        return Ok(());
    };
    let mail = Mail::DonationReceipt {
        donor_name: d.donor_name.clone().unwrap_or_else(|| "friend".into()),
        number: number.clone(),
        amount_cents: d.amount_cents,
        currency: d.currency.clone().unwrap_or_default(),
        given_on,
        in_kind: d.in_kind_description.clone(),
        dedication: d.dedication.clone(),
    };
    outbox::enqueue(conn, email, to, &mail).await?;
    sqlx::query!(
        "UPDATE donations SET receipt_sent_at = now() WHERE id = $1",
        d.id,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// `POST /api/donations/{id}/receipt`: the receipt again.
pub async fn resend(
    State(state): State<AppState>,
    _: Require<perm::DonationsReceipts>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Donation>> {
    let mut tx = state.db.begin().await?;
    let donation = donations::load(&mut tx, id).await?;
    if donation.own.receipt_number.is_none() {
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::NoReceipt,
            "This donation is not completed, so it has no receipt yet.",
        ));
    }
    if donation.own.donor_email.is_none() {
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::NoEmail,
            "This donation has no donor email to send the receipt to.",
        ));
    }
    let day: NaiveDate = sqlx::query_scalar!(
        "SELECT (d.donated_at AT TIME ZONE o.time_zone)::date AS \"day!\" \
         FROM donations d, organisation_settings o WHERE d.id = $1",
        id,
    )
    .fetch_one(&mut *tx)
    .await?;
    send(&mut tx, &state.config.email, &donation.own, day).await?;
    let donation = donations::load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(donation))
}
