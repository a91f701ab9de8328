//! CSV imports of existing members, for organisations moving from
//! spreadsheets. The admin creates a job and receives a presigned upload
//! URL, uploads the file straight to S3, then starts the job, as a preview
//! (`dry_run`) first if they like; the job reports every line it refused
//! with the line number, column and reason. Column names are matched
//! flexibly (see `columns`).

mod columns;
mod rows;
mod run;

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use loaf_core::storage::Presigned;
use loaf_domain::audit;
use loaf_domain::enums::ImportState;
use loaf_domain::imports::{self, Job, Report};
use loaf_domain::permissions::perm;
use loaf_domain::validate::text;
use loaf_http::auth::Require;
use loaf_http::csv_export::{self, ExportLink};
use loaf_http::extract::{Json, OptionalJson, Path};
use loaf_http::pagination::{Page, PageParams};
use loaf_http::reply;
use loaf_http::ErrorCode;
use loaf_http::{ApiError, ApiResult, AppState};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

/// How long the upload URL works.
const UPLOAD_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Job `id`; 404 otherwise.
async fn load(db: &sqlx::PgPool, id: Uuid) -> ApiResult<Job> {
    imports::find(db, id).await?.ok_or(ApiError::NotFound)
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewImport {
    filename: String,
    /// The file's exact size: signed into the upload URL.
    size_bytes: i64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Created {
    #[serde(flatten)]
    job: Job,
    /// PUT the file here with exactly these headers.
    upload: Presigned,
    upload_expires_at: DateTime<Utc>,
}

/// `POST /api/imports {filename, size_bytes}` → 201 with the upload URL.
pub async fn create(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::UsersImport>,
    Json(body): Json<NewImport>,
) -> ApiResult<reply::Created<Created>> {
    let filename = text("filename", &body.filename, 255)?;
    if !filename.to_lowercase().ends_with(".csv") {
        return Err(ApiError::invalid(
            "filename",
            "Import a .csv file (in a spreadsheet: Save as → CSV UTF-8).",
        ));
    }
    if !(1..=run::MAX_BYTES).contains(&body.size_bytes) {
        return Err(ApiError::invalid(
            "size_bytes",
            format!(
                "A file of 1 byte to {} MiB can be imported.",
                run::MAX_BYTES / (1024 * 1024)
            ),
        ));
    }
    let id = Uuid::new_v4();
    let key = format!("imports/{id}.csv");
    let upload = state
        .storage
        .presign_put(&key, "text/csv", body.size_bytes, UPLOAD_WINDOW)
        .await?;
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    imports::create(&mut tx, id, &filename, &key, body.size_bytes, user.id).await?;
    tx.commit().await?;
    let job = load(&state.db, id).await?;
    let upload_expires_at = Utc::now() + chrono::Duration::seconds(UPLOAD_WINDOW.as_secs() as i64);
    Ok(reply::Created(Created {
        job,
        upload,
        upload_expires_at,
    }))
}

/// `GET /api/imports`: the jobs, newest first.
pub async fn list(
    State(state): State<AppState>,
    _: Require<perm::UsersImport>,
    page: PageParams,
) -> ApiResult<Json<Page<Job>>> {
    let total = imports::count(&state.db).await?;
    let items = imports::list(&state.db, page.limit(), page.offset()).await?;
    Ok(Json(Page::new(items, page, total)))
}

/// `GET /api/imports/{id}/rejected`: a download link to the lines the
/// latest run (a preview or the real one) refused, as the file had them
/// with an `error` column; 404 when it refused none.
pub async fn rejected(
    State(state): State<AppState>,
    _: Require<perm::UsersImport>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<ExportLink>> {
    let job = load(&state.db, id).await?;
    let ran = matches!(
        job.status,
        ImportState::Completed | ImportState::Partial | ImportState::Failed
    );
    if !ran || job.failed_rows == 0 {
        return Err(ApiError::NotFound);
    }
    let name = job
        .filename
        .trim_end_matches(".csv")
        .trim_end_matches(".CSV");
    let link = csv_export::link(
        &state.storage,
        &run::rejected_key(id),
        &format!("{name}-rejected"),
        job.failed_rows as u64,
    )
    .await?;
    Ok(Json(link))
}

/// `GET /api/imports/{id}`: the job, its progress and its report.
pub async fn show(
    State(state): State<AppState>,
    _: Require<perm::UsersImport>,
    Path(id): Path<Uuid>,
) -> ApiResult<Json<Job>> {
    Ok(Json(load(&state.db, id).await?))
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Start {
    dry_run: bool,
    send_invitations: bool,
}

fn refused(code: ErrorCode, message: &str) -> ApiError {
    ApiError::refused(StatusCode::CONFLICT, code, message)
}

/// `POST /api/imports/{id}/start {dry_run, send_invitations}`: runs the
/// import and answers the finished job. A preview may be followed by the
/// real run of the same file; a real run is final.
pub async fn start(
    State(state): State<AppState>,
    Require { user, .. }: Require<perm::UsersImport>,
    Path(id): Path<Uuid>,
    // The body is optional: no body starts a real run without invitations.
    OptionalJson(opts): OptionalJson<Start>,
) -> ApiResult<Json<Job>> {
    let opts = run::Options {
        dry_run: opts.dry_run,
        send_invitations: opts.send_invitations,
    };
    if opts.dry_run && opts.send_invitations {
        return Err(ApiError::invalid(
            "send_invitations",
            "A preview sends no invitations.",
        ));
    }
    let key = claim(&state, id, user.id, opts).await?;
    let bytes = match state.storage.get_bytes(&key, run::MAX_BYTES).await {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            unclaim(&state, id).await;
            return Err(refused(
                ErrorCode::UploadMissing,
                "Upload the file to the job's upload URL first.",
            ));
        }
        Err(e) => {
            unclaim(&state, id).await;
            return Err(e.into());
        }
    };
    let mut tx = audit::begin_as(&state.db, user.id).await?;
    let outcome = match run::run(&state, &mut tx, id, user.id, &bytes, opts).await {
        Ok(outcome) => outcome,
        Err(e) => {
            drop(tx);
            unclaim(&state, id).await;
            return Err(e);
        }
    };
    // The report is written in the run's transaction; a preview then
    // rolls back everything but the report, which it writes on its own.
    let errors = serde_json::to_value(&outcome.errors).map_err(|e| ApiError::Internal(e.into()))?;
    let report = Report {
        status: outcome.status(),
        total: outcome.total,
        successful: outcome.successful,
        failed: outcome.failed,
        invitations_sent: outcome.invitations_sent,
        errors,
        ignored_columns: serde_json::json!(outcome.ignored_columns),
    };
    if opts.dry_run || outcome.unreadable {
        tx.rollback().await?;
        let mut report_tx = audit::begin_as(&state.db, user.id).await?;
        imports::finish(&mut report_tx, id, &report).await?;
        report_tx.commit().await?;
    } else {
        imports::finish(&mut tx, id, &report).await?;
        tx.commit().await?;
    }
    Ok(Json(load(&state.db, id).await?))
}

/// Marks the job as running, refusing a job that is running or finished.
/// Answers the file's key.
async fn claim(state: &AppState, id: Uuid, actor: Uuid, opts: run::Options) -> ApiResult<String> {
    let mut tx = audit::begin_as(&state.db, actor).await?;
    let job = imports::lock(&mut tx, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    if job.running {
        return Err(refused(
            ErrorCode::ImportRunning,
            "This import is running: follow its progress at GET /api/imports/{id}.",
        ));
    }
    if job.final_run {
        return Err(refused(
            ErrorCode::ImportFinished,
            "This import has run: create a new job to import another file.",
        ));
    }
    let key = job.file_key.ok_or(ApiError::NotFound)?;
    imports::start_run(&mut tx, id, opts.dry_run, opts.send_invitations).await?;
    tx.commit().await?;
    Ok(key)
}

/// Puts a job whose run could not begin back to not started, so the admin
/// can start it again at once. Best effort: a failure here only delays the
/// retry until the run counts as stale.
async fn unclaim(state: &AppState, id: Uuid) {
    let _ = imports::unclaim(&state.db, id).await;
}
