//! A stand-in for CloudFormation's side of a custom resource: the request
//! it sends, and the presigned URL it waits on for the answer.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::put;
use serde_json::{json, Value};
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

/// A custom resource request of `request_type` answering to `response_url`.
pub fn cfn_event(request_type: &str, response_url: &str) -> Value {
    json!({
        "RequestType": request_type,
        "ResponseURL": response_url,
        "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/loaf/abc",
        "RequestId": "req-1",
        "ResourceType": "Custom::DatabaseMigrations",
        "LogicalResourceId": "DatabaseMigrations",
        "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:migrate",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:...", "Version": "1"}
    })
}
