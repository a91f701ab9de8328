//! The signed-in user's own account: what the frontend needs to greet them
//! and show or hide things, their profile, and the terms they accepted.

use crate::registration::check_terms;
use axum::extract::State;
use chrono::{DateTime, Utc};
use loaf_domain::accounts;
use loaf_domain::audit;
use loaf_domain::auth::access::Standing;
use loaf_domain::domain::UserStatus;
use loaf_domain::profile::{Profile, ProfilePatch};
use loaf_domain::roles::{self, RoleName};
use loaf_http::auth::AuthUser;
use loaf_http::extract::Json;
use loaf_http::{ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Serialize, JsonSchema)]
pub struct Me {
    id: Uuid,
    email: String,
    status: UserStatus,
    /// What the status means for the member, in a sentence.
    status_message: &'static str,
    /// Whether the members' content (documents, galleries, members-only
    /// events and RSVPs, the directory) is open to the member's membership:
    /// `active`, or `expired` within the grace period.
    membership_in_force: bool,
    /// While an `expired` member's grace period runs: when it ends, and the
    /// members' content with it unless they renew.
    grace_ends_at: Option<DateTime<Utc>>,
    role: Option<RoleName>,
    /// What the member may do, sorted: their role's permission codes, less
    /// the members' content while their membership is not in force.
    permissions: Vec<String>,
    email_verified: bool,
    member_since: Option<DateTime<Utc>>,
    validated_at: Option<DateTime<Utc>>,
    terms: Terms,
    force_password_change: bool,
    last_login_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    profile: Profile,
}

#[derive(Debug, Serialize, JsonSchema)]
struct Terms {
    accepted_version: Option<String>,
    accepted_at: Option<DateTime<Utc>>,
    current_version: String,
    /// `true` when the member must accept the current version.
    must_accept: bool,
}

fn status_message(status: UserStatus, in_grace: bool) -> &'static str {
    match status {
        UserStatus::Expired if in_grace => "Your membership has expired: you keep the members' documents, galleries, events and directory for a few more days; renew it to keep them.",
        UserStatus::PendingEmail | UserStatus::Abandoned => "Confirm your email address to continue.",
        UserStatus::PendingValidation => "Your application is waiting for an administrator's review; attending an event speeds it up.",
        UserStatus::PreValidated => "You attended an event; an administrator will validate your application soon.",
        UserStatus::PaymentPending => "Your application is accepted: pay your membership to become an active member and open the members' documents, events and directory.",
        UserStatus::Active => "You are an active member.",
        UserStatus::Expired => "Your membership has expired: renew it to open the members' documents, galleries, events and directory again.",
        UserStatus::Canceled => "Your membership is cancelled: you keep your account, payments and receipts; renew it to open the members' documents, galleries, events and directory again.",
        UserStatus::Inactive => "This account is deactivated.",
        UserStatus::Rejected => "Your application was not accepted.",
    }
}

async fn load(state: &AppState, conn: &mut PgConnection, user: &AuthUser) -> ApiResult<Me> {
    let a = accounts::account(&mut *conn, user.id).await?;
    let role: Option<RoleName> = match user.role_id {
        Some(id) => roles::name_of(&mut *conn, id).await?,
        None => None,
    };
    let mut permissions: Vec<String> = user.permissions.iter().cloned().collect();
    permissions.sort();
    let current = state.config.auth.terms_version.clone();
    Ok(Me {
        id: user.id,
        status_message: status_message(a.status, user.grace_ends.is_some()),
        membership_in_force: Standing {
            status: a.status,
            in_grace: user.grace_ends.is_some(),
            paying: user.paying,
        }
        .in_force(),
        grace_ends_at: user.grace_ends,
        email: a.email,
        status: a.status,
        role,
        permissions,
        email_verified: a.email_verified,
        member_since: a.member_since,
        validated_at: a.validated_at,
        terms: Terms {
            must_accept: a.tos_version.as_deref() != Some(current.as_str()),
            accepted_version: a.tos_version,
            accepted_at: a.tos_accepted_at,
            current_version: current,
        },
        force_password_change: a.force_password_change,
        last_login_at: a.last_login_at,
        created_at: a.created_at,
        profile: Profile::load(conn, user.id).await?,
    })
}

/// `GET /api/auth/me`
pub async fn show(State(state): State<AppState>, user: AuthUser) -> ApiResult<Json<Me>> {
    let mut conn = state.db.acquire().await?;
    Ok(Json(load(&state, &mut conn, &user).await?))
}

/// `PATCH /api/auth/me`: the member-editable profile fields only; email,
/// status and role are not among them.
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    Json(patch): Json<ProfilePatch>,
) -> ApiResult<Json<Me>> {
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    accounts::lock(&mut tx, user.id).await?;
    let current = Profile::load(&mut tx, user.id).await?;
    let profile = patch.apply(current.clone()).validated("")?;
    let changed = current.changed_parts(&profile);
    if !changed.is_empty() {
        profile.store(&mut tx, user.id).await?;
        // Which parts, and so when each consent (newsletter, directory)
        // was given or withdrawn: what a data export reports.
        audit::record(
            &mut tx,
            user.id,
            Some(user.id),
            "profile",
            None,
            Some(&changed.join(", ")),
            Some("changed by the member"),
        )
        .await?;
    }
    let me = load(&state, &mut tx, &user).await?;
    tx.commit().await?;
    Ok(Json(me))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptTerms {
    version: String,
}

/// `POST /api/auth/accept-tos`: records acceptance of the current terms.
pub async fn accept_terms(
    State(state): State<AppState>,
    user: AuthUser,
    Json(body): Json<AcceptTerms>,
) -> ApiResult<Json<Me>> {
    check_terms(&state, true, &body.version)?;
    let mut tx = state.db.begin().await?;
    accounts::accept_terms(&mut tx, user.id, &state.config.auth.terms_version).await?;
    let me = load(&state, &mut tx, &user).await?;
    tx.commit().await?;
    Ok(Json(me))
}
