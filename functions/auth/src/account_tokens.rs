//! Single-use links sent by email: confirm an address, reset a password.
//! Stored as hashes; a used or expired one is refused with what to do next.
//! Issuing lives in the shared crate (the scheduler's reminders issue
//! links too); checking and using them up lives here.

use axum::http::StatusCode;
use loaf_shared::auth::secret_token;
use loaf_shared::email::{outbox, Mail};
use loaf_shared::{ApiError, ApiResult};
use sqlx::PgConnection;
use std::time::Duration;
use uuid::Uuid;

pub use loaf_shared::auth::account_tokens::{issue, Purpose};

/// How soon a second link of one purpose may be emailed to one account.
const COOL_DOWN: Duration = Duration::from_secs(60);

/// Emails a new link of `purpose` to the account at `email` when it exists,
/// is in one of `statuses` and got no such link in the last minute; else
/// does nothing. Either way the caller answers the same, and the mail is
/// left to the scheduled sender, so neither the answer nor its timing says
/// whether the address has an account.
pub async fn mail_link_if_due(
    state: &loaf_shared::AppState,
    email: &loaf_shared::domain::Email,
    statuses: &[&str],
    purpose: Purpose,
) -> ApiResult<()> {
    let mut tx = state.db.begin().await?;
    let user: Option<(Uuid, String)> = sqlx::query_as(
        "SELECT id, first_name FROM users WHERE lower(email) = $1 \
         AND status::text = ANY($2) FOR UPDATE",
    )
    .bind(email.as_str())
    .bind(statuses)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((id, first_name)) = user {
        if !sent_within(&mut tx, id, purpose, COOL_DOWN).await? {
            let token = issue(&mut tx, id, purpose).await?;
            let mail = match purpose {
                Purpose::VerifyEmail => Mail::VerifyEmail { first_name, token },
                Purpose::ResetPassword => Mail::PasswordReset { first_name, token },
            };
            outbox::enqueue(&mut tx, &state.config.email, email.as_str(), &mail).await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// `true` when a link of `purpose` was sent to `user_id` within `window`.
async fn sent_within(
    conn: &mut PgConnection,
    user_id: Uuid,
    purpose: Purpose,
    window: Duration,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM account_tokens WHERE user_id = $1 AND purpose = $2 \
         AND created_at > now() - make_interval(secs => $3))",
    )
    .bind(user_id)
    .bind(purpose.as_str())
    .bind(window.as_secs_f64())
    .fetch_one(conn)
    .await
}

/// Uses up `token` inside the caller's transaction and answers its user,
/// or a refusal: unknown (400 `token_invalid`), already used (410
/// `token_used`), expired (410 `token_expired`).
pub async fn consume(conn: &mut PgConnection, token: &str, purpose: Purpose) -> ApiResult<Uuid> {
    let user_id = check(conn, token, purpose, true).await?;
    sqlx::query("UPDATE account_tokens SET used_at = now() WHERE token_hash = $1")
        .bind(secret_token::hash(token))
        .execute(conn)
        .await?;
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
            "token_invalid",
            format!(
                "This link is not valid (it may have been replaced by a newer one): {}.",
                purpose.ask_again()
            ),
        )
    };
    if !secret_token::looks_valid(token) {
        return Err(invalid());
    }
    let row: Option<(Uuid, bool, bool)> = sqlx::query_as(&format!(
        "SELECT user_id, used_at IS NOT NULL, expires_at < now() FROM account_tokens \
         WHERE token_hash = $1 AND purpose = $2{}",
        if lock { " FOR UPDATE" } else { "" }
    ))
    .bind(secret_token::hash(token))
    .bind(purpose.as_str())
    .fetch_optional(conn)
    .await?;
    match row {
        None => Err(invalid()),
        Some((_, true, _)) => Err(ApiError::refused(
            StatusCode::GONE,
            "token_used",
            match purpose {
                Purpose::VerifyEmail => {
                    "This link was already used: your address is confirmed, so you can sign in."
                        .to_string()
                }
                Purpose::ResetPassword => format!(
                    "This link was already used: sign in with your new password, or {}.",
                    purpose.ask_again()
                ),
            },
        )),
        Some((_, false, true)) => Err(ApiError::refused(
            StatusCode::GONE,
            "token_expired",
            format!("This link has expired: {}.", purpose.ask_again()),
        )),
        Some((user_id, false, false)) => Ok(user_id),
    }
}
