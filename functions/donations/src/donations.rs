//! Reading donations: the list with its filters, one donation, the CSV
//! export. Donor details are for those holding `donations.view`; anyone
//! else signed in sees only their own donations, and another's is 404.

use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use loaf_core::db::like_contains;
use loaf_domain::domain::money;
use loaf_domain::enums::{DonationStatus, DonationType, PaymentMethod};
use loaf_domain::permissions::{perm, Permission};
use loaf_domain::validate::optional_text;
use loaf_http::auth::{AuthUser, Require};
use loaf_http::csv_export::{self, ExportLink};
use loaf_http::extract::{Json, Path, Query};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

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

pub async fn load(conn: &mut PgConnection, id: Uuid) -> ApiResult<Donation> {
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
    .await?
    .ok_or(ApiError::NotFound)
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

    /// Adds the conditions on `donations d` after a `WHERE true`; answers
    /// the ORDER BY clause.
    fn push(&self, qb: &mut QueryBuilder<'_, Postgres>) -> ApiResult<&'static str> {
        if let Some(q) = optional_text("q", self.q.as_deref(), 200)? {
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
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                return Err(ApiError::invalid("from", "from must not be after to"));
            }
        }
        // Days on the organisation's calendar, turned into instants once so
        // the range runs on the index of COALESCE(donated_at, created_at).
        let zone = "(SELECT time_zone FROM organisation_settings)";
        if let Some(from) = self.from {
            qb.push(" AND COALESCE(d.donated_at, d.created_at) >= (")
                .push_bind(from)
                .push(format!("::date::timestamp AT TIME ZONE {zone})"));
        }
        if let Some(to) = self.to {
            qb.push(" AND COALESCE(d.donated_at, d.created_at) < ((")
                .push_bind(to)
                .push(format!("::date + 1)::timestamp AT TIME ZONE {zone})"));
        }
        if let (Some(min), Some(max)) = (self.min_cents, self.max_cents) {
            if min > max {
                return Err(ApiError::invalid(
                    "min_cents",
                    "min_cents must not exceed max_cents",
                ));
            }
        }
        if let Some(min) = self.min_cents {
            qb.push(" AND d.amount_cents >= ").push_bind(min);
        }
        if let Some(max) = self.max_cents {
            qb.push(" AND d.amount_cents <= ").push_bind(max);
        }
        Ok(self.sort.order_by())
    }
}

/// `GET /api/donations`: every donation with `donations.view`; otherwise
/// the caller's own.
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    page: PageParams,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<Page<Listed>>> {
    let admin = user.can(perm::DonationsView::CODE);
    let own = |qb: &mut QueryBuilder<'_, Postgres>| {
        if admin {
            filter.hide_pending(qb);
        } else {
            qb.push(" AND d.user_id = ").push_bind(user.id);
        }
    };
    let mut count = QueryBuilder::new("SELECT count(*) FROM donations d WHERE true");
    own(&mut count);
    filter.push(&mut count)?;
    let mut select = QueryBuilder::new(format!("{SELECT} WHERE true"));
    own(&mut select);
    let order = filter.push(&mut select)?;
    select
        .push(format!(" ORDER BY {order} LIMIT "))
        .push_bind(page.limit())
        .push(" OFFSET ")
        .push_bind(page.offset());
    let mut conn = state.db.acquire().await?;
    let total: i64 = count
        .build_query_scalar()
        .persistent(false)
        .fetch_one(&mut *conn)
        .await?;
    let items: Vec<Donation> = select
        .build_query_as()
        .persistent(false)
        .fetch_all(&mut *conn)
        .await?;
    let items = items
        .into_iter()
        .map(|d| {
            if admin {
                Listed::Whole(d)
            } else {
                Listed::Own(d.own)
            }
        })
        .collect();
    Ok(Json(Page::new(items, page, total)))
}

/// `GET /api/donations/{id}`: with `donations.view`, or one's own.
pub async fn show(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Listed>> {
    let mut conn = state.db.acquire().await?;
    let donation = load(&mut conn, id).await?;
    if user.can(perm::DonationsView::CODE) {
        return Ok(Json(Listed::Whole(donation)));
    }
    if donation.own.user_id != Some(user.id) {
        // Not "forbidden": whether it exists is none of the caller's business.
        return Err(ApiError::NotFound);
    }
    Ok(Json(Listed::Own(donation.own)))
}

const HEADER: &[&str] = &[
    "id",
    "receipt_number",
    "donated_at",
    "donor_name",
    "donor_email",
    "type",
    "status",
    "method",
    "amount",
    "refunded",
    "currency",
    "anonymous",
    "dedication",
    "message",
    "in_kind",
    "notes",
    "recorded_by",
];

impl Donation {
    fn cells(self) -> [String; 17] {
        let own = self.own;
        [
            own.id.to_string(),
            own.receipt_number.unwrap_or_default(),
            own.donated_at.map(|d| d.to_rfc3339()).unwrap_or_default(),
            own.donor_name.unwrap_or_default(),
            own.donor_email.unwrap_or_default(),
            own.donation_type.to_string(),
            own.status.to_string(),
            own.payment_method
                .map(|m| m.to_string())
                .unwrap_or_default(),
            money(own.amount_cents),
            money(own.refunded_cents),
            own.currency.unwrap_or_default(),
            if own.anonymous { "yes" } else { "no" }.into(),
            own.dedication.unwrap_or_default(),
            own.message.unwrap_or_default(),
            own.in_kind_description.unwrap_or_default(),
            self.notes.unwrap_or_default(),
            self.recorded_by_name.unwrap_or_default(),
        ]
    }
}

/// `GET /api/donations/export`: the list's filters and order as CSV in S3.
pub async fn export(
    State(state): State<AppState>,
    _: Require<perm::DonationsExport>,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<ExportLink>> {
    let mut select = QueryBuilder::new(format!("{SELECT} WHERE true"));
    filter.hide_pending(&mut select);
    let order = filter.push(&mut select)?;
    select.push(format!(" ORDER BY {order}"));
    let mut conn = state.db.acquire().await?;
    Ok(Json(
        csv_export::export(
            &state.storage,
            &mut conn,
            &mut select,
            "donations",
            HEADER,
            Donation::cells,
        )
        .await?,
    ))
}
