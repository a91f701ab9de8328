//! Annual donation statements (`loaf_domain::statements`): finance lists a
//! year's donors and downloads or sends their statements; a member
//! downloads their own.

use axum::extract::State;
use chrono::Datelike;
use loaf_domain::audit;
use loaf_domain::permissions::perm;
use loaf_domain::receipt_pdf;
use loaf_domain::settings;
use loaf_domain::statements::{self, Donor, DonorYear, Sent};
use loaf_http::auth::{AuthUser, Require};
use loaf_http::downloads::{self, Download};
use loaf_http::extract::{Json, Path, Query};
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `year` when it is one statements can be about: from 2000 to this one.
fn checked(year: i32) -> ApiResult<i32> {
    let now = chrono::Utc::now().year();
    if !(2000..=now).contains(&year) {
        return Err(ApiError::invalid(
            "year",
            format!("a statement is for a year from 2000 to {now}"),
        ));
    }
    Ok(year)
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Donors {
    year: i32,
    items: Vec<DonorYear>,
}

/// `GET /api/donations/statements/{year}` (`donations.view`): the year's
/// donors, their gifts and totals, and their statement's number and when
/// it was emailed, once issued.
pub async fn donors(
    State(state): State<AppState>,
    _: Require<perm::DonationsView>,
    Path(year): Path<i32>,
) -> ApiResult<Json<Donors>> {
    let year = checked(year)?;
    let mut conn = state.db.acquire().await?;
    Ok(Json(Donors {
        year,
        items: statements::donors(&mut conn, year).await?,
    }))
}

/// Whose statement finance asks for: a member, or an address that gave
/// without an account.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Whose {
    user_id: Option<Uuid>,
    email: Option<String>,
}

async fn download(state: &AppState, actor: Uuid, year: i32, donor: Donor) -> ApiResult<Download> {
    let mut tx = audit::begin_as(&state.db, actor).await?;
    let (org, logo) = receipt_pdf::letterhead(
        &mut tx,
        &state.storage,
        &state.config.email.org_name,
        state.config.uploads.max_image_bytes,
    )
    .await?;
    let address = settings::postal_address(&mut tx).await?;
    let statement = statements::issue(&mut tx, year, &donor)
        .await?
        .ok_or(ApiError::NotFound)?;
    tx.commit().await?;
    let name = format!("donation-statement-{}.pdf", statement.number);
    let owner = statement.user_id;
    let pdf = statement.receipt(org, logo, address).render();
    Ok(downloads::pdf(&state.storage, pdf, &name, owner).await?)
}

/// `GET /api/donations/statements/{year}/pdf?user_id=…|email=…`
/// (`donations.view`): a donor's statement as PDF; 404 when they gave
/// nothing that year.
pub async fn pdf(
    State(state): State<AppState>,
    finance: Require<perm::DonationsView>,
    Path(year): Path<i32>,
    Query(whose): Query<Whose>,
) -> ApiResult<Json<Download>> {
    let year = checked(year)?;
    let donor = match (whose.user_id, whose.email) {
        (Some(id), None) => Donor::Member(id),
        (None, Some(email)) if email.contains('@') => Donor::Guest(email.trim().to_lowercase()),
        _ => return Err(ApiError::invalid(
            "user_id",
            "name the donor: user_id for a member, or email for a gift given without an account",
        )),
    };
    Ok(Json(download(&state, finance.user.id, year, donor).await?))
}

/// `GET /api/donations/statements/{year}/mine`: the caller's own statement
/// as PDF; 404 when they gave nothing that year.
pub async fn mine(
    State(state): State<AppState>,
    user: AuthUser,
    Path(year): Path<i32>,
) -> ApiResult<Json<Download>> {
    let year = checked(year)?;
    Ok(Json(
        download(&state, user.id, year, Donor::Member(user.id)).await?,
    ))
}

/// `POST /api/donations/statements/{year}/send` (`donations.receipts`):
/// emails every donor of a finished year their statement, once (a donor
/// emailed before is not emailed again).
pub async fn send(
    State(state): State<AppState>,
    finance: Require<perm::DonationsReceipts>,
    Path(year): Path<i32>,
) -> ApiResult<Json<Sent>> {
    let year = checked(year)?;
    let mut tx = audit::begin_as(&state.db, finance.user.id).await?;
    if !statements::year_over(&mut tx, year).await? {
        return Err(ApiError::conflict(
            "year",
            format!("{year} is not over: its statements can be sent from 1 January."),
        ));
    }
    let sent = statements::send_year(&mut tx, &state.config.email, year).await?;
    tx.commit().await?;
    Ok(Json(sent))
}
