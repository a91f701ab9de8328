//! Invitations as stored (`user_invitations`): the admins' list, a new
//! invitation and its link, revocation, and the invitee's side (the
//! invitation a link stands for, its acceptance). Only the link's token
//! hash is stored; the rules (who may invite as what, which states a link
//! works in) are the routes'.

use crate::enums::InvitationStatus;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
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

/// Invitation `id`, as admins see it.
pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Invitation>> {
    invitation_query!("WHERE x.id = $1", id)
        .fetch_optional(conn)
        .await
}

/// How many invitations have `status` (as read: a pending one past its
/// time is expired) and an address matching `email_like` (a lower-case
/// `LIKE` pattern); `None` matches all.
pub async fn count(
    conn: &mut PgConnection,
    status: Option<InvitationStatus>,
    email_like: Option<&str>,
) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM user_invitations i
           WHERE ($1::invitationstatus IS NULL
                  OR CASE WHEN i.status = 'pending' AND i.expires_at < now() THEN 'expired'
                          ELSE i.status END = $1)
             AND ($2::text IS NULL OR lower(i.email) LIKE $2)"#,
        status as _,
        email_like,
    )
    .fetch_one(conn)
    .await
}

/// A page of the invitations [`count`] counts, newest first.
pub async fn list(
    conn: &mut PgConnection,
    status: Option<InvitationStatus>,
    email_like: Option<&str>,
    limit: i64,
    offset: i64,
) -> sqlx::Result<Vec<Invitation>> {
    invitation_query!(
        "WHERE ($1::invitationstatus IS NULL OR x.status = $1) \
           AND ($2::text IS NULL OR lower(x.email) LIKE $2) \
         ORDER BY x.invited_at DESC, x.id LIMIT $3 OFFSET $4",
        status as _,
        email_like,
        limit,
        offset,
    )
    .fetch_all(conn)
    .await
}

/// A new invitation, checked by the caller.
#[derive(Debug)]
pub struct Invitee<'a> {
    pub email: &'a str,
    pub role_id: Uuid,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub phone: Option<&'a str>,
}

/// Invites `new.email` (made by `by`), with no link yet ([`renew_link`]
/// gives one); an invitation still pending for the address past its date
/// expires first. `None`: one is pending for the address.
pub async fn create(
    conn: &mut PgConnection,
    new: &Invitee<'_>,
    by: Uuid,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query!(
        "UPDATE user_invitations SET status = 'expired' \
         WHERE lower(email) = $1 AND status = 'pending' AND expires_at < now()",
        new.email,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar!(
        "INSERT INTO user_invitations (email, token, role_id, first_name, last_name, phone, \
                                       invited_by, expires_at) \
         VALUES ($1, gen_random_uuid()::text, $2, $3, $4, $5, $6, now()) \
         ON CONFLICT DO NOTHING RETURNING id",
        new.email,
        new.role_id,
        new.first_name,
        new.last_name,
        new.phone,
        by,
    )
    .fetch_optional(conn)
    .await
}

/// What the invitation email needs.
#[derive(Debug)]
pub struct Link {
    pub email: String,
    pub expires_at: DateTime<Utc>,
    pub role_name: Option<String>,
    /// Who sent it.
    pub inviter: String,
}

/// Gives invitation `id` the link whose token hashes to `token_hash`,
/// valid for `ttl_secs` and sent by `inviter`: pending again, the old
/// link void.
pub async fn renew_link(
    conn: &mut PgConnection,
    id: Uuid,
    token_hash: &str,
    ttl_secs: f64,
    inviter: Uuid,
) -> sqlx::Result<Link> {
    let (email, expires_at, role_name) = sqlx::query!(
        "UPDATE user_invitations i SET token = $2, status = 'pending', \
                expires_at = now() + make_interval(secs => $3) \
         WHERE i.id = $1 \
         RETURNING i.email, i.expires_at, \
                   (SELECT name FROM roles r WHERE r.id = i.role_id) AS role_name",
        id,
        token_hash,
        ttl_secs,
    )
    .map(|r| (r.email, r.expires_at, r.role_name))
    .fetch_one(&mut *conn)
    .await?;
    let inviter = sqlx::query_scalar!(
        "SELECT trim(concat_ws(' ', first_name, last_name)) AS \"name!\" FROM users WHERE id = $1",
        inviter,
    )
    .fetch_one(conn)
    .await?;
    Ok(Link {
        email,
        expires_at,
        role_name,
        inviter,
    })
}

/// Invitation `id`'s stored status, its row locked.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<InvitationStatus>> {
    sqlx::query_scalar!(
        "SELECT status AS \"status: loaf_domain::enums::InvitationStatus\" FROM user_invitations \
         WHERE id = $1 FOR UPDATE",
        id,
    )
    .fetch_optional(conn)
    .await
}

/// Revokes invitation `id`: its link stops working.
pub async fn revoke(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE user_invitations SET status = 'revoked' WHERE id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "InvitationPreview")]
pub struct Preview {
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub role_code: Option<String>,
    pub role_name: Option<String>,
    pub invited_by: Option<String>,
    pub expires_at: DateTime<Utc>,
    #[serde(skip)]
    pub id: Uuid,
    #[serde(skip)]
    pub role_id: Option<Uuid>,
    #[serde(skip)]
    pub inviter_id: Option<Uuid>,
    #[serde(skip)]
    pub status: InvitationStatus,
}

/// The invitation whose link token hashes to `token_hash`, whatever its
/// state; with `lock`, its row locked until the transaction ends.
pub async fn by_token(
    conn: &mut PgConnection,
    token_hash: &str,
    lock: bool,
) -> sqlx::Result<Option<Preview>> {
    // One statement each way: whether it locks is part of the SQL.
    if lock {
        sqlx::query_as!(
            Preview,
            r#"SELECT i.id, i.email, i.first_name, i.last_name, i.expires_at,
                      i.status AS "status: InvitationStatus", i.invited_by AS inviter_id,
                      r.id AS "role_id?", r.code AS "role_code?", r.name AS "role_name?",
                      NULLIF(trim(concat_ws(' ', u.first_name, u.last_name)), '') AS invited_by
               FROM user_invitations i
               LEFT JOIN roles r ON r.id = i.role_id
               LEFT JOIN users u ON u.id = i.invited_by
               WHERE i.token = $1 FOR UPDATE OF i"#,
            token_hash,
        )
        .fetch_optional(conn)
        .await
    } else {
        sqlx::query_as!(
            Preview,
            r#"SELECT i.id, i.email, i.first_name, i.last_name, i.expires_at,
                      i.status AS "status: InvitationStatus", i.invited_by AS inviter_id,
                      r.id AS "role_id?", r.code AS "role_code?", r.name AS "role_name?",
                      NULLIF(trim(concat_ws(' ', u.first_name, u.last_name)), '') AS invited_by
               FROM user_invitations i
               LEFT JOIN roles r ON r.id = i.role_id
               LEFT JOIN users u ON u.id = i.invited_by
               WHERE i.token = $1"#,
            token_hash,
        )
        .fetch_optional(conn)
        .await
    }
}

/// Invitation `id` is accepted by the account `user` it just made.
pub async fn accepted(conn: &mut PgConnection, id: Uuid, user: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE user_invitations SET status = 'accepted', accepted_at = now(), accepted_by = $2 \
         WHERE id = $1",
        id,
        user,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Pending invitations past their date at `at` are `expired`; answers how
/// many.
pub async fn expire_due(conn: &mut PgConnection, at: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "UPDATE user_invitations SET status = 'expired' \
         WHERE status = 'pending' AND expires_at < $1",
        at,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
