//! Where a member is in the lifecycle, and who may move them: validating
//! or rejecting an applicant (each emailed), and every other change of
//! status through one transition table that refuses illegal moves.

use crate::members::load;
use axum::extract::State;
use axum::http::StatusCode;
use loaf_domain::audit;
use loaf_domain::auth::{end_all_sessions, other_superadmins};
use loaf_domain::domain::UserStatus;
use loaf_domain::email::{outbox, Mail};
use loaf_domain::members::{self, Member, Move, Target};
use loaf_domain::permissions::perm;
use loaf_domain::validate::optional_long_text;
use loaf_http::auth::{AuthUser, Require};
use loaf_http::extract::{Json, Path};
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;
use UserStatus::*;

/// Applicants an admin may validate or reject.
fn is_applicant(status: UserStatus) -> bool {
    matches!(status, PendingValidation | PreValidated)
}

fn illegal(from: UserStatus, to: &str) -> ApiError {
    ApiError::refused(
        StatusCode::CONFLICT,
        ErrorCode::IllegalTransition,
        format!("A member in status {} cannot move to {to}.", from.as_str()),
    )
}

/// Locks member `id` and reads what a status change needs; 404 otherwise.
async fn lock(conn: &mut PgConnection, id: Uuid) -> ApiResult<Target> {
    members::lock_target(conn, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// Refuses to leave the organisation without a superadmin able to sign in.
pub async fn keep_a_superadmin(conn: &mut PgConnection, id: Uuid) -> ApiResult<()> {
    if other_superadmins(conn, id).await? == 0 {
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::LastSuperadmin,
            "This is the last superadmin who can sign in: make another superadmin first.",
        ));
    }
    Ok(())
}

/// Moves member `id` to `to`, recording it; ends their sessions when the
/// new status may not sign in. Inside the caller's transaction.
async fn move_to(
    conn: &mut PgConnection,
    actor: &AuthUser,
    id: Uuid,
    target: &Target,
    to: UserStatus,
    reason: Option<&str>,
) -> ApiResult<()> {
    if target.is_superadmin && to.sign_in_refusal().is_some() {
        keep_a_superadmin(conn, id).await?;
    }
    // Validating an applicant and rejecting one are stamped with who and when.
    let how = match to {
        PaymentPending if is_applicant(target.status) => Move::Validated,
        Rejected => Move::Rejected(reason),
        _ => Move::Plain,
    };
    members::set_status(conn, id, to, how, actor.id).await?;
    if to.sign_in_refusal().is_some() {
        end_all_sessions(conn, id).await?;
        // The personal calendar feed's link ends too: a member reactivated
        // later asks for a new one.
        loaf_domain::events::calendar_tokens::revoke(conn, id).await?;
    }
    audit::record(
        conn,
        id,
        Some(actor.id),
        "status",
        Some(target.status.as_str()),
        Some(to.as_str()),
        reason,
    )
    .await?;
    Ok(())
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChange {
    status: UserStatus,
    #[serde(default)]
    reason: Option<String>,
}

/// `POST /api/members/{id}/status {status, reason}`
pub async fn change_status(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::UsersStatus>,
    Path(id): Path<Uuid>,
    Json(body): Json<StatusChange>,
) -> ApiResult<Json<Member>> {
    let reason = optional_long_text("reason", body.reason.as_deref(), 1000)?;
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    let target = lock(&mut tx, id).await?;
    if !target.status.may_become(body.status) {
        return Err(illegal(target.status, body.status.as_str()));
    }
    move_to(&mut tx, &user, id, &target, body.status, reason.as_deref()).await?;
    let member = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(member))
}

/// Validates or rejects one applicant inside the caller's transaction and
/// queues their email; answers the email's id.
async fn decide(
    state: &AppState,
    conn: &mut PgConnection,
    actor: &AuthUser,
    id: Uuid,
    decision: &Decision,
) -> ApiResult<Uuid> {
    let target = lock(conn, id).await?;
    let to = match decision {
        Decision::Validate => PaymentPending,
        Decision::Reject(_) => Rejected,
    };
    if !is_applicant(target.status) {
        return Err(illegal(target.status, to.as_str()));
    }
    let (reason, mail) = match decision {
        Decision::Validate => (
            None,
            Mail::Validated {
                first_name: target.first_name.clone(),
            },
        ),
        Decision::Reject(reason) => (
            Some(reason.as_str()),
            Mail::Rejected {
                first_name: target.first_name.clone(),
                reason: reason.clone(),
            },
        ),
    };
    move_to(conn, actor, id, &target, to, reason).await?;
    Ok(outbox::enqueue(conn, &state.config.email, &target.email, &mail).await?)
}

enum Decision {
    Validate,
    Reject(String),
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rejection {
    reason: String,
}

fn required_reason(reason: &str) -> ApiResult<String> {
    optional_long_text("reason", Some(reason), 1000)?.ok_or_else(|| ApiError::Validation {
        field: "reason".into(),
        code: ErrorCode::Required,
        message: "Give the reason: it is sent to the applicant.".into(),
    })
}

async fn decide_one(
    state: AppState,
    user: AuthUser,
    id: Uuid,
    decision: Decision,
) -> ApiResult<Json<Member>> {
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    let mail = decide(&state, &mut tx, &user, id, &decision).await?;
    let member = load(&mut tx, id).await?;
    tx.commit().await?;
    state.mailer.deliver_now(&state.db, &[mail]).await;
    Ok(Json(member))
}

/// `POST /api/members/{id}/validate`: applicant → `payment_pending`, welcome email.
pub async fn validate(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::UsersApprove>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Member>> {
    decide_one(state, user, id, Decision::Validate).await
}

/// `POST /api/members/{id}/reject {reason}`: applicant → `rejected`, email with the reason.
pub async fn reject(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::UsersApprove>,
    Path(id): Path<Uuid>,
    Json(body): Json<Rejection>,
) -> ApiResult<Json<Member>> {
    let reason = required_reason(&body.reason)?;
    decide_one(state, user, id, Decision::Reject(reason)).await
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Bulk {
    ids: Vec<Uuid>,
    #[serde(default)]
    reason: Option<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BulkOutcome {
    done: Vec<Uuid>,
    refused: Vec<Refusal>,
}

#[derive(Debug, Serialize, JsonSchema)]
struct Refusal {
    id: Uuid,
    code: ErrorCode,
    message: String,
}

/// At most this many members per bulk request.
const BULK_MAX: usize = 500;

async fn decide_many(
    state: AppState,
    user: AuthUser,
    ids: Vec<Uuid>,
    decision: Decision,
) -> ApiResult<Json<BulkOutcome>> {
    if ids.is_empty() || ids.len() > BULK_MAX {
        return Err(ApiError::invalid(
            "ids",
            format!("Give 1 to {BULK_MAX} member ids."),
        ));
    }
    let mut outcome = BulkOutcome {
        done: Vec::new(),
        refused: Vec::new(),
    };
    let mut mails = Vec::new();
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    for id in ids {
        if outcome.done.contains(&id) {
            continue;
        }
        // Each member in a savepoint: a refusal undoes only that member.
        let mut one = sqlx::Connection::begin(&mut *tx).await?;
        match decide(&state, &mut one, &user, id, &decision).await {
            Ok(mail) => {
                one.commit().await?;
                outcome.done.push(id);
                mails.push(mail);
            }
            Err(err @ (ApiError::Refused { .. } | ApiError::NotFound)) => {
                one.rollback().await?;
                let (code, message) = err.code_and_message();
                outcome.refused.push(Refusal { id, code, message });
            }
            Err(other) => return Err(other),
        }
    }
    tx.commit().await?;
    state.mailer.deliver_now(&state.db, &mails).await;
    Ok(Json(outcome))
}

/// `POST /api/members/validate {ids}`: validates each applicant listed; the
/// others are reported, not changed.
pub async fn validate_many(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::UsersApprove>,
    Json(body): Json<Bulk>,
) -> ApiResult<Json<BulkOutcome>> {
    if body.reason.is_some() {
        return Err(ApiError::invalid("reason", "A validation takes no reason."));
    }
    decide_many(state, user, body.ids, Decision::Validate).await
}

/// `POST /api/members/reject {ids, reason}`: one reason for all.
pub async fn reject_many(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::UsersApprove>,
    Json(body): Json<Bulk>,
) -> ApiResult<Json<BulkOutcome>> {
    let reason = required_reason(body.reason.as_deref().unwrap_or_default())?;
    decide_many(state, user, body.ids, Decision::Reject(reason)).await
}
