//! Secrets read from AWS Secrets Manager once, at container start, so they
//! never sit in a function's plain environment variables:
//!
//! - `JWT_SECRET_ARN`: a secret whose string is the JWT signing key
//!   (stands in for `JWT_SECRET`);
//! - `DB_SECRET_ARN`: the database's `{"username", "password"}` secret, with
//!   `DB_HOST` (the RDS Proxy endpoint), `DB_NAME`, `DB_PORT` (5432) and
//!   `DB_SSLMODE` (`require`) (stands in for `DATABASE_URL`);
//! - `PAYMENT_SECRET_ARN`: the payment provider's `{"secret_key",
//!   "webhook_secret"}` (stands in for `PAYMENT_SECRET_KEY` and
//!   `PAYMENT_WEBHOOK_SECRET`; empty strings mean online payments are off).
//!
//! A plain variable, when set, wins: local runs and tests use them.

use crate::config::{ConfigError, ProcessEnv, Source};
use crate::percent;
use std::collections::HashMap;

/// The process environment with secret-backed variables filled in.
pub struct ResolvedEnv {
    resolved: HashMap<&'static str, String>,
}

impl Source for ResolvedEnv {
    fn get(&self, var: &str) -> Option<String> {
        ProcessEnv
            .get(var)
            .filter(|v| !v.trim().is_empty())
            .or_else(|| self.resolved.get(var).cloned())
    }
}

fn env(var: &str) -> Option<String> {
    ProcessEnv.get(var).filter(|v| !v.trim().is_empty())
}

/// Which secret-backed values a function needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// The database and the JWT key: the route functions.
    DatabaseAndJwt,
    /// The database only: migrate and the scheduled jobs, whose roles may
    /// not read the JWT key.
    Database,
}

/// Reads the secrets the environment points at, of those `needs` names.
/// Makes no AWS call when none needs resolving.
pub async fn resolve_env(needs: Needs) -> Result<ResolvedEnv, ConfigError> {
    let mut resolved = HashMap::new();
    let jwt_arn = env("JWT_SECRET_ARN")
        .filter(|_| needs == Needs::DatabaseAndJwt && env("JWT_SECRET").is_none());
    let db_arn = env("DB_SECRET_ARN").filter(|_| env("DATABASE_URL").is_none());
    let payment_arn = env("PAYMENT_SECRET_ARN")
        .filter(|_| needs == Needs::DatabaseAndJwt && env("PAYMENT_SECRET_KEY").is_none());
    if jwt_arn.is_none() && db_arn.is_none() && payment_arn.is_none() {
        return Ok(ResolvedEnv { resolved });
    }
    let shared = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_secretsmanager::Client::new(&shared);

    if let Some(arn) = jwt_arn {
        let key = fetch(&client, "JWT_SECRET_ARN", &arn).await?;
        resolved.insert("JWT_SECRET", key);
    }
    if let Some(arn) = db_arn {
        let text = fetch(&client, "DB_SECRET_ARN", &arn).await?;
        resolved.insert("DATABASE_URL", database_url(&text)?);
    }
    if let Some(arn) = payment_arn {
        let text = fetch(&client, "PAYMENT_SECRET_ARN", &arn).await?;
        let keys: PaymentSecret = serde_json::from_str(&text).map_err(|_| ConfigError {
            var: "PAYMENT_SECRET_ARN",
            problem: "names a secret that is not JSON with secret_key and webhook_secret".into(),
        })?;
        resolved.insert("PAYMENT_SECRET_KEY", keys.secret_key);
        resolved.insert("PAYMENT_WEBHOOK_SECRET", keys.webhook_secret);
    }
    Ok(ResolvedEnv { resolved })
}

async fn fetch(
    client: &aws_sdk_secretsmanager::Client,
    var: &'static str,
    arn: &str,
) -> Result<String, ConfigError> {
    let out = client
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| ConfigError {
            var,
            problem: format!(
                "names a secret that cannot be read ({}): check the ARN and the function's permission",
                aws_sdk_secretsmanager::error::DisplayErrorContext(&e)
            ),
        })?;
    out.secret_string()
        .map(str::to_string)
        .ok_or_else(|| ConfigError {
            var,
            problem: "names a secret without a string value".into(),
        })
}

#[derive(serde::Deserialize)]
struct PaymentSecret {
    secret_key: String,
    webhook_secret: String,
}

/// `postgres://USER:PASSWORD@DB_HOST:DB_PORT/DB_NAME?sslmode=DB_SSLMODE` from
/// the secret's JSON and the variables.
fn database_url(secret: &str) -> Result<String, ConfigError> {
    #[derive(serde::Deserialize)]
    struct DbSecret {
        username: String,
        password: String,
    }
    let parsed: DbSecret = serde_json::from_str(secret).map_err(|_| ConfigError {
        var: "DB_SECRET_ARN",
        problem: "names a secret that is not JSON with username and password".into(),
    })?;
    let required = |var: &'static str| {
        env(var).ok_or_else(|| ConfigError {
            var,
            problem: "is not set: DB_SECRET_ARN needs DB_HOST and DB_NAME".into(),
        })
    };
    let host = required("DB_HOST")?;
    let name = required("DB_NAME")?;
    let port = env("DB_PORT").unwrap_or_else(|| "5432".into());
    let sslmode = env("DB_SSLMODE").unwrap_or_else(|| "require".into());
    Ok(format!(
        "postgres://{}:{}@{host}:{port}/{}?sslmode={sslmode}",
        percent::encode(&parsed.username),
        percent::encode(&parsed.password),
        percent::encode(&name),
    ))
}

#[cfg(test)]
mod tests {
    use crate::percent;

    #[test]
    fn generated_credentials_survive_in_a_url() {
        let url = format!(
            "postgres://{}:{}@h/db",
            percent::encode("us@er:1"),
            percent::encode("p@ss:w/rd?#%é")
        );
        let parsed: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
        assert_eq!(parsed.get_host(), "h");
        assert_eq!(parsed.get_username(), "us@er:1");
    }
}
