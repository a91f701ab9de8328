//! Typed configuration, read from the environment once per container.
//!
//! Each part has its own struct so a function asks only for what it uses: the
//! migrate function needs the database and nothing else. Every problem names
//! the variable and says how to fix it.

use std::time::Duration;

/// A missing or malformed environment variable.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {var} {problem}")]
pub struct ConfigError {
    /// The variable's name.
    pub var: &'static str,
    /// What is wrong with it and what is expected.
    pub problem: String,
}

/// Where configuration values come from: the process environment in
/// production, a map in tests.
pub trait Source {
    fn get(&self, var: &str) -> Option<String>;
}

/// The process environment.
pub struct ProcessEnv;

impl Source for ProcessEnv {
    fn get(&self, var: &str) -> Option<String> {
        std::env::var(var).ok()
    }
}

impl<F: Fn(&str) -> Option<String>> Source for F {
    fn get(&self, var: &str) -> Option<String> {
        self(var)
    }
}

fn optional(src: &dyn Source, var: &'static str) -> Option<String> {
    src.get(var)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

fn required(src: &dyn Source, var: &'static str, hint: &str) -> Result<String, ConfigError> {
    optional(src, var).ok_or_else(|| ConfigError {
        var,
        problem: format!("is not set: {hint}"),
    })
}

fn number<T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy>(
    src: &dyn Source,
    var: &'static str,
    default: T,
    min: T,
    max: T,
) -> Result<T, ConfigError> {
    let Some(raw) = optional(src, var) else {
        return Ok(default);
    };
    match raw.parse::<T>() {
        Ok(v) if v >= min && v <= max => Ok(v),
        _ => Err(ConfigError {
            var,
            problem: format!("is {raw:?}: expected a whole number from {min} to {max}"),
        }),
    }
}

fn boolean(src: &dyn Source, var: &'static str, default: bool) -> Result<bool, ConfigError> {
    match optional(src, var)
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(other) => Err(ConfigError {
            var,
            problem: format!("is {other:?}: expected true or false"),
        }),
    }
}

/// The database connection and its pool.
#[derive(Debug, Clone)]
pub struct DbConfig {
    /// `postgres://user:pass@host:port/db?sslmode=verify-full`; TLS follows `sslmode`.
    pub url: String,
    /// Connections per container. RDS Proxy multiplexes, so a Lambda
    /// container, which serves one request at a time, needs very few.
    pub max_connections: u32,
    /// How long a request waits for a connection, including opening a new
    /// one (TCP, TLS, auth), before answering 503.
    pub acquire_timeout: Duration,
}

impl DbConfig {
    /// Reads `DATABASE_URL`, `DB_MAX_CONNECTIONS` (default 2) and
    /// `DB_ACQUIRE_TIMEOUT_SECS` (default 5).
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let url = required(
            src,
            "DATABASE_URL",
            "set it to postgres://USER:PASSWORD@HOST:5432/DATABASE",
        )?;
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(ConfigError {
                var: "DATABASE_URL",
                problem: "must start with postgres:// or postgresql://".into(),
            });
        }
        match url.parse::<sqlx::postgres::PgConnectOptions>() {
            Err(e) => {
                return Err(ConfigError {
                    var: "DATABASE_URL",
                    problem: format!("cannot be parsed: {e}"),
                })
            }
            // RDS Proxy refuses every startup option ("Feature not
            // supported: RDS Proxy currently doesn't support command-line
            // options"): a URL carrying one would fail every connection.
            Ok(_) if url.contains("options=") => {
                return Err(ConfigError {
                    var: "DATABASE_URL",
                    problem: "carries startup options (options=…), which RDS Proxy refuses: \
                              set per-role settings in the database instead"
                        .into(),
                })
            }
            Ok(_) => {}
        }
        Ok(DbConfig {
            url,
            max_connections: number(src, "DB_MAX_CONNECTIONS", 2, 1, 100)?,
            acquire_timeout: Duration::from_secs(number(src, "DB_ACQUIRE_TIMEOUT_SECS", 5, 1, 60)?),
        })
    }
}

/// The application's own database role, which migrate creates and keeps:
/// the route functions and the jobs connect as it, never as the owner.
#[derive(Clone, PartialEq, Eq)]
pub struct AppRoleConfig {
    /// The role's name (`loaf_app`).
    pub name: String,
    /// Its password; `None` leaves the password as it is (a local cluster
    /// that trusts loopback connections needs none).
    pub password: Option<String>,
    /// The longest one statement of the role may run (PostgreSQL's
    /// `statement_timeout`, lock waits included) before it is cancelled and
    /// the request answers 503. Kept as the role's own setting, so no
    /// connection has to send it: RDS Proxy refuses startup options and
    /// pins sessions that `SET` it.
    pub statement_timeout: Duration,
}

impl std::fmt::Debug for AppRoleConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppRoleConfig")
            .field("name", &self.name)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("statement_timeout", &self.statement_timeout)
            .finish()
    }
}

/// The default name of the application's role.
pub const DEFAULT_APP_ROLE: &str = "loaf_app";

impl AppRoleConfig {
    /// Reads `DB_APP_USER` (with it, migrate manages the role; without it,
    /// nothing), `DB_APP_PASSWORD` and `DB_STATEMENT_TIMEOUT_MS` (default
    /// 5000).
    pub fn from_source(src: &dyn Source) -> Result<Option<Self>, ConfigError> {
        let Some(name) = optional(src, "DB_APP_USER") else {
            return Ok(None);
        };
        let valid = name.len() <= 63
            && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(ConfigError {
                var: "DB_APP_USER",
                problem: format!(
                    "is {name:?}: expected a lower-case role name such as {DEFAULT_APP_ROLE}"
                ),
            });
        }
        Ok(Some(AppRoleConfig {
            name,
            password: optional(src, "DB_APP_PASSWORD"),
            statement_timeout: Duration::from_millis(number(
                src,
                "DB_STATEMENT_TIMEOUT_MS",
                5_000,
                100,
                900_000,
            )?),
        }))
    }
}

/// Token signing and lifetimes.
#[derive(Clone)]
pub struct AuthConfig {
    /// HMAC key for HS256 access tokens: at least 32 bytes.
    pub jwt_secret: Vec<u8>,
    /// The `iss` claim written and demanded.
    pub jwt_issuer: String,
    /// Access-token lifetime.
    pub access_token_ttl: Duration,
    /// Refresh-token lifetime: how long a session lasts without activity.
    pub refresh_token_ttl: Duration,
    /// The version of the terms of service members must accept now.
    pub terms_version: String,
    /// How long an invitation stays valid.
    pub invitation_ttl: Duration,
    /// How long a role's permission set is cached in a container.
    pub permission_cache_ttl: Duration,
    /// The token the CloudFront distribution adds to what it forwards:
    /// with it, the viewer address it writes is the caller's address
    /// (sign-in and registration limits count by it). `None` outside AWS.
    pub edge_token: Option<String>,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("jwt_secret", &"<redacted>")
            .field("jwt_issuer", &self.jwt_issuer)
            .field("access_token_ttl", &self.access_token_ttl)
            .field("refresh_token_ttl", &self.refresh_token_ttl)
            .field("terms_version", &self.terms_version)
            .field("invitation_ttl", &self.invitation_ttl)
            .field("permission_cache_ttl", &self.permission_cache_ttl)
            .field(
                "edge_token",
                &self.edge_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl AuthConfig {
    /// Reads `JWT_SECRET` (required, 32+ bytes), `JWT_ISSUER` (default `loaf`),
    /// `ACCESS_TOKEN_TTL_SECS` (default 1800), `REFRESH_TOKEN_TTL_SECS`
    /// (default 30 days), `TERMS_VERSION` (default `1`), `INVITATION_TTL_DAYS`
    /// (default 7), `PERMISSION_CACHE_TTL_SECS` (default 30), `EDGE_TOKEN`
    /// (optional).
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let secret = required(
            src,
            "JWT_SECRET",
            "set it to a random string of at least 32 characters (openssl rand -hex 32)",
        )?;
        if secret.len() < 32 {
            return Err(ConfigError {
                var: "JWT_SECRET",
                problem: format!(
                    "is {} characters long: it must be at least 32 (openssl rand -hex 32)",
                    secret.len()
                ),
            });
        }
        Ok(AuthConfig {
            jwt_secret: secret.into_bytes(),
            jwt_issuer: optional(src, "JWT_ISSUER").unwrap_or_else(|| "loaf".into()),
            access_token_ttl: Duration::from_secs(number(
                src,
                "ACCESS_TOKEN_TTL_SECS",
                1800,
                60,
                86_400,
            )?),
            refresh_token_ttl: Duration::from_secs(number(
                src,
                "REFRESH_TOKEN_TTL_SECS",
                30 * 86_400,
                3600,
                365 * 86_400,
            )?),
            terms_version: optional(src, "TERMS_VERSION").unwrap_or_else(|| "1".into()),
            invitation_ttl: Duration::from_secs(
                86_400 * number(src, "INVITATION_TTL_DAYS", 7u64, 1, 90)?,
            ),
            permission_cache_ttl: Duration::from_secs(number(
                src,
                "PERMISSION_CACHE_TTL_SECS",
                30,
                0,
                3600,
            )?),
            edge_token: optional(src, "EDGE_TOKEN"),
        })
    }
}

/// The S3 bucket for documents, photos and exports.
#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub bucket: String,
    /// An S3-compatible endpoint instead of AWS (local development, tests).
    pub endpoint: Option<String>,
    /// Path-style addressing (`endpoint/bucket/key`), which local endpoints need.
    pub force_path_style: bool,
    /// Region used for signing; AWS_REGION as the SDK reads it, `us-east-1` locally.
    pub region: Option<String>,
    /// Keys for an S3-compatible endpoint; in AWS the function's role is used.
    pub static_credentials: Option<StaticCredentials>,
}

/// An access key pair for an S3-compatible endpoint.
#[derive(Clone)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .finish()
    }
}

impl StorageConfig {
    /// Reads `S3_BUCKET` (required), `S3_ENDPOINT`, `S3_FORCE_PATH_STYLE`
    /// (default: true when an endpoint is given), `AWS_REGION`, and the pair
    /// `S3_ACCESS_KEY_ID`/`S3_SECRET_ACCESS_KEY` (both or neither).
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let bucket = required(src, "S3_BUCKET", "set it to the documents bucket's name")?;
        let endpoint = optional(src, "S3_ENDPOINT");
        if let Some(ep) = &endpoint {
            if !(ep.starts_with("http://") || ep.starts_with("https://")) {
                return Err(ConfigError {
                    var: "S3_ENDPOINT",
                    problem: format!("is {ep:?}: expected a URL such as http://127.0.0.1:9000"),
                });
            }
        }
        let static_credentials = match (
            optional(src, "S3_ACCESS_KEY_ID"),
            optional(src, "S3_SECRET_ACCESS_KEY"),
        ) {
            (Some(access_key_id), Some(secret_access_key)) => Some(StaticCredentials {
                access_key_id,
                secret_access_key,
            }),
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError {
                    var: "S3_SECRET_ACCESS_KEY",
                    problem: "is not set: S3_ACCESS_KEY_ID needs its secret".into(),
                })
            }
            (None, Some(_)) => {
                return Err(ConfigError {
                    var: "S3_ACCESS_KEY_ID",
                    problem: "is not set: S3_SECRET_ACCESS_KEY needs its key id".into(),
                })
            }
        };
        Ok(StorageConfig {
            static_credentials,
            force_path_style: boolean(src, "S3_FORCE_PATH_STYLE", endpoint.is_some())?,
            region: optional(src, "AWS_REGION"),
            bucket,
            endpoint,
        })
    }
}

/// Outgoing email: who sends, how, and where its links point.
#[derive(Debug, Clone)]
pub struct EmailConfig {
    /// The From address, verified in SES.
    pub from: String,
    /// When set, messages are written as `.eml` files here instead of being
    /// sent through SES (`loaf serve` sets it to `.loaf/mail`).
    pub mail_dir: Option<std::path::PathBuf>,
    /// The frontend's base URL: links in emails point under it
    /// (`/verify-email?token=…`, `/reset-password?token=…`, `/invitations/…`).
    pub frontend_url: String,
    /// The organisation's name, as emails sign it.
    pub org_name: String,
}

impl EmailConfig {
    /// Reads `EMAIL_FROM` (required unless `MAIL_DIR` is set), `MAIL_DIR`,
    /// `FRONTEND_URL` (default `http://localhost:5173`) and `ORG_NAME`
    /// (default `LOAF`).
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let mail_dir = optional(src, "MAIL_DIR").map(std::path::PathBuf::from);
        let from = match (&mail_dir, optional(src, "EMAIL_FROM")) {
            (_, Some(from)) => from,
            (Some(_), None) => "LOAF <no-reply@loaf.local>".into(),
            (None, None) => {
                return Err(ConfigError {
                    var: "EMAIL_FROM",
                    problem: "is not set: set it to the SES-verified address to send from, \
                              or set MAIL_DIR to write emails to files"
                        .into(),
                })
            }
        };
        if !from.contains('@') || from.contains(['\r', '\n']) {
            return Err(ConfigError {
                var: "EMAIL_FROM",
                problem: format!(
                    "is {from:?}: expected an address such as LOAF <no-reply@example.org>"
                ),
            });
        }
        let frontend_url = optional(src, "FRONTEND_URL")
            .unwrap_or_else(|| "http://localhost:5173".into())
            .trim_end_matches('/')
            .to_string();
        if !(frontend_url.starts_with("http://") || frontend_url.starts_with("https://")) {
            return Err(ConfigError {
                var: "FRONTEND_URL",
                problem: format!(
                    "is {frontend_url:?}: expected a URL such as https://members.example.org"
                ),
            });
        }
        Ok(EmailConfig {
            from,
            mail_dir,
            frontend_url,
            org_name: optional(src, "ORG_NAME").unwrap_or_else(|| "LOAF".into()),
        })
    }
}

/// The payment provider (Stripe's API, or a stand-in that speaks it).
#[derive(Clone)]
pub struct PaymentsConfig {
    /// The API's base URL: `https://api.stripe.com`, or a local stand-in's.
    pub api_url: String,
    /// The secret API key (`sk_…`), sent as a bearer token.
    pub secret_key: String,
    /// The webhook endpoint's signing secret (`whsec_…`).
    pub webhook_secret: String,
    /// The smallest total a checkout may charge (the provider refuses less).
    pub min_cents: i64,
    /// The largest total a checkout or a recorded payment may carry.
    pub max_cents: i64,
}

impl std::fmt::Debug for PaymentsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentsConfig")
            .field("api_url", &self.api_url)
            .field("secret_key", &"<redacted>")
            .field("webhook_secret", &"<redacted>")
            .field("min_cents", &self.min_cents)
            .field("max_cents", &self.max_cents)
            .finish()
    }
}

/// The amount limits when no provider is configured (manual payments only).
pub const DEFAULT_MAX_PAYMENT_CENTS: i64 = 10_000_000;

impl PaymentsConfig {
    /// Reads `PAYMENT_SECRET_KEY` and `PAYMENT_WEBHOOK_SECRET` (both or
    /// neither: without them online payments are off and the checkout
    /// routes answer 503), and the rest as [`PaymentsConfig::without_keys`].
    pub fn from_source(src: &dyn Source) -> Result<Option<Self>, ConfigError> {
        let (secret_key, webhook_secret) = match (
            optional(src, "PAYMENT_SECRET_KEY"),
            optional(src, "PAYMENT_WEBHOOK_SECRET"),
        ) {
            (Some(k), Some(w)) => (k, w),
            (None, None) => return Ok(None),
            (Some(_), None) => {
                return Err(ConfigError {
                    var: "PAYMENT_WEBHOOK_SECRET",
                    problem: "is not set: PAYMENT_SECRET_KEY needs the webhook signing secret"
                        .into(),
                })
            }
            (None, Some(_)) => {
                return Err(ConfigError {
                    var: "PAYMENT_SECRET_KEY",
                    problem: "is not set: PAYMENT_WEBHOOK_SECRET needs the API key".into(),
                })
            }
        };
        Ok(Some(PaymentsConfig {
            secret_key,
            webhook_secret,
            ..Self::without_keys(src)?
        }))
    }

    /// Everything but the keys: `PAYMENT_API_URL` (default
    /// `https://api.stripe.com`), `PAYMENT_MIN_CENTS` (default 50) and
    /// `PAYMENT_MAX_CENTS` (default 10,000,000). The keys are empty: for
    /// keys read from a secret later (see `payments::Payments`).
    pub fn without_keys(src: &dyn Source) -> Result<Self, ConfigError> {
        let api_url = optional(src, "PAYMENT_API_URL")
            .unwrap_or_else(|| "https://api.stripe.com".into())
            .trim_end_matches('/')
            .to_string();
        if !(api_url.starts_with("http://") || api_url.starts_with("https://")) {
            return Err(ConfigError {
                var: "PAYMENT_API_URL",
                problem: format!("is {api_url:?}: expected a URL such as https://api.stripe.com"),
            });
        }
        let min_cents = number(src, "PAYMENT_MIN_CENTS", 50, 1, 1_000_000)?;
        Ok(PaymentsConfig {
            api_url,
            secret_key: String::new(),
            webhook_secret: String::new(),
            min_cents,
            max_cents: number(
                src,
                "PAYMENT_MAX_CENTS",
                DEFAULT_MAX_PAYMENT_CENTS,
                min_cents,
                99_999_999,
            )?,
        })
    }
}

/// What uploads may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadsConfig {
    /// Extensions the document libraries take (`pdf`, `docx`, …).
    pub document_types: Vec<String>,
    pub max_document_bytes: i64,
    /// Logo and photos.
    pub max_image_bytes: i64,
}

impl UploadsConfig {
    /// Reads `DOCUMENT_TYPES` (default: pdf, doc, docx, xls, xlsx, ppt,
    /// pptx, odt, ods, odp, txt, csv, png, jpg, gif, webp; comma-separated),
    /// `DOCUMENT_MAX_MB` (25) and `IMAGE_MAX_MB` (10).
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let known: Vec<&str> = crate::file_types::FILE_TYPES
            .iter()
            .map(|t| t.extension)
            .collect();
        let document_types = match optional(src, "DOCUMENT_TYPES") {
            None => known.iter().map(|e| e.to_string()).collect(),
            Some(list) => {
                let types: Vec<String> = list
                    .split(',')
                    .map(|t| t.trim().trim_start_matches('.').to_ascii_lowercase())
                    .filter(|t| !t.is_empty())
                    .collect();
                if let Some(bad) = types.iter().find(|t| !known.contains(&t.as_str())) {
                    return Err(ConfigError {
                        var: "DOCUMENT_TYPES",
                        problem: format!("names {bad:?}: the known types are {}", known.join(", ")),
                    });
                }
                if types.is_empty() {
                    return Err(ConfigError {
                        var: "DOCUMENT_TYPES",
                        problem: "is empty: name at least one type, such as pdf".into(),
                    });
                }
                types
            }
        };
        Ok(UploadsConfig {
            document_types,
            max_document_bytes: number(src, "DOCUMENT_MAX_MB", 25i64, 1, 5 * 1024)? * 1024 * 1024,
            max_image_bytes: number(src, "IMAGE_MAX_MB", 10i64, 1, 1024)? * 1024 * 1024,
        })
    }
}

/// When the scheduled jobs remind and give up, in days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemindersConfig {
    /// A renewal reminder goes this long before a membership ends.
    pub renewal_days: i32,
    /// A validated member who has not paid is reminded this long after
    /// validation, then again every as many days, at most `payment_max` times.
    pub payment_days: i32,
    pub payment_max: i32,
    /// An unconfirmed address gets a fresh link this long after
    /// registering, then again, at most `verification_max` times...
    pub verification_days: i32,
    pub verification_max: i32,
    /// ...and the registration is `abandoned` this long after it began.
    pub abandon_days: i32,
}

impl RemindersConfig {
    /// Reads `RENEWAL_REMINDER_DAYS` (30), `PAYMENT_REMINDER_DAYS` (7),
    /// `PAYMENT_REMINDER_MAX` (3), `VERIFICATION_REMINDER_DAYS` (3),
    /// `VERIFICATION_REMINDER_MAX` (2) and `ABANDON_AFTER_DAYS` (30).
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let config = RemindersConfig {
            renewal_days: number(src, "RENEWAL_REMINDER_DAYS", 30, 1, 365)?,
            payment_days: number(src, "PAYMENT_REMINDER_DAYS", 7, 1, 365)?,
            payment_max: number(src, "PAYMENT_REMINDER_MAX", 3, 0, 20)?,
            verification_days: number(src, "VERIFICATION_REMINDER_DAYS", 3, 1, 365)?,
            verification_max: number(src, "VERIFICATION_REMINDER_MAX", 2, 0, 20)?,
            abandon_days: number(src, "ABANDON_AFTER_DAYS", 30, 2, 3650)?,
        };
        if config.abandon_days <= config.verification_days {
            return Err(ConfigError {
                var: "ABANDON_AFTER_DAYS",
                problem: "must be longer than VERIFICATION_REMINDER_DAYS".into(),
            });
        }
        Ok(config)
    }
}

impl Default for RemindersConfig {
    fn default() -> Self {
        RemindersConfig::from_source(&|_: &str| None).expect("the defaults are valid")
    }
}

/// Everything a route function needs.
#[derive(Debug, Clone)]
pub struct Config {
    pub db: DbConfig,
    pub auth: AuthConfig,
    pub storage: StorageConfig,
    pub email: EmailConfig,
    /// `None` when online payments are not configured.
    pub payments: Option<PaymentsConfig>,
    pub uploads: UploadsConfig,
}

impl Config {
    /// Reads every part from `src`.
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        Ok(Config {
            db: DbConfig::from_source(src)?,
            auth: AuthConfig::from_source(src)?,
            storage: StorageConfig::from_source(src)?,
            email: EmailConfig::from_source(src)?,
            payments: PaymentsConfig::from_source(src)?,
            uploads: UploadsConfig::from_source(src)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k: &str| map.get(k).cloned()
    }

    const GOOD: &[(&str, &str)] = &[
        ("DATABASE_URL", "postgres://loaf:pw@localhost:5432/loaf"),
        ("JWT_SECRET", "0123456789abcdef0123456789abcdef"),
        ("S3_BUCKET", "docs"),
        ("EMAIL_FROM", "LOAF <no-reply@example.org>"),
    ];

    #[test]
    fn reads_defaults() {
        let cfg = Config::from_source(&env(GOOD)).unwrap();
        assert_eq!(cfg.db.max_connections, 2);
        assert_eq!(cfg.db.acquire_timeout, Duration::from_secs(5));
        assert_eq!(cfg.auth.access_token_ttl, Duration::from_secs(1800));
        assert_eq!(cfg.auth.jwt_issuer, "loaf");
        assert!(!cfg.storage.force_path_style);
        assert!(cfg.storage.endpoint.is_none());
    }

    #[test]
    fn a_url_with_startup_options_is_refused() {
        let mut pairs: Vec<(&str, &str)> = GOOD[1..].to_vec();
        pairs.push((
            "DATABASE_URL",
            "postgres://loaf@h/loaf?options=-c%20statement_timeout%3D5000",
        ));
        let err = Config::from_source(&env(&pairs)).unwrap_err();
        assert_eq!(err.var, "DATABASE_URL");
        assert!(err.problem.contains("RDS Proxy"), "{err}");
    }

    #[test]
    fn the_app_role_is_managed_only_when_named() {
        assert_eq!(AppRoleConfig::from_source(&env(GOOD)).unwrap(), None);
        let role = AppRoleConfig::from_source(&env(&[
            ("DB_APP_USER", "loaf_app"),
            ("DB_APP_PASSWORD", "s3cret"),
        ]))
        .unwrap()
        .unwrap();
        assert_eq!(role.name, "loaf_app");
        assert_eq!(role.statement_timeout, Duration::from_secs(5));
        assert!(!format!("{role:?}").contains("s3cret"));
        for bad in ["Loaf", "loaf-app", "x; DROP ROLE loaf", "9lives"] {
            let err = AppRoleConfig::from_source(&env(&[("DB_APP_USER", bad)])).unwrap_err();
            assert_eq!(err.var, "DB_APP_USER", "{bad}");
        }
        let err = AppRoleConfig::from_source(&env(&[
            ("DB_APP_USER", "loaf_app"),
            ("DB_STATEMENT_TIMEOUT_MS", "10"),
        ]))
        .unwrap_err();
        assert_eq!(err.var, "DB_STATEMENT_TIMEOUT_MS");
    }

    #[test]
    fn missing_variable_is_named() {
        let err = Config::from_source(&env(&GOOD[1..])).unwrap_err();
        assert_eq!(err.var, "DATABASE_URL");
        assert!(err.to_string().contains("DATABASE_URL is not set"), "{err}");
    }

    #[test]
    fn malformed_variables_are_named() {
        let cases: &[(&str, &str)] = &[
            ("DATABASE_URL", "mysql://x"),
            ("DATABASE_URL", "postgres://u@h:notaport/db"),
            ("JWT_SECRET", "short"),
            ("DB_MAX_CONNECTIONS", "0"),
            ("DB_MAX_CONNECTIONS", "two"),
            ("ACCESS_TOKEN_TTL_SECS", "5"),
            ("S3_ENDPOINT", "localhost:9000"),
            ("S3_FORCE_PATH_STYLE", "maybe"),
            ("REFRESH_TOKEN_TTL_SECS", "60"),
            ("INVITATION_TTL_DAYS", "0"),
            ("EMAIL_FROM", "nobody"),
            ("FRONTEND_URL", "members.example.org"),
            ("DOCUMENT_TYPES", "pdf, exe"),
            ("DOCUMENT_MAX_MB", "0"),
        ];
        for (var, value) in cases {
            let mut pairs: Vec<(&str, &str)> =
                GOOD.iter().filter(|(k, _)| k != var).copied().collect();
            pairs.push((var, value));
            let err = Config::from_source(&env(&pairs)).unwrap_err();
            assert_eq!(&err.var, var, "{var}={value}: {err}");
        }
    }

    #[test]
    fn half_a_key_pair_names_the_missing_half() {
        let mut pairs = GOOD.to_vec();
        pairs.push(("S3_ACCESS_KEY_ID", "local"));
        let err = Config::from_source(&env(&pairs)).unwrap_err();
        assert_eq!(err.var, "S3_SECRET_ACCESS_KEY");
    }

    #[test]
    fn email_from_may_be_left_out_only_with_a_mail_dir() {
        let without: Vec<_> = GOOD
            .iter()
            .filter(|(k, _)| *k != "EMAIL_FROM")
            .copied()
            .collect();
        assert_eq!(
            Config::from_source(&env(&without)).unwrap_err().var,
            "EMAIL_FROM"
        );
        let mut local = without.clone();
        local.push(("MAIL_DIR", "/tmp/mail"));
        let cfg = Config::from_source(&env(&local)).unwrap();
        assert!(cfg.email.from.contains('@'));
        assert_eq!(cfg.email.frontend_url, "http://localhost:5173");
    }

    #[test]
    fn payments_are_off_without_keys_and_checked_with_them() {
        assert!(Config::from_source(&env(GOOD)).unwrap().payments.is_none());
        let keys = [
            ("PAYMENT_SECRET_KEY", "sk_test_123"),
            ("PAYMENT_WEBHOOK_SECRET", "whsec_123"),
        ];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut pairs = GOOD.to_vec();
            pairs.extend_from_slice(extra);
            Config::from_source(&env(&pairs))
        };
        let on = with(&keys).unwrap().payments.unwrap();
        assert_eq!(on.api_url, "https://api.stripe.com");
        assert_eq!(
            (on.min_cents, on.max_cents),
            (50, DEFAULT_MAX_PAYMENT_CENTS)
        );
        assert!(!format!("{on:?}").contains("sk_test_123"));
        assert_eq!(with(&keys[..1]).unwrap_err().var, "PAYMENT_WEBHOOK_SECRET");
        for bad in [
            ("PAYMENT_API_URL", "api.stripe.com"),
            ("PAYMENT_MIN_CENTS", "0"),
        ] {
            let mut pairs = keys.to_vec();
            pairs.push(bad);
            assert_eq!(with(&pairs).unwrap_err().var, bad.0);
        }
    }

    #[test]
    fn endpoint_implies_path_style() {
        let mut pairs = GOOD.to_vec();
        pairs.push(("S3_ENDPOINT", "http://127.0.0.1:9000"));
        let cfg = Config::from_source(&env(&pairs)).unwrap();
        assert!(cfg.storage.force_path_style);
    }

    #[test]
    fn secret_is_not_printed() {
        let cfg = Config::from_source(&env(GOOD)).unwrap();
        assert!(!format!("{cfg:?}").contains("0123456789abcdef"));
    }
}
