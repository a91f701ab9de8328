//! One line of an import file checked and cleaned into a member, or the
//! reason it cannot be: the line, the file's column and what to fix.

use super::columns::{Columns, Field};
use chrono::NaiveDate;
use loaf_domain::domain::Email;
use loaf_domain::validate::{optional_birth_date, optional_phone, optional_text, FieldError};
use loaf_http::ErrorCode;
use schemars::JsonSchema;
use serde::Serialize;

/// A problem with one line of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RowError {
    /// The line in the file (the header is line 1).
    pub line: u64,
    /// The column as the file names it, when one is at fault.
    pub column: Option<String>,
    /// `invalid`, `required`, `duplicate_in_file`, `already_member`, ...
    pub code: &'static str,
    pub message: String,
}

/// A member ready to insert.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub line: u64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zipcode: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub member_since: Option<NaiveDate>,
    pub status: &'static str,
    pub newsletter: bool,
}

/// The statuses an imported member may have; `active` when the file says
/// nothing.
const STATUSES: &[&str] = &[
    "active",
    "inactive",
    "expired",
    "canceled",
    "payment_pending",
];

struct Line<'a> {
    number: u64,
    cols: &'a Columns,
    record: &'a csv::StringRecord,
}

impl Line<'_> {
    fn raw(&self, field: Field) -> Option<&str> {
        self.cols
            .position(field)
            .and_then(|i| self.record.get(i))
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    fn error(&self, field: Field, code: &'static str, message: impl Into<String>) -> RowError {
        RowError {
            line: self.number,
            column: Some(self.cols.header(field)),
            code,
            message: message.into(),
        }
    }

    /// A validator's refusal, reported against the file's column.
    fn refused(&self, field: Field, err: FieldError) -> RowError {
        let code = if err.code == ErrorCode::TooLong {
            "too_long"
        } else {
            "invalid"
        };
        let message = err
            .message
            .replacen(field_name(field), &self.cols.header(field), 1);
        self.error(field, code, message)
    }

    fn text(&self, field: Field, max: usize) -> Result<Option<String>, RowError> {
        optional_text(field_name(field), self.raw(field), max).map_err(|e| self.refused(field, e))
    }

    fn date(&self, field: Field) -> Result<Option<NaiveDate>, RowError> {
        let Some(raw) = self.raw(field) else {
            return Ok(None);
        };
        ["%Y-%m-%d", "%Y/%m/%d"]
            .iter()
            .find_map(|f| NaiveDate::parse_from_str(raw, f).ok())
            .map(Some)
            .ok_or_else(|| {
                self.error(
                    field,
                    "invalid",
                    format!("\"{raw}\" is not a date written as YYYY-MM-DD."),
                )
            })
    }
}

fn field_name(field: Field) -> &'static str {
    match field {
        Field::Email => "email",
        Field::FirstName => "first_name",
        Field::LastName => "last_name",
        Field::Name => "name",
        Field::Phone => "phone",
        Field::Address => "address",
        Field::City => "city",
        Field::State => "state",
        Field::Zipcode => "zipcode",
        Field::DateOfBirth => "date_of_birth",
        Field::MemberSince => "member_since",
        Field::Status => "status",
        Field::Newsletter => "newsletter",
    }
}

fn yes_no(raw: &str) -> Option<bool> {
    match raw.to_lowercase().as_str() {
        "yes" | "y" | "true" | "1" | "x" | "oui" => Some(true),
        "no" | "n" | "false" | "0" | "non" => Some(false),
        _ => None,
    }
}

/// The value, or `None` with the error noted.
fn keep<T>(result: Result<T, RowError>, errors: &mut Vec<RowError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

/// `true` for a line with nothing in it (trailing lines of spreadsheets).
pub fn is_blank(record: &csv::StringRecord) -> bool {
    record.iter().all(|c| c.trim().is_empty())
}

/// Checks line `number` of the file. Every problem of the line is reported,
/// not only the first.
pub fn parse(
    number: u64,
    cols: &Columns,
    record: &csv::StringRecord,
) -> Result<ImportRow, Vec<RowError>> {
    let line = Line {
        number,
        cols,
        record,
    };
    let mut errors = Vec::new();

    let email = match line.raw(Field::Email) {
        None => {
            errors.push(line.error(Field::Email, "required", "The email is missing."));
            None
        }
        Some(raw) => keep(
            Email::parse(raw)
                .map_err(|e| line.error(Field::Email, "invalid", format!("\"{raw}\": {e}"))),
            &mut errors,
        ),
    };
    let names = if cols.has_split_names() {
        let first = keep(line.text(Field::FirstName, 100), &mut errors).flatten();
        let last = keep(line.text(Field::LastName, 100), &mut errors).flatten();
        match (first, last) {
            (Some(f), Some(l)) => Some((f, l)),
            (f, l) => {
                if f.is_none()
                    && !errors
                        .iter()
                        .any(|e| e.column == Some(cols.header(Field::FirstName)))
                {
                    errors.push(line.error(
                        Field::FirstName,
                        "required",
                        "The first name is missing.",
                    ));
                }
                if l.is_none()
                    && !errors
                        .iter()
                        .any(|e| e.column == Some(cols.header(Field::LastName)))
                {
                    errors.push(line.error(
                        Field::LastName,
                        "required",
                        "The last name is missing.",
                    ));
                }
                None
            }
        }
    } else {
        match keep(line.text(Field::Name, 201), &mut errors).flatten() {
            None if errors.is_empty()
                || errors
                    .iter()
                    .all(|e| e.column != Some(cols.header(Field::Name))) =>
            {
                errors.push(line.error(Field::Name, "required", "The name is missing."));
                None
            }
            None => None,
            Some(full) => match full.rsplit_once(char::is_whitespace) {
                Some((first, last))
                    if first.trim().chars().count() <= 100 && last.chars().count() <= 100 =>
                {
                    Some((first.trim().to_string(), last.to_string()))
                }
                _ => {
                    errors.push(line.error(
                        Field::Name,
                        "invalid",
                        "Give a first and a last name, such as \"Ada Lovelace\".",
                    ));
                    None
                }
            },
        }
    };
    let phone = keep(
        optional_phone("phone", line.raw(Field::Phone)).map_err(|e| line.refused(Field::Phone, e)),
        &mut errors,
    )
    .flatten();
    let address = keep(line.text(Field::Address, 255), &mut errors).flatten();
    let city = keep(line.text(Field::City, 100), &mut errors).flatten();
    let state = keep(line.text(Field::State, 100), &mut errors).flatten();
    let zipcode = keep(line.text(Field::Zipcode, 20), &mut errors).flatten();
    let date_of_birth = keep(
        line.date(Field::DateOfBirth).and_then(|d| {
            optional_birth_date("date_of_birth", d).map_err(|e| line.refused(Field::DateOfBirth, e))
        }),
        &mut errors,
    )
    .flatten();
    let member_since = keep(line.date(Field::MemberSince), &mut errors).flatten();
    if member_since.is_some_and(|d| d > chrono::Utc::now().date_naive()) {
        errors.push(line.error(
            Field::MemberSince,
            "invalid",
            "The membership cannot start in the future.",
        ));
    }
    let status = match line.raw(Field::Status) {
        None => Some("active"),
        Some(raw) => {
            let folded = raw.to_lowercase().replace([' ', '-'], "_");
            let found = STATUSES
                .iter()
                .copied()
                .find(|s| *s == folded || (folded == "cancelled" && *s == "canceled"));
            if found.is_none() {
                errors.push(line.error(
                    Field::Status,
                    "invalid",
                    format!(
                        "\"{raw}\" is not a status an import can give: use one of {}.",
                        STATUSES.join(", ")
                    ),
                ));
            }
            found
        }
    };
    let newsletter = match line.raw(Field::Newsletter) {
        None => Some(true),
        Some(raw) => {
            let found = yes_no(raw);
            if found.is_none() {
                errors.push(line.error(
                    Field::Newsletter,
                    "invalid",
                    format!("\"{raw}\" is not yes or no."),
                ));
            }
            found
        }
    };

    match (email, names, status, newsletter) {
        (Some(email), Some((first_name, last_name)), Some(status), Some(newsletter))
            if errors.is_empty() =>
        {
            Ok(ImportRow {
                line: number,
                email: email.as_str().to_string(),
                first_name,
                last_name,
                phone,
                address,
                city,
                state,
                zipcode,
                date_of_birth,
                member_since,
                status,
                newsletter,
            })
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(header: &[&str]) -> Columns {
        Columns::from_header(header.iter().copied()).unwrap()
    }

    fn rec(cells: &[&str]) -> csv::StringRecord {
        csv::StringRecord::from(cells.to_vec())
    }

    #[test]
    fn a_good_line_is_cleaned() {
        let c = cols(&[
            "Email",
            "First name",
            "Last name",
            "Phone",
            "Joined",
            "Status",
            "Newsletter",
        ]);
        let row = parse(
            2,
            &c,
            &rec(&[
                " Ada@Example.ORG ",
                "Ada",
                "Lovelace",
                "+44 20 7946 0958",
                "2019-04-01",
                "Expired",
                "no",
            ]),
        )
        .unwrap();
        assert_eq!(row.email, "ada@example.org");
        assert_eq!(
            (row.first_name.as_str(), row.last_name.as_str()),
            ("Ada", "Lovelace")
        );
        assert_eq!(row.member_since, NaiveDate::from_ymd_opt(2019, 4, 1));
        assert_eq!(row.status, "expired");
        assert!(!row.newsletter);
    }

    #[test]
    fn a_full_name_is_split_at_its_last_space() {
        let c = cols(&["name", "email"]);
        let row = parse(2, &c, &rec(&["Jean Luc Picard", "jl@example.org"])).unwrap();
        assert_eq!(
            (row.first_name.as_str(), row.last_name.as_str()),
            ("Jean Luc", "Picard")
        );
        let errs = parse(3, &c, &rec(&["Cher", "cher@example.org"])).unwrap_err();
        assert_eq!(errs[0].column.as_deref(), Some("name"));
    }

    #[test]
    fn every_problem_of_a_line_is_reported_against_the_files_column() {
        let c = cols(&["E-mail", "Prénom", "Nom", "DOB", "Status", "Newsletter"]);
        let errs = parse(
            7,
            &c,
            &rec(&["not-an-email", "", "Zola", "31/12/1990", "vip", "maybe"]),
        )
        .unwrap_err();
        let got: Vec<(u64, Option<&str>, &str)> = errs
            .iter()
            .map(|e| (e.line, e.column.as_deref(), e.code))
            .collect();
        assert_eq!(
            got,
            [
                (7, Some("E-mail"), "invalid"),
                (7, Some("Prénom"), "required"),
                (7, Some("DOB"), "invalid"),
                (7, Some("Status"), "invalid"),
                (7, Some("Newsletter"), "invalid"),
            ]
        );
    }
}
