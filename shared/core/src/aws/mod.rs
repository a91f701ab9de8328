//! Calls to AWS (S3, SES, Secrets Manager) as plain HTTPS requests signed
//! with Signature Version 4 ([`sigv4`]). The AWS SDK would do the same
//! through several megabytes of generated code per service, which every
//! function paid for at each cold start in page faults and relocations; the
//! platform needs a dozen operations, written out in the modules that use
//! them (`storage`, `secrets`, the mailer).
//!
//! Credentials are the function's role's, which Lambda puts in the
//! environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
//! `AWS_SESSION_TOKEN`); the region is `AWS_REGION`. A service's endpoint
//! is AWS's own unless `AWS_ENDPOINT_URL_<SERVICE>` or `AWS_ENDPOINT_URL`
//! names another (the SDKs' convention: the tests' stand-ins use it).

pub mod sigv4;
pub mod xml;

use crate::config::Secret;
use bytes::Bytes;
use reqwest::{Method, StatusCode};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The keys a request is signed with.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    /// Temporary credentials' token (a Lambda role's always has one).
    pub session_token: Option<Secret>,
}

/// A variable of the process environment; `None` when unset or blank.
pub(crate) fn env(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

impl Credentials {
    /// The role's credentials from the environment, when set.
    pub fn from_env() -> Option<Self> {
        Some(Credentials {
            access_key_id: env("AWS_ACCESS_KEY_ID")?,
            secret_access_key: Secret::new(env("AWS_SECRET_ACCESS_KEY")?),
            session_token: env("AWS_SESSION_TOKEN").map(Secret::new),
        })
    }
}

/// The region calls are made in: `AWS_REGION` (set by Lambda), else
/// `AWS_DEFAULT_REGION`, else `us-east-1` (local endpoints ignore it).
fn region_from_env() -> String {
    env("AWS_REGION")
        .or_else(|| env("AWS_DEFAULT_REGION"))
        .unwrap_or_else(|| "us-east-1".into())
}

/// The endpoint of a service: `AWS_ENDPOINT_URL_<ID>` (the SDKs' service
/// id, e.g. `SESV2`, `SECRETS_MANAGER`), else `AWS_ENDPOINT_URL`, else
/// `https://<host>`.
fn endpoint_from_env(id: &str, host: &str) -> String {
    env(&format!("AWS_ENDPOINT_URL_{id}"))
        .or_else(|| env("AWS_ENDPOINT_URL"))
        .unwrap_or_else(|| format!("https://{host}"))
}

/// The HTTPS client every AWS call shares, built on first use: loading the
/// TLS roots costs a cold start time most requests never need.
fn http() -> &'static reqwest::Client {
    static HTTP: OnceLock<reqwest::Client> = OnceLock::new();
    HTTP.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("the HTTP client's TLS set-up is static")
    })
}

/// Why an AWS call failed.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// No answer: the endpoint could not be reached or timed out.
    #[error("{service} unreachable: {source}")]
    Unreachable {
        service: &'static str,
        source: reqwest::Error,
    },
    /// The service answered with an error.
    #[error(
        "{service} refused the request ({status}{}): {message}",
        .code.as_deref().map(|c| format!(", {c}")).unwrap_or_default()
    )]
    Refused {
        service: &'static str,
        status: StatusCode,
        /// The service's error code (`NoSuchKey`, `MessageRejected`, …).
        code: Option<String>,
        message: String,
    },
    /// No credentials to sign with.
    #[error(
        "no AWS credentials to call {0}: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"
    )]
    NoCredentials(&'static str),
    /// The request could not be built (a bad endpoint URL).
    #[error("cannot call {service}: {message}")]
    Invalid {
        service: &'static str,
        message: String,
    },
}

impl AwsError {
    /// The HTTP status the service answered, if it answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            AwsError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The service's error code, if it gave one.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Refused { code, .. } => code.as_deref(),
            _ => None,
        }
    }
}

/// One AWS service at one endpoint, with the credentials to call it;
/// cheap to clone.
#[derive(Debug, Clone)]
pub struct Client {
    service: &'static str,
    region: Arc<str>,
    /// `scheme://host[:port]`, no trailing slash.
    endpoint: Arc<str>,
    credentials: Option<Arc<Credentials>>,
    /// How many times a call that can be repeated is tried.
    attempts: u32,
}

impl Client {
    /// `service` is the signing name (`s3`, `ses`, `secretsmanager`).
    pub fn new(
        service: &'static str,
        region: &str,
        endpoint: &str,
        credentials: Option<Credentials>,
    ) -> Self {
        Client {
            service,
            region: region.into(),
            endpoint: endpoint.trim_end_matches('/').into(),
            credentials: credentials.map(Arc::new),
            attempts: 1,
        }
    }

    /// Tries a call up to `attempts` times when the service is unreachable
    /// or answers 500/503 (S3's "slow down" included), for operations that
    /// are safe to repeat; a call with a streamed body is tried once.
    pub fn with_attempts(mut self, attempts: u32) -> Self {
        self.attempts = attempts.max(1);
        self
    }

    /// The service as the environment configures it (see the module
    /// documentation); `host` is AWS's endpoint host for the region.
    pub fn from_env(service: &'static str, id: &str, host: impl FnOnce(&str) -> String) -> Self {
        let region = region_from_env();
        let endpoint = endpoint_from_env(id, &host(&region));
        Client::new(service, &region, &endpoint, Credentials::from_env())
    }

    /// A request for `path` (each segment already percent-encoded).
    pub fn call(&self, method: Method, path: impl Into<String>) -> Call<'_> {
        Call {
            client: self,
            method,
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Empty,
            timeout: None,
        }
    }
}

enum Body {
    Empty,
    /// Hashed into the signature; can be sent again.
    Bytes(Bytes),
    /// Streamed and not hashed (S3 only): sent once.
    Unsigned(reqwest::Body),
}

/// A request being put together; [`Call::send`] signs and sends it,
/// [`Call::presign`] turns it into a URL someone else uses.
pub struct Call<'a> {
    client: &'a Client,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: Vec<(String, String)>,
    body: Body,
    timeout: Option<Duration>,
}

impl Call<'_> {
    pub fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_string(), value.into()));
        self
    }

    /// A header, signed with the rest; `name` in lower case.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Body::Bytes(body.into());
        self
    }

    /// A body streamed as it is read, of `length` bytes, its hash not
    /// signed (S3 accepts `UNSIGNED-PAYLOAD`); the call is not repeated.
    pub fn unsigned_body(mut self, body: reqwest::Body, length: u64) -> Self {
        self.body = Body::Unsigned(body);
        self.header("content-length", length.to_string())
    }

    /// Gives up after `timeout` without an answer.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    fn url(&self, query: &[(String, String)]) -> Result<reqwest::Url, AwsError> {
        let mut url = format!("{}{}", self.client.endpoint, self.path);
        if !query.is_empty() {
            url.push('?');
            url.push_str(&sigv4::canonical_query(query));
        }
        reqwest::Url::parse(&url).map_err(|e| AwsError::Invalid {
            service: self.client.service,
            message: format!("{url} is not a URL: {e}"),
        })
    }

    fn credentials(&self) -> Result<&Credentials, AwsError> {
        self.client
            .credentials
            .as_deref()
            .ok_or(AwsError::NoCredentials(self.client.service))
    }

    fn scope(&self) -> sigv4::Scope<'_> {
        sigv4::Scope {
            region: &self.client.region,
            service: self.client.service,
            time: chrono::Utc::now(),
        }
    }

    /// What the signature covers: this request with `headers` (its own and
    /// the signing ones) and the body's hash.
    fn canonical<'a>(
        &'a self,
        headers: &'a [(String, String)],
        payload_hash: &'a str,
    ) -> sigv4::Canonical<'a> {
        sigv4::Canonical {
            method: self.method.as_str(),
            path: &self.path,
            query: &self.query,
            headers,
            payload_hash,
        }
    }

    /// The request's URL, signed to be used by someone else for `expires`
    /// with exactly the headers given (a browser's upload, a download).
    pub fn presign(self, expires: Duration) -> Result<String, AwsError> {
        let creds = self.credentials()?;
        let mut headers = self.headers.clone();
        headers.push(("host".into(), host(&self.url(&[])?)));
        let scope = self.scope();
        let query = sigv4::presigned_query(
            creds,
            &scope,
            &self.canonical(&headers, sigv4::UNSIGNED_PAYLOAD),
            expires.as_secs(),
        );
        Ok(self.url(&query)?.to_string())
    }

    /// Signs and sends the request; any answer but 2xx is an error. A call
    /// without a streamed body may be tried again (see
    /// [`Client::with_attempts`]).
    pub async fn send(mut self) -> Result<reqwest::Response, AwsError> {
        let url = self.url(&self.query)?;
        let service = self.client.service;
        let mut attempt = 1;
        loop {
            let (body, payload_hash, repeatable) = match &mut self.body {
                Body::Empty => (reqwest::Body::from(""), sigv4::payload_hash(b""), true),
                Body::Bytes(b) => (reqwest::Body::from(b.clone()), sigv4::payload_hash(b), true),
                Body::Unsigned(b) => (
                    std::mem::replace(b, reqwest::Body::from("")),
                    sigv4::UNSIGNED_PAYLOAD.to_string(),
                    false,
                ),
            };
            let request = self.signed(&url, &payload_hash, body)?;
            let retry = repeatable && attempt < self.client.attempts;
            match http().execute(request).await {
                Ok(res) if res.status().is_success() => return Ok(res),
                Ok(res)
                    if retry
                        && matches!(
                            res.status(),
                            StatusCode::INTERNAL_SERVER_ERROR | StatusCode::SERVICE_UNAVAILABLE
                        ) => {}
                Ok(res) => return Err(refusal(service, res).await),
                Err(e) if retry && (e.is_connect() || e.is_timeout()) => {}
                Err(source) => return Err(AwsError::Unreachable { service, source }),
            }
            tokio::time::sleep(Duration::from_millis(50 << (2 * attempt))).await;
            attempt += 1;
        }
    }

    fn signed(
        &self,
        url: &reqwest::Url,
        payload_hash: &str,
        body: reqwest::Body,
    ) -> Result<reqwest::Request, AwsError> {
        let creds = self.credentials()?;
        let scope = self.scope();
        let mut headers = self.headers.clone();
        headers.push(("host".into(), host(url)));
        headers.push(("x-amz-date".into(), scope.timestamp()));
        headers.push(("x-amz-content-sha256".into(), payload_hash.to_string()));
        if let Some(token) = &creds.session_token {
            headers.push(("x-amz-security-token".into(), token.expose().to_string()));
        }
        let authorization =
            sigv4::authorization(creds, &scope, &self.canonical(&headers, payload_hash));
        let mut builder = http()
            .request(self.method.clone(), url.clone())
            .header("authorization", authorization)
            .body(body);
        // reqwest writes the host itself, from the URL, as signed.
        for (name, value) in headers.iter().filter(|(n, _)| n != "host") {
            builder = builder.header(name, value);
        }
        if let Some(timeout) = self.timeout {
            builder = builder.timeout(timeout);
        }
        builder.build().map_err(|e| AwsError::Invalid {
            service: self.client.service,
            message: e.to_string(),
        })
    }
}

/// `host[:port]` as a client sends it (no port when it is the scheme's).
fn host(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// The error an answer carries: S3's XML `<Code>`/`<Message>`, or a JSON
/// service's `x-amzn-ErrorType` header or `__type`/`message` fields.
async fn refusal(service: &'static str, res: reqwest::Response) -> AwsError {
    let status = res.status();
    let header_code = res
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(':').next().unwrap_or(v).to_string());
    let text = res.text().await.unwrap_or_default();
    let (code, message) = if text.trim_start().starts_with('<') {
        (xml::text(&text, "Code"), xml::text(&text, "Message"))
    } else {
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let field = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| json.get(n).and_then(|v| v.as_str()))
                .map(str::to_string)
        };
        let code = field(&["__type", "code", "Code"])
            .map(|c| c.rsplit('#').next().unwrap_or(&c).to_string());
        (code, field(&["message", "Message"]))
    };
    AwsError::Refused {
        service,
        status,
        code: header_code.or(code),
        message: message.unwrap_or_else(|| status.to_string()),
    }
}
