//! Running an import: the file read from S3 and decoded, checked line by
//! line, duplicates found (in the file and among existing accounts), good
//! rows inserted in batches, each with the subscription of its membership
//! period when the file gives one. Everything a run writes, the job's
//! report included, is one transaction: an interrupted import leaves no
//! member half-imported and can simply be started again. Progress is
//! written beside it, so an admin polling the job sees the run advance.
//! The refused lines, as the file had them plus an `error` column, are
//! saved beside the file for the admin to fix and upload again.

use super::columns::{fold, Columns};
use super::rows::{self, Context, ImportRow, RowError};
use chrono::{DateTime, Utc};
use loaf_domain::auth::secret_token;
use loaf_domain::email::{outbox, Mail};
use loaf_domain::enums::ImportJobStatus;
use loaf_domain::imports::{self, NewMembers};
use loaf_domain::roles;
use loaf_domain::settings;
use loaf_http::csv_export::CsvUpload;
use loaf_http::{ApiError, ApiResult, AppState};
use sqlx::PgConnection;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The largest file accepted (signed into the upload URL).
pub const MAX_BYTES: i64 = 10 * 1024 * 1024;
/// The most member lines in one file.
pub const MAX_ROWS: u64 = 50_000;
/// Lines checked against the database and inserted together.
const BATCH: usize = 1_000;
/// Errors kept in the job's report; the counts cover all of them.
const MAX_REPORTED_ERRORS: usize = 1_000;

/// What the admin asked of this run.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Check everything, write nothing but the report.
    pub dry_run: bool,
    /// Email each imported member a link to choose their password.
    pub send_invitations: bool,
}

/// What a run found.
#[derive(Debug, Default)]
pub struct Outcome {
    pub total: i32,
    pub successful: i32,
    pub failed: i32,
    pub invitations_sent: i32,
    pub errors: Vec<RowError>,
    pub ignored_columns: Vec<String>,
    /// The file as a whole could not be read: nothing was imported.
    pub unreadable: bool,
    /// Each refused line as the file has it, and why (every reason).
    rejected: Vec<(u64, Vec<String>, String)>,
}

impl Outcome {
    /// Counts a refused line, `cells` as the file has them.
    fn note(&mut self, mut errs: Vec<RowError>, cells: Vec<String>) {
        self.failed += 1;
        let why = errs
            .iter()
            .map(|e| match &e.column {
                Some(column) => format!("{column}: {}", e.message),
                None => e.message.clone(),
            })
            .collect::<Vec<_>>()
            .join(" ");
        self.rejected
            .push((errs.first().map_or(0, |e| e.line), cells, why));
        let room = MAX_REPORTED_ERRORS.saturating_sub(self.errors.len());
        errs.truncate(room);
        self.errors.append(&mut errs);
    }

    fn unreadable(error: RowError) -> Self {
        Outcome {
            unreadable: true,
            errors: vec![error],
            ..Outcome::default()
        }
    }

    /// The job status this outcome gives.
    pub fn status(&self) -> ImportJobStatus {
        if self.unreadable || self.successful == 0 {
            ImportJobStatus::Failed
        } else if self.failed > 0 {
            ImportJobStatus::Partial
        } else {
            ImportJobStatus::Completed
        }
    }
}

fn file_error(code: &'static str, message: impl Into<String>) -> RowError {
    RowError {
        line: 1,
        column: None,
        code,
        message: message.into(),
    }
}

/// The file as text: UTF-8, with or without a byte order mark.
fn decode(bytes: &[u8]) -> Result<&str, RowError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(file_error(
            "wrong_encoding",
            "The file is UTF-16 text: save it as \"CSV UTF-8\" and upload it again.",
        ));
    }
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() as u64 + 1;
        RowError {
            line,
            column: None,
            code: "wrong_encoding",
            message: format!(
                "Line {line} is not UTF-8 text (the file was perhaps saved as Windows-1252 or Latin-1): \
                 save it as \"CSV UTF-8\" and upload it again."
            ),
        }
    })
}

/// The delimiter of the header line: comma, semicolon (spreadsheets in
/// many European locales) or tab, whichever it has most of.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|d| (header.bytes().filter(|b| b == d).count(), *d == b','))
        .unwrap_or(b',')
}

/// Line numbers from byte offsets, counted as a spreadsheet user reads
/// them (every `\n` starts a line, so `\r\n` files count right too).
/// Offsets only grow, so each byte is looked at once.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    /// The line of a record that starts at byte `offset`. The reader may
    /// place a record at the `\n` left over from the previous `\r\n`; a
    /// record never starts with a line end, so those are stepped over.
    fn at(&mut self, offset: u64) -> u64 {
        let mut offset = (offset as usize).min(self.text.len());
        while matches!(self.text.get(offset), Some(b'\r' | b'\n')) {
            offset += 1;
        }
        if offset > self.byte {
            self.line += self.text[self.byte..offset]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.byte = offset;
        }
        self.line
    }
}

/// Where the refused lines of job `job` are kept.
pub fn rejected_key(job: Uuid) -> String {
    format!("imports/{job}-rejected.csv")
}

/// The plans by folded name, and today on the organisation's calendar.
async fn context(tx: &mut PgConnection) -> ApiResult<Context> {
    let today = settings::today(&mut *tx).await?;
    let mut plans: HashMap<String, Vec<_>> = HashMap::new();
    for plan in loaf_domain::memberships::plans::all(&mut *tx).await? {
        plans
            .entry(fold(&plan.name))
            .or_default()
            .push((plan.id, plan.cycle(), plan.name));
    }
    Ok(Context { plans, today })
}

/// Saves the refused lines as a CSV file: the file's header and an
/// `error` column, each line as the file had it (not neutralised: they
/// are the admin's own cells, going back to them to fix and upload again;
/// a leading `'` would corrupt a phone number such as `+44…`).
async fn save_rejected(
    state: &AppState,
    job: Uuid,
    header: &csv::StringRecord,
    rejected: &mut [(u64, Vec<String>, String)],
) -> ApiResult<()> {
    rejected.sort_by_key(|(line, _, _)| *line);
    let mut columns: Vec<&str> = header.iter().collect();
    columns.push("error");
    let mut csv = CsvUpload::new(&state.storage, rejected_key(job), &columns);
    for (_, cells, why) in rejected.iter() {
        let mut row: Vec<&str> = cells.iter().map(String::as_str).collect();
        row.resize(header.len(), "");
        row.push(why);
        csv.row_as_given(row).await?;
    }
    csv.finish().await?;
    Ok(())
}

/// Runs the import of `bytes` for job `job` inside `tx`. The caller commits
/// (or, for a dry run, rolls back).
pub async fn run(
    state: &AppState,
    tx: &mut PgConnection,
    job: Uuid,
    actor: Uuid,
    bytes: &[u8],
    opts: Options,
) -> ApiResult<Outcome> {
    let text = match decode(bytes) {
        Ok(text) => text,
        Err(e) => return Ok(Outcome::unreadable(e)),
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(text))
        .flexible(true)
        .from_reader(text.as_bytes());
    let header = reader.headers().cloned().unwrap_or_default();
    if rows::is_blank(&header) {
        return Ok(Outcome::unreadable(file_error(
            "empty_file",
            "The file is empty.",
        )));
    }
    let cols = match Columns::from_header(header.iter()) {
        Ok(cols) => cols,
        Err(e) => {
            return Ok(Outcome::unreadable(RowError {
                line: 1,
                column: e.column,
                code: "missing_column",
                message: e.message,
            }))
        }
    };
    let member_role = roles::id_of(&mut *tx, "member")
        .await?
        .ok_or(sqlx::Error::RowNotFound)?; // the migrations seed it
    let ctx = context(tx).await?;
    let mut batch = Batch {
        state,
        job,
        actor,
        member_role,
        opts,
        rows: Vec::with_capacity(BATCH),
    };
    let mut out = Outcome {
        ignored_columns: cols.ignored.clone(),
        ..Outcome::default()
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut record = csv::StringRecord::new();
    let mut lines = LineCounter::new(text);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.at(p.byte()));
                out.total += 1;
                out.note(
                    vec![RowError {
                        line,
                        column: None,
                        code: "malformed",
                        message: e.to_string(),
                    }],
                    Vec::new(),
                );
                continue;
            }
        }
        if rows::is_blank(&record) {
            continue;
        }
        out.total += 1;
        if out.total as u64 > MAX_ROWS {
            return Ok(Outcome::unreadable(file_error(
                "too_many_rows",
                format!(
                    "The file has more than {MAX_ROWS} members: split it and import each part."
                ),
            )));
        }
        let line = record.position().map_or(0, |p| lines.at(p.byte()));
        match rows::parse(line, &cols, &ctx, &record) {
            Err(errs) => out.note(errs, record.iter().map(str::to_string).collect()),
            Ok(row) => match seen.get(&row.email) {
                Some(first) => out.note(
                    vec![RowError {
                        line,
                        column: Some(cols.header(super::columns::Field::Email)),
                        code: "duplicate_in_file",
                        message: format!("{} is also on line {first}.", row.email),
                    }],
                    row.cells,
                ),
                None => {
                    seen.insert(row.email.clone(), line);
                    batch.rows.push(row);
                }
            },
        }
        if batch.rows.len() == BATCH {
            batch.flush(tx, &mut out, &cols).await?;
        }
    }
    batch.flush(tx, &mut out, &cols).await?;
    if out.total == 0 {
        return Ok(Outcome::unreadable(file_error(
            "empty_file",
            "The file has a header but no members.",
        )));
    }
    out.errors.sort_by_key(|e| e.line);
    if !out.rejected.is_empty() {
        let mut rejected = std::mem::take(&mut out.rejected);
        save_rejected(state, job, &header, &mut rejected).await?;
    }
    Ok(out)
}

struct Batch<'a> {
    state: &'a AppState,
    job: Uuid,
    actor: Uuid,
    member_role: Uuid,
    opts: Options,
    rows: Vec<ImportRow>,
}

impl Batch<'_> {
    /// Reports the batch's rows that match existing accounts, inserts the
    /// others (unless a dry run) and writes progress.
    async fn flush(
        &mut self,
        tx: &mut PgConnection,
        out: &mut Outcome,
        cols: &Columns,
    ) -> ApiResult<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        let emails: Vec<&str> = rows.iter().map(|r| r.email.as_str()).collect();
        let existing = imports::existing_emails(&mut *tx, &emails).await?;
        let email_column = cols.header(super::columns::Field::Email);
        let already = |row: &ImportRow| RowError {
            line: row.line,
            column: Some(email_column.clone()),
            code: "already_member",
            message: format!("{} already has an account.", row.email),
        };
        let (fresh, known): (Vec<ImportRow>, Vec<ImportRow>) =
            rows.into_iter().partition(|r| !existing.contains(&r.email));
        for row in known {
            out.note(vec![already(&row)], row.cells);
        }
        if self.opts.dry_run {
            out.successful += fresh.len() as i32;
        } else {
            let inserted = self.insert(tx, &fresh).await?;
            let landed: HashSet<&str> = inserted.iter().map(|(_, e, _)| e.as_str()).collect();
            let raced: Vec<&ImportRow> = fresh
                .iter()
                .filter(|r| !landed.contains(r.email.as_str()))
                .collect();
            for row in raced {
                // Registered between the check and the insert.
                out.note(vec![already(row)], row.cells.clone());
            }
            out.successful += inserted.len() as i32;
            if self.opts.send_invitations {
                out.invitations_sent += self.invite(tx, &inserted).await? as i32;
            }
        }
        imports::progress(
            &self.state.db,
            self.job,
            out.total,
            out.successful,
            out.failed,
        )
        .await?;
        Ok(())
    }

    /// Inserts the rows as members; answers (id, email, first name) of each
    /// inserted one.
    async fn insert(
        &self,
        tx: &mut PgConnection,
        rows: &[ImportRow],
    ) -> ApiResult<Vec<(Uuid, String, String)>> {
        let mut c = NewMembers::default();
        for r in rows {
            c.email.push(r.email.clone());
            c.first_name.push(r.first_name.clone());
            c.last_name.push(r.last_name.clone());
            c.phone.push(r.phone.clone());
            c.address.push(r.address.clone());
            c.city.push(r.city.clone());
            c.state.push(r.state.clone());
            c.zipcode.push(r.zipcode.clone());
            c.date_of_birth.push(r.date_of_birth);
            c.member_since.push(r.member_since);
            c.status.push(r.status);
            c.newsletter.push(r.newsletter);
        }
        let inserted =
            imports::insert_members(tx, &c, self.member_role, self.actor, self.job).await?;
        self.insert_periods(tx, rows, &inserted).await?;
        Ok(inserted)
    }

    /// The subscription of each inserted member whose line gave a period:
    /// method `imported`, no amount (the money was counted before this
    /// platform), its local days turned into instants on the
    /// organisation's calendar; `active` while it runs, then `expired`
    /// (`cancelled` for a `canceled` member), so the daily job ends it and
    /// the renewal reminders follow it like any other.
    async fn insert_periods(
        &self,
        tx: &mut PgConnection,
        rows: &[ImportRow],
        inserted: &[(Uuid, String, String)],
    ) -> ApiResult<()> {
        let periods: HashMap<&str, rows::Period> = rows
            .iter()
            .filter_map(|r| r.membership.map(|p| (r.email.as_str(), p)))
            .collect();
        let (mut users, mut plans, mut starts, mut ends) = (vec![], vec![], vec![], vec![]);
        for (id, email, _) in inserted {
            if let Some(p) = periods.get(email.as_str()) {
                users.push(*id);
                plans.push(p.plan_id);
                starts.push(p.starts_on);
                ends.push(p.ends_before);
            }
        }
        if users.is_empty() {
            return Ok(());
        }
        imports::insert_periods(tx, &users, &plans, &starts, &ends, self.job).await?;
        Ok(())
    }

    /// A password link for each imported member, and its email.
    async fn invite(
        &self,
        tx: &mut PgConnection,
        members: &[(Uuid, String, String)],
    ) -> ApiResult<usize> {
        let ttl = self.state.config.auth.invitation_ttl;
        let expires_at: DateTime<Utc> = Utc::now()
            + chrono::Duration::from_std(ttl).map_err(|e| ApiError::Internal(e.into()))?;
        let mut hashes = Vec::with_capacity(members.len());
        let mut mails = Vec::with_capacity(members.len());
        for (_, email, first_name) in members {
            let (token, hash) = secret_token::generate();
            hashes.push(hash);
            mails.push((
                email.clone(),
                Mail::AccountReady {
                    first_name: first_name.clone(),
                    token,
                    expires_at,
                },
            ));
        }
        let ids: Vec<Uuid> = members.iter().map(|(id, _, _)| *id).collect();
        imports::insert_password_links(tx, &ids, &hashes, expires_at).await?;
        outbox::enqueue_many(tx, &self.state.config.email, &mails).await?;
        Ok(members.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_must_be_utf8_and_says_which_line_is_not() {
        assert_eq!(decode(b"\xEF\xBB\xBFemail\n").unwrap(), "email\n");
        let err = decode(b"email,name\nx@example.org,Zo\xEB Smith\n").unwrap_err();
        assert_eq!((err.line, err.code), (2, "wrong_encoding"));
        let err = decode(b"\xFF\xFEe\0m\0").unwrap_err();
        assert!(err.message.contains("UTF-16"));
    }

    #[test]
    fn lines_are_counted_whatever_the_line_ends() {
        let text = "a\r\nb\r\n\"c\nc\"\r\nd\n";
        let mut lines = LineCounter::new(text);
        assert_eq!(lines.at(0), 1);
        assert_eq!(lines.at(3), 2);
        assert_eq!(
            lines.at(5),
            3,
            "the \\n of a \\r\\n belongs to the line before"
        );
        assert_eq!(lines.at(13), 5);
    }

    #[test]
    fn the_delimiter_is_read_from_the_header() {
        assert_eq!(delimiter("email,first_name,last_name\n"), b',');
        assert_eq!(delimiter("email;prénom;nom\n"), b';');
        assert_eq!(delimiter("email\tname\n"), b'\t');
        assert_eq!(delimiter("email\n"), b',');
    }
}
