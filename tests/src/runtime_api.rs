//! A local implementation of the Lambda Runtime API
//! (`/2018-06-01/runtime/invocation/next`, `…/{id}/response`, `…/{id}/error`),
//! so tests and benchmarks can run the shipped function binaries exactly as
//! Lambda does: the binary long-polls for an event, answers it, polls again.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// What the function did with an event.
#[derive(Debug)]
pub enum Outcome {
    Response(Value),
    Error(Value),
}

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Outcome>>>>;

#[derive(Clone)]
struct Shared {
    events: Arc<Mutex<mpsc::Receiver<(String, Value)>>>,
    pending: Pending,
}

/// A running Runtime API endpoint.
pub struct RuntimeApi {
    address: String,
    events: mpsc::Sender<(String, Value)>,
    pending: Pending,
    next_id: AtomicU64,
}

impl RuntimeApi {
    pub async fn start() -> Self {
        let (tx, rx) = mpsc::channel(16);
        let pending: Pending = Arc::default();
        let shared = Shared {
            events: Arc::new(Mutex::new(rx)),
            pending: pending.clone(),
        };
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the runtime API");
        let address = listener.local_addr().expect("address").to_string();
        tokio::spawn(async move { axum::serve(listener, app).await });
        RuntimeApi {
            address,
            events: tx,
            pending,
            next_id: AtomicU64::new(1),
        }
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Queues `event` and waits for the function's answer, at most a minute
    /// (a function that died never answers).
    pub async fn invoke(&self, event: Value) -> Outcome {
        let id = format!("req-{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        self.pending.lock().await.insert(id.clone(), tx);
        self.events
            .send((id, event))
            .await
            .expect("runtime API is running");
        tokio::time::timeout(std::time::Duration::from_secs(60), rx)
            .await
            .expect("the function answered within a minute")
            .expect("the function answered")
    }
}

async fn next(State(shared): State<Shared>) -> (HeaderMap, String) {
    let (id, event) = shared
        .events
        .lock()
        .await
        .recv()
        .await
        .expect("events channel open");
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis()
        + 30_000;
    let mut headers = HeaderMap::new();
    let mut set = |name: &'static str, value: String| {
        headers.insert(name, HeaderValue::from_str(&value).expect("header value"));
    };
    set("lambda-runtime-aws-request-id", id);
    set("lambda-runtime-deadline-ms", deadline.to_string());
    set(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:eu-west-1:123456789012:function:test".into(),
    );
    set(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000".into(),
    );
    (headers, event.to_string())
}

async fn settle(shared: &Shared, id: &str, outcome: Outcome) {
    if let Some(tx) = shared.pending.lock().await.remove(id) {
        let _ = tx.send(outcome);
    }
}

async fn response(State(shared): State<Shared>, Path(id): Path<String>, body: Bytes) {
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    settle(&shared, &id, Outcome::Response(value)).await;
}

async fn error(State(shared): State<Shared>, Path(id): Path<String>, body: Bytes) {
    let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    settle(&shared, &id, Outcome::Error(value)).await;
}
