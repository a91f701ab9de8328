//! Issuing single-use links sent by email (confirm an address, reset a
//! password, confirm a new address): random tokens stored only as hashes,
//! one live link per account and purpose.

use super::secret_token;
use crate::domain::UserStatus;
use sqlx::PgConnection;
use std::time::Duration;
use uuid::Uuid;

/// What a link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    /// Confirms the new address of an account (the token row holds it).
    ChangeEmail,
    /// Confirms that the account's owner wants it erased.
    EraseAccount,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
            Purpose::ChangeEmail => "change_email",
            Purpose::EraseAccount => "erase_account",
        }
    }

    /// How long a link of this purpose works.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::VerifyEmail => Duration::from_secs(48 * 3600),
            Purpose::ResetPassword => Duration::from_secs(3600),
            Purpose::ChangeEmail | Purpose::EraseAccount => Duration::from_secs(24 * 3600),
        }
    }

    /// Where to ask for a new link.
    pub fn ask_again(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "ask for a new one at POST /api/auth/resend-verification",
            Purpose::ResetPassword => "ask for a new one at POST /api/auth/forgot-password",
            Purpose::ChangeEmail => "ask again from your account (POST /api/auth/change-email)",
            Purpose::EraseAccount => "ask again from your account (POST /api/auth/erasure)",
        }
    }
}

/// A new link for `user_id`; earlier unused links of the same purpose stop
/// working, so only the newest email is valid.
pub async fn issue(
    conn: &mut PgConnection,
    user_id: Uuid,
    purpose: Purpose,
) -> Result<String, sqlx::Error> {
    let (token, hash) = secret_token::generate();
    replace(conn, user_id, purpose, &hash, None).await?;
    Ok(token)
}

/// Stores `token_hash` as `user_id`'s link of `purpose` (confirming
/// `new_email`, for an address change), the earlier unused ones deleted.
async fn replace(
    conn: &mut PgConnection,
    user_id: Uuid,
    purpose: Purpose,
    token_hash: &[u8],
    new_email: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
        user_id,
        purpose.as_str(),
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at, new_email) \
         VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)",
        token_hash,
        user_id,
        purpose.as_str(),
        purpose.lifetime().as_secs_f64(),
        new_email,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A new link of `purpose` for the account at `email` (lower case) if it
/// exists, is in one of `statuses` and got no such link in the last
/// `cool_down_secs`; its older unused links of this purpose stop working.
/// One statement, so the database does the same work whether or not the
/// address has an account. Answers the account's first name when a link
/// was made; `token_hash` is the new link's.
pub async fn issue_if_due(
    conn: &mut PgConnection,
    email: &str,
    statuses: &[UserStatus],
    purpose: Purpose,
    cool_down_secs: f64,
    token_hash: &[u8],
) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar!(
        "WITH target AS ( \
           SELECT id, first_name FROM users WHERE lower(email) = $1 \
             AND status = ANY($2) FOR UPDATE), \
         due AS ( \
           SELECT * FROM target t WHERE NOT EXISTS ( \
             SELECT 1 FROM account_tokens a WHERE a.user_id = t.id AND a.purpose = $3 \
               AND a.created_at > now() - make_interval(secs => $4))), \
         spent AS ( \
           DELETE FROM account_tokens a USING due \
           WHERE a.user_id = due.id AND a.purpose = $3 AND a.used_at IS NULL), \
         made AS ( \
           INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at) \
           SELECT $5, id, $3, now() + make_interval(secs => $6) FROM due RETURNING user_id) \
         SELECT due.first_name FROM due JOIN made ON made.user_id = due.id",
        email,
        statuses as _,
        purpose.as_str(),
        cool_down_secs,
        token_hash,
        purpose.lifetime().as_secs_f64(),
    )
    .fetch_optional(conn)
    .await
}

/// A link as stored: whose, and whether it is used up or expired.
#[derive(Debug, Clone, Copy)]
pub struct Stored {
    pub user_id: Uuid,
    pub used: bool,
    pub expired: bool,
}

/// Link `token_hash` of `purpose`; with `lock`, its row locked until the
/// transaction ends.
pub async fn find(
    conn: &mut PgConnection,
    token_hash: &[u8],
    purpose: Purpose,
    lock: bool,
) -> sqlx::Result<Option<Stored>> {
    // One statement each way: whether it locks is part of the SQL.
    if lock {
        sqlx::query_as!(
            Stored,
            r#"SELECT user_id, used_at IS NOT NULL AS "used!", expires_at < now() AS "expired!"
               FROM account_tokens WHERE token_hash = $1 AND purpose = $2 FOR UPDATE"#,
            token_hash,
            purpose.as_str(),
        )
        .fetch_optional(conn)
        .await
    } else {
        sqlx::query_as!(
            Stored,
            r#"SELECT user_id, used_at IS NOT NULL AS "used!", expires_at < now() AS "expired!"
               FROM account_tokens WHERE token_hash = $1 AND purpose = $2"#,
            token_hash,
            purpose.as_str(),
        )
        .fetch_optional(conn)
        .await
    }
}

/// Link `token_hash` is used up.
pub async fn use_up(conn: &mut PgConnection, token_hash: &[u8]) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE account_tokens SET used_at = now() WHERE token_hash = $1",
        token_hash,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A new link confirming `new_email` as `user_id`'s address, stored as
/// `token_hash`; the account's earlier unused one stops working.
pub async fn issue_email_change(
    conn: &mut PgConnection,
    user_id: Uuid,
    new_email: &str,
    token_hash: &[u8],
) -> sqlx::Result<()> {
    replace(
        conn,
        user_id,
        Purpose::ChangeEmail,
        token_hash,
        Some(new_email),
    )
    .await
}

/// The new address an email-change link `token_hash` confirms.
pub async fn new_email_of(conn: &mut PgConnection, token_hash: &[u8]) -> sqlx::Result<String> {
    sqlx::query_scalar!(
        r#"SELECT new_email AS "new_email!" FROM account_tokens WHERE token_hash = $1"#,
        token_hash,
    )
    .fetch_one(conn)
    .await
}

/// Deletes links a week past expiry (kept that long so a late click still
/// gets "expired", not "unknown"); answers how many.
pub async fn delete_expired(db: &sqlx::PgPool) -> sqlx::Result<u64> {
    let done =
        sqlx::query!("DELETE FROM account_tokens WHERE expires_at < now() - interval '7 days'")
            .execute(db)
            .await?;
    Ok(done.rows_affected())
}
