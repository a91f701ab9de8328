//! Access tokens: HS256 JWTs with the algorithm pinned, an issuer, a subject,
//! an expiry, the user's token version and the session they belong to.
//! Bumping `users.token_version` (password change, deactivation, logout
//! everywhere) kills every token issued before it; ending one session (log
//! out, or its refresh chain revoked because a used refresh token came back)
//! kills that session's tokens.

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use loaf_core::config::AuthConfig;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: Uuid,
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
    /// `users.token_version` when the token was issued.
    pub ver: i32,
    /// The session (refresh-token family) the token was issued for; a token
    /// without one is not tied to a session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<Uuid>,
}

/// Why a token was refused. All of them answer 401; the reason is logged.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("token invalid: {0}")]
    Invalid(String),
}

/// Signing and verifying keys, built once per container from [`AuthConfig`].
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    ttl: Duration,
}

impl TokenKeys {
    pub fn new(cfg: &AuthConfig) -> Self {
        // Only HS256 is accepted: a token whose header names `none` or an
        // asymmetric algorithm is refused before its signature is looked at.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[cfg.jwt_issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 30;
        TokenKeys {
            encoding: EncodingKey::from_secret(cfg.jwt_secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(cfg.jwt_secret.expose().as_bytes()),
            validation,
            issuer: cfg.jwt_issuer.clone(),
            ttl: cfg.access_token_ttl,
        }
    }

    /// Issues an access token for `user_id` at `token_version`, for the
    /// session `session`.
    pub fn issue(
        &self,
        user_id: Uuid,
        token_version: i32,
        session: Option<Uuid>,
    ) -> Result<String, TokenError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| TokenError::Invalid(e.to_string()))?
            .as_secs();
        let claims = Claims {
            sub: user_id,
            iss: self.issuer.clone(),
            iat: now,
            exp: now + self.ttl.as_secs(),
            ver: token_version,
            sid: session,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| TokenError::Invalid(e.to_string()))
    }

    /// Checks signature, algorithm, issuer and expiry; answers the claims.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid(e.to_string()),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn keys(secret: &str, issuer: &str, ttl: u64) -> TokenKeys {
        TokenKeys::new(&AuthConfig {
            jwt_secret: loaf_core::config::Secret::new(secret),
            jwt_issuer: issuer.into(),
            access_token_ttl: Duration::from_secs(ttl),
            refresh_token_ttl: Duration::from_secs(86_400),
            terms_version: "1".into(),
            invitation_ttl: std::time::Duration::from_secs(7 * 86_400),
            permission_cache_ttl: Duration::from_secs(30),
            edge_token: None,
        })
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn round_trip() {
        let k = keys(SECRET, "loaf", 1800);
        let id = Uuid::new_v4();
        let claims = k.verify(&k.issue(id, 3, None).unwrap()).unwrap();
        assert_eq!(
            (claims.sub, claims.ver, claims.iss.as_str()),
            (id, 3, "loaf")
        );
        assert_eq!(claims.exp - claims.iat, 1800);
    }

    #[test]
    fn wrong_key_is_refused() {
        let token = keys("another-secret-another-secret-xx", "loaf", 1800)
            .issue(Uuid::new_v4(), 0, None)
            .unwrap();
        assert!(matches!(
            keys(SECRET, "loaf", 1800).verify(&token),
            Err(TokenError::Invalid(_))
        ));
    }

    #[test]
    fn wrong_issuer_is_refused() {
        let token = keys(SECRET, "someone-else", 1800)
            .issue(Uuid::new_v4(), 0, None)
            .unwrap();
        assert!(keys(SECRET, "loaf", 1800).verify(&token).is_err());
    }

    #[test]
    fn expired_token_is_refused() {
        let k = keys(SECRET, "loaf", 1800);
        let past = Claims {
            sub: Uuid::new_v4(),
            iss: "loaf".into(),
            iat: 1_000,
            exp: 2_000,
            ver: 0,
            sid: None,
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &past, &k.encoding).unwrap();
        assert!(matches!(k.verify(&token), Err(TokenError::Expired)));
    }

    #[test]
    fn alg_none_is_refused() {
        let k = keys(SECRET, "loaf", 1800);
        let good = k.issue(Uuid::new_v4(), 0, None).unwrap();
        let payload = good.split('.').nth(1).unwrap();
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(k.verify(&format!("{header}.{payload}.")).is_err());
    }

    #[test]
    fn hs512_is_refused() {
        let k = keys(SECRET, "loaf", 1800);
        let claims = Claims {
            sub: Uuid::new_v4(),
            iss: "loaf".into(),
            iat: 0,
            exp: u64::MAX / 2,
            ver: 0,
            sid: None,
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims, &k.encoding).unwrap();
        assert!(k.verify(&token).is_err());
    }
}
