//! Subscriptions: one row per paid period. Members read their own history;
//! admins list, filter and export everyone's, record manual payments and
//! cancel (at the period's end, or now).

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use loaf_core::db::like_contains;
use loaf_domain::audit;
use loaf_domain::domain::{money, UserStatus};
use loaf_domain::enums::{OfflineMethod, PaymentMethod, SubscriptionStatus};
use loaf_domain::memberships::{self, PaidBy, Payment};
use loaf_domain::permissions::perm;
use loaf_domain::validate::{optional_long_text, optional_text, text};
use loaf_http::auth::{AuthUser, Require};
use loaf_http::csv_export::{self, ExportLink};
use loaf_http::extract::{Json, Path, Query};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::reply::Created;
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

/// A subscription as its member sees it (their own history).
#[derive(Debug, Serialize, sqlx::FromRow, JsonSchema)]
pub struct OwnSubscription {
    id: Uuid,
    user_id: Uuid,
    member_name: String,
    member_email: String,
    plan_id: Uuid,
    plan_name: String,
    status: SubscriptionStatus,
    start_date: DateTime<Utc>,
    /// `None` for lifetime.
    end_date: Option<DateTime<Utc>>,
    base_cents: i64,
    donation_cents: i64,
    total_cents: i64,
    refunded_cents: i64,
    currency: Option<String>,
    payment_method: Option<PaymentMethod>,
    manual_payment: bool,
    manual_payment_date: Option<DateTime<Utc>>,
    cancel_at_period_end: bool,
    cancelled_at: Option<DateTime<Utc>>,
    cancellation_reason: Option<String>,
    created_at: DateTime<Utc>,
}

/// A subscription as admins see it: the member's view, and who recorded a
/// manual payment with their notes (a type of its own, so a member's
/// history cannot carry them).
#[derive(Debug, Serialize, sqlx::FromRow, JsonSchema)]
pub struct Subscription {
    #[serde(flatten)]
    #[sqlx(flatten)]
    own: OwnSubscription,
    manual_payment_notes: Option<String>,
    recorded_by: Option<Uuid>,
    recorded_by_name: Option<String>,
}

/// The columns of [`OwnSubscription`], over `subscriptions s` joined to
/// its member `u` and plan `p` (`from!`).
macro_rules! own_columns {
    () => {
        "s.id, s.user_id, \
        trim(concat_ws(' ', u.first_name, u.last_name)) AS member_name, u.email AS member_email, \
        s.plan_id, p.name AS plan_name, s.status, s.start_date, s.end_date, \
        s.base_subscription_cents AS base_cents, s.donation_cents, \
        COALESCE(s.amount_paid_cents, s.base_subscription_cents + s.donation_cents) AS total_cents, \
        s.refunded_cents, s.currency::text AS currency, s.payment_method, s.manual_payment, \
        s.manual_payment_date, s.cancel_at_period_end, s.cancelled_at, s.cancellation_reason, \
        s.created_at"
    };
}

macro_rules! from {
    () => {
        " FROM subscriptions s JOIN users u ON u.id = s.user_id \
        JOIN subscription_plans p ON p.id = s.plan_id"
    };
}

/// [`Subscription`]'s columns, for the lists' `QueryBuilder` (their
/// filters and order vary); [`load`] and [`mine`] read the same, checked.
const SELECT: &str = concat!(
    "SELECT ",
    own_columns!(),
    ", s.manual_payment_notes, s.manual_payment_admin_id AS recorded_by, \
    NULLIF(trim(concat_ws(' ', a.first_name, a.last_name)), '') AS recorded_by_name",
    from!(),
    " LEFT JOIN users a ON a.id = s.manual_payment_admin_id"
);

/// `sqlx::query!` over a subscription `s` with its member `u`, its plan
/// `p` and who recorded it `a`: [`Subscription`]'s columns, then `$tail`,
/// mapped by `$map` (a closure of the record).
macro_rules! subscription_query {
    ($tail:literal, $map:expr $(, $arg:expr)* $(,)?) => {
        sqlx::query!(
            r#"SELECT s.id, s.user_id,
                   trim(concat_ws(' ', u.first_name, u.last_name)) AS "member_name!",
                   u.email AS member_email, s.plan_id, p.name AS plan_name,
                   s.status AS "status: SubscriptionStatus", s.start_date, s.end_date,
                   s.base_subscription_cents AS base_cents, s.donation_cents,
                   COALESCE(s.amount_paid_cents, s.base_subscription_cents + s.donation_cents)
                       AS "total_cents!",
                   s.refunded_cents, s.currency::text AS currency,
                   s.payment_method AS "payment_method: PaymentMethod", s.manual_payment,
                   s.manual_payment_date, s.cancel_at_period_end, s.cancelled_at,
                   s.cancellation_reason, s.created_at, s.manual_payment_notes,
                   s.manual_payment_admin_id AS recorded_by,
                   NULLIF(trim(concat_ws(' ', a.first_name, a.last_name)), '') AS recorded_by_name
               FROM subscriptions s JOIN users u ON u.id = s.user_id
               JOIN subscription_plans p ON p.id = s.plan_id
               LEFT JOIN users a ON a.id = s.manual_payment_admin_id "# + $tail
            $(, $arg)*
        )
        .map($map)
    };
            }

/// The member's view of a [`subscription_query!`] record.
macro_rules! own {
    ($r:expr) => {
        OwnSubscription {
            id: $r.id,
            user_id: $r.user_id,
            member_name: $r.member_name,
            member_email: $r.member_email,
            plan_id: $r.plan_id,
            plan_name: $r.plan_name,
            status: $r.status,
            start_date: $r.start_date,
            end_date: $r.end_date,
            base_cents: $r.base_cents,
            donation_cents: $r.donation_cents,
            total_cents: $r.total_cents,
            refunded_cents: $r.refunded_cents,
            currency: $r.currency,
            payment_method: $r.payment_method,
            manual_payment: $r.manual_payment,
            manual_payment_date: $r.manual_payment_date,
            cancel_at_period_end: $r.cancel_at_period_end,
            cancelled_at: $r.cancelled_at,
            cancellation_reason: $r.cancellation_reason,
            created_at: $r.created_at,
        }
    };
}

pub(crate) async fn load(conn: &mut PgConnection, id: Uuid) -> ApiResult<Subscription> {
    subscription_query!(
        "WHERE s.id = $1",
        |r| Subscription {
            manual_payment_notes: r.manual_payment_notes,
            recorded_by: r.recorded_by,
            recorded_by_name: r.recorded_by_name,
            own: own!(r),
        },
        id,
    )
    .fetch_optional(conn)
    .await?
    .ok_or(ApiError::NotFound)
}

/// The filters of the list and the export.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default)]
#[schemars(rename = "SubscriptionFilter")]
pub struct Filter {
    /// Member name or email contains (ignoring case and accents).
    q: Option<String>,
    status: Option<SubscriptionStatus>,
    plan_id: Option<Uuid>,
    user_id: Option<Uuid>,
    method: Option<PaymentMethod>,
    /// Periods starting from / up to these days (inclusive).
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    sort: Sort,
}

/// The list's order: newest period first by default; `-` in front reverses.
#[derive(Debug, Default, Clone, Copy, Deserialize, JsonSchema)]
#[schemars(rename = "SubscriptionSort")]
enum Sort {
    #[default]
    #[serde(rename = "-start_date")]
    StartDateDesc,
    #[serde(rename = "start_date")]
    StartDate,
    #[serde(rename = "end_date")]
    EndDate,
    #[serde(rename = "-end_date")]
    EndDateDesc,
    #[serde(rename = "total")]
    Total,
    #[serde(rename = "-total")]
    TotalDesc,
    #[serde(rename = "member")]
    Member,
    #[serde(rename = "-member")]
    MemberDesc,
}

impl Sort {
    fn order_by(self) -> &'static str {
        match self {
            Sort::StartDateDesc => "s.start_date DESC, s.id",
            Sort::StartDate => "s.start_date, s.id",
            Sort::EndDate => "s.end_date NULLS LAST, s.id",
            Sort::EndDateDesc => "s.end_date DESC NULLS FIRST, s.id",
            Sort::Total => "total_cents, s.id",
            Sort::TotalDesc => "total_cents DESC, s.id",
            Sort::Member => "u.last_name, u.first_name, s.start_date DESC, s.id",
            Sort::MemberDesc => "u.last_name DESC, u.first_name DESC, s.start_date DESC, s.id",
        }
    }
}

impl Filter {
    /// Adds the filter's conditions on `subscriptions s` (after a `WHERE
    /// true`) and answers the ORDER BY clause.
    fn push(&self, qb: &mut QueryBuilder<'_, Postgres>) -> ApiResult<&'static str> {
        if let Some(q) = optional_text("q", self.q.as_deref(), 200)? {
            // The members' folded name and email, through their trigram
            // index: the same matches as the member search.
            qb.push(
                " AND s.user_id IN (SELECT m.id FROM users m WHERE m.search_text LIKE loaf_fold(",
            )
            .push_bind(like_contains(&q))
            .push("))");
        }
        if let Some(status) = self.status {
            qb.push(" AND s.status = ").push_bind(status);
        }
        if let Some(method) = self.method {
            qb.push(" AND s.payment_method = ").push_bind(method);
        }
        if let Some(plan) = self.plan_id {
            qb.push(" AND s.plan_id = ").push_bind(plan);
        }
        if let Some(user) = self.user_id {
            qb.push(" AND s.user_id = ").push_bind(user);
        }
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if from > to {
                return Err(ApiError::invalid("from", "from must not be after to"));
            }
        }
        if let Some(from) = self.from {
            qb.push(" AND s.start_date >= ").push_bind(from);
        }
        if let Some(to) = self.to {
            qb.push(" AND s.start_date < ")
                .push_bind(to)
                .push("::date + 1");
        }
        Ok(self.sort.order_by())
    }
}

/// `GET /api/subscriptions`: everyone's, filtered, paginated.
pub async fn list(
    State(state): State<AppState>,
    _: Require<perm::SubscriptionsView>,
    page: PageParams,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<Page<Subscription>>> {
    let mut count = QueryBuilder::new("SELECT count(*) FROM subscriptions s WHERE true");
    filter.push(&mut count)?;
    let mut select = QueryBuilder::new(format!("{SELECT} WHERE true"));
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
    let items = select
        .build_query_as()
        .persistent(false)
        .fetch_all(&mut *conn)
        .await?;
    Ok(Json(Page::new(items, page, total)))
}

/// `GET /api/subscriptions/me`: the caller's own history, newest first.
pub async fn mine(
    State(state): State<AppState>,
    user: AuthUser,
    page: PageParams,
) -> ApiResult<Json<Page<OwnSubscription>>> {
    let mut conn = state.db.acquire().await?;
    let total: i64 = sqlx::query_scalar!(
        "SELECT count(*) AS \"n!\" FROM subscriptions WHERE user_id = $1",
        user.id,
    )
    .fetch_one(&mut *conn)
    .await?;
    let items = subscription_query!(
        "WHERE s.user_id = $1 ORDER BY s.start_date DESC, s.id LIMIT $2 OFFSET $3",
        |r| own!(r),
        user.id,
        page.limit(),
        page.offset(),
    )
    .fetch_all(&mut *conn)
    .await?;
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

impl Subscription {
    fn cells(self) -> [String; 17] {
        let day = |d: Option<DateTime<Utc>>| d.map(|d| d.to_rfc3339()).unwrap_or_default();
        let own = self.own;
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
            self.recorded_by_name.unwrap_or_default(),
            day(own.manual_payment_date),
            self.manual_payment_notes.unwrap_or_default(),
            day(own.cancelled_at),
        ]
    }
}

/// `GET /api/subscriptions/export`: the list's filters and order, as CSV
/// streamed into S3, answered with a short-lived link.
pub async fn export(
    State(state): State<AppState>,
    _: Require<perm::SubscriptionsExport>,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<ExportLink>> {
    let mut select = QueryBuilder::new(format!("{SELECT} WHERE true"));
    let order = filter.push(&mut select)?;
    select.push(format!(" ORDER BY {order}"));
    let mut conn = state.db.acquire().await?;
    Ok(Json(
        csv_export::export(
            &state.storage,
            &mut conn,
            &mut select,
            "subscriptions",
            HEADER,
            Subscription::cells,
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
    let status: UserStatus = sqlx::query_scalar!(
        "SELECT status AS \"status: loaf_domain::domain::UserStatus\" FROM users WHERE id = $1",
        user_id,
    )
    .fetch_optional(conn)
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
    let (today, paid_at): (NaiveDate, DateTime<Utc>) = sqlx::query!(
        "SELECT (now() AT TIME ZONE o.time_zone)::date AS \"today!\", \
                (COALESCE($1, (now() AT TIME ZONE o.time_zone)::date)::timestamp AT TIME ZONE o.time_zone) \
                    AS \"paid_at!\" \
         FROM organisation_settings o",
        body.paid_on,
    ).map(|r| (r.today, r.paid_at))
    .fetch_one(&mut *tx)
    .await?;
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
    let settings = memberships::org_settings(&mut tx).await?;
    recorded(
        tx,
        &state,
        Payment {
            user_id: body.user_id,
            plan: &plan,
            terms: &terms,
            base_cents: base,
            donation_cents: body.donation_cents,
            currency: &settings.currency,
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
    let found: Option<(Uuid, SubscriptionStatus, Option<DateTime<Utc>>)> = sqlx::query!(
        "SELECT user_id, status AS \"status: loaf_domain::enums::SubscriptionStatus\", end_date FROM subscriptions WHERE id = $1 FOR UPDATE",
        id,
    ).map(|r| (r.user_id, r.status, r.end_date))
    .fetch_optional(&mut *tx)
    .await?;
    let (user_id, status, end_date) = found.ok_or(ApiError::NotFound)?;
    if status != SubscriptionStatus::Active {
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::NotActive,
            format!("This subscription is {status}: only an active one can be cancelled."),
        ));
    }
    if now {
        sqlx::query!(
            "UPDATE subscriptions SET status = 'cancelled', cancelled_at = now(), cancelled_by = $2, \
                 cancellation_reason = $3, end_date = LEAST(COALESCE(end_date, now()), now()), \
                 updated_at = now() \
             WHERE id = $1",
            id,
            admin.user.id,
            reason,
        )
        .execute(&mut *tx)
        .await?;
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
        sqlx::query!(
            "UPDATE subscriptions SET cancel_at_period_end = true, cancelled_by = $2, \
                 cancellation_reason = $3, updated_at = now() \
             WHERE id = $1",
            id,
            admin.user.id,
            reason,
        )
        .execute(&mut *tx)
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
        None => sqlx::query_scalar!(
            "SELECT plan_id FROM subscriptions WHERE user_id = $1 \
             ORDER BY end_date DESC NULLS FIRST LIMIT 1",
            body.user_id,
        )
        .fetch_optional(&mut *tx)
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
    let (ends_at, too_far): (DateTime<Utc>, bool) = sqlx::query!(
        "SELECT (($1::date + 1)::timestamp AT TIME ZONE time_zone) AS \"ends_at!\", \
                $1::date > (now() AT TIME ZONE time_zone)::date + interval '10 years' AS \"too_far!\" \
         FROM organisation_settings",
        body.until,
    )
    .map(|r| (r.ends_at, r.too_far))
    .fetch_one(&mut *tx)
    .await?;
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
    let settings = memberships::org_settings(&mut tx).await?;
    recorded(
        tx,
        &state,
        Payment {
            user_id: body.user_id,
            plan: &plan,
            terms: &terms,
            base_cents: 0,
            donation_cents: 0,
            currency: &settings.currency,
            paid_at: Utc::now(),
            by: PaidBy::Complimentary {
                admin_id: admin.user.id,
                reason,
            },
        },
    )
    .await
}
