//! Donations as stored: one gift, the lists and the export with their
//! filters and order, offline gifts as an admin records them. Online
//! gifts, their payment and refunds are the payments module's; receipts
//! and yearly statements have their own modules.

use crate::enums::{DonationStatus, DonationType, PaymentMethod};
use crate::payments::checkout::GiftDetails;
use crate::validate::{optional_text, FieldError};
use chrono::{DateTime, NaiveDate, Utc};
use loaf_core::db::like_contains;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

pub mod stats;

/// A donation as its donor sees it.
#[derive(Debug, Serialize, sqlx::FromRow, JsonSchema)]
pub struct OwnDonation {
    pub id: Uuid,
    pub amount_cents: i64,
    pub currency: Option<String>,
    /// `member`: given while signed in, or recorded for a member.
    pub donation_type: DonationType,
    pub status: DonationStatus,
    pub user_id: Option<Uuid>,
    pub donor_name: Option<String>,
    pub donor_email: Option<String>,
    pub message: Option<String>,
    /// The donor asked not to be named publicly.
    pub anonymous: bool,
    pub dedication: Option<String>,
    pub payment_method: Option<PaymentMethod>,
    pub in_kind_description: Option<String>,
    pub donated_at: Option<DateTime<Utc>>,
    pub refunded_cents: i64,
    /// `None` for a gift not completed, or refunded in full.
    pub receipt_number: Option<String>,
    pub receipt_sent_at: Option<DateTime<Utc>>,
    /// Earlier numbers of this gift's receipt, voided by refunds (never
    /// reused).
    pub voided_receipt_numbers: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// A donation as those holding `donations.view` see it: the donor's view,
/// and the admins' notes and who recorded it (a type of its own, so a
/// donor's view cannot carry them).
#[derive(Debug, Serialize, sqlx::FromRow, JsonSchema)]
pub struct Donation {
    #[serde(flatten)]
    #[sqlx(flatten)]
    pub own: OwnDonation,
    pub notes: Option<String>,
    pub recorded_by: Option<Uuid>,
    pub recorded_by_name: Option<String>,
}

/// A donation in the list: the whole of it with `donations.view`, the
/// donor's view of one's own gifts otherwise.
#[derive(Debug, Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "ListedDonation")]
pub enum Listed {
    Whole(Donation),
    Own(OwnDonation),
}

/// The columns of [`Donation`], for the lists' `QueryBuilder` (their
/// filters and order vary); [`load`] reads the same columns, checked.
const SELECT: &str = "SELECT d.id, d.amount_cents, d.currency::text AS currency, \
        d.donation_type, d.status, d.user_id, d.donor_name, \
        d.donor_email, d.message, d.anonymous, d.dedication, d.payment_method, d.in_kind_description, \
        d.donated_at, d.refunded_cents, d.receipt_number, d.receipt_sent_at, d.voided_receipt_numbers, \
        d.notes, d.recorded_by, \
        NULLIF(trim(concat_ws(' ', a.first_name, a.last_name)), '') AS recorded_by_name, d.created_at \
    FROM donations d LEFT JOIN users a ON a.id = d.recorded_by";

/// Donation `id`.
pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Donation>> {
    sqlx::query!(
        r#"SELECT d.id, d.amount_cents, d.currency::text AS currency,
               d.donation_type AS "donation_type: DonationType",
               d.status AS "status: DonationStatus", d.user_id, d.donor_name, d.donor_email,
               d.message, d.anonymous, d.dedication,
               d.payment_method AS "payment_method: PaymentMethod", d.in_kind_description,
               d.donated_at, d.refunded_cents, d.receipt_number, d.receipt_sent_at,
               d.voided_receipt_numbers, d.notes, d.recorded_by,
               NULLIF(trim(concat_ws(' ', a.first_name, a.last_name)), '') AS recorded_by_name,
               d.created_at
           FROM donations d LEFT JOIN users a ON a.id = d.recorded_by
           WHERE d.id = $1"#,
        id,
    )
    .map(|r| Donation {
        own: OwnDonation {
            id: r.id,
            amount_cents: r.amount_cents,
            currency: r.currency,
            donation_type: r.donation_type,
            status: r.status,
            user_id: r.user_id,
            donor_name: r.donor_name,
            donor_email: r.donor_email,
            message: r.message,
            anonymous: r.anonymous,
            dedication: r.dedication,
            payment_method: r.payment_method,
            in_kind_description: r.in_kind_description,
            donated_at: r.donated_at,
            refunded_cents: r.refunded_cents,
            receipt_number: r.receipt_number,
            receipt_sent_at: r.receipt_sent_at,
            voided_receipt_numbers: r.voided_receipt_numbers,
            created_at: r.created_at,
        },
        notes: r.notes,
        recorded_by: r.recorded_by,
        recorded_by_name: r.recorded_by_name,
    })
    .fetch_optional(conn)
    .await
}

/// The filters of the list and the export.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(rename = "DonationFilter")]
pub struct Filter {
    /// Donor name or email contains (case-insensitive).
    q: Option<String>,
    /// Without it, an admin sees completed and failed gifts: a `pending`
    /// one was started online and not (yet) paid, and most never are (the
    /// daily job marks them `failed` after two days). A member sees all of
    /// their own.
    status: Option<DonationStatus>,
    #[serde(rename = "type")]
    kind: Option<DonationType>,
    method: Option<PaymentMethod>,
    user_id: Option<Uuid>,
    /// Given from / up to these days (inclusive), on the organisation's calendar.
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    min_cents: Option<i64>,
    max_cents: Option<i64>,
    sort: Sort,
}

/// The list's order: the newest gift first by default; `-` in front
/// reverses; `donor` is by name.
#[derive(Debug, Default, Clone, Copy, Deserialize, JsonSchema)]
#[schemars(rename = "DonationSort")]
enum Sort {
    #[default]
    #[serde(rename = "-donated_at")]
    DonatedAtDesc,
    #[serde(rename = "donated_at")]
    DonatedAt,
    #[serde(rename = "amount")]
    Amount,
    #[serde(rename = "-amount")]
    AmountDesc,
    #[serde(rename = "donor")]
    Donor,
}

impl Sort {
    fn order_by(self) -> &'static str {
        match self {
            Sort::DonatedAtDesc => "COALESCE(d.donated_at, d.created_at) DESC, d.id",
            Sort::DonatedAt => "COALESCE(d.donated_at, d.created_at), d.id",
            Sort::Amount => "d.amount_cents, d.id",
            Sort::AmountDesc => "d.amount_cents DESC, d.id",
            Sort::Donor => "lower(d.donor_name), d.id",
        }
    }
}

impl Filter {
    /// Leaves out unpaid gifts unless the status filter asks for them: the
    /// admins' default view (anyone may start a gift online, so they pile
    /// up).
    fn hide_pending(&self, qb: &mut QueryBuilder<'_, Postgres>) {
        if self.status.is_none() {
            qb.push(" AND d.status <> 'pending'");
        }
    }

    /// Refuses a filter that cannot hold: a search over 200 characters, a
    /// range that ends before it starts.
    pub fn check(&self) -> Result<(), FieldError> {
        optional_text("q", self.q.as_deref(), 200)?;
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                return Err(FieldError::invalid("from", "from must not be after to"));
            }
        }
        if let (Some(min), Some(max)) = (self.min_cents, self.max_cents) {
            if min > max {
                return Err(FieldError::invalid(
                    "min_cents",
                    "min_cents must not exceed max_cents",
                ));
            }
        }
        Ok(())
    }

    /// Adds the conditions on `donations d` after a `WHERE true`; answers
    /// the ORDER BY clause.
    fn push(&self, qb: &mut QueryBuilder<'_, Postgres>) -> &'static str {
        if let Some(q) = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            // The expression of the trigram index `ix_donations_donor_search`.
            qb.push(
                " AND lower(COALESCE(d.donor_name, '') || ' ' || COALESCE(d.donor_email, '')) LIKE ",
            )
            .push_bind(like_contains(&q.to_lowercase()));
        }
        if let Some(status) = self.status {
            qb.push(" AND d.status = ").push_bind(status);
        }
        if let Some(kind) = self.kind {
            qb.push(" AND d.donation_type = ").push_bind(kind);
        }
        if let Some(method) = self.method {
            qb.push(" AND d.payment_method = ").push_bind(method);
        }
        if let Some(user) = self.user_id {
            qb.push(" AND d.user_id = ").push_bind(user);
        }
        // Days on the organisation's calendar, turned into instants once so
        // the range runs on the index of COALESCE(donated_at, created_at).
        if let Some(from) = self.from {
            qb.push(" AND COALESCE(d.donated_at, d.created_at) >= (")
                .push_bind(from)
                .push(
                    "::date::timestamp AT TIME ZONE (SELECT time_zone FROM organisation_settings))",
                );
        }
        if let Some(to) = self.to {
            qb.push(" AND COALESCE(d.donated_at, d.created_at) < ((")
                .push_bind(to)
                .push("::date + 1)::timestamp AT TIME ZONE (SELECT time_zone FROM organisation_settings))");
        }
        if let Some(min) = self.min_cents {
            qb.push(" AND d.amount_cents >= ").push_bind(min);
        }
        if let Some(max) = self.max_cents {
            qb.push(" AND d.amount_cents <= ").push_bind(max);
        }
        self.sort.order_by()
    }
}

/// Whose donations a list holds.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    /// Everyone's (those holding `donations.view`): unpaid gifts left out
    /// unless the status filter asks for them.
    All,
    /// One donor's own, all of them.
    Donor(Uuid),
}

fn scoped(qb: &mut QueryBuilder<'_, Postgres>, filter: &Filter, scope: Scope) {
    match scope {
        Scope::All => filter.hide_pending(qb),
        Scope::Donor(user) => {
            qb.push(" AND d.user_id = ").push_bind(user);
        }
    }
}

/// How many donations of `scope` match `filter` (checked by the caller).
pub async fn count(conn: &mut PgConnection, filter: &Filter, scope: Scope) -> sqlx::Result<i64> {
    let mut count = QueryBuilder::new("SELECT count(*) FROM donations d WHERE true");
    scoped(&mut count, filter, scope);
    filter.push(&mut count);
    count
        .build_query_scalar()
        .persistent(false)
        .fetch_one(conn)
        .await
}

/// A page of the donations [`count`] counts, in the filter's order.
pub async fn list(
    conn: &mut PgConnection,
    filter: &Filter,
    scope: Scope,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Donation>> {
    let mut select = QueryBuilder::new(format!("{SELECT} WHERE true"));
    scoped(&mut select, filter, scope);
    let order = filter.push(&mut select);
    select
        .push(format!(" ORDER BY {order} LIMIT "))
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    select
        .build_query_as()
        .persistent(false)
        .fetch_all(conn)
        .await
}

/// The statement of the CSV export: every donation matching `filter`
/// (checked by the caller; unpaid gifts left out unless asked for), in
/// its order, as [`Donation`] rows.
pub fn export_query(filter: &Filter) -> QueryBuilder<'static, Postgres> {
    let mut select = QueryBuilder::new(format!("{SELECT} WHERE true"));
    filter.hide_pending(&mut select);
    let order = filter.push(&mut select);
    select.push(format!(" ORDER BY {order}"));
    select
}

/// An offline gift as an admin records it, checked: completed at once.
#[derive(Debug)]
pub struct OfflineGift {
    pub amount_cents: i64,
    pub currency: String,
    /// The member it comes from: a `member` gift; `public` otherwise.
    pub user_id: Option<Uuid>,
    pub details: GiftDetails,
    pub method: PaymentMethod,
    pub in_kind_description: Option<String>,
    pub notes: Option<String>,
    pub donated_at: DateTime<Utc>,
}

/// Records `gift`, made by `by`; answers its id.
pub async fn record_offline(
    conn: &mut PgConnection,
    gift: &OfflineGift,
    by: Uuid,
) -> sqlx::Result<Uuid> {
    let kind = if gift.user_id.is_some() {
        DonationType::Member
    } else {
        DonationType::Public
    };
    sqlx::query_scalar!(
        "INSERT INTO donations (amount_cents, currency, donation_type, status, user_id, donor_name, \
             donor_email, message, anonymous, dedication, payment_method, in_kind_description, \
             notes, donated_at, recorded_by) \
         VALUES ($1, $2, $3, 'completed', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         RETURNING id",
        gift.amount_cents,
        gift.currency,
        kind as _,
        gift.user_id,
        gift.details.donor_name,
        gift.details.donor_email,
        gift.details.message,
        gift.details.anonymous,
        gift.details.dedication,
        gift.method as _,
        gift.in_kind_description,
        gift.notes,
        gift.donated_at,
        by,
    )
    .fetch_one(conn)
    .await
}

/// Today on the organisation's calendar, and the instant a gift given on
/// `day` is dated: its local midnight; now when no day is given.
pub async fn gift_day(
    conn: &mut PgConnection,
    day: Option<NaiveDate>,
) -> sqlx::Result<(NaiveDate, DateTime<Utc>)> {
    sqlx::query!(
        "SELECT (now() AT TIME ZONE o.time_zone)::date AS \"today!\", \
                CASE WHEN $1::date IS NULL THEN now() \
                     ELSE $1::date::timestamp AT TIME ZONE o.time_zone END AS \"donated_at!\" \
         FROM organisation_settings o",
        day,
    )
    .map(|r| (r.today, r.donated_at))
    .fetch_one(conn)
    .await
}

/// Gifts started online and left unpaid at `at`: the provider's checkout
/// session lasts a day, so after two nothing can complete them; they are
/// `failed`. Answers how many.
pub async fn abandon_unpaid(conn: &mut PgConnection, at: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE donations SET status = 'failed', updated_at = now() \
         WHERE status = 'pending' AND payment_method = 'online' \
           AND created_at < $1::timestamptz - interval '2 days'",
        at,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
