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
use loaf_domain::accounts;
use loaf_domain::audit;
use loaf_domain::auth::account_tokens::{issue_email_change, new_email_of};
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
    let owner = accounts::first_name_at(&mut tx, new_email).await?;
    let mail = match owner {
        Some(owner) => Mail::EmailInUse { first_name: owner },
        None => {
            let (token, hash) = secret_token::generate();
            issue_email_change(&mut tx, user.id, new_email, &hash).await?;
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
    let new_email = new_email_of(&mut tx, &secret_token::hash(&body.token)).await?;
    let (old_email, first_name) = accounts::lock_email(&mut tx, user_id).await?;
    if accounts::email_taken(&mut tx, &new_email, Some(user_id)).await? {
        return Err(ApiError::conflict(
            "email",
            "This address has an account of its own now: it cannot be yours too. Ask the organisation to merge the accounts.",
        ));
    }
    accounts::set_email(&mut tx, user_id, &new_email).await?;
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
