//! The two ways the migrate Lambda is invoked, told apart by shape:
//!
//! - **Directly** (`aws lambda invoke`), with `{}` or
//!   `{"superadmin": {"email", "password", "first_name", "last_name"}}`: the
//!   answer is the run's JSON summary, or an error.
//! - **As a CloudFormation custom resource** (`RequestType`, `ResponseURL`,
//!   ...): Create and Update migrate, Delete succeeds without touching data.
//!   The outcome is PUT to `ResponseURL` whatever happens, failures
//!   included (the function's own start-up among them), so a stack never
//!   waits an hour for an answer.
//!
//! **Rollbacks.** When a deploy fails, CloudFormation rolls the stack back
//! and sends this resource an Update carrying the *previous* properties:
//! its `MigrateVersion` (the migrate function version that ran before) is
//! older than the one in `OldResourceProperties`. Migrating then would run
//! the failing migration again, or hand an older binary migrations it does
//! not know, and leave the stack in `UPDATE_ROLLBACK_FAILED`. So such an
//! Update answers SUCCESS without touching the database: migrations only
//! add, and whatever the newer ones applied stays for the next deploy.

use crate::{NewAdmin, Summary};
use loaf_core::config::AppRoleConfig;
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::migrate::Migrator;
use sqlx::PgPool;
use std::time::Duration;

/// The physical id of the custom resource: one per stack, never changing,
/// so an Update never makes CloudFormation delete the "old" resource.
const PHYSICAL_ID: &str = "loaf-database-migrations";

/// CloudFormation's custom resource request.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CfnRequest {
    request_type: String,
    #[serde(rename = "ResponseURL")]
    response_url: String,
    stack_id: String,
    request_id: String,
    logical_resource_id: String,
    physical_resource_id: Option<String>,
    #[serde(default)]
    resource_properties: Value,
    #[serde(default)]
    old_resource_properties: Value,
}

impl CfnRequest {
    /// `true` for the Update of a rollback: the migrate version it carries
    /// is older than the one it replaces.
    fn is_rollback(&self) -> bool {
        let version = |props: &Value| props.get("MigrateVersion").and_then(function_version);
        self.request_type == "Update"
            && matches!(
                (version(&self.resource_properties), version(&self.old_resource_properties)),
                (Some(new), Some(old)) if new < old
            )
    }
}

/// The number of a Lambda function version: the last part of the version's
/// ARN (`arn:aws:lambda:…:function:name:7`), or the number itself.
fn function_version(value: &Value) -> Option<u64> {
    match value {
        Value::String(s) => s.rsplit(':').next()?.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// A direct invocation's input.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectRequest {
    superadmin: Option<NewAdmin>,
}

/// Why an invocation failed (the Lambda reports it as a function error).
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("unrecognised input: {0}")]
    BadInput(String),
    #[error(transparent)]
    Run(#[from] crate::Error),
    #[error("the migration did not finish within {0:?}")]
    TimedOut(Duration),
    #[error("could not deliver the result to CloudFormation: {0}")]
    Respond(String),
    #[error("the migrate function could not start: {0}")]
    Init(String),
}

/// Answers an invocation when the function's own start-up failed (a secret
/// that cannot be read, a malformed variable): CloudFormation gets FAILED
/// with the reason at once instead of waiting out its timeout; a direct
/// invocation gets the error.
pub async fn fail_init(
    http: &reqwest::Client,
    payload: Value,
    reason: &str,
) -> Result<Value, InvokeError> {
    let error = InvokeError::Init(reason.to_string());
    match cfn_request(&payload) {
        Some(request) => {
            let request = request?;
            let body = response_body(&request, Err(error.to_string()));
            respond(http, &request.response_url, &body).await?;
            tracing::error!(%reason, "start-up failed; FAILED sent to CloudFormation");
            Ok(body)
        }
        None => Err(error),
    }
}

/// The CloudFormation request `payload` is, if it is one.
fn cfn_request(payload: &Value) -> Option<Result<CfnRequest, InvokeError>> {
    (payload.get("RequestType").is_some() && payload.get("ResponseURL").is_some()).then(|| {
        serde_json::from_value(payload.clone())
            .map_err(|e| InvokeError::BadInput(format!("CloudFormation request: {e}")))
    })
}

/// What a run works on: the database, the migrations, and the application
/// role to keep (if any).
pub struct Target<'a> {
    pub pool: &'a PgPool,
    pub migrator: &'a Migrator,
    pub app_role: Option<&'a AppRoleConfig>,
}

/// Handles one invocation. `budget` is the time left before the Lambda is
/// killed, less a margin: the work is abandoned when it runs out, so a
/// CloudFormation answer can still be sent.
pub async fn handle(
    target: &Target<'_>,
    http: &reqwest::Client,
    payload: Value,
    budget: Duration,
) -> Result<Value, InvokeError> {
    if let Some(request) = cfn_request(&payload) {
        return handle_cfn(target, http, request?, budget).await;
    }
    let request: DirectRequest = if payload.is_null() {
        DirectRequest::default()
    } else {
        serde_json::from_value(payload).map_err(|e| InvokeError::BadInput(e.to_string()))?
    };
    let summary = run_within(target, request.superadmin.as_ref(), budget).await?;
    Ok(serde_json::to_value(summary).unwrap_or(Value::Null))
}

async fn run_within(
    target: &Target<'_>,
    bootstrap: Option<&NewAdmin>,
    budget: Duration,
) -> Result<Summary, InvokeError> {
    let run = crate::run(target.pool, target.migrator, bootstrap, target.app_role);
    tokio::time::timeout(budget, run)
        .await
        .map_err(|_| InvokeError::TimedOut(budget))?
        .map_err(InvokeError::Run)
}

async fn handle_cfn(
    target: &Target<'_>,
    http: &reqwest::Client,
    request: CfnRequest,
    budget: Duration,
) -> Result<Value, InvokeError> {
    tracing::info!(request_type = %request.request_type, stack = %request.stack_id, "custom resource request");
    let outcome: Result<Value, String> = match request.request_type.as_str() {
        // Deleting the stack (or replacing this resource) must never touch data.
        "Delete" => Ok(json!({})),
        "Update" if request.is_rollback() => {
            tracing::info!("rollback to an older migrate version: the database is left as it is");
            Ok(json!({"AppliedMigrations": "", "RolledBack": "true"}))
        }
        "Create" | "Update" => run_within(target, None, budget)
            .await
            .map(|s| {
                let applied: Vec<String> =
                    s.applied.iter().map(|a| a.version.to_string()).collect();
                json!({
                    "AppliedMigrations": applied.join(","),
                    "BaselineAdopted": s.baseline_adopted.to_string(),
                    "Permissions": s.counts.permissions.to_string(),
                    "Roles": s.counts.roles.to_string(),
                })
            })
            .map_err(|e| e.to_string()),
        other => Err(format!("unknown RequestType {other:?}")),
    };
    if let Err(message) = &outcome {
        tracing::error!(%message, "custom resource failed; FAILED sent to CloudFormation");
    }
    let body = response_body(&request, outcome);
    respond(http, &request.response_url, &body).await?;
    Ok(body)
}

/// The answer CloudFormation expects for `request`.
fn response_body(request: &CfnRequest, outcome: Result<Value, String>) -> Value {
    let (status, reason, data) = match outcome {
        Ok(data) => ("SUCCESS", "OK".to_string(), data),
        Err(message) => ("FAILED", message, json!({})),
    };
    json!({
        "Status": status,
        // CloudFormation caps the whole response at 4 KiB.
        "Reason": truncate(&reason, 1000),
        "PhysicalResourceId": request.physical_resource_id.clone().unwrap_or_else(|| PHYSICAL_ID.into()),
        "StackId": request.stack_id,
        "RequestId": request.request_id,
        "LogicalResourceId": request.logical_resource_id,
        "NoEcho": false,
        "Data": data,
    })
}

/// PUTs the response to the presigned S3 URL CloudFormation gave, retrying
/// briefly: a lost answer leaves the stack waiting for its timeout.
async fn respond(http: &reqwest::Client, url: &str, body: &Value) -> Result<(), InvokeError> {
    let bytes = serde_json::to_vec(body).map_err(|e| InvokeError::Respond(e.to_string()))?;
    let mut last = String::new();
    for attempt in 0..3u64 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500 * attempt)).await;
        }
        // The URL is presigned without a content type: an empty one is
        // what CloudFormation's own helper sends.
        match http
            .put(url)
            .header("content-type", "")
            .body(bytes.clone())
            .timeout(Duration::from_secs(10))
            .send()
            .await
        {
            Ok(res) if res.status().is_success() => return Ok(()),
            Ok(res) => last = format!("HTTP {}", res.status()),
            Err(e) => last = e.to_string(),
        }
    }
    Err(InvokeError::Respond(last))
}

fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}
