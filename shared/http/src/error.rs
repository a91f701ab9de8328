//! One error type for every route, and its single JSON shape on the wire:
//! `{"error": {"code": "...", "message": "...", "field": "..."}}`.
//!
//! Internal causes (SQL, S3, I/O) are logged with their full chain and never
//! sent: the client sees a stable code and a short human message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use schemars::JsonSchema;
use serde::Serialize;

pub use loaf_core::error_code::ErrorCode;
use loaf_core::storage::StorageError;
use loaf_domain::data_exports::LatestError;
use loaf_domain::email::suppressions::Reason;
use loaf_domain::erasure::{ErasureError, ErasureFilesError};
use loaf_domain::memberships::MembershipError;
use loaf_domain::payments::signature::SignatureError;
use loaf_domain::payments::PaymentError;
use loaf_domain::rate_limit::RateLimitError;
use loaf_domain::uploads::UploadError;
use loaf_domain::validate::FieldError;

/// An error a handler returns; `IntoResponse` turns it into the JSON form.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 422: a field of the request is invalid. `code` is machine-readable
    /// (`invalid`, `required`, `too_long`, ...).
    #[error("{field}: {message}")]
    Validation {
        field: String,
        code: ErrorCode,
        message: String,
    },
    /// 400: the request as a whole cannot be read (bad JSON, wrong content type).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 401: no valid credentials.
    #[error("unauthorized")]
    Unauthorized,
    /// 403: valid credentials without the permission the route demands.
    #[error("forbidden")]
    Forbidden,
    /// 404: the thing does not exist, or the caller may not know it exists.
    #[error("not found")]
    NotFound,
    /// 405: the path exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: the request conflicts with the current state (a duplicate, an
    /// illegal transition); `field` names the culprit when there is one.
    #[error("conflict: {message}")]
    Conflict {
        field: Option<String>,
        message: String,
    },
    /// 413: the body is larger than the route accepts.
    #[error("payload too large")]
    PayloadTooLarge,
    /// A refusal the client can act on, with its own status and stable code:
    /// an unverified account signing in (403 `email_not_verified`), a used
    /// link (410 `token_used`), ... The message says what to do next.
    #[error("{code}: {message}")]
    Refused {
        status: StatusCode,
        code: ErrorCode,
        message: String,
    },
    /// 429: too many attempts; the client may retry after this many seconds
    /// (also sent as `Retry-After`).
    #[error("too many requests, retry after {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    /// 503: a dependency (the database, S3) is unreachable; retrying later helps.
    #[error("service unavailable: {0}")]
    Unavailable(#[source] anyhow::Error),
    /// 500: anything else. Logged in full, shown as a generic message.
    #[error("internal error: {0}")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// A 422 naming `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation {
            field: field.into(),
            code: ErrorCode::Invalid,
            message: message.into(),
        }
    }

    /// A 422 `required` naming `field`.
    pub fn required(field: impl Into<String>) -> Self {
        let field = field.into();
        ApiError::Validation {
            message: format!("{field} is required"),
            field,
            code: ErrorCode::Required,
        }
    }

    /// A 409 `address_unreachable`: mail to the address would not be sent
    /// (`loaf_domain::email::suppressions`), so a link asked for now would
    /// never arrive.
    pub fn unreachable(reason: Reason) -> Self {
        ApiError::refused(
            StatusCode::CONFLICT,
            ErrorCode::AddressUnreachable,
            match reason {
                Reason::Bounce => "Mail to this address bounced: its mailbox does not exist. Ask the organisation to set another address on your account.",
                Reason::Complaint => "This address reported our mail as spam, so we no longer write to it. Ask the organisation to mail it again.",
            },
        )
    }

    /// A 409 naming `field`.
    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Conflict {
            field: Some(field.into()),
            message: message.into(),
        }
    }

    /// A refusal with its own status and code (see [`ApiError::Refused`]).
    pub fn refused(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError::Refused {
            status,
            code,
            message: message.into(),
        }
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Refused { status, .. } => *status,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable code and the human message the client would receive.
    pub fn code_and_message(&self) -> (ErrorCode, String) {
        let body = self.body();
        (body.error.code, body.error.message)
    }

    fn body(&self) -> ErrorBody<'_> {
        let (code, message, field): (ErrorCode, String, Option<&str>) = match self {
            ApiError::Validation {
                field,
                code,
                message,
            } => (*code, message.clone(), Some(field)),
            ApiError::BadRequest(message) => (ErrorCode::BadRequest, message.clone(), None),
            ApiError::Unauthorized => (
                ErrorCode::Unauthorized,
                "Sign in to continue: the access token is missing, invalid or expired.".into(),
                None,
            ),
            ApiError::Forbidden => (
                ErrorCode::Forbidden,
                "You do not have permission to do this.".into(),
                None,
            ),
            ApiError::NotFound => (ErrorCode::NotFound, "Not found.".into(), None),
            ApiError::MethodNotAllowed => (
                ErrorCode::MethodNotAllowed,
                "This path does not accept this method.".into(),
                None,
            ),
            ApiError::Conflict { field, message } => {
                (ErrorCode::Conflict, message.clone(), field.as_deref())
            }
            ApiError::PayloadTooLarge => (
                ErrorCode::PayloadTooLarge,
                "The request body is too large.".into(),
                None,
            ),
            ApiError::Refused { code, message, .. } => (*code, message.clone(), None),
            ApiError::TooManyRequests { retry_after_secs } => (
                ErrorCode::TooManyAttempts,
                format!("Too many attempts: wait {retry_after_secs} seconds, then try again."),
                None,
            ),
            ApiError::Unavailable(_) => (
                ErrorCode::ServiceUnavailable,
                "The service is temporarily unavailable; please try again shortly.".into(),
                None,
            ),
            ApiError::Internal(_) => (
                ErrorCode::InternalError,
                "Something went wrong on our side; it has been logged.".into(),
                None,
            ),
        };
        ErrorBody {
            error: ErrorDetail {
                code,
                message,
                field,
            },
        }
    }
}

/// Every error answer: `{"error": {"code", "message", "field"?}}`.
#[derive(Serialize, JsonSchema)]
#[schemars(rename = "Error")]
pub(crate) struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}

#[derive(Serialize, JsonSchema)]
struct ErrorDetail<'a> {
    code: ErrorCode,
    /// For people.
    message: String,
    /// The offending field, when one is to blame (`address.city`).
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(cause) => tracing::error!(error = ?cause, "request failed"),
            ApiError::Unavailable(cause) => {
                tracing::warn!(error = ?cause, "dependency unavailable")
            }
            _ => {}
        }
        let mut res = (self.status(), axum::Json(self.body())).into_response();
        if let ApiError::TooManyRequests { retry_after_secs } = self {
            res.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_secs),
            );
        }
        res
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            // No `RowNotFound => 404`: a statement that may find nothing is
            // read with `fetch_optional` and its handler answers 404 itself;
            // `fetch_one` finding nothing is a bug, answered 500 and logged.
            // The pool could not hand out a connection in time, or the
            // server went away: the database is down or overloaded, which
            // the client should retry rather than report as a bug.
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
                ApiError::Unavailable(err.into())
            }
            sqlx::Error::Database(ref db)
                if matches!(
                    db.code().as_deref(),
                    // admin_shutdown (the server is restarting), a statement
                    // cancelled by statement_timeout, a lock not granted,
                    // too many connections, the server starting up; or the
                    // credentials refused (a rotation not yet caught up).
                    Some("57P01" | "57014" | "55P03" | "53300" | "57P03")
                ) || loaf_core::db::is_authentication_failure(&err) =>
            {
                ApiError::Unavailable(err.into())
            }
            // Text PostgreSQL cannot store (NUL from a path or header the
            // extractors do not see): the request's fault, not ours.
            sqlx::Error::Database(ref db)
                if matches!(db.code().as_deref(), Some("22021" | "22P05")) =>
            {
                ApiError::BadRequest("The request holds text that cannot be stored.".into())
            }
            sqlx::Error::Database(ref db) if db.is_unique_violation() => {
                match db.constraint().and_then(unique_constraint_field) {
                    Some(field) => {
                        ApiError::conflict(field, format!("This {field} is already in use."))
                    }
                    None => ApiError::Internal(err.into()),
                }
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

/// Maps a unique constraint or index of the schema to the request field it
/// guards, so a race that slips past a handler's own check still names the
/// field instead of answering 500.
fn unique_constraint_field(constraint: &str) -> Option<&'static str> {
    match constraint {
        "users_email_key" | "ix_users_email_lower" | "ix_user_invitations_pending_email" => {
            Some("email")
        }
        "roles_code_key" => Some("code"),
        _ => None,
    }
}

impl From<anyhow::Error> for ApiError {
    fn from(err: anyhow::Error) -> Self {
        ApiError::Internal(err)
    }
}

/// The domain's errors, each turned into an answer here and nowhere else.
impl From<FieldError> for ApiError {
    fn from(err: FieldError) -> Self {
        ApiError::Validation {
            field: err.field,
            code: err.code,
            message: err.message,
        }
    }
}

impl From<RateLimitError> for ApiError {
    fn from(err: RateLimitError) -> Self {
        match err {
            RateLimitError::Limited(retry_after_secs) => {
                ApiError::TooManyRequests { retry_after_secs }
            }
            RateLimitError::Database(e) => e.into(),
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::Unavailable(e) => ApiError::Unavailable(e),
            StorageError::Failed(e) => ApiError::Internal(e),
            StorageError::Changed => ApiError::refused(
                StatusCode::CONFLICT,
                ErrorCode::UploadChanged,
                "The file changed while it was being checked: upload it again.",
            ),
        }
    }
}

impl From<UploadError> for ApiError {
    fn from(err: UploadError) -> Self {
        let mib = |b: i64| b as f64 / (1024.0 * 1024.0);
        match err {
            UploadError::Invalid(e) => e.into(),
            UploadError::QuotaExceeded { used, size, max } => ApiError::refused(
                StatusCode::CONFLICT,
                ErrorCode::QuotaExceeded,
                format!(
                    "Storage is full: {:.1} MiB used of {:.1} MiB, and this file needs {:.1} MiB. Delete files or raise the quota.",
                    mib(used),
                    mib(max),
                    mib(size)
                ),
            ),
            UploadError::NotUploaded => ApiError::refused(
                StatusCode::CONFLICT,
                ErrorCode::UploadMissing,
                "The file has not been uploaded yet: PUT it to the upload URL first.",
            ),
            UploadError::Storage(e) => e.into(),
            UploadError::Database(e) => e.into(),
        }
    }
}

impl From<MembershipError> for ApiError {
    fn from(err: MembershipError) -> Self {
        match err {
            MembershipError::UnknownPlan => ApiError::invalid("plan_id", "No plan has this id."),
            MembershipError::PlanRetired => ApiError::refused(
                StatusCode::CONFLICT,
                ErrorCode::PlanRetired,
                "This plan is retired and takes no new payments: choose an active plan.",
            ),
            MembershipError::Amount { field, message } => ApiError::invalid(field, message),
            MembershipError::Database(e) => e.into(),
        }
    }
}

impl From<ErasureError> for ApiError {
    fn from(err: ErasureError) -> Self {
        match err {
            ErasureError::NotFound => ApiError::NotFound,
            ErasureError::AlreadyErased => ApiError::refused(
                StatusCode::CONFLICT,
                ErrorCode::AlreadyErased,
                "This account is erased already.",
            ),
            ErasureError::LastSuperadmin => ApiError::refused(
                StatusCode::CONFLICT,
                ErrorCode::LastSuperadmin,
                "This is the last superadmin who can sign in: make another superadmin before erasing this account.",
            ),
            ErasureError::Db(e) => e.into(),
        }
    }
}

impl From<LatestError> for ApiError {
    fn from(err: LatestError) -> Self {
        match err {
            LatestError::Db(e) => e.into(),
            LatestError::Storage(e) => e.into(),
        }
    }
}

impl From<ErasureFilesError> for ApiError {
    fn from(err: ErasureFilesError) -> Self {
        match err {
            ErasureFilesError::Db(e) => e.into(),
            ErasureFilesError::Storage(e) => e.into(),
        }
    }
}

impl From<PaymentError> for ApiError {
    fn from(err: PaymentError) -> Self {
        let conflict =
            |code, message: String| ApiError::refused(StatusCode::CONFLICT, code, message);
        match err {
            PaymentError::Unavailable => ApiError::refused(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::PaymentsUnavailable,
                "Online payment is not available: contact the organisation to pay or give another way.",
            ),
            PaymentError::Provider => ApiError::refused(
                StatusCode::BAD_GATEWAY,
                ErrorCode::PaymentProviderError,
                "The payment provider could not start the checkout; nothing was charged. Try again in a moment.",
            ),
            PaymentError::RefundFailed => ApiError::refused(
                StatusCode::BAD_GATEWAY,
                ErrorCode::PaymentProviderError,
                "The payment provider did not make the refund; nothing was refunded. Try again in a moment, or look at the payment in the provider's dashboard.",
            ),
            PaymentError::OfflineUnavailable => conflict(
                ErrorCode::OfflineUnavailable,
                "The organisation takes no bank transfers or cheques through this site: pay online, or ask them.".into(),
            ),
            PaymentError::NotPending => conflict(
                ErrorCode::NotPending,
                "This payment was confirmed or cancelled already.".into(),
            ),
            PaymentError::NothingToRefund => conflict(
                ErrorCode::NothingToRefund,
                "This payment is refunded in full already, or was of no amount.".into(),
            ),
            PaymentError::Signature(SignatureError::Stale) => ApiError::refused(
                StatusCode::BAD_REQUEST,
                ErrorCode::StaleSignature,
                "The signature's timestamp is more than five minutes away from now.",
            ),
            PaymentError::Signature(SignatureError::Malformed | SignatureError::Mismatch) => {
                ApiError::refused(
                    StatusCode::BAD_REQUEST,
                    ErrorCode::InvalidSignature,
                    "The Stripe-Signature header does not sign this body with our secret.",
                )
            }
            PaymentError::NotAnEvent(e) => ApiError::BadRequest(format!("not a provider event: {e}")),
            PaymentError::NotValidated => conflict(
                ErrorCode::NotValidated,
                "Your application has not been validated yet: you can pay once it is.".into(),
            ),
            PaymentError::NotPayable(status) => conflict(
                ErrorCode::NotPayable,
                format!("An account in status {} cannot pay a membership.", status.as_str()),
            ),
            PaymentError::AlreadyLifetime => conflict(
                ErrorCode::AlreadyLifetime,
                "You hold a lifetime membership: there is nothing to renew.".into(),
            ),
            PaymentError::Invalid { field, message } => ApiError::invalid(field, message),
            PaymentError::Required(field) => ApiError::required(field),
            PaymentError::TooMany { retry_after_secs } => {
                ApiError::TooManyRequests { retry_after_secs }
            }
            PaymentError::Membership(e) => e.into(),
            PaymentError::Database(e) => e.into(),
        }
    }
}

/// The result type of handlers and domain functions.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(err: ApiError) -> (StatusCode, serde_json::Value) {
        let res = err.into_response();
        let status = res.status();
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    #[tokio::test]
    async fn validation_error_names_the_field() {
        let (status, body) = body_of(ApiError::invalid("email", "Enter a valid email.")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["code"], "invalid");
        assert_eq!(body["error"]["field"], "email");
        assert_eq!(body["error"]["message"], "Enter a valid email.");
    }

    #[tokio::test]
    async fn internal_error_hides_its_cause() {
        let cause = anyhow::anyhow!("relation \"users\" does not exist at character 15");
        let (status, body) = body_of(ApiError::Internal(cause)).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "internal_error");
        let text = body.to_string();
        assert!(!text.contains("relation"), "leaked: {text}");
        assert!(body["error"].get("field").is_none());
    }

    #[tokio::test]
    async fn pool_timeout_is_service_unavailable() {
        let (status, body) = body_of(sqlx::Error::PoolTimedOut.into()).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(body["error"]["code"], "service_unavailable");
    }

    #[tokio::test]
    async fn a_row_expected_and_missing_is_a_fault_not_a_404() {
        let (status, body) = body_of(sqlx::Error::RowNotFound.into()).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["error"]["code"], "internal_error");
    }
}
