//! The provider's webhook signature (Stripe's scheme): the header
//! `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` signs
//! `"<t>.<raw body>"` with the endpoint's signing secret. Checked over the
//! body exactly as received, compared in constant time, and refused when
//! the timestamp is more than [`TOLERANCE_SECS`] away, so a captured
//! delivery cannot be replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far the signed timestamp may be from now, either way.
pub const TOLERANCE_SECS: i64 = 300;

/// The header the signature travels in.
pub const HEADER: &str = "stripe-signature";

/// Why a delivery's signature is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the signature header is missing or malformed")]
    Malformed,
    #[error("no signature matches the body")]
    Mismatch,
    #[error("the signed timestamp is too far from now")]
    Stale,
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any size");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Checks `header` against `body` at time `now` (unix seconds).
pub fn verify(secret: &str, header: &str, body: &[u8], now: i64) -> Result<(), SignatureError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            // Several v1 values appear while a secret is being rolled.
            Some(("v1", sig)) => signatures.extend(hex_decode(sig)),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    // `verify_slice` compares in constant time.
    let matched = signatures
        .iter()
        .any(|sig| mac(secret, timestamp, body).verify_slice(sig).is_ok());
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    Ok(())
}

/// The header value signing `body` at `timestamp`: what the provider sends
/// (the local stand-in and the tests sign with it).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", loaf_core::hex::encode(&digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;

    #[test]
    fn a_signed_body_verifies_within_the_tolerance() {
        let header = sign(SECRET, 1_700_000_000, BODY);
        assert_eq!(verify(SECRET, &header, BODY, 1_700_000_000), Ok(()));
        assert_eq!(verify(SECRET, &header, BODY, 1_700_000_300), Ok(()));
        assert_eq!(
            verify(SECRET, &header, BODY, 1_700_000_301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(SECRET, &header, BODY, 1_699_999_699),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn a_changed_body_secret_or_timestamp_does_not() {
        let header = sign(SECRET, 1_700_000_000, BODY);
        let now = 1_700_000_000;
        let mut changed = BODY.to_vec();
        changed[10] ^= 1;
        assert_eq!(
            verify(SECRET, &header, &changed, now),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify("whsec_other", &header, BODY, now),
            Err(SignatureError::Mismatch)
        );
        let moved = header.replace("t=1700000000", "t=1700000001");
        assert_eq!(
            verify(SECRET, &moved, BODY, now),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn any_of_several_signatures_may_match() {
        let good = sign(SECRET, 1_700_000_000, BODY);
        let v1 = good.split_once(",v1=").unwrap().1;
        let header = format!("t=1700000000,v1={},v0=ignored,v1={v1}", "00".repeat(32));
        assert_eq!(verify(SECRET, &header, BODY, 1_700_000_000), Ok(()));
    }

    #[test]
    fn malformed_headers_are_refused() {
        for header in [
            "",
            "t=abc,v1=00",
            "v1=00",
            "t=1700000000",
            "t=1700000000,v1=zz",
        ] {
            assert_eq!(
                verify(SECRET, header, BODY, 1_700_000_000),
                Err(SignatureError::Malformed),
                "{header}"
            );
        }
    }
}
