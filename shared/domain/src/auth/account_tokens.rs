//! Issuing single-use links sent by email (confirm an address, reset a
//! password, confirm a new address): random tokens stored only as hashes,
//! one live link per account and purpose.

use super::secret_token;
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
    sqlx::query!(
        "DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
        user_id,
        purpose.as_str(),
    )
    .execute(&mut *conn)
    .await?;
    let (token, hash) = secret_token::generate();
    sqlx::query!(
        "INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at) \
         VALUES ($1, $2, $3, now() + make_interval(secs => $4))",
        hash,
        user_id,
        purpose.as_str(),
        purpose.lifetime().as_secs_f64(),
    )
    .execute(conn)
    .await?;
    Ok(token)
}
