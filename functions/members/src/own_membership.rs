//! A member's own membership: cancel it at the end of what was paid (no
//! renewal reminders follow; the job ends it then, and the member becomes
//! `canceled`, keeping their account, payments and receipts), or keep it
//! after all while it still runs. A cancellation made by the organisation
//! is theirs to undo, not the member's.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use loaf_domain::audit;
use loaf_domain::email::{outbox, Mail};
use loaf_domain::memberships::subscriptions::{self, Running};
use loaf_domain::validate::optional_long_text;
use loaf_http::auth::AuthUser;
use loaf_http::extract::Json;
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

/// Where the caller's membership ends.
#[derive(Debug, Serialize, JsonSchema)]
pub struct MembershipEnd {
    /// The instant the last period paid ends.
    ends_at: DateTime<Utc>,
    /// Its last day, on the organisation's calendar.
    last_day: NaiveDate,
    /// Whether it ends there (cancelled) or is up for renewal.
    cancelled: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnCancel {
    /// Why, if the member says: kept with the subscription for the
    /// organisation to read.
    reason: Option<String>,
}

/// The caller's row and their running periods, locked in that order.
async fn running(conn: &mut PgConnection, user: Uuid) -> ApiResult<(String, Vec<Running>)> {
    let (first_name, periods) = subscriptions::lock_running(conn, user)
        .await?
        .ok_or(ApiError::NotFound)?;
    if periods.is_empty() {
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::NotActive,
            "You have no membership running.",
        ));
    }
    Ok((first_name, periods))
}

/// Where periods end: the last one's end, and whether that is where the
/// membership stops.
fn end_of(periods: &[Running], cancelled: bool) -> ApiResult<MembershipEnd> {
    match periods.last() {
        Some(Running {
            end_date: Some(ends_at),
            last_day: Some(last_day),
            ..
        }) => Ok(MembershipEnd {
            ends_at: *ends_at,
            last_day: *last_day,
            cancelled,
        }),
        _ => Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::AlreadyLifetime,
            "A lifetime membership has no end to cancel at: ask the organisation to end it.",
        )),
    }
}

/// `POST /api/subscriptions/me/cancel {reason?}`: the caller's membership
/// ends at the end of what they paid (every running period is cancelled at
/// its end) and is not renewed; confirmed by email. Asking again changes
/// nothing.
pub async fn cancel(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<OwnCancel>,
) -> ApiResult<Json<MembershipEnd>> {
    let reason = optional_long_text("reason", body.reason.as_deref(), 2000)?;
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    let (first_name, periods) = running(&mut tx, user.id).await?;
    let end = end_of(&periods, true)?;
    let fresh: Vec<Uuid> = periods
        .iter()
        .filter(|p| !p.cancel_at_period_end)
        .map(|p| p.id)
        .collect();
    if !fresh.is_empty() {
        subscriptions::cancel_at_period_end(&mut tx, &fresh, user.id, reason.as_deref()).await?;
        let last_day = end.last_day.to_string();
        audit::record(
            &mut tx,
            user.id,
            Some(user.id),
            "membership",
            None,
            Some(&format!("cancelled: ends after {last_day}")),
            Some(reason.as_deref().unwrap_or("cancelled by the member")),
        )
        .await?;
        let mail = Mail::MembershipCancelled {
            first_name,
            plan: periods.last().map(|p| p.plan.clone()).unwrap_or_default(),
            last_day: end.last_day,
        };
        outbox::enqueue(&mut tx, &state.config.email, &user.email, &mail).await?;
    }
    tx.commit().await?;
    Ok(Json(end))
}

/// `POST /api/subscriptions/me/resume`: undoes the caller's own
/// cancellation while the membership still runs: it is up for renewal
/// again (and its reminders resume).
pub async fn resume(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Json<MembershipEnd>> {
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    let (_, periods) = running(&mut tx, user.id).await?;
    let own: Vec<Uuid> = periods
        .iter()
        .filter(|p| p.cancel_at_period_end && p.cancelled_by == Some(user.id))
        .map(|p| p.id)
        .collect();
    let by_others = periods
        .iter()
        .any(|p| p.cancel_at_period_end && p.cancelled_by != Some(user.id));
    if by_others {
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::NotCancelled,
            "The organisation cancelled this membership: ask them to keep it.",
        ));
    }
    if own.is_empty() {
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::NotCancelled,
            "Your membership is not cancelled.",
        ));
    }
    subscriptions::keep(&mut tx, &own).await?;
    audit::record(
        &mut tx,
        user.id,
        Some(user.id),
        "membership",
        None,
        Some("kept: up for renewal"),
        Some("cancellation withdrawn by the member"),
    )
    .await?;
    let end = end_of(&periods, false)?;
    tx.commit().await?;
    Ok(Json(end))
}
