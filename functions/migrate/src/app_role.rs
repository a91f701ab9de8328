//! The application's own database role: what the route functions and the
//! jobs connect as, instead of the owner. It may read and write the
//! application's tables and nothing else: no DDL, no other role, not the
//! migration record. Its statement limit is its own setting, so no
//! connection sends it (RDS Proxy refuses startup options and pins sessions
//! that `SET` it).
//!
//! Every migrate run brings the role in line: creates it if missing, gives
//! it the password of its secret (as a SCRAM verifier, so the password
//! itself never travels in SQL or reaches a log), and grants it the tables
//! that exist now, new ones included.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use loaf_core::config::AppRoleConfig;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

/// PostgreSQL's own default for stored SCRAM verifiers.
const SCRAM_ITERATIONS: u32 = 4096;

/// Creates or updates the role `role` names, in one transaction.
pub async fn ensure(conn: &mut PgConnection, role: &AppRoleConfig) -> Result<(), sqlx::Error> {
    let name = quote_ident(&role.name);
    let mut statements = vec![
        // CREATE ROLE has no IF NOT EXISTS; the name is checked by the
        // configuration (lower-case letters, digits, underscores).
        format!(
            "DO $$ BEGIN \
               IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{}') THEN \
                 CREATE ROLE {name} LOGIN; \
               END IF; \
             END $$",
            role.name
        ),
        format!("ALTER ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT"),
        format!(
            "ALTER ROLE {name} SET statement_timeout = '{}ms'",
            role.statement_timeout.as_millis()
        ),
        // PostgreSQL 15 no longer lets everyone create in `public`; an
        // adopted database from an older server may still.
        "REVOKE CREATE ON SCHEMA public FROM PUBLIC".into(),
        format!("GRANT USAGE ON SCHEMA public TO {name}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}"),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}"),
        format!("REVOKE ALL ON TABLE _sqlx_migrations FROM {name}"),
    ];
    if let Some(password) = &role.password {
        statements.push(format!(
            "ALTER ROLE {name} PASSWORD '{}'",
            scram_verifier(password.expose())
        ));
    }
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    for sql in statements {
        sqlx::query(&sql).execute(&mut *tx).await?;
    }
    tx.commit().await
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, the form
/// PostgreSQL stores (RFC 5802, RFC 7677), for `password` with a fresh
/// random salt. Generated passwords are ASCII, which SASLprep leaves as is.
fn scram_verifier(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    scram_verifier_with(password, &salt, SCRAM_ITERATIONS)
}

fn scram_verifier_with(password: &str, salt: &[u8], iterations: u32) -> String {
    let salted = pbkdf2_sha256(password.as_bytes(), salt, iterations);
    let client_key = hmac_sha256(&salted, b"Client Key");
    let stored_key = Sha256::digest(client_key);
    let server_key = hmac_sha256(&salted, b"Server Key");
    format!(
        "SCRAM-SHA-256${iterations}:{}${}:{}",
        B64.encode(salt),
        B64.encode(stored_key),
        B64.encode(server_key)
    )
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// PBKDF2-HMAC-SHA256 for one 32-byte block: all SCRAM needs.
fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> [u8; 32] {
    let mut block = salt.to_vec();
    block.extend_from_slice(&1u32.to_be_bytes());
    let mut u = hmac_sha256(password, &block);
    let mut out = u;
    for _ in 1..iterations {
        u = hmac_sha256(password, &u);
        for (o, b) in out.iter_mut().zip(u.iter()) {
            *o ^= b;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pbkdf2_matches_the_rfc_7914_vector() {
        // RFC 7914 section 11: PBKDF2-HMAC-SHA256("passwd", "salt", 1).
        let got = pbkdf2_sha256(b"passwd", b"salt", 1);
        assert_eq!(
            got[..16],
            [
                0x55, 0xac, 0x04, 0x6e, 0x56, 0xe3, 0x08, 0x9f, 0xec, 0x16, 0x91, 0xc2, 0x25, 0x44,
                0xb6, 0x05
            ]
        );
    }

    #[test]
    fn the_verifier_has_postgresql_s_shape() {
        let v = scram_verifier("correct horse");
        let (head, keys) = v.rsplit_once('$').unwrap();
        assert!(head.starts_with("SCRAM-SHA-256$4096:"), "{v}");
        assert_eq!(keys.split(':').count(), 2);
        assert_ne!(v, scram_verifier("correct horse"), "a fresh salt each time");
    }
}
