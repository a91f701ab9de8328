//! A stand-in for CloudFormation's side of a custom resource: the request
//! it sends, and the presigned URL it waits on for the answer.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::put;
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// What the listener received: each PUT's content type and JSON body.
pub type Received = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// Starts a listener that records every PUT; answers its URL.
pub async fn response_listener() -> (String, Received) {
    let received: Received = Arc::default();
    let app = axum::Router::new()
        .route(
            "/cfn-response",
            put(
                |State(r): State<Received>, headers: HeaderMap, body: Bytes| async move {
                    let content_type = headers
                        .get("content-type")
                        .map(|v| v.to_str().unwrap_or_default().to_string());
                    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    r.lock().expect("lock").push((content_type, value));
                },
            ),
        )
        .with_state(received.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the response listener");
    let url = format!(
        "http://{}/cfn-response",
        listener.local_addr().expect("address")
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, received)
}

/// The CloudFormation custom resource request in `tests/fixtures/cfn-<kind>.json`
/// (`create`, `update`, `update-rollback`, `delete`: the events a deploy,
/// a failed deploy's rollback and a stack deletion send, in their real
/// format), answering to `response_url` instead of CloudFormation's bucket.
pub fn cfn_event(kind: &str, response_url: &str) -> Value {
    let path = format!("{}/fixtures/cfn-{kind}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut event: Value = serde_json::from_str(&text).expect("fixture JSON");
    event["ResponseURL"] = Value::String(response_url.into());
    event
}
