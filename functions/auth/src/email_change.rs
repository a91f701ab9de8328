//! Changing one's sign-in address: asked for signed in, with the current
//! password (throttled like signing in), and confirmed by a link sent to
//! the new address; the old address is then told. The answer to the
//! request is the same whether or not the new address has an account
//! (its owner is told instead), so it says nothing about who is a member.
//! Sessions survive the change: the password did not change, and the old
//! address is told at once in case it was not the member.

use crate::account_tokens::{self, Purpose};
use crate::passwords;
use axum::extract::State;
use loaf_domain::audit;
use loaf_domain::auth::secret_token;
use loaf_domain::domain::Email;
use loaf_domain::email::{outbox, suppressions, Mail};
use loaf_http::auth::AuthUser;
use loaf_http::extract::{ClientAddress, Json};
use loaf_http::reply::{Accepted, Message};
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeEmail {
    new_email: Email,
    current_password: String,
}

/// `POST /api/auth/change-email {new_email, current_password}` → 202: a
/// link to the new address (24 hours; a newer request replaces it).
pub async fn change_email(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    user: AuthUser,
    Json(body): Json<ChangeEmail>,
) -> ApiResult<Accepted<Message>> {
    let first_name =
        passwords::confirm_current(&state, address.as_deref(), &user, body.current_password)
            .await?;
    let new_email = body.new_email.as_str();
    if new_email.eq_ignore_ascii_case(&user.email) {
        return Err(ApiError::invalid(
            "new_email",
            "This is your address already.",
        ));
    }
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    if let Err(reason) = suppressions::reachable(&mut tx, new_email).await? {
        return Err(ApiError::unreachable(reason));
    }
    let owner: Option<String> = sqlx::query_scalar!(
        "SELECT first_name FROM users WHERE lower(email) = $1",
        new_email,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let mail = match owner {
        Some(owner) => Mail::EmailInUse { first_name: owner },
        None => {
            let (token, hash) = secret_token::generate();
            sqlx::query!(
                "DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL",
                user.id,
                Purpose::ChangeEmail.as_str(),
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at, new_email) \
                 VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5)",
                hash,
                user.id,
                Purpose::ChangeEmail.as_str(),
                Purpose::ChangeEmail.lifetime().as_secs_f64(),
                new_email,
            )
            .execute(&mut *tx)
            .await?;
            Mail::ConfirmEmailChange {
                first_name,
                token,
                new_email: new_email.to_string(),
            }
        }
    };
    outbox::enqueue(&mut tx, &state.config.email, new_email, &mail).await?;
    tx.commit().await?;
    Ok(Accepted(Message {
        message: "A link to confirm the new address is on its way to it. Until you follow it, you sign in with your current address.",
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmEmailChange {
    token: String,
}

#[derive(Serialize, JsonSchema)]
pub struct EmailChanged {
    /// The address the account signs in with from now on.
    email: String,
}

/// `POST /api/auth/confirm-email-change {token}`: the link's address
/// becomes the account's (confirmed, since the link reached it), the old
/// address is told, and the change is in the member's trail. 409 when the
/// address got an account meanwhile.
pub async fn confirm_email_change(
    State(state): State<AppState>,
    Json(body): Json<ConfirmEmailChange>,
) -> ApiResult<Json<EmailChanged>> {
    let mut tx = state.db.begin().await?;
    let user_id = account_tokens::consume(&mut tx, &body.token, Purpose::ChangeEmail).await?;
    let new_email: String = sqlx::query_scalar!(
        r#"SELECT new_email AS "new_email!" FROM account_tokens WHERE token_hash = $1"#,
        secret_token::hash(&body.token),
    )
    .fetch_one(&mut *tx)
    .await?;
    let (old_email, first_name) = sqlx::query!(
        "SELECT email, first_name FROM users WHERE id = $1 FOR UPDATE",
        user_id,
    )
    .map(|r| (r.email, r.first_name))
    .fetch_one(&mut *tx)
    .await?;
    let taken = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM users WHERE lower(email) = $1 AND id <> $2"#,
        new_email,
        user_id,
    )
    .fetch_one(&mut *tx)
    .await?;
    if taken > 0 {
        return Err(ApiError::conflict(
            "email",
            "This address has an account of its own now: it cannot be yours too. Ask the organisation to merge the accounts.",
        ));
    }
    sqlx::query!(
        "UPDATE users SET email = $2, email_verified = true, updated_at = now() WHERE id = $1",
        user_id,
        new_email,
    )
    .execute(&mut *tx)
    .await?;
    audit::record(
        &mut tx,
        user_id,
        Some(user_id),
        "profile",
        Some(&format!("email: {old_email}")),
        Some(&format!("email: {new_email}")),
        Some("address changed by the member, confirmed by link"),
    )
    .await?;
    let told = Mail::EmailChanged {
        first_name,
        new_email: new_email.clone(),
    };
    outbox::enqueue(&mut tx, &state.config.email, &old_email, &told).await?;
    tx.commit().await?;
    Ok(Json(EmailChanged { email: new_email }))
}
