//! Roles and permissions: the catalogue grouped by module, custom roles
//! and their permission sets, and giving a member a role. Three rules
//! hold everywhere: system roles are never deleted (nor renamed, nor is
//! the superadmin's set changed), the last superadmin keeps the role, and
//! nobody grants a permission they do not hold.

use crate::lifecycle::keep_a_superadmin;
use crate::members;
use axum::extract::State;
use axum::http::StatusCode;
use loaf_domain::audit;
use loaf_domain::members::Member;
use loaf_domain::permissions::perm;
use loaf_domain::roles::{self, Permission, Role};
use loaf_domain::validate::{optional_long_text, text};
use loaf_http::auth::{AuthUser, Require};
use loaf_http::extract::{Json, Path};
use loaf_http::reply::{Created, NoContent};
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Serialize, JsonSchema)]
pub struct Module {
    module: String,
    permissions: Vec<Permission>,
}

/// `GET /api/permissions`: the catalogue, grouped by module.
pub async fn permissions(
    State(state): State<AppState>,
    _: Require<perm::PermissionsView>,
) -> ApiResult<Json<Vec<Module>>> {
    let mut conn = state.db.acquire().await?;
    let all = roles::catalogue(&mut conn).await?;
    let mut modules: BTreeMap<String, Vec<Permission>> = BTreeMap::new();
    for p in all {
        modules.entry(p.module.clone()).or_default().push(p);
    }
    Ok(Json(
        modules
            .into_iter()
            .map(|(module, permissions)| Module {
                module,
                permissions,
            })
            .collect(),
    ))
}

/// Role `id`; 404 otherwise.
async fn load(conn: &mut PgConnection, id: Uuid) -> ApiResult<Role> {
    roles::find(conn, id).await?.ok_or(ApiError::NotFound)
}

/// `GET /api/roles`: every role with its permissions, system roles first.
pub async fn list(
    State(state): State<AppState>,
    _: Require<perm::PermissionsView>,
) -> ApiResult<Json<Vec<Role>>> {
    let mut conn = state.db.acquire().await?;
    Ok(Json(roles::all(&mut conn).await?))
}

/// `GET /api/roles/{id}`
pub async fn show(
    State(state): State<AppState>,
    _: Require<perm::PermissionsView>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Role>> {
    let mut conn = state.db.acquire().await?;
    Ok(Json(load(&mut conn, id).await?))
}

/// The ids of `codes` (a 422 naming `field[i]` for an unknown one). Each
/// must be held by `actor`, unless the role already has it (`kept`):
/// removing other permissions must not require holding these.
async fn permission_ids(
    conn: &mut PgConnection,
    actor: &AuthUser,
    field: &str,
    codes: &[String],
    kept: &[String],
) -> ApiResult<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(codes.len());
    for (i, code) in codes.iter().enumerate() {
        let id = roles::permission_id(conn, code).await?.ok_or_else(|| {
            ApiError::invalid(
                format!("{field}[{i}]"),
                format!("There is no permission {code:?}."),
            )
        })?;
        if !kept.contains(code) && !actor.holds(code) {
            return Err(cannot_grant(code));
        }
        ids.push(id);
    }
    Ok(ids)
}

fn cannot_grant(code: &str) -> ApiError {
    ApiError::refused(
        StatusCode::FORBIDDEN,
        ErrorCode::CannotGrant,
        format!("You do not hold {code}, so you cannot grant it."),
    )
}

fn system_role(what: &str) -> ApiError {
    ApiError::refused(
        StatusCode::CONFLICT,
        ErrorCode::SystemRole,
        format!("System roles cannot be {what}."),
    )
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRole {
    code: String,
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    permissions: Vec<String>,
}

fn check_code(code: &str) -> ApiResult<String> {
    let code = code.trim().to_string();
    let ok = (2..=50).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_lowercase())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if ok {
        Ok(code)
    } else {
        Err(ApiError::invalid(
            "code",
            "A role code is 2 to 50 lower-case letters, digits, - or _, starting with a letter.",
        ))
    }
}

/// `POST /api/roles` → 201: a custom role with the given permissions.
pub async fn create(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::PermissionsCreate>,
    Json(body): Json<NewRole>,
) -> ApiResult<Created<Role>> {
    let code = check_code(&body.code)?;
    let name = text("name", &body.name, 100)?;
    let description = optional_long_text("description", body.description.as_deref(), 1000)?;
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    let ids = permission_ids(&mut tx, &user, "permissions", &body.permissions, &[]).await?;
    let id = roles::create(&mut tx, &code, &name, description.as_deref(), user.id).await?;
    roles::set_permissions(&mut tx, id, &ids).await?;
    let role = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Created(role))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleEdit {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

/// `PATCH /api/roles/{id}`: rename or describe a custom role.
pub async fn update(
    State(state): State<AppState>,
    admin: Require<perm::PermissionsEdit>,
    Path(id): Path<Uuid>,
    Json(body): Json<RoleEdit>,
) -> ApiResult<Json<Role>> {
    let name = body
        .name
        .as_deref()
        .map(|n| text("name", n, 100))
        .transpose()?;
    let description = optional_long_text("description", body.description.as_deref(), 1000)?;
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    if load(&mut tx, id).await?.is_system_role {
        return Err(system_role("renamed"));
    }
    roles::rename(&mut tx, id, name.as_deref(), description.as_deref()).await?;
    let role = load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(role))
}

/// `DELETE /api/roles/{id}`: a custom role nobody holds.
pub async fn delete(
    State(state): State<AppState>,
    admin: Require<perm::PermissionsDelete>,
    Path(id): Path<Uuid>,
) -> ApiResult<NoContent> {
    let mut tx = audit::begin_as(&state.db, admin.user.id).await?;
    let role = load(&mut tx, id).await?;
    if role.is_system_role {
        return Err(system_role("deleted"));
    }
    if role.members > 0 {
        return Err(ApiError::conflict(
            "members",
            format!(
                "{} accounts hold this role: give them another role first.",
                role.members
            ),
        ));
    }
    roles::delete(&mut tx, id).await?;
    tx.commit().await?;
    state.permissions.clear();
    Ok(NoContent)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionSet {
    codes: Vec<String>,
}

/// `PUT /api/roles/{id}/permissions {codes}`: replaces the role's set. Codes
/// added must be held by the caller; the superadmin's set is fixed.
pub async fn replace_permissions(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::PermissionsEdit>,
    Path(id): Path<Uuid>,
    Json(body): Json<PermissionSet>,
) -> ApiResult<Json<Role>> {
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    let role = load(&mut tx, id).await?;
    if role.code == "superadmin" {
        return Err(ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::SystemRole,
            "The superadmin role always holds every permission.",
        ));
    }
    let ids = permission_ids(&mut tx, &user, "codes", &body.codes, &role.permissions).await?;
    roles::set_permissions(&mut tx, id, &ids).await?;
    let role = load(&mut tx, id).await?;
    tx.commit().await?;
    // This container sees the change at once; others within the cache TTL.
    state.permissions.clear();
    Ok(Json(role))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleAssignment {
    role_id: Uuid,
}

/// `PUT /api/members/{id}/role {role_id}`: the member's role (the database
/// keeps the legacy role column in step, migration 0013).
pub async fn assign(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::PermissionsAssign>,
    Path(id): Path<Uuid>,
    Json(body): Json<RoleAssignment>,
) -> ApiResult<Json<Member>> {
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    let role = match load(&mut tx, body.role_id).await {
        Err(ApiError::NotFound) => {
            return Err(ApiError::invalid("role_id", "No role has this id."))
        }
        other => other?,
    };
    if let Some(code) = role.permissions.iter().find(|c| !user.holds(c)) {
        return Err(cannot_grant(code));
    }
    let current = roles::held_by(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if current.as_deref() == Some("superadmin") && role.code != "superadmin" {
        keep_a_superadmin(&mut tx, id).await?;
    }
    roles::give(&mut tx, id, role.id).await?;
    audit::record(
        &mut tx,
        id,
        Some(user.id),
        "role",
        current.as_deref(),
        Some(&role.code),
        None,
    )
    .await?;
    let member = members::load(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(member))
}
