//! A local stand-in for AWS Secrets Manager's `GetSecretValue`, speaking its
//! wire format (awsJson1.1: `POST /`, `X-Amz-Target:
//! secretsmanager.GetSecretValue`), so the functions' real call is what
//! the tests exercise, signature checked. Point a process at it with
//! `AWS_ENDPOINT_URL_SECRETS_MANAGER`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

type Secrets = Arc<RwLock<HashMap<String, String>>>;

/// A running stand-in holding `secrets` (id or ARN → string).
pub struct SecretsManager {
    endpoint: String,
    secrets: Secrets,
}

impl SecretsManager {
    pub async fn start(secrets: HashMap<String, String>) -> Self {
        let secrets: Secrets = Arc::new(RwLock::new(secrets));
        let app = Router::new()
            .route("/", post(get_secret_value))
            .with_state(secrets.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the secrets stand-in");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        SecretsManager { endpoint, secrets }
    }

    /// The value for `AWS_ENDPOINT_URL_SECRETS_MANAGER`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// Gives secret `id` a new value, as a rotation does.
    pub fn put(&self, id: &str, value: String) {
        self.secrets
            .write()
            .expect("secrets lock")
            .insert(id.to_string(), value);
    }

    /// A client of this stand-in, signing as the stand-in expects.
    pub fn client(&self) -> loaf_core::aws::Client {
        loaf_core::aws::Client::new(
            "secretsmanager",
            "us-east-1",
            &self.endpoint,
            Some(crate::sigv4_check::credentials()),
        )
    }
}

fn error(kind: &str, message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [("content-type", "application/x-amz-json-1.1")],
        json!({"__type": kind, "message": message}).to_string(),
    )
        .into_response()
}

async fn get_secret_value(
    State(secrets): State<Secrets>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if target != "secretsmanager.GetSecretValue" {
        return error("UnknownOperationException", target);
    }
    if let Err(why) = crate::sigv4_check::verify(&method, &uri, &headers, &body, "secretsmanager") {
        return error("InvalidSignatureException", &why);
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or_default();
    let id = request["SecretId"].as_str().unwrap_or_default();
    let value = secrets.read().expect("secrets lock").get(id).cloned();
    match value {
        Some(value) => (
            StatusCode::OK,
            [("content-type", "application/x-amz-json-1.1")],
            json!({
                "ARN": id,
                "Name": id.rsplit(':').next().unwrap_or(id),
                "SecretString": value,
                "VersionId": "00000000-0000-0000-0000-000000000001",
                "VersionStages": ["AWSCURRENT"],
                "CreatedDate": 1.7e9
            })
            .to_string(),
        )
            .into_response(),
        None => error(
            "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret.",
        ),
    }
}
