//! Single-use links sent by email: confirm an address, reset a password,
//! confirm a new address.
//! Stored as hashes; a used or expired one is refused with what to do next.
//! Issuing lives in the shared crate (the scheduler's reminders issue
//! links too); checking and using them up lives here.

use axum::http::StatusCode;
use loaf_domain::auth::secret_token;
use loaf_domain::domain::UserStatus;
use loaf_domain::email::{outbox, suppressions, Mail};
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult};
use sqlx::PgConnection;
use std::time::Duration;
use uuid::Uuid;

use loaf_domain::auth::account_tokens;
pub use loaf_domain::auth::account_tokens::{issue, Purpose};

/// The links an anonymous caller may ask to be emailed to an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emailed {
    VerifyEmail,
    ResetPassword,
}

impl Emailed {
    fn purpose(self) -> Purpose {
        match self {
            Emailed::VerifyEmail => Purpose::VerifyEmail,
            Emailed::ResetPassword => Purpose::ResetPassword,
        }
    }

    fn mail(self, first_name: String, token: String) -> Mail {
        match self {
            Emailed::VerifyEmail => Mail::VerifyEmail { first_name, token },
            Emailed::ResetPassword => Mail::PasswordReset { first_name, token },
        }
    }
}

/// How soon a second link of one purpose may be emailed to one account.
const COOL_DOWN: Duration = Duration::from_secs(60);

/// Emails a new `link` to the account at `email` when it exists,
/// is in one of `statuses` and got no such link in the last minute; else
/// does nothing. Either way the caller answers the same, the mail is left
/// to the scheduled sender, and the database sees the same two statements
/// in one transaction (the link's, then the mail's, each writing a row or
/// none), so neither the answer nor its timing says whether the address
/// has an account.
pub async fn mail_link_if_due(
    state: &loaf_http::AppState,
    email: &loaf_domain::domain::Email,
    statuses: &[UserStatus],
    link: Emailed,
) -> ApiResult<()> {
    let purpose = link.purpose();
    let (token, hash) = secret_token::generate();
    let mut tx = state.db.begin().await?;
    // Said before anything else: the address is known to bounce or to
    // refuse our mail (which says nothing of whether it has an account).
    if let Err(reason) = suppressions::reachable(&mut tx, email.as_str()).await? {
        return Err(ApiError::unreachable(reason));
    }
    // The account, if it may have a link now; its older unused links of
    // this purpose stop working; the new one is stored. One statement.
    let first_name = account_tokens::issue_if_due(
        &mut tx,
        email.as_str(),
        statuses,
        purpose,
        COOL_DOWN.as_secs_f64(),
        &hash,
    )
    .await?;
    let send = first_name.is_some();
    let first_name = first_name.unwrap_or_default();
    let mail = link.mail(first_name, token);
    outbox::enqueue_if(&mut tx, &state.config.email, email.as_str(), &mail, send).await?;
    tx.commit().await?;
    Ok(())
}

/// Uses up `token` inside the caller's transaction and answers its user,
/// or a refusal: unknown (400 `token_invalid`), already used (410
/// `token_used`), expired (410 `token_expired`).
pub async fn consume(conn: &mut PgConnection, token: &str, purpose: Purpose) -> ApiResult<Uuid> {
    let user_id = check(conn, token, purpose, true).await?;
    account_tokens::use_up(conn, &secret_token::hash(token)).await?;
    Ok(user_id)
}

/// Like [`consume`] without using the token up (and without locking it).
pub async fn peek(conn: &mut PgConnection, token: &str, purpose: Purpose) -> ApiResult<Uuid> {
    check(conn, token, purpose, false).await
}

async fn check(
    conn: &mut PgConnection,
    token: &str,
    purpose: Purpose,
    lock: bool,
) -> ApiResult<Uuid> {
    let invalid = || {
        ApiError::refused(
            StatusCode::BAD_REQUEST,
            ErrorCode::TokenInvalid,
            format!(
                "This link is not valid (it may have been replaced by a newer one): {}.",
                purpose.ask_again()
            ),
        )
    };
    if !secret_token::looks_valid(token) {
        return Err(invalid());
    }
    let row = account_tokens::find(conn, &secret_token::hash(token), purpose, lock)
        .await?
        .map(|t| (t.user_id, t.used, t.expired));
    match row {
        None => Err(invalid()),
        Some((_, true, _)) => Err(ApiError::refused(
            StatusCode::GONE,
            ErrorCode::TokenUsed,
            match purpose {
                Purpose::VerifyEmail => {
                    "This link was already used: your address is confirmed, so you can sign in."
                        .to_string()
                }
                Purpose::ResetPassword => format!(
                    "This link was already used: sign in with your new password, or {}.",
                    purpose.ask_again()
                ),
                Purpose::ChangeEmail => {
                    "This link was already used: your new address is confirmed, sign in with it."
                        .to_string()
                }
                Purpose::EraseAccount => "This link was already used.".to_string(),
            },
        )),
        Some((_, false, true)) => Err(ApiError::refused(
            StatusCode::GONE,
            ErrorCode::TokenExpired,
            format!("This link has expired: {}.", purpose.ask_again()),
        )),
        Some((user_id, false, false)) => Ok(user_id),
    }
}
