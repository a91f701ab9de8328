//! One line of an import file checked and cleaned into a member (with the
//! period of their membership when the file gives one), or the reason it
//! cannot be: the line, the file's column and what to fix.

use super::columns::{fold, Columns, Field};
use chrono::{Months, NaiveDate};
use loaf_domain::domain::{Email, UserStatus};
use loaf_domain::memberships::periods::{self, Cycle};
use loaf_domain::validate::{optional_birth_date, optional_phone, optional_text, FieldError};
use loaf_http::ErrorCode;
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

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
    pub status: UserStatus,
    pub newsletter: bool,
    pub membership: Option<Period>,
    /// The line as the file has it, for the file of rejected lines.
    pub cells: Vec<String>,
}

/// A member's current or last period, from the plan and paid-until or
/// paid-on columns; local days of the organisation's calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub plan_id: Uuid,
    pub starts_on: NaiveDate,
    /// The day after the last one covered; `None` for lifetime.
    pub ends_before: Option<NaiveDate>,
}

impl Period {
    /// Whether the period still covers `today`.
    pub fn runs_on(&self, today: NaiveDate) -> bool {
        self.ends_before.is_none_or(|end| end > today)
    }
}

/// What a line is checked against: the plans by their folded name, and
/// today on the organisation's calendar.
pub struct Context {
    pub plans: HashMap<String, Vec<(Uuid, Cycle, String)>>,
    pub today: NaiveDate,
}

/// The statuses an imported member may have; `active` when the file says
/// nothing.
const STATUSES: [UserStatus; 5] = [
    UserStatus::Active,
    UserStatus::Inactive,
    UserStatus::Expired,
    UserStatus::Canceled,
    UserStatus::PaymentPending,
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
        Field::Plan => "plan",
        Field::PaidUntil => "paid_until",
        Field::PaidOn => "paid_on",
    }
}

/// The line's membership period, if it names one: a plan, and the last day
/// paid (`paid_until`) or the day the period began (`paid_on`), or both.
/// Without `paid_on`, a period ending on `paid_until` is taken to have
/// begun one cycle before (a year for a fixed calendar period); without
/// `paid_until`, it covers what a payment on `paid_on` covers. A lifetime
/// plan needs no day.
fn period(
    line: &Line<'_>,
    ctx: &Context,
    member_since: Option<NaiveDate>,
) -> Result<Option<Period>, Vec<RowError>> {
    let until = line.date(Field::PaidUntil).map_err(|e| vec![e])?;
    let on = line.date(Field::PaidOn).map_err(|e| vec![e])?;
    let Some(raw) = line.raw(Field::Plan) else {
        return match (until, on) {
            (None, None) => Ok(None),
            _ => {
                let field = if until.is_some() {
                    Field::PaidUntil
                } else {
                    Field::PaidOn
                };
                Err(vec![line.error(
                    field,
                    "required",
                    "Name the membership plan of this period in a \"plan\" column.",
                )])
            }
        };
    };
    let found = ctx
        .plans
        .get(&fold(raw))
        .map(Vec::as_slice)
        .unwrap_or_default();
    let (plan_id, cycle) = match found {
        [(id, cycle, _)] => (*id, *cycle),
        [] => {
            let mut names: Vec<&str> = ctx
                .plans
                .values()
                .flatten()
                .map(|(_, _, n)| n.as_str())
                .collect();
            names.sort_unstable();
            return Err(vec![line.error(
                Field::Plan,
                "invalid",
                format!(
                    "No plan is named \"{raw}\": use one of {}.",
                    names.join(", ")
                ),
            )]);
        }
        _ => {
            return Err(vec![line.error(
                Field::Plan,
                "invalid",
                format!("Several plans are named \"{raw}\": rename one of them first."),
            )])
        }
    };
    let mut errors = Vec::new();
    if on.is_some_and(|d| d > ctx.today) {
        errors.push(line.error(
            Field::PaidOn,
            "invalid",
            "The period cannot begin in the future.",
        ));
    }
    if let (Some(on), Some(until)) = (on, until) {
        if until < on {
            errors.push(line.error(
                Field::PaidUntil,
                "invalid",
                "The period ends before it begins.",
            ));
        }
    }
    let period = match (cycle, until, on) {
        (Cycle::Lifetime, Some(_), _) => {
            errors.push(line.error(
                Field::PaidUntil,
                "invalid",
                format!("\"{raw}\" is a lifetime plan: it is paid until no day."),
            ));
            None
        }
        (Cycle::Lifetime, None, on) => Some((on.or(member_since).unwrap_or(ctx.today), None)),
        (_, Some(until), on) => {
            let ends_before = until.succ_opt().unwrap_or(until);
            let months = match cycle {
                Cycle::Monthly => 1,
                Cycle::Quarterly => 3,
                _ => 12,
            };
            let starts_on = on.unwrap_or_else(|| {
                ends_before
                    .checked_sub_months(Months::new(months))
                    .unwrap_or(until)
            });
            Some((starts_on, Some(ends_before)))
        }
        (_, None, Some(on)) => Some((on, periods::coverage(cycle, on).ends_before)),
        (_, None, None) => {
            errors.push(line.error(
                Field::Plan,
                "required",
                "Give the last day paid (a \"paid_until\" column) or the day the period began (\"paid_on\").",
            ));
            None
        }
    };
    match period {
        Some((starts_on, ends_before)) if errors.is_empty() => Ok(Some(Period {
            plan_id,
            starts_on,
            ends_before,
        })),
        _ => Err(errors),
    }
}

/// The status a member with `period` has: the file's, if it agrees with
/// the period (`inactive` always does), or the period's own.
fn status_with(
    line: &Line<'_>,
    given: Option<UserStatus>,
    period: &Period,
    today: NaiveDate,
) -> Result<UserStatus, RowError> {
    use UserStatus::*;
    let runs = period.runs_on(today);
    match given {
        None => Ok(if runs { Active } else { Expired }),
        Some(Inactive) => Ok(Inactive),
        Some(Active) if runs => Ok(Active),
        Some(s @ (Expired | Canceled)) if !runs => Ok(s),
        Some(s) => Err(line.error(
            Field::Status,
            "invalid",
            if runs {
                format!(
                    "The period runs until after today: the member is active, not {}.",
                    s.as_str()
                )
            } else {
                format!(
                    "The period has ended: the member is expired (or canceled), not {}.",
                    s.as_str()
                )
            },
        )),
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
    ctx: &Context,
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
        None => Some(UserStatus::Active),
        Some(raw) => {
            let folded = raw.to_lowercase().replace([' ', '-'], "_");
            let found = STATUSES.into_iter().find(|s| {
                s.as_str() == folded || (folded == "cancelled" && *s == UserStatus::Canceled)
            });
            if found.is_none() {
                errors.push(line.error(
                    Field::Status,
                    "invalid",
                    format!(
                        "\"{raw}\" is not a status an import can give: use one of {}.",
                        STATUSES.map(UserStatus::as_str).join(", ")
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

    let membership = match period(&line, ctx, member_since) {
        Ok(p) => p,
        Err(mut errs) => {
            errors.append(&mut errs);
            None
        }
    };
    let status = match (status, membership) {
        (Some(given), Some(p)) => {
            let explicit = line.raw(Field::Status).is_some().then_some(given);
            keep(status_with(&line, explicit, &p, ctx.today), &mut errors)
        }
        (status, _) => status,
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
                membership,
                cells: record.iter().map(str::to_string).collect(),
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

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const YEARLY: Uuid = Uuid::from_u128(1);
    const FOREVER: Uuid = Uuid::from_u128(2);

    /// A yearly and a lifetime plan; today is 15 June 2026.
    fn ctx() -> Context {
        let mut plans = HashMap::new();
        plans.insert(
            "yearly".into(),
            vec![(YEARLY, Cycle::Yearly, "Yearly".into())],
        );
        plans.insert(
            "forever".into(),
            vec![(FOREVER, Cycle::Lifetime, "Forever".into())],
        );
        Context {
            plans,
            today: d(2026, 6, 15),
        }
    }

    #[test]
    fn a_plan_and_the_last_day_paid_make_the_period_and_the_status() {
        let c = cols(&[
            "email",
            "name",
            "Membership type",
            "Paid until",
            "Last payment",
            "status",
        ]);
        let line = |cells: &[&str]| parse(2, &c, &ctx(), &rec(cells));
        let row = line(&[
            "a@example.org",
            "Ada Lovelace",
            "yearly",
            "2026-12-31",
            "",
            "",
        ])
        .unwrap();
        assert_eq!(
            row.membership,
            Some(Period {
                plan_id: YEARLY,
                starts_on: d(2026, 1, 1),
                ends_before: Some(d(2027, 1, 1))
            })
        );
        assert_eq!(row.status, UserStatus::Active);
        let row = line(&[
            "a@example.org",
            "Ada Lovelace",
            "Yearly",
            "",
            "2025-03-15",
            "",
        ])
        .unwrap();
        assert_eq!(row.membership.unwrap().ends_before, Some(d(2026, 3, 15)));
        assert_eq!(row.status, UserStatus::Expired, "ran out in March");
        let row = line(&["a@example.org", "Ada Lovelace", "Forever", "", "", ""]).unwrap();
        assert_eq!(row.membership.unwrap().ends_before, None);
        assert_eq!(row.status, UserStatus::Active);
        let row = line(&["a@example.org", "Ada Lovelace", "", "", "", "expired"]).unwrap();
        assert_eq!((row.membership, row.status), (None, UserStatus::Expired));
    }

    #[test]
    fn a_period_that_cannot_be_is_refused_on_its_column() {
        let c = cols(&["email", "name", "plan", "paid_until", "paid_on", "status"]);
        let refused = |cells: &[&str]| -> Vec<(String, &'static str)> {
            parse(2, &c, &ctx(), &rec(cells))
                .unwrap_err()
                .into_iter()
                .map(|e| (e.column.unwrap_or_default(), e.code))
                .collect()
        };
        let cases: [(&[&str], &str); 7] = [
            (
                &["a@example.org", "Ada L", "Gold", "2026-12-31", "", ""],
                "plan",
            ),
            (
                &["a@example.org", "Ada L", "", "2026-12-31", "", ""],
                "paid_until",
            ),
            (&["a@example.org", "Ada L", "Yearly", "", "", ""], "plan"),
            (
                &["a@example.org", "Ada L", "Forever", "2030-01-01", "", ""],
                "paid_until",
            ),
            (
                &[
                    "a@example.org",
                    "Ada L",
                    "Yearly",
                    "2026-01-01",
                    "2026-02-01",
                    "",
                ],
                "paid_until",
            ),
            (
                &[
                    "a@example.org",
                    "Ada L",
                    "Yearly",
                    "2026-12-31",
                    "",
                    "expired",
                ],
                "status",
            ),
            (
                &[
                    "a@example.org",
                    "Ada L",
                    "Yearly",
                    "2026-01-31",
                    "",
                    "active",
                ],
                "status",
            ),
        ];
        for (cells, column) in cases {
            assert_eq!(
                refused(cells).first().map(|(c, _)| c.as_str()),
                Some(column),
                "{cells:?}"
            );
        }
        assert_eq!(
            refused(&["a@example.org", "Ada L", "Yearly", "", "2027-01-01", ""])[0].0,
            "paid_on",
            "a period beginning in the future"
        );
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
            &ctx(),
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
        assert_eq!(row.status, UserStatus::Expired);
        assert!(!row.newsletter);
    }

    #[test]
    fn a_full_name_is_split_at_its_last_space() {
        let c = cols(&["name", "email"]);
        let row = parse(2, &c, &ctx(), &rec(&["Jean Luc Picard", "jl@example.org"])).unwrap();
        assert_eq!(
            (row.first_name.as_str(), row.last_name.as_str()),
            ("Jean Luc", "Picard")
        );
        let errs = parse(3, &c, &ctx(), &rec(&["Cher", "cher@example.org"])).unwrap_err();
        assert_eq!(errs[0].column.as_deref(), Some("name"));
    }

    #[test]
    fn every_problem_of_a_line_is_reported_against_the_files_column() {
        let c = cols(&["E-mail", "Prénom", "Nom", "DOB", "Status", "Newsletter"]);
        let errs = parse(
            7,
            &c,
            &ctx(),
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
