//! The member list, a member's details and an admin's edits, and the audit
//! trail of who changed what.

use crate::audit;
use axum::extract::State;
use loaf_domain::email::suppressions;
use loaf_domain::members::list::{self, Filter, MemberSummary};
use loaf_domain::members::{self, Member};
use loaf_domain::permissions::perm;
use loaf_domain::profile::{Profile, ProfilePatch};
use loaf_http::auth::Require;
use loaf_http::extract::{Json, Path, Query};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::reply::NoContent;
use loaf_http::{ApiError, ApiResult, AppState};
use sqlx::PgConnection;
use uuid::Uuid;

/// `GET /api/members`
///
/// A search that matches up to a few thousand members is counted and
/// sorted exactly. A common term answers with an estimated total
/// (`total_is_estimate`) and finds its page without visiting every match.
pub async fn list(
    State(state): State<AppState>,
    _: Require<perm::UsersView>,
    page: PageParams,
    Query(filter): Query<Filter>,
) -> ApiResult<Json<Page<MemberSummary>>> {
    let search = filter.prepare()?;
    let mut conn = state.db.acquire().await?;
    let found = list::find_page(&mut conn, &search, page.limit(), page.offset()).await?;
    Ok(Json(if found.estimated {
        Page::estimated(found.items, page, found.total)
    } else {
        Page::new(found.items, page, found.total)
    }))
}

/// Member `id` with their profile; 404 when there is none.
pub async fn load(conn: &mut PgConnection, id: Uuid) -> ApiResult<Member> {
    members::find(conn, id).await?.ok_or(ApiError::NotFound)
}

/// `GET /api/members/{id}`
pub async fn show(
    State(state): State<AppState>,
    _: Require<perm::UsersView>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Member>> {
    let mut conn = state.db.acquire().await?;
    Ok(Json(load(&mut conn, id).await?))
}

/// `PATCH /api/members/{id}`: the profile, as the member could edit it;
/// status and role have their own routes. The audit trail records which
/// parts changed.
pub async fn update(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::UsersEdit>,
    Path(id): Path<Uuid>,
    Json(patch): Json<ProfilePatch>,
) -> ApiResult<Json<Member>> {
    let mut tx = loaf_domain::audit::begin_as(&state.db, user.id).await?;
    if !members::lock_live(&mut tx, id).await? {
        return Err(ApiError::NotFound);
    }
    let before = Profile::load(&mut tx, id).await?;
    let after = patch.apply(before.clone()).validated("")?;
    let changed = before.changed_parts(&after);
    if !changed.is_empty() {
        after.store(&mut tx, id).await?;
        loaf_domain::audit::record(
            &mut tx,
            id,
            Some(user.id),
            "profile",
            None,
            Some(&changed.join(", ")),
            None,
        )
        .await?;
    }
    let member = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(member))
}

/// `GET /api/members/{id}/audit`: the member's changes, newest first.
pub async fn audit_trail(
    State(state): State<AppState>,
    _: Require<perm::UsersAudit>,
    Path(id): Path<Uuid>,
    page: PageParams,
) -> ApiResult<Json<Page<loaf_domain::audit::Entry>>> {
    let mut conn = state.db.acquire().await?;
    if !members::exists(&mut conn, id).await? {
        return Err(ApiError::NotFound);
    }
    Ok(Json(audit::page(&mut conn, id, page).await?))
}

/// `DELETE /api/members/{id}/email-suppression`: mail the member's address
/// again (they fixed their mailbox, or asked to hear from us again). 404
/// when it is not marked.
pub async fn clear_email_suppression(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::UsersEdit>,
    Path(id): Path<Uuid>,
) -> ApiResult<NoContent> {
    let mut tx = loaf_domain::audit::begin_as(&state.db, user.id).await?;
    let email = members::email_of_live(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if !suppressions::clear(&mut tx, &email).await? {
        return Err(ApiError::NotFound);
    }
    tx.commit().await?;
    Ok(NoContent)
}
