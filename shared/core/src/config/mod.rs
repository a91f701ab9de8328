//! Typed configuration, read from the environment once per container.
//!
//! Each part is declared with [`vars!`]: a field, the variable it is read
//! from and how (its default and bounds: the readers in `read.rs`), on one
//! line, so a function reads only the parts it uses (the migrate function
//! needs the database and nothing else). Every problem is one line naming
//! the variable and saying how to fix it; secrets are [`Secret`]s, which
//! never print.

mod read;

use read::*;
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

impl ConfigError {
    fn new(var: &'static str, problem: impl Into<String>) -> Self {
        ConfigError {
            var,
            problem: problem.into(),
        }
    }
}

/// Where configuration values come from: the process environment with
/// its secrets resolved in production (`secrets::ResolvedEnv`), a map in
/// tests.
pub trait Source {
    fn get(&self, var: &str) -> Option<String>;
}

impl<F: Fn(&str) -> Option<String>> Source for F {
    fn get(&self, var: &str) -> Option<String> {
        self(var)
    }
}

/// A variable's trimmed value; `None` when unset or blank.
fn optional(src: &dyn Source, var: &str) -> Option<String> {
    src.get(var)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A value that must not be logged: `Debug` prints `<redacted>`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for where it is used (never for a log).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret::new(value)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Declares a configuration part: the struct, and its `read`, which reads
/// each field from the variable named beside it with the reader that
/// follows (`pub field: Type = "VARIABLE" reader,`).
macro_rules! vars {
    ($(#[$meta:meta])* pub struct $name:ident {
        $($(#[doc = $doc:literal])* pub $field:ident: $ty:ty = $var:literal $reader:expr,)+
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $($(#[doc = $doc])* pub $field: $ty,)+
        }

        impl $name {
            fn read(src: &dyn Source) -> Result<Self, ConfigError> {
                Ok($name {
                    $($field: ($reader)(optional(src, $var), $var)?,)+
                })
            }
        }
    };
}

vars! {
    /// The database connection and its pool.
    pub struct DbConfig {
        /// `postgres://user:pass@host:port/db?sslmode=verify-full`; TLS follows `sslmode`.
        pub url: String = "DATABASE_URL" postgres_url,
        /// Connections per container. RDS Proxy multiplexes, so a Lambda
        /// container, which serves one request at a time, needs very few.
        pub max_connections: u32 = "DB_MAX_CONNECTIONS" number(2, 1, 100),
        /// How long a request waits for a connection, including opening a
        /// new one (TCP, TLS, auth), before answering 503.
        pub acquire_timeout: Duration = "DB_ACQUIRE_TIMEOUT_SECS" duration(SECS, 5, 1, 60),
    }
}

impl DbConfig {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        Self::read(src)
    }
}

vars! {
    /// The application's own database role, which migrate creates and
    /// keeps: the route functions and the jobs connect as it, never as the
    /// owner.
    pub struct AppRoleConfig {
        /// The role's name (`loaf_app`).
        pub name: String = "DB_APP_USER" role_name,
        /// Its password; `None` leaves the password as it is (a local
        /// cluster that trusts loopback connections needs none).
        pub password: Option<Secret> = "DB_APP_PASSWORD" maybe_secret,
        /// The longest one statement of the role may run (PostgreSQL's
        /// `statement_timeout`, lock waits included) before it is cancelled
        /// and the request answers 503. Kept as the role's own setting, so
        /// no connection has to send it: RDS Proxy refuses startup options
        /// and pins sessions that `SET` it.
        pub statement_timeout: Duration =
            "DB_STATEMENT_TIMEOUT_MS" duration(MILLIS, 5_000, 100, 900_000),
    }
}

/// The default name of the application's role.
pub const DEFAULT_APP_ROLE: &str = "loaf_app";

impl AppRoleConfig {
    /// With `DB_APP_USER`, migrate manages the role; without it, nothing.
    pub fn from_source(src: &dyn Source) -> Result<Option<Self>, ConfigError> {
        optional(src, "DB_APP_USER")
            .map(|_| Self::read(src))
            .transpose()
    }
}

vars! {
    /// Token signing and lifetimes.
    pub struct AuthConfig {
        /// HMAC key for HS256 access tokens: at least 32 bytes.
        pub jwt_secret: Secret = "JWT_SECRET" signing_key,
        /// The `iss` claim written and demanded.
        pub jwt_issuer: String = "JWT_ISSUER" or("loaf"),
        pub access_token_ttl: Duration = "ACCESS_TOKEN_TTL_SECS" duration(SECS, 1800, 60, 86_400),
        /// How long a session lasts without activity.
        pub refresh_token_ttl: Duration =
            "REFRESH_TOKEN_TTL_SECS" duration(SECS, 30 * 86_400, 3600, 365 * 86_400),
        /// The version of the terms of service members must accept now.
        pub terms_version: String = "TERMS_VERSION" or("1"),
        pub invitation_ttl: Duration = "INVITATION_TTL_DAYS" duration(DAYS, 7, 1, 90),
        /// How long a role's permission set is cached in a container.
        pub permission_cache_ttl: Duration =
            "PERMISSION_CACHE_TTL_SECS" duration(SECS, 30, 0, 3600),
        /// The token the CloudFront distribution adds to what it forwards:
        /// with it, the viewer address it writes is the caller's address
        /// (sign-in and registration limits count by it). `None` outside AWS.
        pub edge_token: Option<Secret> = "EDGE_TOKEN" maybe_secret,
    }
}

impl AuthConfig {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        Self::read(src)
    }
}

vars! {
    /// The S3 bucket for documents, photos and exports.
    pub struct StorageConfig {
        pub bucket: String = "S3_BUCKET" required("set it to the documents bucket's name"),
        /// An S3-compatible endpoint instead of AWS (local development, tests).
        pub endpoint: Option<String> = "S3_ENDPOINT" maybe_url,
        /// Path-style addressing (`endpoint/bucket/key`), which local
        /// endpoints need; by default, when an endpoint is given.
        pub force_path_style: Option<bool> = "S3_FORCE_PATH_STYLE" flag,
        /// The region requests are signed for (set by Lambda); `us-east-1` when unset.
        pub region: Option<String> = "AWS_REGION" maybe,
        /// Keys for an S3-compatible endpoint (both or neither); in AWS the
        /// function's role is used.
        pub access_key_id: Option<String> = "S3_ACCESS_KEY_ID" maybe,
        pub secret_access_key: Option<Secret> = "S3_SECRET_ACCESS_KEY" maybe_secret,
    }
}

impl StorageConfig {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let config = Self::read(src)?;
        match (&config.access_key_id, &config.secret_access_key) {
            (Some(_), None) => Err(ConfigError::new(
                "S3_SECRET_ACCESS_KEY",
                "is not set: S3_ACCESS_KEY_ID needs its secret",
            )),
            (None, Some(_)) => Err(ConfigError::new(
                "S3_ACCESS_KEY_ID",
                "is not set: S3_SECRET_ACCESS_KEY needs its key id",
            )),
            _ => Ok(config),
        }
    }

    /// Whether objects are addressed path-style (`endpoint/bucket/key`).
    pub fn path_style(&self) -> bool {
        self.force_path_style.unwrap_or(self.endpoint.is_some())
    }
}

vars! {
    /// Outgoing email: who sends, how, and where its links point.
    pub struct EmailConfig {
        /// The From address, verified in SES; may be left out with `MAIL_DIR`.
        pub from: String = "EMAIL_FROM" or("LOAF <no-reply@loaf.local>"),
        /// When set, messages are written as `.eml` files here instead of
        /// being sent through SES (`loaf serve` sets it to `.loaf/mail`).
        pub mail_dir: Option<std::path::PathBuf> = "MAIL_DIR" maybe_path,
        /// The frontend's base URL: links in emails point under it
        /// (`/verify-email?token=…`, `/reset-password?token=…`, `/invitations/…`).
        pub frontend_url: String = "FRONTEND_URL" url("http://localhost:5173"),
        /// The organisation's name, as emails sign it.
        pub org_name: String = "ORG_NAME" or("LOAF"),
        /// The SES configuration set every message is sent with: it
        /// publishes bounces and complaints to the jobs function (the
        /// template creates it).
        pub configuration_set: Option<String> = "SES_CONFIGURATION_SET" maybe,
    }
}

impl EmailConfig {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let config = Self::read(src)?;
        if optional(src, "EMAIL_FROM").is_none() && config.mail_dir.is_none() {
            return Err(ConfigError::new(
                "EMAIL_FROM",
                "is not set: set it to the SES-verified address to send from, \
                 or set MAIL_DIR to write emails to files",
            ));
        }
        if !config.from.contains('@') || config.from.contains(['\r', '\n']) {
            return Err(ConfigError::new(
                "EMAIL_FROM",
                format!(
                    "is {:?}: expected an address such as LOAF <no-reply@example.org>",
                    config.from
                ),
            ));
        }
        Ok(config)
    }
}

/// The amount limits when no provider is configured (manual payments only).
pub const DEFAULT_MAX_PAYMENT_CENTS: i64 = 10_000_000;

vars! {
    /// The payment provider (Stripe's API, or a stand-in that speaks it).
    pub struct PaymentsConfig {
        /// The API's base URL: `https://api.stripe.com`, or a local stand-in's.
        pub api_url: String = "PAYMENT_API_URL" url("https://api.stripe.com"),
        /// The secret API key (`sk_…`), sent as a bearer token.
        pub secret_key: Secret = "PAYMENT_SECRET_KEY" secret_or_empty,
        /// The webhook endpoint's signing secret (`whsec_…`).
        pub webhook_secret: Secret = "PAYMENT_WEBHOOK_SECRET" secret_or_empty,
        /// The smallest total a checkout may charge (the provider refuses less).
        pub min_cents: i64 = "PAYMENT_MIN_CENTS" number(50, 1, 1_000_000),
        /// The largest total a checkout or a recorded payment may carry.
        pub max_cents: i64 =
            "PAYMENT_MAX_CENTS" number(DEFAULT_MAX_PAYMENT_CENTS, 1, 99_999_999),
    }
}

impl PaymentsConfig {
    /// `PAYMENT_SECRET_KEY` and `PAYMENT_WEBHOOK_SECRET` come both or not at
    /// all: without them online payments are off (`None`) and the checkout
    /// routes answer 503.
    pub fn from_source(src: &dyn Source) -> Result<Option<Self>, ConfigError> {
        let config = Self::without_keys(src)?;
        match (
            config.secret_key.0.is_empty(),
            config.webhook_secret.0.is_empty(),
        ) {
            (false, false) => Ok(Some(config)),
            (true, true) => Ok(None),
            (false, true) => Err(ConfigError::new(
                "PAYMENT_WEBHOOK_SECRET",
                "is not set: PAYMENT_SECRET_KEY needs the webhook signing secret",
            )),
            (true, false) => Err(ConfigError::new(
                "PAYMENT_SECRET_KEY",
                "is not set: PAYMENT_WEBHOOK_SECRET needs the API key",
            )),
        }
    }

    /// The same, its keys left empty when unset: for keys read from a
    /// secret later (see `payments::Payments` in the domain crate).
    pub fn without_keys(src: &dyn Source) -> Result<Self, ConfigError> {
        let config = Self::read(src)?;
        if config.max_cents < config.min_cents {
            return Err(ConfigError::new(
                "PAYMENT_MAX_CENTS",
                format!(
                    "is {}: expected at least PAYMENT_MIN_CENTS",
                    config.max_cents
                ),
            ));
        }
        Ok(config)
    }
}

vars! {
    /// What uploads may be.
    pub struct UploadsConfig {
        /// Extensions the document libraries take (`pdf`, `docx`, …);
        /// every known type by default.
        pub document_types: Vec<String> = "DOCUMENT_TYPES" document_types,
        pub max_document_bytes: i64 = "DOCUMENT_MAX_MB" mib(25, 1, 5 * 1024),
        /// Logo and photos.
        pub max_image_bytes: i64 = "IMAGE_MAX_MB" mib(10, 1, 1024),
    }
}

vars! {
    /// When the scheduled jobs remind and give up.
    pub struct RemindersConfig {
        /// The days, relative to the end of a membership's last period, on
        /// which its member is reminded to renew: before it (negative), on
        /// the day, after it (while they have not renewed or cancelled);
        /// `none` sends none.
        pub renewal_schedule: Vec<i32> = "RENEWAL_REMINDER_SCHEDULE" day_offsets("-30,-7,0,30,60"),
        /// A validated member who has not paid is reminded this long after
        /// validation, then again every as many days, at most `payment_max` times.
        pub payment_days: i32 = "PAYMENT_REMINDER_DAYS" number(7, 1, 365),
        pub payment_max: i32 = "PAYMENT_REMINDER_MAX" number(3, 0, 20),
        /// An unconfirmed address gets a fresh link this long after
        /// registering, then again, at most `verification_max` times...
        pub verification_days: i32 = "VERIFICATION_REMINDER_DAYS" number(3, 1, 365),
        pub verification_max: i32 = "VERIFICATION_REMINDER_MAX" number(2, 0, 20),
        /// ...and the registration is `abandoned` this long after it began.
        pub abandon_days: i32 = "ABANDON_AFTER_DAYS" number(30, 2, 3650),
        /// Hours before an event at which those attending are reminded of
        /// it (the hourly job); 0 sends none.
        pub event_reminder_hours: i32 = "EVENT_REMINDER_HOURS" number(24, 0, 720),
    }
}

impl RemindersConfig {
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let config = Self::read(src)?;
        if config.abandon_days <= config.verification_days {
            return Err(ConfigError::new(
                "ABANDON_AFTER_DAYS",
                "must be longer than VERIFICATION_REMINDER_DAYS",
            ));
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
            uploads: UploadsConfig::read(src)?,
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
    fn a_renewal_schedule_is_days_around_the_end() {
        let default = RemindersConfig::from_source(&env(&[])).unwrap();
        assert_eq!(default.renewal_schedule, [-30, -7, 0, 30, 60]);
        let set =
            RemindersConfig::from_source(&env(&[("RENEWAL_REMINDER_SCHEDULE", " 14, -1,14 ")]));
        assert_eq!(set.unwrap().renewal_schedule, [-1, 14]);
        let none = RemindersConfig::from_source(&env(&[("RENEWAL_REMINDER_SCHEDULE", "none")]));
        assert!(none.unwrap().renewal_schedule.is_empty());
        for bad in ["a week before", "-400", "1,2,3,4,5,6,7,8,9,10,11"] {
            let e = RemindersConfig::from_source(&env(&[("RENEWAL_REMINDER_SCHEDULE", bad)]))
                .unwrap_err();
            assert_eq!(e.var, "RENEWAL_REMINDER_SCHEDULE", "{bad}");
        }
    }

    #[test]
    fn reads_defaults() {
        let cfg = Config::from_source(&env(GOOD)).unwrap();
        assert_eq!(cfg.db.max_connections, 2);
        assert_eq!(cfg.db.acquire_timeout, Duration::from_secs(5));
        assert_eq!(cfg.auth.access_token_ttl, Duration::from_secs(1800));
        assert_eq!(cfg.auth.jwt_issuer, "loaf");
        assert!(!cfg.storage.path_style());
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
        assert!(cfg.storage.path_style());
    }

    #[test]
    fn secret_is_not_printed() {
        let cfg = Config::from_source(&env(GOOD)).unwrap();
        assert!(!format!("{cfg:?}").contains("0123456789abcdef"));
    }
}
