//! Running an import: the file read from S3 and decoded, checked line by
//! line, duplicates found (in the file and among existing accounts), good
//! rows inserted in batches. Everything a run writes, the job's report
//! included, is one transaction: an interrupted import leaves no member
//! half-imported and can simply be started again. Progress is written
//! beside it, so an admin polling the job sees the run advance.

use super::columns::Columns;
use super::rows::{self, ImportRow, RowError};
use chrono::{DateTime, Utc};
use loaf_domain::auth::secret_token;
use loaf_domain::email::{outbox, Mail};
use loaf_domain::enums::ImportJobStatus;
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
}

impl Outcome {
    fn note(&mut self, mut errs: Vec<RowError>) {
        self.failed += 1;
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
    let cols = match reader.headers() {
        Ok(h) if !rows::is_blank(h) => match Columns::from_header(h.iter()) {
            Ok(cols) => cols,
            Err(e) => {
                return Ok(Outcome::unreadable(RowError {
                    line: 1,
                    column: e.column,
                    code: "missing_column",
                    message: e.message,
                }))
            }
        },
        _ => {
            return Ok(Outcome::unreadable(file_error(
                "empty_file",
                "The file is empty.",
            )))
        }
    };
    let member_role: Uuid = sqlx::query_scalar!("SELECT id FROM roles WHERE code = 'member'",)
        .fetch_one(&mut *tx)
        .await?;
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
                out.note(vec![RowError {
                    line,
                    column: None,
                    code: "malformed",
                    message: e.to_string(),
                }]);
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
        match rows::parse(line, &cols, &record) {
            Err(errs) => out.note(errs),
            Ok(row) => match seen.get(&row.email) {
                Some(first) => out.note(vec![RowError {
                    line,
                    column: Some(cols.header(super::columns::Field::Email)),
                    code: "duplicate_in_file",
                    message: format!("{} is also on line {first}.", row.email),
                }]),
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

/// The rows as column arrays, for one `unnest` insert.
#[derive(Default)]
struct ColumnArrays {
    email: Vec<String>,
    first_name: Vec<String>,
    last_name: Vec<String>,
    phone: Vec<Option<String>>,
    address: Vec<Option<String>>,
    city: Vec<Option<String>>,
    state: Vec<Option<String>>,
    zipcode: Vec<Option<String>>,
    date_of_birth: Vec<Option<chrono::NaiveDate>>,
    member_since: Vec<Option<chrono::NaiveDate>>,
    status: Vec<&'static str>,
    newsletter: Vec<bool>,
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
        let existing: HashSet<String> = sqlx::query_scalar!(
            "SELECT lower(email) AS \"email!\" FROM users WHERE lower(email) = ANY($1)",
            &emails as _,
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        let email_column = cols.header(super::columns::Field::Email);
        let already = |row: &ImportRow| RowError {
            line: row.line,
            column: Some(email_column.clone()),
            code: "already_member",
            message: format!("{} already has an account.", row.email),
        };
        let (fresh, known): (Vec<ImportRow>, Vec<ImportRow>) =
            rows.into_iter().partition(|r| !existing.contains(&r.email));
        for row in &known {
            out.note(vec![already(row)]);
        }
        if self.opts.dry_run {
            out.successful += fresh.len() as i32;
        } else {
            let inserted = self.insert(tx, &fresh).await?;
            let landed: HashSet<&str> = inserted.iter().map(|(_, e, _)| e.as_str()).collect();
            for row in fresh.iter().filter(|r| !landed.contains(r.email.as_str())) {
                // Registered between the check and the insert.
                out.note(vec![already(row)]);
            }
            out.successful += inserted.len() as i32;
            if self.opts.send_invitations {
                out.invitations_sent += self.invite(tx, &inserted).await? as i32;
            }
        }
        sqlx::query!(
            "UPDATE import_jobs SET total_rows = $2, processed_rows = $2, successful_rows = $3, \
             failed_rows = $4 WHERE id = $1",
            self.job,
            out.total,
            out.successful,
            out.failed,
        )
        .execute(&self.state.db)
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
        let mut c = ColumnArrays::default();
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
        // '!' is no password hash at all: nobody can sign in until they
        // choose a password through an emailed link.
        let inserted: Vec<(Uuid, String, String)> = sqlx::query!(
            "INSERT INTO users (email, password_hash, first_name, last_name, phone, address, city, state, \
                                zipcode, date_of_birth, member_since, status, newsletter_subscribed, role_id) \
             SELECT e, '!', f, l, p, a, c, s, z, d, m::timestamptz, st::userstatus, n, $13 \
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], \
                         $8::text[], $9::date[], $10::date[], $11::text[], $12::bool[]) \
                  AS t(e, f, l, p, a, c, s, z, d, m, st, n) \
             ON CONFLICT DO NOTHING RETURNING id, email, first_name",
            &c.email,
            &c.first_name,
            &c.last_name,
            &c.phone as _,
            &c.address as _,
            &c.city as _,
            &c.state as _,
            &c.zipcode as _,
            &c.date_of_birth as _,
            &c.member_since as _,
            &c.status as _,
            &c.newsletter,
            self.member_role,
        ).map(|r| (r.id, r.email, r.first_name))
        .fetch_all(&mut *tx)
        .await?;
        let ids: Vec<Uuid> = inserted.iter().map(|(id, _, _)| *id).collect();
        sqlx::query!(
            "INSERT INTO member_audit_log (user_id, actor_id, action, from_value, to_value, reason) \
             SELECT u.id, $2, 'status', NULL, u.status, 'Imported from a file (job ' || $3 || ')' \
             FROM users u WHERE u.id = ANY($1)",
            &ids,
            self.actor,
            self.job.to_string(),
        )
        .execute(&mut *tx)
        .await?;
        Ok(inserted)
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
        sqlx::query!(
            "INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at) \
             SELECT h, u, 'reset_password', $3 FROM unnest($1::bytea[], $2::uuid[]) AS t(h, u)",
            &hashes,
            &ids,
            expires_at,
        )
        .execute(&mut *tx)
        .await?;
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
