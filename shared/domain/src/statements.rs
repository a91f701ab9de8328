//! Annual donation statements: for a calendar year in the organisation's
//! time zone, each donor's completed gifts net of refunds (a gift refunded
//! in full is left out), with their receipt numbers and the total, on one
//! numbered statement (`S2026-000001`, numbered when first issued and kept
//! after). A donor is a member (their gifts by account) or, for gifts given
//! without an account, an address. The statement is a PDF the donor and
//! finance download, and an email [`send_year`] sends every donor of a
//! year once, through the outbox.

use crate::domain::money;
use crate::email::{outbox, Mail};
use crate::receipt_pdf::Receipt;
use chrono::NaiveDate;
use loaf_core::config::EmailConfig;
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgConnection;
use std::collections::BTreeMap;
use uuid::Uuid;

/// Whose statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Donor {
    Member(Uuid),
    /// Gifts given without an account, by this address (lowercase).
    Guest(String),
}

impl Donor {
    fn key(&self) -> String {
        match self {
            Donor::Member(id) => format!("user:{id}"),
            Donor::Guest(email) => format!("email:{}", email.to_lowercase()),
        }
    }
}

/// One donor's year, as finance lists them.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DonorYear {
    /// The member, for gifts given with an account.
    pub user_id: Option<Uuid>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub gifts: i64,
    /// The net total, per currency (`{"EUR": 12000}`).
    pub totals: BTreeMap<String, i64>,
    /// Set once the statement was issued (downloaded or sent).
    pub number: Option<String>,
    pub emailed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Every donor of `year`, by name.
pub async fn donors(conn: &mut PgConnection, year: i32) -> Result<Vec<DonorYear>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"WITH y AS (
               SELECT make_timestamptz($1, 1, 1, 0, 0, 0, o.time_zone) AS starts,
                      make_timestamptz($1 + 1, 1, 1, 0, 0, 0, o.time_zone) AS ends
               FROM organisation_settings o),
           g AS (
               SELECT CASE WHEN d.user_id IS NOT NULL THEN 'user:' || d.user_id
                           ELSE 'email:' || lower(d.donor_email) END AS donor_key,
                      d.user_id, d.donor_name, lower(d.donor_email) AS donor_email,
                      d.currency::text AS currency, d.amount_cents - d.refunded_cents AS net,
                      d.donated_at
               FROM donations d, y
               WHERE d.status = 'completed' AND d.donated_at >= y.starts AND d.donated_at < y.ends
                 AND d.amount_cents > d.refunded_cents
                 AND (d.user_id IS NOT NULL OR d.donor_email IS NOT NULL))
           SELECT g.donor_key AS "donor_key!", (array_agg(g.user_id))[1] AS user_id,
                  COALESCE(max(trim(concat_ws(' ', u.first_name, u.last_name))),
                           (array_agg(g.donor_name ORDER BY g.donated_at DESC))[1]) AS name,
                  COALESCE(max(u.email), (array_agg(g.donor_email))[1]) AS email,
                  count(*) AS "gifts!",
                  (SELECT jsonb_object_agg(c, t) FROM (
                       SELECT h.currency AS c, sum(h.net) AS t FROM g h
                       WHERE h.donor_key = g.donor_key GROUP BY h.currency) per) AS "totals!",
                  s.number AS "number?", s.emailed_at AS "emailed_at?"
           FROM g LEFT JOIN users u ON u.id = g.user_id
           LEFT JOIN donation_statements s ON s.year = $1 AND s.donor_key = g.donor_key
           GROUP BY g.donor_key, s.number, s.emailed_at
           ORDER BY 3, 1"#,
        year,
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DonorYear {
            user_id: r.user_id,
            name: r.name,
            email: r.email,
            gifts: r.gifts,
            totals: serde_json::from_value(r.totals).unwrap_or_default(),
            number: r.number,
            emailed_at: r.emailed_at,
        })
        .collect())
}

/// One gift on a statement.
#[derive(Debug, Clone)]
pub struct Gift {
    pub given_on: NaiveDate,
    pub receipt_number: Option<String>,
    pub net_cents: i64,
    pub currency: String,
}

/// A donor's statement of a year.
#[derive(Debug, Clone)]
pub struct Statement {
    pub year: i32,
    pub number: String,
    pub donor_name: String,
    pub email: Option<String>,
    pub user_id: Option<Uuid>,
    /// The member's account was erased: nobody to write to.
    pub erased: bool,
    pub gifts: Vec<Gift>,
}

impl Statement {
    /// The net totals, currency by currency (`EUR 120.00`).
    pub fn total(&self) -> String {
        let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
        for g in &self.gifts {
            *totals.entry(&g.currency).or_default() += g.net_cents;
        }
        totals
            .iter()
            .map(|(c, t)| format!("{c} {}", money(*t)))
            .collect::<Vec<_>>()
            .join(" + ")
    }

    fn gift_lines(&self) -> Vec<(String, String)> {
        self.gifts
            .iter()
            .map(|g| {
                (
                    match &g.receipt_number {
                        Some(n) => format!("{}, receipt {n}", g.given_on),
                        None => g.given_on.to_string(),
                    },
                    format!("{} {}", g.currency, money(g.net_cents)),
                )
            })
            .collect()
    }

    /// The statement as a PDF page's content.
    pub fn receipt(
        &self,
        org_name: String,
        logo: Option<Vec<u8>>,
        address: Option<String>,
    ) -> Receipt {
        let mut lines = vec![
            ("Donor".to_string(), self.donor_name.clone()),
            (
                "Year".to_string(),
                format!("1 January to 31 December {}", self.year),
            ),
        ];
        lines.extend(self.gift_lines());
        lines.push(("Total given".into(), self.total()));
        Receipt {
            footer: match address {
                Some(a) => format!("Issued by {org_name}, {a}. Thank you for your support."),
                None => format!("Issued by {org_name}. Thank you for your support."),
            },
            org_name,
            logo,
            title: format!("Donation statement {}", self.year),
            number: self.number.clone(),
            lines,
        }
    }
}

/// `donor`'s statement of `year`, numbered now if it never was; `None` when
/// they gave nothing that year (or only gifts refunded in full).
pub async fn issue(
    conn: &mut PgConnection,
    year: i32,
    donor: &Donor,
) -> Result<Option<Statement>, sqlx::Error> {
    let (member, guest) = match donor {
        Donor::Member(id) => (Some(*id), None),
        Donor::Guest(email) => (None, Some(email.to_lowercase())),
    };
    let gifts = sqlx::query!(
        r#"SELECT (d.donated_at AT TIME ZONE o.time_zone)::date AS "given_on!",
                  d.receipt_number, d.amount_cents - d.refunded_cents AS "net!",
                  d.currency::text AS "currency!", d.donor_name
           FROM donations d, organisation_settings o
           WHERE d.status = 'completed' AND d.amount_cents > d.refunded_cents
             AND d.donated_at >= make_timestamptz($1, 1, 1, 0, 0, 0, o.time_zone)
             AND d.donated_at < make_timestamptz($1 + 1, 1, 1, 0, 0, 0, o.time_zone)
             AND (d.user_id = $2 OR ($2::uuid IS NULL AND d.user_id IS NULL
                                     AND lower(d.donor_email) = $3))
           ORDER BY d.donated_at, d.id"#,
        year,
        member,
        guest,
    )
    .fetch_all(&mut *conn)
    .await?;
    if gifts.is_empty() {
        return Ok(None);
    }
    let (name, email, erased) = match member {
        Some(id) => {
            let u = sqlx::query!(
                r#"SELECT trim(concat_ws(' ', first_name, last_name)) AS "name!", email,
                          erased_at IS NOT NULL AS "erased!"
                   FROM users WHERE id = $1"#,
                id,
            )
            .fetch_one(&mut *conn)
            .await?;
            (u.name, Some(u.email), u.erased)
        }
        None => (
            gifts
                .iter()
                .rev()
                .find_map(|g| g.donor_name.clone())
                .unwrap_or_else(|| "Donor".into()),
            guest.clone(),
            false,
        ),
    };
    let key = donor.key();
    let existing: Option<String> = sqlx::query_scalar!(
        "SELECT number FROM donation_statements WHERE year = $1 AND donor_key = $2",
        year,
        key,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let number = match existing {
        Some(n) => n,
        None => {
            let n: i32 = sqlx::query_scalar!(
                "INSERT INTO donation_statement_counters (year, last_number) VALUES ($1, 1) \
                 ON CONFLICT (year) DO UPDATE \
                 SET last_number = donation_statement_counters.last_number + 1 \
                 RETURNING last_number",
                year,
            )
            .fetch_one(&mut *conn)
            .await?;
            let number = format!("S{year}-{n:06}");
            // Two first downloads at once: the second finds the first's row.
            sqlx::query_scalar!(
                "INSERT INTO donation_statements (year, number, donor_key, user_id) \
                 VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (year, donor_key) DO UPDATE SET year = EXCLUDED.year \
                 RETURNING number",
                year,
                number,
                key,
                member,
            )
            .fetch_one(&mut *conn)
            .await?
        }
    };
    Ok(Some(Statement {
        year,
        number,
        donor_name: name,
        email,
        user_id: member,
        erased,
        gifts: gifts
            .into_iter()
            .map(|g| Gift {
                given_on: g.given_on,
                receipt_number: g.receipt_number,
                net_cents: g.net,
                currency: g.currency,
            })
            .collect(),
    }))
}

/// What [`send_year`] did.
#[derive(Debug, Default, Clone, Copy, Serialize, JsonSchema)]
pub struct Sent {
    /// Donors emailed their statement now.
    pub emailed: u64,
    /// Donors emailed before (each is emailed once).
    pub already_emailed: u64,
}

/// Emails every donor of `year` their statement, once: a donor emailed
/// before is skipped. Inside the caller's transaction.
pub async fn send_year(
    conn: &mut PgConnection,
    cfg: &EmailConfig,
    year: i32,
) -> Result<Sent, sqlx::Error> {
    // Two sends of one year at once: the second waits, then finds every
    // donor emailed.
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtext('donation_statements'), $1)",
        year
    )
    .execute(&mut *conn)
    .await?;
    let mut sent = Sent::default();
    for d in donors(conn, year).await? {
        if d.emailed_at.is_some() {
            sent.already_emailed += 1;
            continue;
        }
        let donor = match (d.user_id, &d.email) {
            (Some(id), _) => Donor::Member(id),
            (None, Some(email)) => Donor::Guest(email.clone()),
            (None, None) => continue,
        };
        let Some(statement) = issue(conn, year, &donor).await? else {
            continue;
        };
        let Some(to) = statement.email.clone().filter(|_| !statement.erased) else {
            continue;
        };
        let mail = Mail::DonationStatement {
            name: statement.donor_name.clone(),
            year,
            number: statement.number.clone(),
            gifts: statement.gift_lines(),
            total: statement.total(),
            member: statement.user_id.is_some(),
        };
        outbox::enqueue(conn, cfg, &to, &mail).await?;
        sqlx::query!(
            "UPDATE donation_statements SET emailed_at = now() WHERE number = $1",
            statement.number,
        )
        .execute(&mut *conn)
        .await?;
        sent.emailed += 1;
    }
    Ok(sent)
}

/// Whether `year` is over on the organisation's calendar.
pub async fn year_over(conn: &mut PgConnection, year: i32) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT now() >= make_timestamptz($1 + 1, 1, 1, 0, 0, 0, time_zone) AS "over!"
           FROM organisation_settings"#,
        year,
    )
    .fetch_one(conn)
    .await
}
