//! Roles and permissions: the catalogue grouped by module, custom roles
//! and their permission sets, and giving a member a role. Three rules
//! hold everywhere: system roles are never deleted (nor renamed, nor is
//! the superadmin's set changed), the last superadmin keeps the role, and
//! nobody grants a permission they do not hold.

use crate::lifecycle::keep_a_superadmin;
use crate::members::{self, Member};
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use loaf_domain::audit;
use loaf_domain::permissions::perm;
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

#[derive(Debug, Serialize, sqlx::FromRow, JsonSchema)]
pub struct Permission {
    code: String,
    name: String,
    description: Option<String>,
    #[serde(skip)]
    module: String,
}

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
    let all: Vec<Permission> = sqlx::query_as!(
        Permission,
        "SELECT code, name, description, module FROM permissions ORDER BY module, code",
    )
    .fetch_all(&state.db)
    .await?;
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

#[derive(Debug, Serialize, JsonSchema)]
pub struct Role {
    id: Uuid,
    code: String,
    name: String,
    description: Option<String>,
    is_system_role: bool,
    /// The role's permission codes, sorted.
    permissions: Vec<String>,
    /// How many accounts hold it.
    members: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

/// `sqlx::query_as!(Role, …)` over `roles r`, then `$tail`.
macro_rules! role_query {
    ($tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Role,
            r#"SELECT r.id, r.code, r.name, r.description, r.is_system_role,
                   COALESCE((SELECT array_agg(p.code ORDER BY p.code) FROM role_permissions rp
                             JOIN permissions p ON p.id = rp.permission_id
                             WHERE rp.role_id = r.id), '{}') AS "permissions!",
                   (SELECT count(*) FROM users u WHERE u.role_id = r.id) AS "members!",
                   r.created_at, r.updated_at
               FROM roles r "# + $tail
            $(, $arg)*
        )
    };
        }

async fn load(conn: &mut PgConnection, id: Uuid) -> ApiResult<Role> {
    role_query!("WHERE r.id = $1", id)
        .fetch_optional(conn)
        .await?
        .ok_or(ApiError::NotFound)
}

/// `GET /api/roles`: every role with its permissions, system roles first.
pub async fn list(
    State(state): State<AppState>,
    _: Require<perm::PermissionsView>,
) -> ApiResult<Json<Vec<Role>>> {
    let roles = role_query!("ORDER BY r.is_system_role DESC, r.name")
        .fetch_all(&state.db)
        .await?;
    Ok(Json(roles))
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
        let id: Option<Uuid> =
            sqlx::query_scalar!("SELECT id FROM permissions WHERE code = $1", code,)
                .fetch_optional(&mut *conn)
                .await?;
        let id = id.ok_or_else(|| {
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

async fn set_permissions(
    conn: &mut PgConnection,
    role_id: Uuid,
    ids: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "DELETE FROM role_permissions WHERE role_id = $1 AND NOT permission_id = ANY($2)",
        role_id,
        ids,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO role_permissions (role_id, permission_id) SELECT $1, unnest($2::uuid[]) \
         ON CONFLICT DO NOTHING",
        role_id,
        ids,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!("UPDATE roles SET updated_at = now() WHERE id = $1", role_id,)
        .execute(conn)
        .await?;
    Ok(())
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
    let id: Uuid = sqlx::query_scalar!(
        "INSERT INTO roles (code, name, description, is_system_role, created_by) \
         VALUES ($1, $2, $3, false, $4) RETURNING id",
        code,
        name,
        description,
        user.id,
    )
    .fetch_one(&mut *tx)
    .await?;
    set_permissions(&mut tx, id, &ids).await?;
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
    sqlx::query!(
        "UPDATE roles SET name = COALESCE($2, name), description = COALESCE($3, description), \
         updated_at = now() WHERE id = $1",
        id,
        name,
        description,
    )
    .execute(&mut *tx)
    .await?;
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
    sqlx::query!("DELETE FROM roles WHERE id = $1", id,)
        .execute(&mut *tx)
        .await?;
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
    set_permissions(&mut tx, id, &ids).await?;
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
    let current: Option<String> = sqlx::query_scalar!(
        r#"SELECT r.code AS "code?" FROM users u LEFT JOIN roles r ON r.id = u.role_id
           WHERE u.id = $1 AND u.erased_at IS NULL FOR UPDATE OF u"#,
        id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(ApiError::NotFound)?;
    if current.as_deref() == Some("superadmin") && role.code != "superadmin" {
        keep_a_superadmin(&mut tx, id).await?;
    }
    sqlx::query!(
        "UPDATE users SET role_id = $2, updated_at = now() WHERE id = $1",
        id,
        role.id,
    )
    .execute(&mut *tx)
    .await?;
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
