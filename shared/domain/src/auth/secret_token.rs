//! Random single-use secrets (refresh tokens, email links, invitations):
//! 256 bits, URL-safe, and stored only as their SHA-256. A fast hash is
//! right here: the input is random, not a guessable password.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new token and the hash to store for it.
pub fn generate() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hashed = hash(&token);
    (token, hashed)
}

/// The stored form of `token`.
pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The stored form of `token` as lower-case hex, for the seed's text
/// column `user_invitations.token`.
pub fn hash_hex(token: &str) -> String {
    loaf_core::hex::encode(&hash(token))
}

/// `true` when `token` has the shape [`generate`] makes: a cheap filter that
/// keeps junk out of the database lookups.
pub fn looks_valid(token: &str) -> bool {
    token.len() == 43
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_url_safe_and_hash_to_their_stored_form() {
        let (a, ha) = generate();
        let (b, _) = generate();
        assert_ne!(a, b);
        assert!(looks_valid(&a), "{a}");
        assert_eq!(hash(&a), ha);
        assert_eq!(ha.len(), 32);
        assert_eq!(hash_hex(&a).len(), 64);
        assert!(hash_hex(&a)
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert!(!looks_valid("short"));
        assert!(!looks_valid(&format!("{}!", "a".repeat(42))));
    }
}
