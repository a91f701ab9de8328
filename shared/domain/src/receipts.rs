//! Donation receipts: a completed donation gets the next number of its
//! year (`2026-000042`, on the organisation's calendar, without gaps: the
//! counter row is taken in the transaction that completes the donation)
//! and, when the donor left an address, an email through the outbox.
//! Completing a gift online (the payments module) or recording one by hand
//! issues it; an admin may send it again. A refund voids the number (never
//! reused), and what is left of the gift gets a new one, for the net
//! amount, saying which it replaces.

use crate::domain::money;
use crate::email::{outbox, Mail};
use crate::receipt_pdf::Receipt;
use chrono::NaiveDate;
use loaf_core::config::EmailConfig;
use sqlx::PgConnection;
use uuid::Uuid;

/// Numbers donation `id` (completed, `donated_at` set) and queues its
/// receipt. Inside the completing transaction.
pub async fn issue(conn: &mut PgConnection, email: &EmailConfig, id: Uuid) -> sqlx::Result<()> {
    let year: i32 = sqlx::query_scalar!(
        "SELECT extract(year FROM d.donated_at AT TIME ZONE o.time_zone)::int AS \"year!\" \
         FROM donations d, organisation_settings o WHERE d.id = $1",
        id,
    )
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
    send(conn, email, id).await.map(drop)
}

/// Queues the receipt email of donation `id` when it is numbered and has
/// an address, and notes when it was sent; answers whether it was.
pub async fn send(conn: &mut PgConnection, email: &EmailConfig, id: Uuid) -> sqlx::Result<bool> {
    let found = sqlx::query!(
        "SELECT d.donor_name, d.donor_email, d.receipt_number, \
                d.amount_cents - d.refunded_cents AS \"net_cents!\", \
                d.voided_receipt_numbers[cardinality(d.voided_receipt_numbers)] AS replaces, \
                d.currency::text AS currency, d.in_kind_description, d.dedication, \
                (d.donated_at AT TIME ZONE o.time_zone)::date AS \"given_on: NaiveDate\" \
         FROM donations d, organisation_settings o WHERE d.id = $1",
        id,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(d) = found else {
        return Ok(false);
    };
    let (Some(to), Some(number), Some(given_on)) = (d.donor_email, d.receipt_number, d.given_on)
    else {
        return Ok(false);
    };
    let mail = Mail::DonationReceipt {
        donor_name: d.donor_name.unwrap_or_else(|| "friend".into()),
        number,
        amount_cents: d.net_cents,
        replaces: d.replaces,
        currency: d.currency.unwrap_or_default(),
        given_on,
        in_kind: d.in_kind_description,
        dedication: d.dedication,
    };
    outbox::enqueue(conn, email, &to, &mail).await?;
    sqlx::query!(
        "UPDATE donations SET receipt_sent_at = now() WHERE id = $1",
        id,
    )
    .execute(conn)
    .await?;
    Ok(true)
}

/// Donation `id`'s receipt as [`Receipt`] facts, `None` when it has no
/// valid receipt (not completed, or refunded in full).
pub async fn pdf(
    conn: &mut PgConnection,
    id: Uuid,
    org_name: String,
    logo: Option<Vec<u8>>,
) -> sqlx::Result<Option<Receipt>> {
    let d = sqlx::query!(
        "SELECT d.donor_name, d.receipt_number, d.amount_cents - d.refunded_cents AS \"net_cents!\", \
                d.currency::text AS currency, d.in_kind_description, d.dedication, \
                d.voided_receipt_numbers[cardinality(d.voided_receipt_numbers)] AS replaces, \
                (d.donated_at AT TIME ZONE o.time_zone)::date AS \"given_on: NaiveDate\" \
         FROM donations d, organisation_settings o WHERE d.id = $1",
        id,
    )
    .fetch_optional(conn)
    .await?;
    let Some(d) = d else { return Ok(None) };
    let (Some(number), Some(given_on)) = (d.receipt_number, d.given_on) else {
        return Ok(None);
    };
    let amount = format!("{} {}", d.currency.unwrap_or_default(), money(d.net_cents));
    let mut lines = vec![
        (
            "Donor".to_string(),
            d.donor_name.unwrap_or_else(|| "Anonymous".into()),
        ),
        ("Date of the gift".to_string(), given_on.to_string()),
        ("Amount".to_string(), amount),
    ];
    if let Some(what) = d.in_kind_description {
        lines.push(("Given in kind".into(), what));
    }
    if let Some(dedication) = d.dedication {
        lines.push(("Dedication".into(), dedication));
    }
    if let Some(voided) = d.replaces {
        lines.push((
            "Replaces".into(),
            format!("receipt {voided}, void after a partial refund"),
        ));
    }
    Ok(Some(Receipt {
        footer: format!("Thank you for your gift to {org_name}."),
        org_name,
        logo,
        title: "Donation receipt".into(),
        number,
        lines,
    }))
}
