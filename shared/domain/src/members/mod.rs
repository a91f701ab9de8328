//! Members as stored (`users`): one member as an admin sees them, the
//! list and its export ([`list`]), and what other rules need to know of a
//! person. A member's profile is [`crate::profile`]'s, their record of
//! changes [`crate::audit`]'s.

pub mod directory;
pub mod list;
pub mod similar;

use crate::domain::UserStatus;
use crate::email::suppressions::{self, Suppression};
use crate::profile::Profile;
use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// Member `id`'s full name and address.
pub async fn name_and_email(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<Option<(String, String)>> {
    sqlx::query!(
        "SELECT trim(concat_ws(' ', first_name, last_name)) AS \"name!\", email FROM users WHERE id = $1",
        id,
    )
    .map(|r| (r.name, r.email))
    .fetch_optional(conn)
    .await
}

/// Member `id`'s status.
pub async fn status_of(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<UserStatus>> {
    sqlx::query_scalar!(
        "SELECT status AS \"status: loaf_domain::domain::UserStatus\" FROM users WHERE id = $1",
        id,
    )
    .fetch_optional(conn)
    .await
}

/// The account an accepted invitation makes.
#[derive(Debug)]
pub struct Invited<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub role_id: Option<Uuid>,
    /// The inviter, who stands for the validation.
    pub validated_by: Option<Uuid>,
    /// The terms accepted.
    pub terms_version: &'a str,
}

/// Creates the account of an accepted invitation: the address confirmed
/// and validated by the inviter, so it starts in `payment_pending`.
/// `None`: an account has the address.
pub async fn create_invited(
    conn: &mut PgConnection,
    invited: &Invited<'_>,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "INSERT INTO users (email, password_hash, first_name, last_name, status, role_id, \
                            email_verified, validated_at, validated_by, accepts_tos, tos_accepted_at, tos_version) \
         VALUES (lower($1), $2, $3, $4, 'payment_pending', $5, true, now(), $6, true, now(), $7) \
         ON CONFLICT DO NOTHING RETURNING id",
        invited.email,
        invited.password_hash,
        invited.first_name,
        invited.last_name,
        invited.role_id,
        invited.validated_by,
        invited.terms_version,
    )
    .fetch_optional(conn)
    .await
}

/// A member as an admin sees them.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Member {
    id: Uuid,
    email: String,
    status: UserStatus,
    role_id: Option<Uuid>,
    role_code: Option<String>,
    role_name: Option<String>,
    email_verified: bool,
    member_since: Option<DateTime<Utc>>,
    validated_at: Option<DateTime<Utc>>,
    validated_by: Option<Uuid>,
    rejection_reason: Option<String>,
    rejected_at: Option<DateTime<Utc>>,
    rejected_by: Option<Uuid>,
    tos_version: Option<String>,
    tos_accepted_at: Option<DateTime<Utc>>,
    has_active_subscription: bool,
    last_login_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    profile: Option<Profile>,
    /// The statuses `POST /api/members/{id}/status` may move them to (its
    /// transition table); validation and rejection have their own routes.
    /// None once erased.
    status_moves: Vec<UserStatus>,
    /// When the account was erased: what is left is a tombstone that keeps
    /// the financial records' owner, and nothing changes it any more.
    erased_at: Option<DateTime<Utc>>,
    /// Set when mail to the address is not sent any more: it bounced for
    /// good, or its owner reported our mail as spam. Cleared by
    /// `DELETE /api/members/{id}/email-suppression`.
    email_suppression: Option<Suppression>,
}

/// Member `id` with their profile.
pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Member>> {
    // The subscription test is the lists' `ACTIVE_SUBSCRIPTION`.
    let found = sqlx::query!(
        r#"SELECT u.id, u.email, u.status AS "status: UserStatus", r.id AS "role_id?",
                  r.code AS "role_code?", r.name AS "role_name?", u.email_verified,
                  u.member_since, u.validated_at, u.validated_by, u.rejection_reason,
                  u.rejected_at, u.rejected_by, u.tos_version, u.tos_accepted_at,
                  EXISTS (SELECT 1 FROM subscriptions s WHERE s.user_id = u.id
                          AND s.status = 'active' AND (s.end_date IS NULL OR s.end_date > now()))
                      AS "has_active_subscription!",
                  u.last_login_at, u.created_at, u.updated_at, u.erased_at
           FROM users u LEFT JOIN roles r ON r.id = u.role_id WHERE u.id = $1"#,
        id,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(found) = found else {
        return Ok(None);
    };
    Ok(Some(Member {
        profile: Some(Profile::load(conn, id).await?),
        email_suppression: suppressions::of(conn, &found.email).await?,
        status_moves: match found.erased_at {
            Some(_) => Vec::new(),
            None => found.status.moves(),
        },
        erased_at: found.erased_at,
        id: found.id,
        email: found.email,
        status: found.status,
        role_id: found.role_id,
        role_code: found.role_code,
        role_name: found.role_name,
        email_verified: found.email_verified,
        member_since: found.member_since,
        validated_at: found.validated_at,
        validated_by: found.validated_by,
        rejection_reason: found.rejection_reason,
        rejected_at: found.rejected_at,
        rejected_by: found.rejected_by,
        tos_version: found.tos_version,
        tos_accepted_at: found.tos_accepted_at,
        has_active_subscription: found.has_active_subscription,
        last_login_at: found.last_login_at,
        created_at: found.created_at,
        updated_at: found.updated_at,
    }))
}

/// Whether member `id` exists (erased ones too).
pub async fn exists(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM users WHERE id = $1) AS \"n!\"",
        id
    )
    .fetch_one(conn)
    .await
}

/// Locks member `id`'s row until the transaction ends; `false`: no such
/// member, or an erased one (nothing changes a tombstone).
pub async fn lock_live(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<bool> {
    let found = sqlx::query_scalar!(
        "SELECT id FROM users WHERE id = $1 AND erased_at IS NULL FOR UPDATE",
        id,
    )
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// Member `id`'s address, unless erased.
pub async fn email_of_live(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "SELECT email FROM users WHERE id = $1 AND erased_at IS NULL",
        id
    )
    .fetch_optional(conn)
    .await
}

/// What a status change needs to know of a member.
#[derive(Debug)]
pub struct Target {
    pub status: UserStatus,
    pub email: String,
    pub first_name: String,
    pub is_superadmin: bool,
}

/// Member `id`'s [`Target`], their row locked until the transaction ends;
/// `None`: no such member, or an erased one.
pub async fn lock_target(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Target>> {
    sqlx::query_as!(
        Target,
        r#"SELECT u.status AS "status: UserStatus", u.email, u.first_name,
                  COALESCE(r.code = 'superadmin', false) AS "is_superadmin!"
           FROM users u LEFT JOIN roles r ON r.id = u.role_id
           WHERE u.id = $1 AND u.erased_at IS NULL FOR UPDATE OF u"#,
        id,
    )
    .fetch_optional(conn)
    .await
}

/// How a status change is stamped.
#[derive(Debug, Clone, Copy)]
pub enum Move<'a> {
    /// An applicant validated: who and when.
    Validated,
    /// An applicant rejected: who, when and why.
    Rejected(Option<&'a str>),
    /// Any other move.
    Plain,
}

/// Moves member `id` to `to` (made by `by`, stamped as `how` says). The
/// record of changes and what a status that may not sign in ends are the
/// caller's.
pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    to: UserStatus,
    how: Move<'_>,
    by: Uuid,
) -> sqlx::Result<()> {
    match how {
        Move::Validated => sqlx::query!(
            "UPDATE users SET status = $2, updated_at = now(), validated_at = now(), \
                 validated_by = $3 \
             WHERE id = $1",
            id,
            to as _,
            by,
        ),
        Move::Rejected(reason) => sqlx::query!(
            "UPDATE users SET status = $2, updated_at = now(), rejected_at = now(), \
                 rejected_by = $3, rejection_reason = $4 \
             WHERE id = $1",
            id,
            to as _,
            by,
            reason,
        ),
        Move::Plain => sqlx::query!(
            "UPDATE users SET status = $2, updated_at = now() WHERE id = $1",
            id,
            to as _,
        ),
    }
    .execute(conn)
    .await?;
    Ok(())
}

/// When member `id` was erased, if they were.
pub async fn erased_at(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar!("SELECT erased_at FROM users WHERE id = $1", id)
        .fetch_optional(conn)
        .await
        .map(Option::flatten)
}
