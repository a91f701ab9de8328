//! Seeds the permission catalogue and the system roles as an upsert: a
//! re-run adds what a new release brings and never takes back what an admin
//! changed (a permission removed from a role stays removed).

use loaf_domain::audit::{act_as, Actor};
use loaf_domain::permissions::{PermissionDef, PERMISSIONS, SYSTEM_ROLES};
use serde::Serialize;
use sqlx::{Connection, PgConnection};
use std::collections::HashSet;
use uuid::Uuid;

/// What a seed run changed.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct SeedSummary {
    pub permissions_added: u64,
    pub roles_added: u64,
    pub grants_added: u64,
    /// Users of the old platform given the dynamic role matching their
    /// legacy role.
    pub users_linked_to_roles: u64,
}

/// Runs the seed in one transaction.
pub async fn seed(conn: &mut PgConnection) -> Result<SeedSummary, sqlx::Error> {
    let mut tx = conn.begin().await?;
    act_as(&mut tx, Actor::Setup).await?;
    let mut summary = SeedSummary::default();

    let column =
        |f: fn(&PermissionDef) -> &'static str| PERMISSIONS.iter().map(f).collect::<Vec<_>>();
    // `xmax = 0` is true for a row this statement inserted, false for one it
    // updated: it tells new permissions from existing ones in one round trip.
    let rows: Vec<(String, bool)> = sqlx::query!(
        "INSERT INTO permissions (code, name, description, module) \
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[]) \
         ON CONFLICT (code) DO UPDATE SET \
             name = EXCLUDED.name, description = EXCLUDED.description, module = EXCLUDED.module \
         RETURNING code, (xmax = 0) AS \"inserted!\"",
        &column(|p| p.code) as _,
        &column(|p| p.name) as _,
        &column(|p| p.description) as _,
        &column(|p| p.module) as _,
    )
    .map(|r| (r.code, r.inserted))
    .fetch_all(&mut *tx)
    .await?;
    let new_permissions: HashSet<String> = rows
        .into_iter()
        .filter_map(|(code, inserted)| inserted.then_some(code))
        .collect();
    summary.permissions_added = new_permissions.len() as u64;

    for role in SYSTEM_ROLES {
        let (role_id, inserted): (Uuid, bool) = sqlx::query!(
            "INSERT INTO roles (code, name, description, is_system_role) \
             VALUES ($1, $2, $3, TRUE) \
             ON CONFLICT (code) DO UPDATE SET is_system_role = TRUE \
             RETURNING id, (xmax = 0) AS \"inserted!\"",
            role.code,
            role.name,
            role.description,
        )
        .map(|r| (r.id, r.inserted))
        .fetch_one(&mut *tx)
        .await?;
        if inserted {
            summary.roles_added += 1;
        }
        // A new role gets its whole default set; an existing one only the
        // permissions this release introduced. The superadmin holds
        // everything by definition, so it is topped up on every run.
        let grant: Vec<&str> = role
            .codes()
            .filter(|code| inserted || role.code == "superadmin" || new_permissions.contains(*code))
            .collect();
        if grant.is_empty() {
            continue;
        }
        let added = sqlx::query!(
            "INSERT INTO role_permissions (role, role_id, permission_id) \
             SELECT $1::userrole, $2, p.id FROM permissions p WHERE p.code = ANY($3) \
             ON CONFLICT (role_id, permission_id) DO NOTHING",
            role.code as _,
            role_id,
            &grant as _,
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        summary.grants_added += added;
    }

    summary.users_linked_to_roles = sqlx::query!(
        "UPDATE users u SET role_id = r.id FROM roles r \
         WHERE u.role_id IS NULL AND r.code = u.role::text",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();

    tx.commit().await?;
    Ok(summary)
}
