//! Failed sign-ins, counted per account and per source address in the
//! database (each Lambda container sees only part of the traffic). Past a
//! threshold the key is locked for 30 s, doubling with each further failure
//! up to 15 minutes; a quiet hour forgets the count.
//!
//! The limit holds however requests are timed: each attempt **claims** its
//! place before the password is verified, counting itself as a failure in
//! one statement that locks both keys' rows, so of forty guesses sent at
//! once only as many as the threshold are verified; the rest are refused.
//! A success gives its claim back. (Checking first and counting after the
//! verification let every request in flight through.)
//!
//! Unknown emails are counted like known ones, so a lock says nothing about
//! whether an account exists.

use crate::rate_limit::RateLimitError;
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

/// An attempt that may go on to verify a password. Give it back with
/// [`Claim::succeeded`]; a failed attempt keeps it (it was counted).
#[must_use = "a successful attempt gives its claim back"]
pub struct Claim<'a> {
    keys: &'a Keys,
}

/// Counts this attempt against both keys, locking those that reach their
/// threshold, or refuses with the seconds to wait when either key is
/// locked already (the attempt is then not counted). One transaction: the
/// rows' locks make concurrent attempts on a key take turns.
pub async fn claim<'a>(db: &PgPool, keys: &'a Keys) -> Result<Claim<'a>, RateLimitError> {
    let names = keys.all();
    let mut tx = db.begin().await?;
    // A key that is locked is left as it is (the WHERE of the update), so
    // it is missing from what the statement answers. Rows are taken in one
    // order (account, then address), so two attempts never wait on each
    // other in a cycle.
    let claimed: Vec<String> = sqlx::query_scalar!(
        "INSERT INTO login_throttle AS t (key, failures, last_failure_at) \
         SELECT key, 1, now() FROM unnest($1::text[]) AS key \
         ON CONFLICT (key) DO UPDATE SET \
           failures = CASE WHEN t.last_failure_at < now() - interval '1 hour' THEN 1 \
                           ELSE t.failures + 1 END, \
           last_failure_at = now(), \
           locked_until = CASE \
             WHEN t.last_failure_at < now() - interval '1 hour' THEN NULL \
             WHEN t.failures + 1 >= (CASE WHEN t.key LIKE 'account:%' THEN $2::int ELSE $3::int END) \
               THEN now() + make_interval(secs => least($4::float8 * power(2, t.failures + 1 - \
                    (CASE WHEN t.key LIKE 'account:%' THEN $2::int ELSE $3::int END)), $5::float8)) \
             ELSE NULL END \
         WHERE t.locked_until IS NULL OR t.locked_until <= now() \
         RETURNING t.key",
        &names,
        ACCOUNT_THRESHOLD,
        ADDRESS_THRESHOLD,
        FIRST_LOCK_SECS,
        MAX_LOCK_SECS,
    )
    .fetch_all(&mut *tx)
    .await?;
    if claimed.len() == names.len() {
        tx.commit().await?;
        return Ok(Claim { keys });
    }
    let wait: Option<f64> = sqlx::query_scalar!(
        "SELECT max(EXTRACT(EPOCH FROM locked_until - now()))::float8 FROM login_throttle \
         WHERE key = ANY($1) AND locked_until > now()",
        &names,
    )
    .fetch_one(&mut *tx)
    .await?;
    // Nothing of a refused attempt is counted.
    tx.rollback().await?;
    Err(RateLimitError::Limited(
        wait.unwrap_or(1.0).ceil().max(1.0) as u64
    ))
}

impl Claim<'_> {
    /// The password was right: the account's failures are forgotten (a
    /// successful sign-in ends its lock), and the address gets this
    /// attempt back (only this one: an attacker signing in to their own
    /// account must not reset the address's count).
    pub async fn succeeded(self, db: &PgPool) -> sqlx::Result<()> {
        sqlx::query!(
            "DELETE FROM login_throttle WHERE key = $1",
            self.keys.account,
        )
        .execute(db)
        .await?;
        if let Some(address) = &self.keys.address {
            sqlx::query!(
                "UPDATE login_throttle SET failures = greatest(failures - 1, 0), \
                   locked_until = CASE WHEN failures - 1 >= $2 THEN locked_until END \
                 WHERE key = $1",
                address,
                ADDRESS_THRESHOLD,
            )
            .execute(db)
            .await?;
        }
        Ok(())
    }
}

/// Forgets keys quiet for a day and not locked; answers how many.
pub async fn forget_quiet(db: &PgPool) -> sqlx::Result<u64> {
    let done = sqlx::query!(
        "DELETE FROM login_throttle WHERE last_failure_at < now() - interval '1 day' \
         AND (locked_until IS NULL OR locked_until < now())"
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}
