//! A person's own account as stored (`users`): signing up, the address and
//! its confirmation, the password, the terms accepted, and what their own
//! page shows. An admin's view of a member is [`crate::members`]'s,
//! sessions [`crate::auth::sessions`]'.

use crate::domain::UserStatus;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A registration, checked by the caller.
#[derive(Debug)]
pub struct Registration<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    /// The terms accepted.
    pub terms_version: &'a str,
}

/// Creates the account of `new`, waiting for its address to be confirmed
/// (`pending_email`), with the role registration gives (`guest`). `None`:
/// an account has the address.
pub async fn register(
    conn: &mut PgConnection,
    new: &Registration<'_>,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!(
        "INSERT INTO users (email, password_hash, first_name, last_name, status, role_id, \
                            accepts_tos, tos_accepted_at, tos_version) \
         SELECT $1, $2, $3, $4, 'pending_email', (SELECT id FROM roles WHERE code = 'guest'), \
                true, now(), $5 \
         ON CONFLICT DO NOTHING RETURNING id",
        new.email,
        new.password_hash,
        new.first_name,
        new.last_name,
        new.terms_version,
    )
    .fetch_optional(conn)
    .await
}

/// The first name of the account at `email` (lower case), if any.
pub async fn first_name_at(conn: &mut PgConnection, email: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "SELECT first_name FROM users WHERE lower(email) = $1",
        email
    )
    .fetch_optional(conn)
    .await
}

/// Account `id`'s address and first name.
pub async fn email_and_first_name(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<(String, String)> {
    sqlx::query!("SELECT email, first_name FROM users WHERE id = $1", id)
        .map(|r| (r.email, r.first_name))
        .fetch_one(conn)
        .await
}

/// Account `id`'s address and first name, its row locked until the
/// transaction ends.
pub async fn lock_email(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<(String, String)> {
    sqlx::query!(
        "SELECT email, first_name FROM users WHERE id = $1 FOR UPDATE",
        id
    )
    .map(|r| (r.email, r.first_name))
    .fetch_one(conn)
    .await
}

/// Locks account `id`'s row until the transaction ends.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("SELECT 1 AS locked FROM users WHERE id = $1 FOR UPDATE", id)
        .fetch_optional(conn)
        .await?;
    Ok(())
}

/// Account `id`'s address and password hash.
pub async fn email_and_password(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<(String, String)> {
    sqlx::query!("SELECT email, password_hash FROM users WHERE id = $1", id)
        .map(|r| (r.email, r.password_hash))
        .fetch_one(conn)
        .await
}

/// Account `id`'s password hash and first name.
pub async fn password_and_first_name(
    conn: &mut PgConnection,
    id: Uuid,
) -> sqlx::Result<(String, String)> {
    sqlx::query!(
        "SELECT password_hash, first_name FROM users WHERE id = $1",
        id
    )
    .map(|r| (r.password_hash, r.first_name))
    .fetch_one(conn)
    .await
}

/// Account `id`'s password is `hash` from now on (a change it was asked
/// for, if any, is done). Ending its sessions is the caller's.
pub async fn set_password(conn: &mut PgConnection, id: Uuid, hash: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET password_hash = $2, force_password_change = false, updated_at = now() \
         WHERE id = $1",
        id,
        hash,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks the address of account `id` proven (an emailed link was used):
/// `pending_email` and `abandoned` move on to `pending_validation`.
/// Answers the status after.
pub async fn confirm_address(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<UserStatus> {
    sqlx::query_scalar!(
        "UPDATE users SET email_verified = true, updated_at = now(), \
           status = CASE WHEN status IN ('pending_email', 'abandoned') \
                         THEN 'pending_validation'::userstatus ELSE status END \
         WHERE id = $1 RETURNING status AS \"status: loaf_domain::domain::UserStatus\"",
        id,
    )
    .fetch_one(conn)
    .await
}

/// Whether an account (other than `except`) has the address `email`
/// (lower case).
pub async fn email_taken(
    conn: &mut PgConnection,
    email: &str,
    except: Option<Uuid>,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = $1
                          AND ($2::uuid IS NULL OR id <> $2)) AS "n!""#,
        email,
        except,
    )
    .fetch_one(conn)
    .await
}

/// Account `id`'s address is `email` from now on, confirmed.
pub async fn set_email(conn: &mut PgConnection, id: Uuid, email: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET email = $2, email_verified = true, updated_at = now() WHERE id = $1",
        id,
        email,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Account `id` accepts the terms `version` now.
pub async fn accept_terms(conn: &mut PgConnection, id: Uuid, version: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET accepts_tos = true, tos_version = $2, tos_accepted_at = now(), \
         updated_at = now() WHERE id = $1",
        id,
        version,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What a person's own page shows of their account.
#[derive(Debug)]
pub struct Account {
    pub email: String,
    pub status: UserStatus,
    pub email_verified: bool,
    pub member_since: Option<DateTime<Utc>>,
    pub validated_at: Option<DateTime<Utc>>,
    pub tos_version: Option<String>,
    pub tos_accepted_at: Option<DateTime<Utc>>,
    pub force_password_change: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Account `id`.
pub async fn account(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Account> {
    sqlx::query_as!(
        Account,
        "SELECT email, status AS \"status: loaf_domain::domain::UserStatus\", email_verified, \
                member_since, validated_at, tos_version, tos_accepted_at, force_password_change, \
                last_login_at, created_at \
         FROM users WHERE id = $1",
        id,
    )
    .fetch_one(conn)
    .await
}

/// Registrations whose address was not confirmed within `days` of `at`
/// are `abandoned`, in their record of changes; answers how many.
pub async fn abandon_unconfirmed(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    days: i32,
) -> sqlx::Result<u64> {
    let gone: i64 = sqlx::query_scalar!(
        "WITH gone AS ( \
             UPDATE users SET status = 'abandoned', updated_at = now() \
             WHERE status = 'pending_email' AND created_at <= $1::timestamptz - make_interval(days => $2) \
             RETURNING id), \
         audited AS ( \
             INSERT INTO audit_log (subject_id, target_id, action, from_value, to_value, reason) \
             SELECT id, id, 'status', 'pending_email', 'abandoned', 'email address never confirmed' FROM gone) \
         SELECT count(*) AS \"n!\" FROM gone",
        at,
        days,
    )
    .fetch_one(conn)
    .await?;
    Ok(gone as u64)
}
