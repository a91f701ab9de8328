//! Reading donations: the list with its filters, one donation, the CSV
//! export. Donor details are for those holding `donations.view`; anyone
//! else signed in sees only their own donations, and another's is 404.

use axum::extract::State;
use loaf_domain::domain::money;
use loaf_domain::donations::{self, Donation, Filter, Listed, Scope};
use loaf_domain::permissions::{perm, Permission};
use loaf_http::auth::{AuthUser, Require};
use loaf_http::csv_export::{self, ExportLink};
use loaf_http::extract::{Json, Path, Query};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::{ApiError, ApiResult, AppState};
use sqlx::PgConnection;
use uuid::Uuid;

/// Donation `id`; 404 otherwise.
pub async fn load(conn: &mut PgConnection, id: Uuid) -> ApiResult<Donation> {
    donations::find(conn, id).await?.ok_or(ApiError::NotFound)
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
    filter.check()?;
    let scope = if admin {
        Scope::All
    } else {
        Scope::Donor(user.id)
    };
    let mut conn = state.db.acquire().await?;
    let total = donations::count(&mut conn, &filter, scope).await?;
    let items = donations::list(&mut conn, &filter, scope, page.limit(), page.offset()).await?;
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

/// A donation as a line of the CSV export.
fn cells(donation: Donation) -> [String; 17] {
    let own = donation.own;
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
        donation.notes.unwrap_or_default(),
        donation.recorded_by_name.unwrap_or_default(),
    ]
}

/// `GET /api/donations/export`: the list's filters and order as CSV in S3.
pub async fn export(
    State(state): State<AppState>,
    _: Require<perm::DonationsExport>,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<ExportLink>> {
    filter.check()?;
    let mut select = donations::export_query(&filter);
    let mut conn = state.db.acquire().await?;
    Ok(Json(
        csv_export::export(
            &state.storage,
            &mut conn,
            &mut select,
            "donations",
            HEADER,
            cells,
        )
        .await?,
    ))
}
