//! Field checks every function's request types use. Each answers the
//! cleaned value or a [`FieldError`] naming the field (a 422 on the wire),
//! so a handler validates a whole request before it touches the database.

use chrono::{Datelike, NaiveDate, Utc};
use loaf_core::error_code::ErrorCode;

/// A request field that cannot be taken: which one, why (a stable code:
/// `invalid`, `required`, `too_long`, ...) and what to do, for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub code: ErrorCode,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: ErrorCode, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code,
            message: message.into(),
        }
    }

    /// `invalid`, naming `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError::new(field, ErrorCode::Invalid, message)
    }
}

/// What a field check answers.
pub type Checked<T> = Result<T, FieldError>;

fn refuse(field: &str, code: ErrorCode, message: String) -> FieldError {
    FieldError::new(field, code, message)
}

/// For PATCH fields: tells a key given as `null` (`Some(None)`) from an
/// absent one (`None`). Use with `#[serde(default, deserialize_with = …)]`.
pub fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

fn has_control(s: &str, allow_newlines: bool) -> bool {
    s.chars()
        .any(|c| c.is_control() && !(allow_newlines && (c == '\n' || c == '\t' || c == '\r')))
}

/// A required single-line text: trimmed, 1..=`max` characters.
pub fn text(field: &str, value: &str, max: usize) -> Checked<String> {
    optional_text(field, Some(value), max)?
        .ok_or_else(|| refuse(field, ErrorCode::Required, format!("{field} is required")))
}

/// An optional single-line text: trimmed, empty becomes `None`.
pub fn optional_text(field: &str, value: Option<&str>, max: usize) -> Checked<Option<String>> {
    bounded(field, value, max, false)
}

/// An optional multi-line text (a bio, a reason): newlines allowed, and
/// stored as `\n` whatever the client sent (`\r\n`, or a bare `\r`,
/// which some parsers, of calendar files for one, take for the end of a
/// line: text that could forge what follows it).
pub fn optional_long_text(field: &str, value: Option<&str>, max: usize) -> Checked<Option<String>> {
    bounded(field, value, max, true)
}

fn bounded(
    field: &str,
    value: Option<&str>,
    max: usize,
    multiline: bool,
) -> Checked<Option<String>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > max {
        return Err(refuse(
            field,
            ErrorCode::TooLong,
            format!("{field} has at most {max} characters"),
        ));
    }
    if has_control(v, multiline) {
        return Err(refuse(
            field,
            ErrorCode::Invalid,
            format!("{field} contains control characters"),
        ));
    }
    Ok(Some(if multiline {
        normalise_line_ends(v)
    } else {
        v.to_string()
    }))
}

/// `text` with every `\r\n` and bare `\r` made `\n`.
pub fn normalise_line_ends(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// An optional phone number: digits with the usual separators and an
/// optional leading `+`, 5 to 20 digits.
pub fn optional_phone(field: &str, value: Option<&str>) -> Checked<Option<String>> {
    let Some(v) = optional_text(field, value, 50)? else {
        return Ok(None);
    };
    let digits = v.chars().filter(char::is_ascii_digit).count();
    let shape_ok = v
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || " -.()/".contains(c) || (c == '+' && i == 0));
    if !shape_ok || !(5..=20).contains(&digits) {
        return Err(refuse(
            field,
            ErrorCode::Invalid,
            format!("{field} must be a phone number such as +1 555 010 0199"),
        ));
    }
    Ok(Some(v))
}

/// An optional date of birth: in the past, at most 120 years ago.
pub fn optional_birth_date(field: &str, value: Option<NaiveDate>) -> Checked<Option<NaiveDate>> {
    let Some(date) = value else { return Ok(None) };
    let today = Utc::now().date_naive();
    if date >= today || today.year() - date.year() > 120 {
        return Err(refuse(
            field,
            ErrorCode::Invalid,
            format!("{field} must be a past date within the last 120 years"),
        ));
    }
    Ok(Some(date))
}

/// A list of short labels (interests, how they heard of us): each trimmed
/// and non-empty, duplicates dropped, at most `max_items` of `max_len`.
pub fn labels(
    field: &str,
    values: &[String],
    max_items: usize,
    max_len: usize,
) -> Checked<Vec<String>> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for (i, v) in values.iter().enumerate() {
        let item = text(&format!("{field}[{i}]"), v, max_len)?;
        if !out.contains(&item) {
            out.push(item);
        }
    }
    if out.len() > max_items {
        return Err(refuse(
            field,
            ErrorCode::TooLong,
            format!("{field} has at most {max_items} entries"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(e: FieldError) -> (&'static str, String) {
        (e.code.as_str(), e.field)
    }

    #[test]
    fn text_trims_and_bounds() {
        assert_eq!(text("first_name", "  Ada ", 10).unwrap(), "Ada");
        assert_eq!(
            code(text("first_name", "   ", 10).unwrap_err()),
            ("required", "first_name".into())
        );
        assert_eq!(
            code(text("first_name", &"é".repeat(11), 10).unwrap_err()).0,
            "too_long"
        );
        assert_eq!(
            code(text("first_name", "A\u{0}da", 10).unwrap_err()).0,
            "invalid"
        );
        assert_eq!(optional_text("city", Some(""), 10).unwrap(), None);
        assert_eq!(
            optional_long_text("bio", Some("a\nb"), 10)
                .unwrap()
                .unwrap(),
            "a\nb"
        );
        assert!(optional_text("city", Some("a\nb"), 10).is_err());
    }

    #[test]
    fn phones() {
        for ok in ["+1 555 010 0199", "01 23 45 67 89", "(555) 010-0199"] {
            assert!(optional_phone("phone", Some(ok)).is_ok(), "{ok}");
        }
        for bad in ["call me", "12", "+1 555 +010", "555-0100 ext. 4"] {
            assert!(optional_phone("phone", Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn birth_dates() {
        let today = Utc::now().date_naive();
        assert!(optional_birth_date("dob", Some(today)).is_err());
        assert!(optional_birth_date("dob", NaiveDate::from_ymd_opt(1850, 1, 1)).is_err());
        assert!(optional_birth_date("dob", NaiveDate::from_ymd_opt(1990, 2, 28)).is_ok());
    }

    #[test]
    fn labels_dedupe_and_name_the_item() {
        let v = vec!["hiking".to_string(), " hiking ".into(), "music".into()];
        assert_eq!(labels("interests", &v, 5, 20).unwrap(), ["hiking", "music"]);
        let bad = vec!["ok".to_string(), "".into()];
        assert_eq!(
            code(labels("interests", &bad, 5, 20).unwrap_err()).1,
            "interests[1]"
        );
        let many: Vec<String> = (0..6).map(|i| i.to_string()).collect();
        assert_eq!(
            code(labels("interests", &many, 5, 20).unwrap_err()).0,
            "too_long"
        );
    }
}
