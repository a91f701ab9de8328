//! A role's permission codes, cached per container for a short time so a
//! route's permission check costs no query on a warm container. An admin's
//! change to a role reaches every container within the TTL.

use sqlx::PgPool;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The set of permission codes a role holds.
pub type Codes = Arc<HashSet<String>>;

pub struct PermissionCache {
    ttl: Duration,
    entries: Mutex<HashMap<Uuid, (Instant, Codes)>>,
}

impl PermissionCache {
    pub fn new(ttl: Duration) -> Self {
        PermissionCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The codes of `role_id`, from the cache while fresh, else from
    /// `role_permissions`.
    pub async fn codes(&self, db: &PgPool, role_id: Uuid) -> Result<Codes, sqlx::Error> {
        if let Some(codes) = self.fresh(role_id) {
            return Ok(codes);
        }
        let rows: Vec<String> = sqlx::query_scalar!(
            "SELECT p.code FROM role_permissions rp \
             JOIN permissions p ON p.id = rp.permission_id \
             WHERE rp.role_id = $1",
            role_id,
        )
        .fetch_all(db)
        .await?;
        let codes: Codes = Arc::new(rows.into_iter().collect());
        self.lock().insert(role_id, (Instant::now(), codes.clone()));
        Ok(codes)
    }

    /// Forgets every entry: a container that changed a role sees it at once.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn fresh(&self, role_id: Uuid) -> Option<Codes> {
        let entries = self.lock();
        let (at, codes) = entries.get(&role_id)?;
        (at.elapsed() < self.ttl).then(|| codes.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, (Instant, Codes)>> {
        // A panic while holding this lock cannot leave the map inconsistent
        // (each operation is a single insert or read), so poisoning is moot.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}
