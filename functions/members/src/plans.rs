//! Subscription plans: anyone lists the active ones (the join page shows
//! them); admins with `subscriptions.plans` create, edit, retire and
//! reinstate them, and delete one only while nothing refers to it.

use axum::extract::State;
use axum::http::StatusCode;
use loaf_core::config::DEFAULT_MAX_PAYMENT_CENTS;
use loaf_domain::audit;
use loaf_domain::enums::BillingCycle;
use loaf_domain::memberships::periods::MonthDay;
use loaf_domain::memberships::plans::{self, PlanValues};
use loaf_domain::memberships::{find_plan, Plan};
use loaf_domain::permissions::perm;
use loaf_domain::validate::{optional_long_text, text};
use loaf_http::auth::{OptionalUser, Require};
use loaf_http::extract::{present, Json, Path, Query};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::reply::{Created, NoContent};
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default)]
pub struct ListFilter {
    /// Retired plans too (`subscriptions.plans` only).
    include_retired: bool,
}

/// `GET /api/plans`: active plans, cheapest first, for anyone; with
/// `include_retired=true`, every plan for plan managers.
pub async fn list(
    State(state): State<AppState>,
    OptionalUser(user): OptionalUser,
    page: PageParams,
    Query(filter): Query<ListFilter>,
) -> ApiResult<Json<Page<Plan>>> {
    if filter.include_retired {
        match &user {
            None => return Err(ApiError::Unauthorized),
            Some(u) if !u.can("subscriptions.plans") => return Err(ApiError::Forbidden),
            Some(_) => {}
        }
    }
    let only_active = !filter.include_retired;
    let mut conn = state.db.acquire().await?;
    let total = plans::count(&mut conn, only_active).await?;
    let items = plans::list(&mut conn, only_active, page.limit(), page.offset()).await?;
    Ok(Json(Page::new(items, page, total)))
}

/// A fixed calendar period, inclusive: `{"start_month": 1, "start_day": 1,
/// "end_month": 12, "end_day": 31, "prorate": true}`.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomPeriod {
    start_month: u32,
    start_day: u32,
    end_month: u32,
    end_day: u32,
    #[serde(default)]
    prorate: bool,
}

/// The fields of a plan a request may set; `None` keeps what is there.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanFields {
    name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    description: Option<Option<String>>,
    price_cents: Option<i64>,
    billing_cycle: Option<BillingCycle>,
    minimum_price_cents: Option<i64>,
    #[serde(default, deserialize_with = "present")]
    suggested_price_cents: Option<Option<i64>>,
    allow_donation: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    custom_period: Option<Option<CustomPeriod>>,
    /// `false` retires the plan (no new payments), `true` reinstates it.
    active: Option<bool>,
}

fn cents(field: &str, value: i64) -> ApiResult<i64> {
    if !(0..=DEFAULT_MAX_PAYMENT_CENTS).contains(&value) {
        return Err(ApiError::invalid(
            field,
            format!("{field} is a whole number of cents from 0 to {DEFAULT_MAX_PAYMENT_CENTS}"),
        ));
    }
    Ok(value)
}

impl PlanFields {
    /// Applies the request over `current` (a new plan: `None`) and checks
    /// the result: a price, a known cycle with its period when custom, a
    /// minimum no higher than the price, a suggestion between the two.
    fn check(self, current: Option<&Plan>) -> ApiResult<PlanValues> {
        let name = match (self.name, current) {
            (Some(n), _) => text("name", &n, 100)?,
            (None, Some(c)) => c.name.clone(),
            (None, None) => return Err(ApiError::required("name")),
        };
        let description = match (self.description, current) {
            (Some(d), _) => optional_long_text("description", d.as_deref(), 2000)?,
            (None, Some(c)) => c.description.clone(),
            (None, None) => None,
        };
        let price_cents = match (self.price_cents, current) {
            (Some(p), _) => cents("price_cents", p)?,
            (None, Some(c)) => c.price_cents,
            (None, None) => return Err(ApiError::required("price_cents")),
        };
        let billing_cycle = match (self.billing_cycle, current) {
            (Some(b), _) => b,
            (None, Some(c)) => c.billing_cycle,
            (None, None) => BillingCycle::Yearly,
        };
        let custom = match (self.custom_period, current) {
            (Some(Some(p)), _) => {
                let day = |m, d, which: &str| {
                    MonthDay::new(m, d).ok_or_else(|| {
                        ApiError::invalid(
                            "custom_period",
                            format!("the {which} day must exist every year (no 29 February)"),
                        )
                    })
                };
                Some((
                    day(p.start_month, p.start_day, "start")?,
                    day(p.end_month, p.end_day, "end")?,
                    p.prorate,
                ))
            }
            (Some(None), _) | (None, None) => None,
            (None, Some(c)) => {
                let day = |m: Option<i16>, d: Option<i16>| MonthDay::new(m? as u32, d? as u32);
                day(c.custom_cycle_start_month, c.custom_cycle_start_day)
                    .zip(day(c.custom_cycle_end_month, c.custom_cycle_end_day))
                    .map(|(s, e)| (s, e, c.custom_cycle_prorate))
            }
        };
        let custom =
            match (billing_cycle, custom) {
                (BillingCycle::Custom, None) => return Err(ApiError::invalid(
                    "custom_period",
                    "a custom cycle needs its period: start_month, start_day, end_month, end_day",
                )),
                (BillingCycle::Custom, some) => some,
                // Another cycle drops a period the plan had.
                _ => None,
            };
        let minimum_price_cents = match (self.minimum_price_cents, current) {
            (Some(m), _) => cents("minimum_price_cents", m)?,
            // A price change on a fixed-price plan moves its minimum along.
            (None, Some(c)) if c.minimum_price_cents >= c.price_cents => price_cents,
            (None, Some(c)) => c.minimum_price_cents.min(price_cents),
            (None, None) => price_cents,
        };
        if minimum_price_cents > price_cents {
            return Err(ApiError::invalid(
                "minimum_price_cents",
                "the minimum may not exceed the price",
            ));
        }
        let suggested_price_cents = match (self.suggested_price_cents, current) {
            (Some(s), _) => s.map(|s| cents("suggested_price_cents", s)).transpose()?,
            (None, Some(c)) => c.suggested_price_cents,
            (None, None) => None,
        };
        if let Some(s) = suggested_price_cents {
            if s < minimum_price_cents {
                return Err(ApiError::invalid(
                    "suggested_price_cents",
                    "the suggested price may not be below the minimum",
                ));
            }
        }
        Ok(PlanValues {
            name,
            description,
            price_cents,
            billing_cycle,
            minimum_price_cents,
            suggested_price_cents,
            allow_donation: self
                .allow_donation
                .or(current.map(|c| c.allow_donation))
                .unwrap_or(true),
            custom,
            active: self.active.or(current.map(|c| c.active)).unwrap_or(true),
        })
    }
}

/// `POST /api/plans`
pub async fn create(
    State(state): State<AppState>,
    admin: Require<perm::SubscriptionsPlans>,
    Json(body): Json<PlanFields>,
) -> ApiResult<Created<Plan>> {
    let plan = body.check(None)?;
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    let saved = plans::save(&mut tx, Uuid::new_v4(), &plan).await?;
    tx.commit().await?;
    Ok(Created(saved))
}

/// `GET /api/plans/{id}`: any plan for plan managers, active ones for anyone.
pub async fn show(
    State(state): State<AppState>,
    OptionalUser(user): OptionalUser,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Plan>> {
    let mut conn = state.db.acquire().await?;
    let plan = find_plan(&mut conn, id, false)
        .await?
        .ok_or(ApiError::NotFound)?;
    let manager = user.is_some_and(|u| u.can("subscriptions.plans"));
    if !plan.active && !manager {
        return Err(ApiError::NotFound);
    }
    Ok(Json(plan))
}

/// `PATCH /api/plans/{id}`: existing subscriptions keep the amounts and
/// period they were paid for; the change applies to payments from now on.
pub async fn update(
    State(state): State<AppState>,
    admin: Require<perm::SubscriptionsPlans>,
    Path(id): Path<Uuid>,
    Json(body): Json<PlanFields>,
) -> ApiResult<Json<Plan>> {
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    let current = plans::lock(&mut tx, id).await?.ok_or(ApiError::NotFound)?;
    let plan = body.check(Some(&current))?;
    let saved = plans::save(&mut tx, id, &plan).await?;
    tx.commit().await?;
    Ok(Json(saved))
}

/// `DELETE /api/plans/{id}`: only a plan nothing refers to; one with
/// subscriptions or checkouts is retired instead (`PATCH {"active": false}`).
pub async fn delete(
    State(state): State<AppState>,
    admin: Require<perm::SubscriptionsPlans>,
    Path(id): Path<Uuid>,
) -> ApiResult<NoContent> {
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    let uses = plans::lock_uses(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if uses > 0 {
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::PlanInUse,
            format!(
                "This plan has {uses} subscriptions or checkouts and cannot be deleted: retire it with PATCH {{\"active\": false}}."
            ),
        ));
    }
    plans::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(NoContent)
}
