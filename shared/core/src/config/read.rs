//! How a variable is read: each reader takes the variable's trimmed value
//! (`None` when unset or blank) and its name, and answers the typed value
//! or a [`ConfigError`] naming the variable. [`vars!`](super::vars) puts
//! one beside each field.

use super::{ConfigError, Secret};
use std::time::Duration;

/// What a reader answers.
pub type Read<T> = Result<T, ConfigError>;

fn err(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        problem: problem.into(),
    }
}

/// Required text; `hint` says where to find a value.
pub fn required(hint: &'static str) -> impl Fn(Option<String>, &'static str) -> Read<String> {
    move |v, var| v.ok_or_else(|| err(var, format!("is not set: {hint}")))
}

/// Text, `default` when unset.
pub fn or(default: &'static str) -> impl Fn(Option<String>, &'static str) -> Read<String> {
    move |v, _| Ok(v.unwrap_or_else(|| default.into()))
}

/// Optional text.
pub fn maybe(v: Option<String>, _: &'static str) -> Read<Option<String>> {
    Ok(v)
}

/// An optional path.
pub fn maybe_path(v: Option<String>, _: &'static str) -> Read<Option<std::path::PathBuf>> {
    Ok(v.map(Into::into))
}

/// A secret, empty when unset.
pub fn secret_or_empty(v: Option<String>, _: &'static str) -> Read<Secret> {
    Ok(Secret(v.unwrap_or_default()))
}

/// An optional secret.
pub fn maybe_secret(v: Option<String>, _: &'static str) -> Read<Option<Secret>> {
    Ok(v.map(Secret))
}

/// `true`/`false` (or `1`/`0`, `yes`/`no`, `on`/`off`), when given.
pub fn flag(v: Option<String>, var: &'static str) -> Read<Option<bool>> {
    match v.map(|v| v.to_ascii_lowercase()).as_deref() {
        None => Ok(None),
        Some("1" | "true" | "yes" | "on") => Ok(Some(true)),
        Some("0" | "false" | "no" | "off") => Ok(Some(false)),
        Some(other) => Err(err(var, format!("is {other:?}: expected true or false"))),
    }
}

/// A whole number from `min` to `max`, `default` when unset.
pub fn number<T: TryFrom<i64>>(
    default: i64,
    min: i64,
    max: i64,
) -> impl Fn(Option<String>, &'static str) -> Read<T> {
    move |v, var| {
        let n = match v {
            None => default,
            Some(raw) => raw
                .parse::<i64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or_else(|| {
                    err(
                        var,
                        format!("is {raw:?}: expected a whole number from {min} to {max}"),
                    )
                })?,
        };
        T::try_from(n).map_err(|_| err(var, format!("is {n}: out of range")))
    }
}

/// A [`number`] of `unit`s, as a duration.
pub fn duration(
    unit: Duration,
    default: i64,
    min: i64,
    max: i64,
) -> impl Fn(Option<String>, &'static str) -> Read<Duration> {
    move |v, var| number::<u32>(default, min, max)(v, var).map(|n| unit * n)
}

pub const SECS: Duration = Duration::from_secs(1);
pub const MILLIS: Duration = Duration::from_millis(1);
pub const DAYS: Duration = Duration::from_secs(86_400);

/// A [`number`] of mebibytes, as bytes.
pub fn mib(default: i64, min: i64, max: i64) -> impl Fn(Option<String>, &'static str) -> Read<i64> {
    move |v, var| number::<i64>(default, min, max)(v, var).map(|n| n << 20)
}

/// An `http(s)://` URL without its trailing slash, `default` when unset.
pub fn url(default: &'static str) -> impl Fn(Option<String>, &'static str) -> Read<String> {
    move |v, var| {
        maybe_url(Some(v.unwrap_or_else(|| default.into())), var).map(Option::unwrap_or_default)
    }
}

/// An `http(s)://` URL without its trailing slash, when given.
pub fn maybe_url(v: Option<String>, var: &'static str) -> Read<Option<String>> {
    match v {
        Some(u) if !(u.starts_with("http://") || u.starts_with("https://")) => Err(err(
            var,
            format!("is {u:?}: expected a URL such as https://example.org"),
        )),
        v => Ok(v.map(|u| u.trim_end_matches('/').to_string())),
    }
}

/// A PostgreSQL URL RDS Proxy can take.
pub fn postgres_url(v: Option<String>, var: &'static str) -> Read<String> {
    let url = required("set it to postgres://USER:PASSWORD@HOST:5432/DATABASE")(v, var)?;
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(err(var, "must start with postgres:// or postgresql://"));
    }
    if let Err(e) = url.parse::<sqlx::postgres::PgConnectOptions>() {
        return Err(err(var, format!("cannot be parsed: {e}")));
    }
    // RDS Proxy refuses every startup option ("Feature not supported: RDS
    // Proxy currently doesn't support command-line options"): a URL
    // carrying one would fail every connection.
    if url.contains("options=") {
        return Err(err(
            var,
            "carries startup options (options=…), which RDS Proxy refuses: \
             set per-role settings in the database instead",
        ));
    }
    Ok(url)
}

/// A signing key of at least 32 bytes.
pub fn signing_key(v: Option<String>, var: &'static str) -> Read<Secret> {
    let hint = "set it to a random string of at least 32 characters (openssl rand -hex 32)";
    let key = required(hint)(v, var)?;
    if key.len() < 32 {
        return Err(err(
            var,
            format!(
                "is {} characters long: it must be at least 32 (openssl rand -hex 32)",
                key.len()
            ),
        ));
    }
    Ok(Secret(key))
}

/// A lower-case PostgreSQL role name.
pub fn role_name(v: Option<String>, var: &'static str) -> Read<String> {
    let name = v.unwrap_or_default();
    let valid = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid {
        return Err(err(
            var,
            format!(
                "is {name:?}: expected a lower-case role name such as {}",
                super::DEFAULT_APP_ROLE
            ),
        ));
    }
    Ok(name)
}

/// File extensions among the known types (comma-separated); all of them
/// when unset.
pub fn document_types(v: Option<String>, var: &'static str) -> Read<Vec<String>> {
    let known: Vec<&str> = crate::file_types::FILE_TYPES
        .iter()
        .map(|t| t.extension)
        .collect();
    let Some(list) = v else {
        return Ok(known.iter().map(|e| e.to_string()).collect());
    };
    let types: Vec<String> = list
        .split(',')
        .map(|t| t.trim().trim_start_matches('.').to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    if let Some(bad) = types.iter().find(|t| !known.contains(&t.as_str())) {
        let known = known.join(", ");
        return Err(err(
            var,
            format!("names {bad:?}: the known types are {known}"),
        ));
    }
    if types.is_empty() {
        return Err(err(var, "is empty: name at least one type, such as pdf"));
    }
    Ok(types)
}

/// Days relative to an instant, comma-separated (`-30,-7,0,30`: a month and
/// a week before, the day itself, a month after), from -365 to 365, at most
/// ten; sorted, repeats dropped. `none`: no day.
pub fn day_offsets(
    default: &'static str,
) -> impl Fn(Option<String>, &'static str) -> Read<Vec<i32>> {
    move |v, var| {
        let raw = v.unwrap_or_else(|| default.to_string());
        if raw.trim() == "none" {
            return Ok(Vec::new());
        }
        let mut days = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let day = part
                .parse::<i32>()
                .ok()
                .filter(|d| (-365..=365).contains(d))
                .ok_or_else(|| {
                    err(
                        var,
                        format!("names {part:?}: expected whole numbers of days from -365 to 365, such as -30,-7,0,30"),
                    )
                })?;
            days.push(day);
        }
        days.sort_unstable();
        days.dedup();
        if days.len() > 10 {
            return Err(err(var, "names more than ten days"));
        }
        Ok(days)
    }
}
