//! Subscriptions: one row per paid period. Members read their own history;
//! admins list, filter and export everyone's, record manual payments and
//! cancel (at the period's end, or now).

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use loaf_domain::audit;
use loaf_domain::domain::{money, UserStatus};
use loaf_domain::enums::{OfflineMethod, SubscriptionStatus};
use loaf_domain::members;
use loaf_domain::memberships::subscriptions::{
    self, Filter, OwnSubscription, Standing, Subscription,
};
use loaf_domain::memberships::{self, PaidBy, Payment};
use loaf_domain::permissions::perm;
use loaf_domain::settings;
use loaf_domain::validate::{optional_long_text, text};
use loaf_http::auth::{AuthUser, Require};
use loaf_http::csv_export::{self, ExportLink};
use loaf_http::extract::{Json, Path, Query};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::reply::Created;
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::Deserialize;
use sqlx::{PgConnection, Postgres};
use uuid::Uuid;

/// Subscription `id`; 404 otherwise.
pub(crate) async fn load(conn: &mut PgConnection, id: Uuid) -> ApiResult<Subscription> {
    subscriptions::find(conn, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// `GET /api/subscriptions`: everyone's, filtered, paginated.
pub async fn list(
    State(state): State<AppState>,
    _: Require<perm::SubscriptionsView>,
    page: PageParams,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<Page<Subscription>>> {
    filter.check()?;
    let mut conn = state.db.acquire().await?;
    let total = subscriptions::count(&mut conn, &filter).await?;
    let items = subscriptions::list(&mut conn, &filter, page.limit(), page.offset()).await?;
    Ok(Json(Page::new(items, page, total)))
}

/// `GET /api/subscriptions/me`: the caller's own history, newest first.
pub async fn mine(
    State(state): State<AppState>,
    user: AuthUser,
    page: PageParams,
) -> ApiResult<Json<Page<OwnSubscription>>> {
    let mut conn = state.db.acquire().await?;
    let total = subscriptions::count_of(&mut conn, user.id).await?;
    let items = subscriptions::history(&mut conn, user.id, page.limit(), page.offset()).await?;
    Ok(Json(Page::new(items, page, total)))
}

const HEADER: &[&str] = &[
    "id",
    "member_email",
    "member_name",
    "plan",
    "status",
    "start_date",
    "end_date",
    "base",
    "donation",
    "total",
    "refunded",
    "currency",
    "method",
    "recorded_by",
    "payment_date",
    "notes",
    "cancelled_at",
];

/// A subscription as a line of the CSV export.
fn cells(subscription: Subscription) -> [String; 17] {
    let day = |d: Option<DateTime<Utc>>| d.map(|d| d.to_rfc3339()).unwrap_or_default();
    let own = subscription.own;
    [
        own.id.to_string(),
        own.member_email,
        own.member_name,
        own.plan_name,
        own.status.to_string(),
        day(Some(own.start_date)),
        day(own.end_date),
        money(own.base_cents),
        money(own.donation_cents),
        money(own.total_cents),
        money(own.refunded_cents),
        own.currency.unwrap_or_default(),
        own.payment_method
            .map(|m| m.to_string())
            .unwrap_or_default(),
        subscription.recorded_by_name.unwrap_or_default(),
        day(own.manual_payment_date),
        subscription.manual_payment_notes.unwrap_or_default(),
        day(own.cancelled_at),
    ]
}

/// `GET /api/subscriptions/export`: the list's filters and order, as CSV
/// streamed into S3, answered with a short-lived link.
pub async fn export(
    State(state): State<AppState>,
    _: Require<perm::SubscriptionsExport>,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<ExportLink>> {
    filter.check()?;
    let mut select = subscriptions::export_query(&filter);
    let mut conn = state.db.acquire().await?;
    Ok(Json(
        csv_export::export(
            &state.storage,
            &mut conn,
            &mut select,
            "subscriptions",
            HEADER,
            cells,
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManualPayment {
    user_id: Uuid,
    plan_id: Uuid,
    /// The membership part; the plan's price for the period when absent.
    amount_cents: Option<i64>,
    #[serde(default)]
    donation_cents: i64,
    method: OfflineMethod,
    /// The day the money was received (the organisation's calendar);
    /// today when absent. The period starts then.
    paid_on: Option<NaiveDate>,
    notes: Option<String>,
}

/// Refuses (422 or 409) unless `user_id` is a member whose membership an
/// admin may record: validated, not an applicant.
async fn validated_member(conn: &mut PgConnection, user_id: Uuid) -> ApiResult<()> {
    let status = members::status_of(conn, user_id)
        .await?
        .ok_or_else(|| ApiError::invalid("user_id", "No member has this id."))?;
    if matches!(
        status,
        UserStatus::PendingEmail
            | UserStatus::PendingValidation
            | UserStatus::PreValidated
            | UserStatus::Abandoned
            | UserStatus::Rejected
    ) {
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::NotPayable,
            format!(
                "This member is {}: only a validated member's membership can be recorded.",
                status.as_str()
            ),
        ));
    }
    Ok(())
}

/// `POST /api/subscriptions/manual`: a cash, cheque or bank payment, with
/// the same effect as one made online.
pub async fn manual(
    State(state): State<AppState>,
    admin: Require<perm::SubscriptionsManualPayment>,
    Json(body): Json<ManualPayment>,
) -> ApiResult<Created<Subscription>> {
    let notes = optional_long_text("notes", body.notes.as_deref(), 2000)?;
    let max = state.payments.max_cents();

    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    validated_member(&mut tx, body.user_id).await?;
    let plan = memberships::payable_plan(&mut tx, body.plan_id).await?;
    let (today, paid_at) = settings::paid_day(&mut tx, body.paid_on).await?;
    if body.paid_on.is_some_and(|d| d > today) {
        return Err(ApiError::invalid(
            "paid_on",
            "paid_on may not be in the future",
        ));
    }
    let terms = memberships::terms(&mut tx, &plan, body.user_id, paid_at).await?;
    if terms.ends_at.is_some_and(|end| end <= Utc::now()) {
        return Err(ApiError::invalid(
            "paid_on",
            "a payment on that day would cover a period already over",
        ));
    }
    let base = body.amount_cents.unwrap_or(terms.price_cents);
    memberships::check_amounts(&plan, &terms, base, body.donation_cents, max)?;
    let currency = settings::currency(&mut tx).await?;
    recorded(
        tx,
        &state,
        Payment {
            user_id: body.user_id,
            plan: &plan,
            terms: &terms,
            base_cents: base,
            donation_cents: body.donation_cents,
            currency: &currency,
            paid_at,
            by: PaidBy::Manual {
                method: body.method,
                admin_id: admin.user.id,
                notes,
            },
        },
    )
    .await
}

/// Records `payment` in `tx`, commits, and answers the new subscription.
async fn recorded(
    mut tx: sqlx::Transaction<'_, Postgres>,
    state: &AppState,
    payment: Payment<'_>,
) -> ApiResult<Created<Subscription>> {
    let id = memberships::record_payment(&mut tx, &state.config.email, payment).await?;
    let subscription = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Created(subscription))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Cancel {
    /// `period_end` when absent.
    #[serde(default)]
    when: Option<CancelWhen>,
    reason: Option<String>,
}

/// When a cancelled subscription ends.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum CancelWhen {
    /// The membership runs to the end of what was paid, then ends.
    #[default]
    PeriodEnd,
    /// It ends immediately.
    Now,
}

/// `POST /api/subscriptions/{id}/cancel`
pub async fn cancel(
    State(state): State<AppState>,
    admin: Require<perm::SubscriptionsCancel>,
    Path(id): Path<Uuid>,
    Json(body): Json<Cancel>,
) -> ApiResult<Json<Subscription>> {
    let now = body.when.unwrap_or_default() == CancelWhen::Now;
    let reason = optional_long_text("reason", body.reason.as_deref(), 2000)?;
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    let Standing {
        user_id,
        status,
        end_date,
    } = subscriptions::lock(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if status != SubscriptionStatus::Active {
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::NotActive,
            format!("This subscription is {status}: only an active one can be cancelled."),
        ));
    }
    if now {
        subscriptions::cancel_now(&mut tx, id, admin.user.id, reason.as_deref()).await?;
        memberships::lapse_if_uncovered(
            &mut tx,
            user_id,
            Utc::now(),
            UserStatus::Canceled,
            Some(admin.user.id),
            reason.as_deref().unwrap_or("subscription cancelled"),
        )
        .await?;
    } else {
        if end_date.is_none() {
            return Err(ApiError::invalid(
                "when",
                "a lifetime subscription has no period end: cancel it now",
            ));
        }
        subscriptions::cancel_at_period_end(&mut tx, &[id], admin.user.id, reason.as_deref())
            .await?;
    }
    let subscription = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(subscription))
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Complimentary {
    user_id: Uuid,
    /// The plan the period counts under; the member's latest when absent.
    plan_id: Option<Uuid>,
    /// The last day the period covers, on the organisation's calendar. It
    /// starts now, or where the member's current period ends if later.
    until: NaiveDate,
    /// Why (an honorary member, a volunteer, a correction): kept in the
    /// member's trail and the subscription's notes.
    reason: String,
}

/// `POST /api/subscriptions/complimentary`: extends a membership to a day,
/// or grants one, without payment: a subscription of method
/// `complimentary` and amount 0 with the same effect as a payment (the
/// member `active`, a guest made `member`), audited with the reason, and
/// the member told by email.
pub async fn complimentary(
    State(state): State<AppState>,
    admin: Require<perm::SubscriptionsCreate>,
    Json(body): Json<Complimentary>,
) -> ApiResult<Created<Subscription>> {
    let reason = text("reason", &body.reason, 500)?;
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    validated_member(&mut tx, body.user_id).await?;
    let plan_id = match body.plan_id {
        Some(id) => id,
        None => subscriptions::latest_plan(&mut tx, body.user_id)
            .await?
            .ok_or_else(|| {
                ApiError::invalid(
                    "plan_id",
                    "This member has had no period yet: name the plan this one counts under.",
                )
            })?,
    };
    let plan = memberships::find_plan(&mut tx, plan_id, true)
        .await?
        .ok_or_else(|| ApiError::invalid("plan_id", "No plan has this id."))?;
    let mut terms = memberships::terms(&mut tx, &plan, body.user_id, Utc::now()).await?;
    // The day after `until` begins where the period ends; ten years at most.
    let (ends_at, too_far) = settings::end_of_day(&mut tx, body.until).await?;
    if ends_at <= terms.starts_at {
        return Err(ApiError::invalid(
            "until",
            format!(
                "until must be after the membership's current end ({}).",
                terms.starts_at.format("%Y-%m-%d %H:%M UTC")
            ),
        ));
    }
    if too_far {
        return Err(ApiError::invalid(
            "until",
            "until may be at most ten years ahead",
        ));
    }
    terms.ends_at = Some(ends_at);
    let currency = settings::currency(&mut tx).await?;
    recorded(
        tx,
        &state,
        Payment {
            user_id: body.user_id,
            plan: &plan,
            terms: &terms,
            base_cents: 0,
            donation_cents: 0,
            currency: &currency,
            paid_at: Utc::now(),
            by: PaidBy::Complimentary {
                admin_id: admin.user.id,
                reason,
            },
        },
    )
    .await
}
