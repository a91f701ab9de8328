//! Typed configuration, read from the environment once per container.
//!
//! Each part is a struct declared with `vars!`, a field per line: the
//! variable it is read from and its reader, which holds the default and the
//! bounds. A function reads only the parts it uses (migrate: the database).
//! Every problem is one line naming the variable; secrets are [`Secret`]s,
//! which never print. What each variable means: README.md → Configuration.

use std::{path::PathBuf, time::Duration};

/// A missing or malformed environment variable.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {var} {problem}")]
pub struct ConfigError {
    pub var: &'static str,
    /// What is wrong with it and what is expected.
    pub problem: String,
}

type Read<T> = Result<T, ConfigError>;

/// The error that `var` has the `problem` (a `format!`).
macro_rules! problem {
    ($var:expr, $($problem:tt)+) => {
        ConfigError { var: $var, problem: format!($($problem)+) }
    };
}

/// Returns the [`problem!`].
macro_rules! bail {
    ($($problem:tt)+) => {
        return Err(problem!($($problem)+))
    };
}

/// Where values come from: the process environment with its secrets
/// resolved (`secrets::ResolvedEnv`), a map in tests.
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
    let value = src.get(var)?.trim().to_string();
    (!value.is_empty()).then_some(value)
}

/// A value that must not be logged: `Debug` prints `<redacted>`.
#[derive(Clone, PartialEq, Eq)]
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

/// Declares parts: each one's struct, and `read`, which reads each field with
/// the reader beside it (`pub field: Type = "VARIABLE" reader,`), then runs
/// the part's cross-field check, if it has one: `check(config)`, or
/// `check(config, src)` when it needs a variable as given.
macro_rules! vars {
    ($($(#[$meta:meta])* pub struct $name:ident {
        $($(#[doc = $doc:literal])* pub $field:ident: $ty:ty = $var:literal $reader:expr,)+
    } $(check($config:ident $(, $src:ident)?) $check:block)?)+) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            $($(#[doc = $doc])* pub $field: $ty,)+
        }

        impl $name {
            pub fn read(src: &dyn Source) -> Read<Self> {
                let config = $name { $($field: ($reader)(optional(src, $var), $var)?,)+ };
                $(let $config = &config; $(let $src = src;)? $check)?
                Ok(config)
            }
        }
    )+};
}

/// The default name of the application's role.
pub const DEFAULT_APP_ROLE: &str = "loaf_app";
/// The largest amount when no provider is configured (manual payments only).
pub const DEFAULT_MAX_PAYMENT_CENTS: i64 = 10_000_000;

vars! {
    /// The database connection and its pool.
    pub struct DbConfig {
        /// TLS follows the URL's `sslmode`.
        pub url: String = "DATABASE_URL" postgres_url,
        /// Per container: RDS Proxy multiplexes, a container serves a request at a time.
        pub max_connections: u32 = "DB_MAX_CONNECTIONS" number(2, 1, 100),
        pub acquire_timeout: Duration = "DB_ACQUIRE_TIMEOUT_SECS" duration(SECS, 5, 1, 60),
    }

    /// The application's own database role, which migrate creates and keeps:
    /// route functions and jobs connect as it, never as the owner.
    pub struct AppRoleConfig {
        pub name: String = "DB_APP_USER" role_name,
        /// `None` leaves the password as it is (a local cluster trusts loopback).
        pub password: Option<Secret> = "DB_APP_PASSWORD" maybe,
        /// Kept as the role's own setting: RDS Proxy refuses startup options
        /// and pins sessions that `SET` it.
        pub statement_timeout: Duration =
            "DB_STATEMENT_TIMEOUT_MS" duration(MILLIS, 5_000, 100, 900_000),
    }

    /// Token signing and lifetimes.
    pub struct AuthConfig {
        pub jwt_secret: Secret = "JWT_SECRET" signing_key,
        pub jwt_issuer: String = "JWT_ISSUER" or("loaf"),
        pub access_token_ttl: Duration = "ACCESS_TOKEN_TTL_SECS" duration(SECS, 1800, 60, 86_400),
        pub refresh_token_ttl: Duration =
            "REFRESH_TOKEN_TTL_SECS" duration(SECS, 30 * 86_400, 3600, 365 * 86_400),
        pub terms_version: String = "TERMS_VERSION" or("1"),
        pub invitation_ttl: Duration = "INVITATION_TTL_DAYS" duration(DAYS, 7, 1, 90),
        pub permission_cache_ttl: Duration =
            "PERMISSION_CACHE_TTL_SECS" duration(SECS, 30, 0, 3600),
        /// With CloudFront's token, the viewer address it writes is the caller's.
        pub edge_token: Option<Secret> = "EDGE_TOKEN" maybe,
    }

    /// The S3 bucket for documents, photos and exports.
    pub struct StorageConfig {
        pub bucket: String = "S3_BUCKET" required("set it to the documents bucket's name"),
        pub endpoint: Option<String> = "S3_ENDPOINT" maybe_url,
        pub force_path_style: Option<bool> = "S3_FORCE_PATH_STYLE" flag,
        pub region: Option<String> = "AWS_REGION" maybe,
        pub access_key_id: Option<String> = "S3_ACCESS_KEY_ID" maybe,
        pub secret_access_key: Option<Secret> = "S3_SECRET_ACCESS_KEY" maybe,
    }
    check(config) {
        let key_id = ("S3_ACCESS_KEY_ID", config.access_key_id.is_some());
        pair(key_id, ("S3_SECRET_ACCESS_KEY", config.secret_access_key.is_some()))?;
    }

    /// Outgoing email: who sends, how, and where its links point.
    pub struct EmailConfig {
        pub from: String = "EMAIL_FROM" address("LOAF <no-reply@loaf.local>"),
        /// Messages are written as `.eml` files here instead of sent through SES.
        pub mail_dir: Option<PathBuf> = "MAIL_DIR" maybe,
        pub frontend_url: String = "FRONTEND_URL" url("http://localhost:5173"),
        pub org_name: String = "ORG_NAME" or("LOAF"),
        pub configuration_set: Option<String> = "SES_CONFIGURATION_SET" maybe,
    }
    check(config, src) {
        if config.mail_dir.is_none() && optional(src, "EMAIL_FROM").is_none() {
            let hint = "set it to the SES-verified address, or set MAIL_DIR to write files";
            bail!("EMAIL_FROM", "is not set: {hint}");
        }
    }

    /// The payment provider: Stripe's API, or a stand-in that speaks it.
    /// `read` leaves unset keys empty, for keys read from a secret later.
    pub struct PaymentsConfig {
        pub api_url: String = "PAYMENT_API_URL" url("https://api.stripe.com"),
        pub secret_key: Secret = "PAYMENT_SECRET_KEY" or(""),
        pub webhook_secret: Secret = "PAYMENT_WEBHOOK_SECRET" or(""),
        pub min_cents: i64 = "PAYMENT_MIN_CENTS" number(50, 1, 1_000_000),
        pub max_cents: i64 =
            "PAYMENT_MAX_CENTS" number(DEFAULT_MAX_PAYMENT_CENTS, 1, 99_999_999),
    }
    check(config) {
        if config.max_cents < config.min_cents {
            let max = config.max_cents;
            bail!("PAYMENT_MAX_CENTS", "is {max}: expected at least PAYMENT_MIN_CENTS");
        }
    }

    /// What uploads may be.
    pub struct UploadsConfig {
        pub document_types: Vec<String> = "DOCUMENT_TYPES" document_types,
        pub max_document_bytes: i64 = "DOCUMENT_MAX_MB" mib(25, 1, 5 * 1024),
        /// Logo and photos.
        pub max_image_bytes: i64 = "IMAGE_MAX_MB" mib(10, 1, 1024),
    }

    /// When the scheduled jobs remind and give up (README.md → Configuration).
    pub struct RemindersConfig {
        pub renewal_schedule: Vec<i32> = "RENEWAL_REMINDER_SCHEDULE" day_offsets("-30,-7,0,30,60"),
        pub payment_days: i32 = "PAYMENT_REMINDER_DAYS" number(7, 1, 365),
        pub payment_max: i32 = "PAYMENT_REMINDER_MAX" number(3, 0, 20),
        pub verification_days: i32 = "VERIFICATION_REMINDER_DAYS" number(3, 1, 365),
        pub verification_max: i32 = "VERIFICATION_REMINDER_MAX" number(2, 0, 20),
        pub abandon_days: i32 = "ABANDON_AFTER_DAYS" number(30, 2, 3650),
        pub event_reminder_hours: i32 = "EVENT_REMINDER_HOURS" number(24, 0, 720),
    }
    check(config) {
        if config.abandon_days <= config.verification_days {
            bail!("ABANDON_AFTER_DAYS", "must be longer than VERIFICATION_REMINDER_DAYS");
        }
    }
}

impl AppRoleConfig {
    /// With `DB_APP_USER`, migrate manages the role; without it, nothing.
    pub fn managed(src: &dyn Source) -> Read<Option<Self>> {
        optional(src, "DB_APP_USER")
            .map(|_| Self::read(src))
            .transpose()
    }
}

impl StorageConfig {
    /// Whether objects are addressed `endpoint/bucket/key`: by default, with an endpoint.
    pub fn path_style(&self) -> bool {
        self.force_path_style.unwrap_or(self.endpoint.is_some())
    }
}

impl PaymentsConfig {
    /// With both keys, online payments; with neither, `None` (checkout
    /// answers 503); with one, an error naming the other.
    pub fn online(src: &dyn Source) -> Read<Option<Self>> {
        let config = Self::read(src)?;
        let key = ("PAYMENT_SECRET_KEY", !config.secret_key.0.is_empty());
        let hook = (
            "PAYMENT_WEBHOOK_SECRET",
            !config.webhook_secret.0.is_empty(),
        );
        Ok(pair(key, hook)?.then_some(config))
    }
}

impl Default for RemindersConfig {
    fn default() -> Self {
        RemindersConfig::read(&|_: &str| None).expect("the defaults are valid")
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
    pub fn read(src: &dyn Source) -> Read<Self> {
        Ok(Config {
            db: DbConfig::read(src)?,
            auth: AuthConfig::read(src)?,
            storage: StorageConfig::read(src)?,
            email: EmailConfig::read(src)?,
            payments: PaymentsConfig::online(src)?,
            uploads: UploadsConfig::read(src)?,
        })
    }
}

/// A reader: a variable's value (`None` when unset or blank) and its name,
/// to the typed value or the [`problem!`] naming it.
trait Reader<T>: Fn(Option<String>, &'static str) -> Read<T> {}
impl<T, F: Fn(Option<String>, &'static str) -> Read<T>> Reader<T> for F {}

/// Two variables that come both or neither: whether both are set.
fn pair((a, a_set): (&'static str, bool), (b, b_set): (&'static str, bool)) -> Read<bool> {
    match (a_set, b_set) {
        (true, false) => bail!(b, "is not set: {a} needs it"),
        (false, true) => bail!(a, "is not set: {b} needs it"),
        (both, _) => Ok(both),
    }
}

fn required(hint: &'static str) -> impl Reader<String> {
    move |v, var| v.ok_or_else(|| problem!(var, "is not set: {hint}"))
}

fn or<T: for<'a> From<&'a str>>(default: &'static str) -> impl Reader<T> {
    move |v, _| Ok(T::from(v.as_deref().unwrap_or(default)))
}

fn maybe<T: for<'a> From<&'a str>>(v: Option<String>, _: &str) -> Read<Option<T>> {
    Ok(v.as_deref().map(T::from))
}

/// `true`/`false`, `1`/`0`, `yes`/`no` or `on`/`off`, when given.
fn flag(v: Option<String>, var: &'static str) -> Read<Option<bool>> {
    match v.map(|v| v.to_ascii_lowercase()).as_deref() {
        None => Ok(None),
        Some("1" | "true" | "yes" | "on") => Ok(Some(true)),
        Some("0" | "false" | "no" | "off") => Ok(Some(false)),
        Some(other) => bail!(var, "is {other:?}: expected true or false"),
    }
}

/// A whole number from `min` to `max`, `default` when unset.
fn number<T: TryFrom<i64>>(default: i64, min: i64, max: i64) -> impl Reader<T> {
    move |v, var| {
        let raw = v.unwrap_or_else(|| default.to_string());
        let n = raw.parse().ok().filter(|n| (min..=max).contains(n));
        n.and_then(|n: i64| T::try_from(n).ok()).ok_or_else(|| {
            problem!(
                var,
                "is {raw:?}: expected a whole number from {min} to {max}"
            )
        })
    }
}

const SECS: Duration = Duration::from_secs(1);
const MILLIS: Duration = Duration::from_millis(1);
const DAYS: Duration = Duration::from_secs(86_400);

/// A [`number`] of `unit`s.
fn duration(unit: Duration, default: i64, min: i64, max: i64) -> impl Reader<Duration> {
    move |v, var| number::<u32>(default, min, max)(v, var).map(|n| unit * n)
}

/// A [`number`] of mebibytes, as bytes.
fn mib(default: i64, min: i64, max: i64) -> impl Reader<i64> {
    move |v, var| number::<i64>(default, min, max)(v, var).map(|n| n << 20)
}

/// An `http(s)://` URL without its trailing slash, `default` when unset.
fn url(default: &'static str) -> impl Reader<String> {
    move |v, var| Ok(maybe_url(v.or(Some(default.into())), var)?.unwrap_or_default())
}

fn maybe_url(v: Option<String>, var: &'static str) -> Read<Option<String>> {
    match v {
        Some(u) if !u.starts_with("http://") && !u.starts_with("https://") => {
            bail!(var, "is {u:?}: expected a URL such as https://example.org")
        }
        v => Ok(v.map(|u| u.trim_end_matches('/').to_string())),
    }
}

/// A mail address, with a name or without; `default` when unset.
fn address(default: &'static str) -> impl Reader<String> {
    move |v, var| match v.unwrap_or_else(|| default.into()) {
        a if a.contains('@') && !a.contains(['\r', '\n']) => Ok(a),
        a => bail!(
            var,
            "is {a:?}: expected one such as LOAF <no-reply@example.org>"
        ),
    }
}

/// A PostgreSQL URL RDS Proxy can take.
fn postgres_url(v: Option<String>, var: &'static str) -> Read<String> {
    let url = required("set it to postgres://USER:PASSWORD@HOST:5432/DATABASE")(v, var)?;
    if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
        bail!(var, "must start with postgres:// or postgresql://");
    }
    if let Err(e) = url.parse::<sqlx::postgres::PgConnectOptions>() {
        bail!(var, "cannot be parsed: {e}");
    }
    // RDS Proxy refuses every startup option ("Feature not supported: RDS
    // Proxy currently doesn't support command-line options").
    if url.contains("options=") {
        let hint = "set per-role settings in the database instead";
        bail!(var, "carries options=…, which RDS Proxy refuses: {hint}");
    }
    Ok(url)
}

fn signing_key(v: Option<String>, var: &'static str) -> Read<Secret> {
    let key = required("set it to a random string (openssl rand -hex 32)")(v, var)?;
    if key.len() < 32 {
        bail!(
            var,
            "is {} characters long: 32 at least (openssl rand -hex 32)",
            key.len()
        );
    }
    Ok(Secret(key))
}

/// A lower-case PostgreSQL role name (it is spliced into `CREATE ROLE`).
fn role_name(v: Option<String>, var: &'static str) -> Read<String> {
    let name = v.unwrap_or_default();
    let allowed = |c: char| c.is_ascii_lowercase() || c == '_';
    if !name.starts_with(allowed)
        || name.len() > 63
        || !name.chars().all(|c| allowed(c) || c.is_ascii_digit())
    {
        bail!(
            var,
            "is {name:?}: expected a lower-case role name such as {DEFAULT_APP_ROLE}"
        );
    }
    Ok(name)
}

/// Comma-separated extensions among the known types; all of them when unset.
fn document_types(v: Option<String>, var: &'static str) -> Read<Vec<String>> {
    let known = crate::file_types::FILE_TYPES.iter().map(|t| t.extension);
    let Some(list) = v else {
        return Ok(known.map(String::from).collect());
    };
    let mut types = Vec::new();
    for t in list
        .split(',')
        .map(|t| t.trim().trim_start_matches('.').to_ascii_lowercase())
    {
        match t {
            t if t.is_empty() => continue,
            t if known.clone().any(|k| k == t) => types.push(t),
            t => bail!(
                var,
                "names {t:?}: the known types are {}",
                known.collect::<Vec<_>>().join(", ")
            ),
        }
    }
    if types.is_empty() {
        bail!(var, "is empty: name at least one type, such as pdf");
    }
    Ok(types)
}

/// At most ten days from -365 to 365, comma-separated, sorted and each once;
/// `none`: no day.
fn day_offsets(default: &'static str) -> impl Reader<Vec<i32>> {
    move |v, var| {
        let raw = v.unwrap_or_else(|| default.to_string());
        if raw == "none" {
            return Ok(Vec::new());
        }
        let mut days = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.parse() {
                Ok(day) if (-365..=365).contains(&day) => days.push(day),
                _ => bail!(
                    var,
                    "names {part:?}: expected days from -365 to 365, such as -30,-7,0,30"
                ),
            }
        }
        days.sort_unstable();
        days.dedup();
        if days.len() > 10 {
            bail!(var, "names more than ten days");
        }
        Ok(days)
    }
}

#[cfg(test)]
mod tests;
