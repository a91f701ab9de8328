//! Password hashing (argon2id, OWASP parameters) and the password policy.
//!
//! Hashing costs ~19 MiB and tens of milliseconds of CPU, so it runs on the
//! blocking pool, never on the async worker threads, and in working memory
//! that is kept and reused (`Workspace`): a server under a burst of
//! sign-ins stays at a few blocks of 19 MiB instead of growing by one per
//! concurrent request (freed blocks of that size stay with the allocator).

use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{Arc, LazyLock, Mutex};
use tokio::sync::Semaphore;

/// OWASP's recommended argon2id setting: 19 MiB memory, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

/// The shortest password accepted, in characters.
pub const MIN_LEN: usize = 8;
/// The longest password accepted, in characters (bounds hashing work).
pub const MAX_LEN: usize = 128;

fn params() -> Params {
    Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("constant argon2 parameters are valid")
}

/// Argon2 working memory for as many hashes at once as there are CPUs:
/// more would not finish sooner (the work is CPU-bound) and would each take
/// another 19 MiB. A hash waits for a slot, takes a free block of memory
/// (made on first use) and puts it back.
struct Workspace {
    slots: Arc<Semaphore>,
    free: Mutex<Vec<Vec<Block>>>,
}

static WORKSPACE: LazyLock<Workspace> = LazyLock::new(|| Workspace {
    slots: Arc::new(Semaphore::new(
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    )),
    free: Mutex::new(Vec::new()),
});

/// Runs `work` on the blocking pool with at least `blocks` blocks of
/// memory. The kept blocks have today's size; a larger old hash gets memory
/// of its own, freed after.
async fn with_memory<T: Send + 'static>(
    blocks: usize,
    work: impl FnOnce(&mut [Block]) -> T + Send + 'static,
) -> anyhow::Result<T> {
    let slot = WORKSPACE.slots.clone().acquire_owned().await?;
    let result = tokio::task::spawn_blocking(move || {
        // The slot moves here, so a cancelled request still holds it until
        // the hashing it started is done.
        let _slot = slot;
        let kept = WORKSPACE.free.lock().expect("workspace lock").pop();
        let mut memory = match kept {
            Some(memory) if memory.len() >= blocks => memory,
            _ => vec![Block::default(); blocks],
        };
        let result = work(&mut memory);
        if memory.len() == params().block_count() {
            WORKSPACE.free.lock().expect("workspace lock").push(memory);
        }
        result
    })
    .await?;
    Ok(result)
}

/// Hashes `password` into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$...`).
pub async fn hash(password: String) -> anyhow::Result<String> {
    let params = params();
    with_memory(params.block_count(), move |memory| {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
        let output = Output::init_with(Params::DEFAULT_OUTPUT_LEN, |out| {
            Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
                .hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, memory)
                .map_err(Into::into)
        })?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: (&params).try_into()?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok::<_, argon2::password_hash::Error>(phc.to_string())
    })
    .await?
    .map_err(|e| anyhow::anyhow!("argon2 hashing failed: {e}"))
}

/// `true` when `password` matches the PHC string `stored`. A malformed hash
/// never matches. Algorithm, version and parameters are read from the hash,
/// so hashes made by the old platform (or with older parameters) still
/// verify.
pub async fn verify(password: String, stored: String) -> bool {
    let Some(blocks) = PasswordHash::new(&stored)
        .ok()
        .and_then(|parsed| Params::try_from(&parsed).ok())
        .map(|params| params.block_count())
    else {
        return false;
    };
    with_memory(blocks, move |memory| {
        matches(&password, &stored, memory).unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// Recomputes `stored`'s hash of `password` in `memory` and compares the
/// two in constant time (`Output`'s equality).
fn matches(
    password: &str,
    stored: &str,
    memory: &mut [Block],
) -> Result<bool, argon2::password_hash::Error> {
    let parsed = PasswordHash::new(stored)?;
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return Ok(false);
    };
    let argon2 = Argon2::new(
        Algorithm::try_from(parsed.algorithm)?,
        parsed
            .version
            .map(Version::try_from)
            .transpose()?
            .unwrap_or_default(),
        Params::try_from(&parsed)?,
    );
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes)?;
    let computed = Output::init_with(expected.len(), |out| {
        argon2
            .hash_password_into_with_memory(password.as_bytes(), salt_bytes, out, memory)
            .map_err(Into::into)
    })?;
    Ok(computed == expected)
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

    /// Hashes from argon2's own API (the old platform's variants and
    /// parameters included) verify through the kept memory, and ours verify
    /// through argon2's API: the reuse changes nothing in the result.
    #[tokio::test]
    async fn agrees_with_argon2s_own_api() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let old = [
            (Algorithm::Argon2id, Params::new(65536, 3, 4, None).unwrap()),
            (
                Algorithm::Argon2i,
                Params::new(4096, 3, 1, Some(16)).unwrap(),
            ),
            (Algorithm::Argon2id, params()),
        ];
        for (algorithm, params) in old {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            let stored = Argon2::new(algorithm, Version::V0x13, params)
                .hash_password(b"an old password", &salt)
                .unwrap()
                .to_string();
            assert!(
                verify("an old password".into(), stored.clone()).await,
                "{stored}"
            );
            assert!(!verify("an old passwore".into(), stored).await);
        }
        let ours = hash("a new password".into()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default()
            .verify_password(b"a new password", &parsed)
            .is_ok());
        assert!(Argon2::default()
            .verify_password(b"a new passwore", &parsed)
            .is_err());
        // Kept memory never grows past today's size for an old, larger hash.
        let kept = WORKSPACE.free.lock().unwrap();
        assert!(kept
            .iter()
            .all(|m| m.len() == super::params().block_count()));
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
