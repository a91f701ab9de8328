//! Limits on what anyone may ask without signing in: so many requests per
//! window and key (a source address, an email address), counted in the
//! database in one statement (the row's lock makes concurrent requests take
//! turns), so the limit holds across Lambda containers and however requests
//! are timed. Sign-in failures have their own, stricter counter
//! (`functions/auth/src/throttle.rs`).

use sqlx::PgExecutor;
use std::time::Duration;

/// How many requests of one kind a key may make per window.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Prefixes the key (`register-source`, `gift-donor`…).
    pub name: &'static str,
    pub max: i32,
    pub window: Duration,
}

/// Registrations from one source address: enough for a family or an office
/// behind one address, not for a script.
pub const REGISTRATIONS_PER_SOURCE: Limit = Limit {
    name: "register-source",
    max: 10,
    window: Duration::from_secs(3600),
};

/// "Someone tried to register with your address" emails to one address.
pub const REGISTRATION_NOTICES_PER_ADDRESS: Limit = Limit {
    name: "register-notice",
    max: 1,
    window: Duration::from_secs(24 * 3600),
};

/// Online gifts started from one source address.
pub const GIFTS_PER_SOURCE: Limit = Limit {
    name: "gift-source",
    max: 10,
    window: Duration::from_secs(600),
};

/// Online gifts started for one donor address.
pub const GIFTS_PER_DONOR: Limit = Limit {
    name: "gift-donor",
    max: 5,
    window: Duration::from_secs(3600),
};

/// Counts one request of `limit` for `subject`; `Some(seconds)` until the
/// window ends when the request is over the limit (it is still counted, so
/// hammering does not help). On the pool, or inside the caller's
/// transaction (never a second connection while one is held).
pub async fn hit<'e>(
    db: impl PgExecutor<'e>,
    limit: &Limit,
    subject: &str,
) -> Result<Option<u64>, sqlx::Error> {
    let key = format!("{}:{}", limit.name, subject.trim().to_lowercase());
    let row = sqlx::query!(
        "INSERT INTO rate_limits AS r (key, window_start, hits) VALUES ($1, now(), 1) \
         ON CONFLICT (key) DO UPDATE SET \
           hits = CASE WHEN r.window_start <= now() - make_interval(secs => $2) THEN 1 \
                       ELSE r.hits + 1 END, \
           window_start = CASE WHEN r.window_start <= now() - make_interval(secs => $2) \
                               THEN now() ELSE r.window_start END \
         RETURNING hits, \
           EXTRACT(EPOCH FROM window_start + make_interval(secs => $2) - now())::float8 AS \"left!\"",
        key,
        limit.window.as_secs_f64(),
    )
    .fetch_one(db)
    .await?;
    let (hits, left) = (row.hits, row.left);
    Ok((hits > limit.max).then(|| left.ceil().max(1.0) as u64))
}

/// Why [`check`] refused. Mapped to an answer once, in `loaf_http::error`
/// (429 `too_many_attempts` with `Retry-After`).
#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    #[error("over the limit; retry after {0} s")]
    Limited(u64),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// [`hit`], refused with the seconds to wait over the limit.
pub async fn check<'e>(
    db: impl PgExecutor<'e>,
    limit: &Limit,
    subject: &str,
) -> Result<(), RateLimitError> {
    match hit(db, limit, subject).await? {
        Some(retry_after_secs) => Err(RateLimitError::Limited(retry_after_secs)),
        None => Ok(()),
    }
}

/// Deletes windows two days past; answers how many.
pub async fn delete_old(db: &sqlx::PgPool) -> sqlx::Result<u64> {
    let done =
        sqlx::query!("DELETE FROM rate_limits WHERE window_start < now() - interval '2 days'")
            .execute(db)
            .await?;
    Ok(done.rows_affected())
}
