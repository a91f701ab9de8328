//! Invitations, the admin's side: invite an address with a role, list and
//! filter, resend (a new link), revoke. The invitee's side (show, accept)
//! is the auth function's. Only the token's hash is stored; the link goes
//! out by email through the outbox.

use axum::extract::State;
use axum::http::StatusCode;
use loaf_core::db::like_contains;
use loaf_domain::accounts;
use loaf_domain::audit;
use loaf_domain::auth::secret_token;
use loaf_domain::domain::Email;
use loaf_domain::email::suppressions;
use loaf_domain::email::{outbox, Mail};
use loaf_domain::enums::InvitationStatus;
use loaf_domain::invitations::{self, Invitation, Invitee};
use loaf_domain::permissions::perm;
use loaf_domain::roles;
use loaf_domain::validate::{optional_phone, optional_text};
use loaf_http::auth::{AuthUser, Require};
use loaf_http::extract::{Json, Path, Query};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::reply::{Created, NoContent};
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// Invitation `id`; 404 otherwise.
async fn load(conn: &mut PgConnection, id: Uuid) -> ApiResult<Invitation> {
    invitations::find(conn, id).await?.ok_or(ApiError::NotFound)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvitation {
    email: Email,
    /// The role the account will have; the system `member` role when absent.
    #[serde(default)]
    role_id: Option<Uuid>,
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
    #[serde(default)]
    phone: Option<String>,
}

/// The id of role `id`, or of the system `member` role.
async fn role(conn: &mut PgConnection, id: Option<Uuid>) -> ApiResult<Uuid> {
    let found = match id {
        None => roles::id_of(conn, "member").await?,
        Some(id) => roles::exists(conn, id).await?.then_some(id),
    };
    found.ok_or_else(|| ApiError::invalid("role_id", "No role has this id."))
}

/// Nobody hands out permissions they do not hold: every permission of
/// `role_id` must be among the inviter's.
async fn check_grantable(
    conn: &mut PgConnection,
    inviter: &AuthUser,
    role_id: Uuid,
) -> ApiResult<()> {
    let codes = roles::codes(conn, role_id).await?;
    if let Some(missing) = codes.iter().find(|c| !inviter.holds(c)) {
        return Err(ApiError::refused(
            StatusCode::FORBIDDEN,
            ErrorCode::CannotGrant,
            format!("This role holds {missing}, which you do not hold: you cannot invite someone into it."),
        ));
    }
    Ok(())
}

/// Queues the invitation email with a new link; the old link stops working.
async fn send_link(
    state: &AppState,
    conn: &mut PgConnection,
    id: Uuid,
    inviter: Uuid,
) -> ApiResult<Uuid> {
    let (token, _) = secret_token::generate();
    let link = invitations::renew_link(
        conn,
        id,
        &secret_token::hash_hex(&token),
        state.config.auth.invitation_ttl.as_secs_f64(),
        inviter,
    )
    .await?;
    let mail = Mail::Invitation {
        inviter: link.inviter,
        role: link.role_name.unwrap_or_else(|| "a member".into()),
        token,
        expires_at: link.expires_at,
    };
    Ok(outbox::enqueue(conn, &state.config.email, &link.email, &mail).await?)
}

/// `POST /api/invitations` → 201 with the invitation; the email goes out.
pub async fn create(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::UsersInvite>,
    Json(body): Json<NewInvitation>,
) -> ApiResult<Created<Invitation>> {
    let first_name = optional_text("first_name", body.first_name.as_deref(), 100)?;
    let last_name = optional_text("last_name", body.last_name.as_deref(), 100)?;
    let phone = optional_phone("phone", body.phone.as_deref())?;
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    let role_id = role(&mut tx, body.role_id).await?;
    check_grantable(&mut tx, &user, role_id).await?;
    let taken = accounts::email_taken(&mut tx, body.email.as_str(), None).await?;
    if taken {
        return Err(ApiError::conflict(
            "email",
            "This address already has an account.",
        ));
    }
    if let Err(reason) = suppressions::reachable(&mut tx, body.email.as_str()).await? {
        return Err(ApiError::unreachable(reason));
    }
    let new = Invitee {
        email: body.email.as_str(),
        role_id,
        first_name: first_name.as_deref(),
        last_name: last_name.as_deref(),
        phone: phone.as_deref(),
    };
    let id = invitations::create(&mut tx, &new, user.id).await?;
    let id = id.ok_or_else(|| {
        ApiError::conflict(
            "email",
            "This address already has a pending invitation: resend it instead.",
        )
    })?;
    let mail = send_link(&state, &mut tx, id, user.id).await?;
    let invitation = load(&mut tx, id).await?;
    tx.commit().await?;
    state.mailer.deliver_now(&state.db, &[mail]).await;
    Ok(Created(invitation))
}

#[derive(Deserialize, Default, JsonSchema)]
#[serde(default)]
#[schemars(rename = "InvitationFilter")]
pub struct Filter {
    status: Option<InvitationStatus>,
    /// Part of the address.
    q: Option<String>,
}

/// `GET /api/invitations?status=&q=&page=&per_page=`, newest first.
pub async fn list(
    State(state): State<AppState>,
    _: Require<perm::UsersInvite>,
    page: PageParams,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<Page<Invitation>>> {
    let status = filter.status;
    let q = optional_text("q", filter.q.as_deref(), 254)?.map(|q| like_contains(&q.to_lowercase()));
    let mut conn = state.db.acquire().await?;
    let total = invitations::count(&mut conn, status, q.as_deref()).await?;
    let items =
        invitations::list(&mut conn, status, q.as_deref(), page.limit(), page.offset()).await?;
    Ok(Json(Page::new(items, page, total)))
}

/// Locks invitation `id` and answers its stored status.
async fn lock(conn: &mut PgConnection, id: Uuid) -> ApiResult<InvitationStatus> {
    invitations::lock(conn, id).await?.ok_or(ApiError::NotFound)
}

/// `POST /api/invitations/{id}/resend`: a new link and a new expiry date;
/// works for pending and expired invitations.
pub async fn resend(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::UsersInvite>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Invitation>> {
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    match lock(&mut tx, id).await? {
        InvitationStatus::Pending | InvitationStatus::Expired => {}
        InvitationStatus::Accepted => {
            return Err(ApiError::conflict(
                "status",
                "This invitation was accepted: the account exists.",
            ))
        }
        InvitationStatus::Revoked => {
            return Err(ApiError::conflict(
                "status",
                "This invitation was revoked: send a new one.",
            ))
        }
    }
    let mail = send_link(&state, &mut tx, id, user.id).await?;
    let invitation = load(&mut tx, id).await?;
    tx.commit().await?;
    state.mailer.deliver_now(&state.db, &[mail]).await;
    Ok(Json(invitation))
}

/// `DELETE /api/invitations/{id}`: revokes it; its link stops working.
pub async fn revoke(
    State(state): State<AppState>,
    admin: Require<perm::UsersInvite>,
    Path(id): Path<Uuid>,
) -> ApiResult<NoContent> {
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    match lock(&mut tx, id).await? {
        InvitationStatus::Accepted => {
            return Err(ApiError::conflict(
                "status",
                "This invitation was accepted: deactivate the account instead.",
            ))
        }
        InvitationStatus::Revoked => return Ok(NoContent),
        InvitationStatus::Pending | InvitationStatus::Expired => {}
    }
    invitations::revoke(&mut tx, id).await?;
    tx.commit().await?;
    Ok(NoContent)
}
