//! Invitations, the admin's side: invite an address with a role, list and
//! filter, resend (a new link), revoke. The invitee's side (show, accept)
//! is the auth function's. Only the token's hash is stored; the link goes
//! out by email through the outbox.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use loaf_core::db::like_contains;
use loaf_domain::audit;
use loaf_domain::auth::secret_token;
use loaf_domain::domain::Email;
use loaf_domain::email::suppressions;
use loaf_domain::email::{outbox, Mail};
use loaf_domain::enums::InvitationStatus;
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
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Serialize, JsonSchema)]
pub struct Invitation {
    id: Uuid,
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    role_id: Option<Uuid>,
    role_code: Option<String>,
    role_name: Option<String>,
    status: InvitationStatus,
    invited_by: Option<Uuid>,
    invited_by_name: Option<String>,
    invited_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    accepted_at: Option<DateTime<Utc>>,
}

/// `sqlx::query_as!(Invitation, …)` over the invitations as `x`, then
/// `$tail`. A pending invitation past its time reads `expired` before the
/// nightly job writes it.
macro_rules! invitation_query {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Invitation,
            r#"SELECT x.id AS "id!", x.email AS "email!", x.first_name, x.last_name, x.phone,
                   x.role_id, x.role_code, x.role_name, x.status AS "status!: InvitationStatus",
                   x.invited_by, x.invited_by_name, x.invited_at AS "invited_at!",
                   x.expires_at AS "expires_at!", x.accepted_at
               FROM (SELECT i.id, i.email, i.first_name, i.last_name, i.phone,
                         r.id AS role_id, r.code AS role_code, r.name AS role_name,
                         CASE WHEN i.status = 'pending' AND i.expires_at < now() THEN 'expired'
                              ELSE i.status END AS status,
                         i.invited_by,
                         NULLIF(trim(concat_ws(' ', u.first_name, u.last_name)), '')
                             AS invited_by_name,
                         i.invited_at, i.expires_at, i.accepted_at
                     FROM user_invitations i
                     LEFT JOIN roles r ON r.id = i.role_id
                     LEFT JOIN users u ON u.id = i.invited_by) x "# + $tail
            $(, $arg)*
        )
    };
            }

async fn load(conn: &mut PgConnection, id: Uuid) -> ApiResult<Invitation> {
    invitation_query!("WHERE x.id = $1", id)
        .fetch_optional(conn)
        .await?
        .ok_or(ApiError::NotFound)
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
    let (email, expires_at, role_name): (String, DateTime<Utc>, Option<String>) = sqlx::query!(
        "UPDATE user_invitations i SET token = $2, status = 'pending', \
                expires_at = now() + make_interval(secs => $3) \
         WHERE i.id = $1 \
         RETURNING i.email, i.expires_at, \
                   (SELECT name FROM roles r WHERE r.id = i.role_id) AS role_name",
        id,
        secret_token::hash_hex(&token),
        state.config.auth.invitation_ttl.as_secs_f64(),
    )
    .map(|r| (r.email, r.expires_at, r.role_name))
    .fetch_one(&mut *conn)
    .await?;
    let inviter: String = sqlx::query_scalar!(
        "SELECT trim(concat_ws(' ', first_name, last_name)) AS \"name!\" FROM users WHERE id = $1",
        inviter,
    )
    .fetch_one(&mut *conn)
    .await?;
    let mail = Mail::Invitation {
        inviter,
        role: role_name.unwrap_or_else(|| "a member".into()),
        token,
        expires_at,
    };
    Ok(outbox::enqueue(conn, &state.config.email, &email, &mail).await?)
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
    let taken: bool = sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = $1) AS \"n!\"",
        body.email.as_str(),
    )
    .fetch_one(&mut *tx)
    .await?;
    if taken {
        return Err(ApiError::conflict(
            "email",
            "This address already has an account.",
        ));
    }
    if let Err(reason) = suppressions::reachable(&mut tx, body.email.as_str()).await? {
        return Err(ApiError::unreachable(reason));
    }
    // A pending invitation past its date is expired now, freeing the address.
    sqlx::query!(
        "UPDATE user_invitations SET status = 'expired' \
         WHERE lower(email) = $1 AND status = 'pending' AND expires_at < now()",
        body.email.as_str(),
    )
    .execute(&mut *tx)
    .await?;
    let id: Option<Uuid> = sqlx::query_scalar!(
        "INSERT INTO user_invitations (email, token, role_id, first_name, last_name, phone, \
                                       invited_by, expires_at) \
         VALUES ($1, gen_random_uuid()::text, $2, $3, $4, $5, $6, now()) \
         ON CONFLICT DO NOTHING RETURNING id",
        body.email.as_str(),
        role_id,
        first_name,
        last_name,
        phone,
        user.id,
    )
    .fetch_optional(&mut *tx)
    .await?;
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
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM user_invitations i
           WHERE ($1::invitationstatus IS NULL
                  OR CASE WHEN i.status = 'pending' AND i.expires_at < now() THEN 'expired'
                          ELSE i.status END = $1)
             AND ($2::text IS NULL OR lower(i.email) LIKE $2)"#,
        status as _,
        q,
    )
    .fetch_one(&mut *conn)
    .await?;
    let items = invitation_query!(
        "WHERE ($1::invitationstatus IS NULL OR x.status = $1) \
           AND ($2::text IS NULL OR lower(x.email) LIKE $2) \
         ORDER BY x.invited_at DESC, x.id LIMIT $3 OFFSET $4",
        status as _,
        q,
        page.limit(),
        page.offset(),
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Json(Page::new(items, page, total)))
}

/// Locks invitation `id` and answers its stored status.
async fn lock(conn: &mut PgConnection, id: Uuid) -> ApiResult<InvitationStatus> {
    sqlx::query_scalar!(
        "SELECT status AS \"status: loaf_domain::enums::InvitationStatus\" FROM user_invitations WHERE id = $1 FOR UPDATE",
        id,
    )
        .fetch_optional(conn)
        .await?
        .ok_or(ApiError::NotFound)
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
    sqlx::query!(
        "UPDATE user_invitations SET status = 'revoked' WHERE id = $1",
        id,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(NoContent)
}
