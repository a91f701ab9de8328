//! A member erasing their own account: asked for signed in, confirmed by a
//! link sent to the account's address (so a borrowed session alone cannot
//! do it), then carried out at once (`loaf_domain::erasure`). An admin's
//! erasure is the members function's.

use crate::account_tokens::{self, Purpose};
use axum::extract::State;
use loaf_domain::accounts;
use loaf_domain::audit::{self, Actor};
use loaf_domain::email::{outbox, suppressions, Mail};
use loaf_domain::erasure::{self, AskedBy};
use loaf_http::auth::AuthUser;
use loaf_http::extract::Json;
use loaf_http::reply::{Accepted, Message};
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::Deserialize;

/// `POST /api/auth/erasure` → 202: a link to the account's address that
/// confirms it (24 hours; a newer request replaces it).
pub async fn request(
    State(state): State<AppState>,
    user: AuthUser,
) -> ApiResult<Accepted<Message>> {
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    if let Err(reason) = suppressions::reachable(&mut tx, &user.email).await? {
        return Err(ApiError::unreachable(reason));
    }
    let (_, first_name) = accounts::email_and_first_name(&mut tx, user.id).await?;
    let token = account_tokens::issue(&mut tx, user.id, Purpose::EraseAccount).await?;
    let mail = Mail::ConfirmErasure { first_name, token };
    outbox::enqueue(&mut tx, &state.config.email, &user.email, &mail).await?;
    tx.commit().await?;
    Ok(Accepted(Message {
        message: "A link to confirm the erasure is on its way to your address. Nothing is erased until you follow it.",
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfirmErasure {
    token: String,
}

/// `POST /api/auth/confirm-erasure {token}`: erases the link's account
/// and ends its sessions. 409 `last_superadmin` for the last superadmin
/// who can sign in (the link then stays usable once another exists).
pub async fn confirm(
    State(state): State<AppState>,
    Json(body): Json<ConfirmErasure>,
) -> ApiResult<Json<Message>> {
    let mut tx = audit::begin_as(&state.db, Actor::Visitor).await?;
    let user_id = account_tokens::consume(&mut tx, &body.token, Purpose::EraseAccount).await?;
    audit::act_as(&mut tx, user_id).await?;
    let erased = erasure::erase(&mut tx, user_id, AskedBy::Themselves).await?;
    tx.commit().await?;
    erasure::delete_files(&state.db, &state.storage, &erased).await?;
    Ok(Json(Message {
        message: "Your account is erased. Thank you for having been part of the organisation.",
    }))
}
