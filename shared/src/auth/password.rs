//! Password hashing (argon2id, OWASP parameters) and the password policy.
//!
//! Hashing costs ~19 MiB and tens of milliseconds of CPU, so it runs on the
//! blocking pool, never on the async worker threads.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// OWASP's recommended argon2id setting: 19 MiB memory, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

/// The shortest password accepted, in characters.
pub const MIN_LEN: usize = 8;
/// The longest password accepted, in characters (bounds hashing work).
pub const MAX_LEN: usize = 128;

fn hasher() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes `password` into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub async fn hash(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        hasher()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
    })
    .await?
}

/// `true` when `password` matches the PHC string `stored`. A malformed hash
/// never matches. Parameters are read from the hash, so hashes made by the
/// old platform (or with older parameters) still verify.
pub async fn verify(password: String, stored: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&stored)
            .map(|parsed| {
                hasher()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// The PHC prefix of a hash made with today's parameters.
const CURRENT_PREFIX: &str = "$argon2id$v=19$m=19456,t=2,p=1$";

/// A well-formed hash with today's parameters that matches no password.
/// Signing in as an unknown email verifies against it, so the answer takes
/// as long as for a real account and reveals nothing.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$bG9hZmR1bW15c2FsdDAx$\
                          TWlzc2luZ0FjY291bnREdW1teUhhc2hWYWx1ZTAwMDA";

/// Verifies `password` against `stored`, or against a dummy hash with the
/// same cost when there is no account or its hash is unusable (an imported
/// member who never chose a password has `!`): every path takes the time of
/// one real verification, so the answer's timing tells nothing.
pub async fn verify_or_dummy(password: String, stored: Option<String>) -> bool {
    let usable = stored.filter(|s| PasswordHash::new(s).is_ok());
    let real = usable.is_some();
    let matched = verify(password, usable.unwrap_or_else(|| DUMMY_HASH.to_string())).await;
    real && matched
}

/// `true` when `stored` was made with other parameters (or by the old
/// platform) and should be replaced after the next successful sign-in.
pub fn needs_rehash(stored: &str) -> bool {
    !stored.starts_with(CURRENT_PREFIX)
}

/// Why a password is refused; the message is shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("Use at least {MIN_LEN} characters.")]
    TooShort,
    #[error("Use at most {MAX_LEN} characters.")]
    TooLong,
    #[error("This password is one of the most common and easily guessed; choose another.")]
    Common,
    #[error("The password must not contain your email address.")]
    ContainsEmail,
}

const COMMON: &str = include_str!("common-passwords.txt");

/// NIST SP 800-63B style: length 8..=128, no composition rules, refused when
/// common or when it contains the account's email (or its name part).
pub fn check_policy(password: &str, email: &str) -> Result<(), PolicyError> {
    let len = password.chars().count();
    if len < MIN_LEN {
        return Err(PolicyError::TooShort);
    }
    if len > MAX_LEN {
        return Err(PolicyError::TooLong);
    }
    let lower = password.to_lowercase();
    if COMMON
        .lines()
        .filter(|l| !l.starts_with('#'))
        .any(|common| common == lower)
    {
        return Err(PolicyError::Common);
    }
    let email = email.trim().to_lowercase();
    let local = email.split('@').next().unwrap_or_default();
    if (!email.is_empty() && lower.contains(&email)) || (local.len() >= 4 && lower.contains(local))
    {
        return Err(PolicyError::ContainsEmail);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash("correct horse battery staple".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery staple".into(), h.clone()).await);
        assert!(!verify("correct horse battery stapler".into(), h).await);
    }

    #[tokio::test]
    async fn malformed_hash_never_matches() {
        assert!(!verify("x".into(), "not a hash".into()).await);
        assert!(!verify("".into(), "".into()).await);
    }

    #[tokio::test]
    async fn dummy_hash_costs_a_real_verification_and_matches_nothing() {
        assert!(
            PasswordHash::new(DUMMY_HASH).is_ok(),
            "dummy hash must parse"
        );
        assert!(!needs_rehash(DUMMY_HASH));
        assert!(!verify_or_dummy("anything at all".into(), None).await);
        assert!(!verify_or_dummy("!".into(), Some("!".into())).await);
        let h = hash("correct horse battery staple".into()).await.unwrap();
        assert!(verify_or_dummy("correct horse battery staple".into(), Some(h.clone())).await);
        assert!(!needs_rehash(&h));
        assert!(needs_rehash(
            "$argon2id$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaA"
        ));
    }

    #[test]
    fn policy() {
        let email = "ada.lovelace@example.org";
        assert_eq!(check_policy("short", email), Err(PolicyError::TooShort));
        assert_eq!(
            check_policy(&"x".repeat(129), email),
            Err(PolicyError::TooLong)
        );
        assert_eq!(check_policy("Password123", email), Err(PolicyError::Common));
        assert_eq!(check_policy("QWERTYUIOP", email), Err(PolicyError::Common));
        assert_eq!(
            check_policy("my ada.lovelace pass", email),
            Err(PolicyError::ContainsEmail)
        );
        assert_eq!(check_policy("analytical engine 1843", email), Ok(()));
        assert_eq!(check_policy(&"é".repeat(128), email), Ok(()));
    }
}
