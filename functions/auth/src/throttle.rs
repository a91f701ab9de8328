//! Failed sign-ins, counted per account and per source address in the
//! database (each Lambda container sees only part of the traffic). Past a
//! threshold the key is locked for 30 s, doubling with each further failure
//! up to 15 minutes; a quiet hour forgets the count.
//!
//! Unknown emails are counted like known ones, so a lock says nothing about
//! whether an account exists.

use loaf_shared::{ApiError, ApiResult};
use sqlx::PgPool;

/// Failures an account may have before it is locked.
const ACCOUNT_THRESHOLD: i32 = 5;
/// Failures an address may have (it may be an office behind one NAT).
const ADDRESS_THRESHOLD: i32 = 20;
const FIRST_LOCK_SECS: f64 = 30.0;
const MAX_LOCK_SECS: f64 = 900.0;

/// The throttle keys of one sign-in attempt.
pub struct Keys {
    account: String,
    address: Option<String>,
}

impl Keys {
    pub fn new(email: &str, address: Option<&str>) -> Self {
        Keys {
            account: format!("account:{}", email.trim().to_lowercase()),
            address: address.map(|a| format!("address:{a}")),
        }
    }

    fn all(&self) -> Vec<String> {
        std::iter::once(self.account.clone())
            .chain(self.address.clone())
            .collect()
    }
}

/// 429 with the seconds to wait when either key is locked.
pub async fn check(db: &PgPool, keys: &Keys) -> ApiResult<()> {
    let wait: Option<f64> = sqlx::query_scalar(
        "SELECT max(EXTRACT(EPOCH FROM locked_until - now()))::float8 FROM login_throttle \
         WHERE key = ANY($1) AND locked_until > now()",
    )
    .bind(keys.all())
    .fetch_one(db)
    .await?;
    match wait {
        Some(secs) => Err(ApiError::TooManyRequests {
            retry_after_secs: secs.ceil().max(1.0) as u64,
        }),
        None => Ok(()),
    }
}

/// Counts a failure against both keys, locking those past their threshold.
pub async fn record_failure(db: &PgPool, keys: &Keys) -> ApiResult<()> {
    let pairs = std::iter::once((&keys.account, ACCOUNT_THRESHOLD))
        .chain(keys.address.as_ref().map(|a| (a, ADDRESS_THRESHOLD)));
    for (key, threshold) in pairs {
        sqlx::query(
            "INSERT INTO login_throttle AS t (key, failures, last_failure_at) VALUES ($1, 1, now()) \
             ON CONFLICT (key) DO UPDATE SET \
               failures = CASE WHEN t.last_failure_at < now() - interval '1 hour' THEN 1 \
                               ELSE t.failures + 1 END, \
               last_failure_at = now(), \
               locked_until = CASE \
                 WHEN t.last_failure_at < now() - interval '1 hour' THEN NULL \
                 WHEN t.failures + 1 >= $2 THEN now() + make_interval(secs => \
                      least($3 * power(2, t.failures + 1 - $2), $4)) \
                 ELSE t.locked_until END",
        )
        .bind(key)
        .bind(threshold)
        .bind(FIRST_LOCK_SECS)
        .bind(MAX_LOCK_SECS)
        .execute(db)
        .await?;
    }
    Ok(())
}

/// A successful sign-in forgets the account's failures (not the address's:
/// an attacker signing in to their own account must not reset it).
pub async fn clear_account(db: &PgPool, keys: &Keys) -> ApiResult<()> {
    sqlx::query("DELETE FROM login_throttle WHERE key = $1")
        .bind(&keys.account)
        .execute(db)
        .await?;
    Ok(())
}
