//! Roles and permissions as stored: the catalogue, roles with their
//! permission sets, and who holds which role. Every statement writing
//! `roles` or `role_permissions`, or changing a member's role, is here (the
//! migrate function's seeding of the catalogue aside; a new account is
//! created with its first role); member views join
//! `roles` for a role's code and name in their own statements. The rules
//! (system roles, the last superadmin, granting only what one holds) are
//! the routes'.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

/// A permission of the catalogue.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Permission {
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    /// The catalogue's grouping (the list nests permissions under it).
    #[serde(skip)]
    pub module: String,
}

/// Every permission, by module then code.
pub async fn catalogue(conn: &mut PgConnection) -> sqlx::Result<Vec<Permission>> {
    sqlx::query_as!(
        Permission,
        "SELECT code, name, description, module FROM permissions ORDER BY module, code",
    )
    .fetch_all(conn)
    .await
}

/// The id of permission `code`, if the catalogue has it.
pub async fn permission_id(conn: &mut PgConnection, code: &str) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!("SELECT id FROM permissions WHERE code = $1", code)
        .fetch_optional(conn)
        .await
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Role {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub description: Option<String>,
    pub is_system_role: bool,
    /// The role's permission codes, sorted.
    pub permissions: Vec<String>,
    /// How many accounts hold it.
    pub members: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
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

/// Role `id`.
pub async fn find(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<Role>> {
    role_query!("WHERE r.id = $1", id)
        .fetch_optional(conn)
        .await
}

/// Every role, system roles first, then by name.
pub async fn all(conn: &mut PgConnection) -> sqlx::Result<Vec<Role>> {
    role_query!("ORDER BY r.is_system_role DESC, r.name")
        .fetch_all(conn)
        .await
}

/// A role's name, as a member's own page shows it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "MyRole")]
pub struct RoleName {
    pub id: Uuid,
    pub code: String,
    pub name: String,
}

/// Role `id`'s code and name.
pub async fn name_of(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Option<RoleName>> {
    sqlx::query_as!(
        RoleName,
        "SELECT id, code, name FROM roles WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await
}

/// The id of the role whose code is `code` (`member`, `guest`, …).
pub async fn id_of(conn: &mut PgConnection, code: &str) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar!("SELECT id FROM roles WHERE code = $1", code)
        .fetch_optional(conn)
        .await
}

/// Whether role `id` exists.
pub async fn exists(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM roles WHERE id = $1) AS \"n!\"",
        id
    )
    .fetch_one(conn)
    .await
}

/// Role `id`'s permission codes.
pub async fn codes(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        "SELECT p.code FROM role_permissions rp JOIN permissions p ON p.id = rp.permission_id \
         WHERE rp.role_id = $1",
        id,
    )
    .fetch_all(conn)
    .await
}

/// A custom role; answers its id.
pub async fn create(
    conn: &mut PgConnection,
    code: &str,
    name: &str,
    description: Option<&str>,
    by: Uuid,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        "INSERT INTO roles (code, name, description, is_system_role, created_by) \
         VALUES ($1, $2, $3, false, $4) RETURNING id",
        code,
        name,
        description,
        by,
    )
    .fetch_one(conn)
    .await
}

/// Renames or describes role `id` (`None` keeps a field).
pub async fn rename(
    conn: &mut PgConnection,
    id: Uuid,
    name: Option<&str>,
    description: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE roles SET name = COALESCE($2, name), description = COALESCE($3, description), \
         updated_at = now() WHERE id = $1",
        id,
        name,
        description,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes role `id`.
pub async fn delete(conn: &mut PgConnection, id: Uuid) -> sqlx::Result<()> {
    sqlx::query!("DELETE FROM roles WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Role `id`'s permission set becomes exactly the permissions `ids`.
pub async fn set_permissions(conn: &mut PgConnection, id: Uuid, ids: &[Uuid]) -> sqlx::Result<()> {
    sqlx::query!(
        "DELETE FROM role_permissions WHERE role_id = $1 AND NOT permission_id = ANY($2)",
        id,
        ids,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "INSERT INTO role_permissions (role_id, permission_id) SELECT $1, unnest($2::uuid[]) \
         ON CONFLICT DO NOTHING",
        id,
        ids,
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!("UPDATE roles SET updated_at = now() WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The code of the role member `user` holds (`Some(None)`: none), their
/// row locked until the transaction ends; `None`: no such member, or an
/// erased one.
pub async fn held_by(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<Option<Option<String>>> {
    sqlx::query_scalar!(
        r#"SELECT r.code AS "code?" FROM users u LEFT JOIN roles r ON r.id = u.role_id
           WHERE u.id = $1 AND u.erased_at IS NULL FOR UPDATE OF u"#,
        user,
    )
    .fetch_optional(conn)
    .await
}

/// Member `user` holds role `role` from now on.
pub async fn give(conn: &mut PgConnection, user: Uuid, role: Uuid) -> sqlx::Result<()> {
    sqlx::query!(
        "UPDATE users SET role_id = $2, updated_at = now() WHERE id = $1",
        user,
        role,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A guest (the role registration gives) becomes a member, as paying
/// makes them; other roles are an admin's choice and stay. `true`: they
/// were a guest.
pub async fn promote_guest(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        "UPDATE users SET role_id = (SELECT id FROM roles WHERE code = 'member') \
         WHERE id = $1 AND role_id = (SELECT id FROM roles WHERE code = 'guest')",
        user,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
