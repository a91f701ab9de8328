//! Secrets read from AWS Secrets Manager once, at container start, so they
//! never sit in a function's plain environment variables:
//!
//! - `JWT_SECRET_ARN`: a secret whose string is the JWT signing key
//!   (stands in for `JWT_SECRET`);
//! - `DB_SECRET_ARN`: the database's `{"username", "password"}` secret, with
//!   `DB_HOST` (the RDS Proxy endpoint), `DB_NAME`, `DB_PORT` (5432) and
//!   `DB_SSLMODE` (`verify-full`) (stands in for `DATABASE_URL`). The route
//!   functions and the jobs get the application role's secret, migrate the
//!   owner's. Both rotate: the pool re-reads the secret when the database
//!   refuses its password (see [`Rotation`]);
//! - `DB_APP_SECRET_ARN` (migrate only): the application role's secret,
//!   whose role migrate creates and keeps (stands in for `DB_APP_USER` and
//!   `DB_APP_PASSWORD`);
//! - `PAYMENT_SECRET_ARN`: the payment provider's `{"secret_key",
//!   "webhook_secret"}` (stands in for `PAYMENT_SECRET_KEY` and
//!   `PAYMENT_WEBHOOK_SECRET`; empty strings mean online payments are off),
//!   read again while the container runs (see `payments::Payments`).
//!
//! A plain variable, when set, wins: local runs and tests use them.

use crate::aws::{self, env};
use crate::config::{ConfigError, Source};
use crate::db;
use crate::percent;
use sqlx::PgPool;
use std::collections::HashMap;

/// Where a pool's credentials come from when they can change under it: an
/// RDS secret (`{"username", "password", …}`) in Secrets Manager.
#[derive(Clone)]
pub struct Rotation {
    arn: String,
    client: aws::Client,
}

impl Rotation {
    /// Credentials read from the secret `arn` through `client`.
    pub fn new(arn: String, client: aws::Client) -> Self {
        Rotation { arn, client }
    }

    /// Reads the secret again and gives its credentials to the pool's next
    /// connections; connections already open are left alone (PostgreSQL
    /// does not end them when a password changes).
    pub async fn refresh(&self, pool: &PgPool) -> Result<(), ConfigError> {
        let secret = fetch_db_secret(&self.client, "DB_SECRET_ARN", &self.arn).await?;
        let options = (*pool.connect_options())
            .clone()
            .username(&secret.username)
            .password(&secret.password);
        pool.set_connect_options(options);
        Ok(())
    }

    /// Makes sure `pool` can hand out a connection before a request asks
    /// for one: takes one (an idle connection that still answers, or a new
    /// one) and gives it back for the request to use. A new connection
    /// refused for its password means the secret rotated: the secret is
    /// read again, and the request connects with the new password. Any
    /// other failure is left for the request to meet and answer (503).
    ///
    /// The cost on a warm container is one round trip (sqlx checks an idle
    /// connection before handing it out); a cold one opens the connection
    /// it would have opened anyway.
    pub async fn ready(&self, pool: &PgPool) {
        match pool.acquire().await {
            // Given back now, not by the drop handler's spawned task, which
            // could run after the request asks for a connection and make the
            // pool open another one.
            Ok(mut conn) => conn.return_to_pool().await,
            Err(e) if db::is_authentication_failure(&e) => {
                tracing::warn!(error = %e, "the database refused the pool's credentials: reading the secret again");
                if let Err(e) = self.refresh(pool).await {
                    tracing::error!("{e}");
                }
            }
            Err(_) => {}
        }
    }
}

/// The process environment with secret-backed variables filled in.
pub struct ResolvedEnv {
    resolved: HashMap<&'static str, String>,
    rotation: Option<Rotation>,
    payment_secret: Option<(String, aws::Client)>,
}

impl ResolvedEnv {
    /// How to re-read the database's credentials after a rotation, when they
    /// came from `DB_SECRET_ARN`.
    pub fn db_rotation(&self) -> Option<Rotation> {
        self.rotation.clone()
    }

    /// The payment keys' secret and a client to read it again, when they
    /// came from `PAYMENT_SECRET_ARN`.
    pub fn payment_secret(&self) -> Option<(String, aws::Client)> {
        self.payment_secret.clone()
    }
}

impl Source for ResolvedEnv {
    fn get(&self, var: &str) -> Option<String> {
        env(var).or_else(|| self.resolved.get(var).cloned())
    }
}

/// Which secret-backed values a function needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// The database and the JWT key: the route functions.
    DatabaseAndJwt,
    /// The database only: the scheduled jobs, whose role may not read the
    /// JWT key.
    Database,
    /// The database (as its owner) and the application role's secret:
    /// migrate.
    Migrate,
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
    let app_arn = env("DB_APP_SECRET_ARN")
        .filter(|_| needs == Needs::Migrate && env("DB_APP_USER").is_none());
    if jwt_arn.is_none() && db_arn.is_none() && payment_arn.is_none() && app_arn.is_none() {
        return Ok(ResolvedEnv {
            resolved,
            rotation: None,
            payment_secret: None,
        });
    }
    let client = client();

    if let Some(arn) = jwt_arn {
        let key = fetch(&client, "JWT_SECRET_ARN", &arn).await?;
        resolved.insert("JWT_SECRET", key);
    }
    let mut rotation = None;
    if let Some(arn) = db_arn {
        let secret = fetch_db_secret(&client, "DB_SECRET_ARN", &arn).await?;
        resolved.insert("DATABASE_URL", database_url(&secret)?);
        rotation = Some(Rotation::new(arn, client.clone()));
    }
    if let Some(arn) = app_arn {
        let secret = fetch_db_secret(&client, "DB_APP_SECRET_ARN", &arn).await?;
        resolved.insert("DB_APP_USER", secret.username);
        resolved.insert("DB_APP_PASSWORD", secret.password);
    }
    let mut payment_secret = None;
    if let Some(arn) = payment_arn {
        let text = fetch(&client, "PAYMENT_SECRET_ARN", &arn).await?;
        let keys: PaymentSecret = serde_json::from_str(&text).map_err(|_| ConfigError {
            var: "PAYMENT_SECRET_ARN",
            problem: "names a secret that is not JSON with secret_key and webhook_secret".into(),
        })?;
        resolved.insert("PAYMENT_SECRET_KEY", keys.secret_key);
        resolved.insert("PAYMENT_WEBHOOK_SECRET", keys.webhook_secret);
        payment_secret = Some((arn, client.clone()));
    }
    Ok(ResolvedEnv {
        resolved,
        rotation,
        payment_secret,
    })
}

/// Secrets Manager as the environment configures it (see [`aws`]).
pub fn client() -> aws::Client {
    aws::Client::from_env("secretsmanager", "SECRETS_MANAGER", |region| {
        format!("secretsmanager.{region}.amazonaws.com")
    })
    .with_attempts(3)
}

/// The string of secret `arn` (named by `var` in errors), by
/// `GetSecretValue`.
pub async fn fetch(
    client: &aws::Client,
    var: &'static str,
    arn: &str,
) -> Result<String, ConfigError> {
    let unreadable = |e: &dyn std::fmt::Display| ConfigError {
        var,
        problem: format!(
            "names a secret that cannot be read ({e}): check the ARN and the function's permission"
        ),
    };
    let res = client
        .call(reqwest::Method::POST, "/")
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "secretsmanager.GetSecretValue")
        .body(serde_json::json!({ "SecretId": arn }).to_string())
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| unreadable(&e))?;
    let body = res.bytes().await.map_err(|e| unreadable(&e))?;
    let value: SecretValue = serde_json::from_slice(&body).map_err(|e| unreadable(&e))?;
    value.secret_string.ok_or_else(|| ConfigError {
        var,
        problem: "names a secret without a string value".into(),
    })
}

/// `GetSecretValue`'s answer, of which only the string is used.
#[derive(serde::Deserialize)]
struct SecretValue {
    #[serde(rename = "SecretString")]
    secret_string: Option<String>,
}

#[derive(serde::Deserialize)]
struct PaymentSecret {
    secret_key: String,
    webhook_secret: String,
}

/// A database role's credentials: the `username` and `password` of an RDS
/// secret (other fields, such as the host a rotation function reads, are
/// ignored).
#[derive(serde::Deserialize)]
pub(crate) struct DbSecret {
    pub username: String,
    pub password: String,
}

/// Reads the database secret `arn` (named by `var` in errors).
pub(crate) async fn fetch_db_secret(
    client: &aws::Client,
    var: &'static str,
    arn: &str,
) -> Result<DbSecret, ConfigError> {
    let text = fetch(client, var, arn).await?;
    serde_json::from_str(&text).map_err(|_| ConfigError {
        var,
        problem: "names a secret that is not JSON with username and password".into(),
    })
}

/// `postgres://USER:PASSWORD@DB_HOST:DB_PORT/DB_NAME?sslmode=DB_SSLMODE` from
/// the secret and the variables. `verify-full` by default: the RDS Proxy
/// endpoint's certificate is issued by ACM and chains to Amazon's public
/// roots, which the functions carry (webpki roots), so its name and chain
/// are checked.
fn database_url(secret: &DbSecret) -> Result<String, ConfigError> {
    let required = |var: &'static str| {
        env(var).ok_or_else(|| ConfigError {
            var,
            problem: "is not set: DB_SECRET_ARN needs DB_HOST and DB_NAME".into(),
        })
    };
    let host = required("DB_HOST")?;
    let name = required("DB_NAME")?;
    let port = env("DB_PORT").unwrap_or_else(|| "5432".into());
    let sslmode = env("DB_SSLMODE").unwrap_or_else(|| "verify-full".into());
    Ok(format!(
        "postgres://{}:{}@{host}:{port}/{}?sslmode={sslmode}",
        percent::encode(&secret.username),
        percent::encode(&secret.password),
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
