//! A local stand-in for Amazon SES API v2 `SendEmail`, speaking its wire
//! format (restJson1: `POST /v2/email/outbound-emails`, errors named by the
//! `x-amzn-ErrorType` header), so the platform's real call is what the
//! tests exercise, signature checked. Point a process at it with
//! `AWS_ENDPOINT_URL_SESV2`, or take its [`Ses::transport`].

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use loaf_domain::email::transport::Transport;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// How the stand-in answers the next requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Accept,
    /// 503 `ServiceUnavailable`: an outage, worth retrying.
    Unavailable,
    /// 400 `MessageRejected`: the message itself is refused.
    Reject,
    /// The message is taken, but the answer is cut off (not JSON).
    AcceptGarbled,
}

#[derive(Default)]
struct Inner {
    mode: Option<Mode>,
    sent: Vec<Value>,
}

/// A running stand-in; every accepted request body is kept.
pub struct Ses {
    endpoint: String,
    inner: Arc<Mutex<Inner>>,
}

impl Ses {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/v2/email/outbound-emails", post(send_email))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SES stand-in");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ses { endpoint, inner }
    }

    /// The value for `AWS_ENDPOINT_URL_SESV2`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn set_mode(&self, mode: Mode) {
        self.inner.lock().unwrap().mode = Some(mode);
    }

    /// The `SendEmail` request bodies accepted so far.
    pub fn sent(&self) -> Vec<Value> {
        self.inner.lock().unwrap().sent.clone()
    }

    /// The mailer's SES transport, pointed at this stand-in and signing
    /// as it expects; `configuration_set` as `SES_CONFIGURATION_SET` gives.
    pub fn transport(&self, configuration_set: Option<&str>) -> Transport {
        Transport::Ses {
            client: loaf_core::aws::Client::new(
                "ses",
                "us-east-1",
                &self.endpoint,
                Some(crate::sigv4_check::credentials()),
            ),
            configuration_set: configuration_set.map(str::to_string),
        }
    }
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    (
        status,
        [
            ("x-amzn-errortype", kind),
            ("content-type", "application/json"),
        ],
        json!({"message": message}).to_string(),
    )
        .into_response()
}

async fn send_email(
    State(inner): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(why) = crate::sigv4_check::verify(&method, &uri, &headers, &body, "ses") {
        return error(StatusCode::FORBIDDEN, "SignatureDoesNotMatch", &why);
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "BadRequestException",
                &e.to_string(),
            )
        }
    };
    let simple = &request["Content"]["Simple"];
    if request["FromEmailAddress"].as_str().is_none()
        || request["Destination"]["ToAddresses"][0].as_str().is_none()
        || simple["Subject"]["Data"].as_str().is_none()
        || simple["Body"]["Text"]["Data"].as_str().is_none()
    {
        return error(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            "incomplete message",
        );
    }
    let mut inner = inner.lock().unwrap();
    match inner.mode.unwrap_or(Mode::Accept) {
        Mode::Unavailable => error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            "try later",
        ),
        Mode::Reject => error(
            StatusCode::BAD_REQUEST,
            "MessageRejected",
            "Email address is not verified.",
        ),
        Mode::Accept => {
            inner.sent.push(request);
            let id = format!("0100018f-{:08x}-stand-in", inner.sent.len());
            (StatusCode::OK, axum::Json(json!({"MessageId": id}))).into_response()
        }
        Mode::AcceptGarbled => {
            inner.sent.push(request);
            (StatusCode::OK, "{\"MessageId\": \"0100").into_response()
        }
    }
}
