//! A local stand-in for the payment provider (Stripe), speaking its wire
//! format: `POST /v1/checkout/sessions` (form-encoded, bearer key),
//! `GET /v1/checkout/sessions/{id}` and `POST /v1/refunds`; a hosted
//! checkout page at `/c/pay/{id}` with Pay and Decline buttons; and webhook
//! deliveries (`checkout.session.completed`, `payment_intent.payment_failed`,
//! `charge.refunded`) signed like the provider's. `loaf serve` delivers them
//! to its own `/api/payments/webhook`; the tests take them from
//! [`LocalPayments::deliveries`] and post them where they like.

use anyhow::Context;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use loaf_domain::payments::signature;
use rand::distributions::{Alphanumeric, DistString};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The keys the stand-in accepts and signs with. Local only.
pub const SECRET_KEY: &str = "sk_test_loaf_local";
pub const WEBHOOK_SECRET: &str = "whsec_loaf_local";

/// One webhook delivery: the `Stripe-Signature` header and the body.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub signature: String,
    pub body: String,
}

#[derive(Default)]
struct Books {
    sessions: HashMap<String, Value>,
    /// Session → the metadata its payment intent carries.
    intents: HashMap<String, Value>,
    /// Payment intent → cents refunded so far.
    refunded: HashMap<String, i64>,
    deliveries: Vec<Delivery>,
}

struct Inner {
    base_url: String,
    webhook_url: Option<String>,
    books: Mutex<Books>,
    http: reqwest::Client,
}

/// A running stand-in; dropping it stops it.
pub struct LocalPayments {
    inner: Arc<Inner>,
    stop: watch::Sender<bool>,
}

fn random(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        Alphanumeric.sample_string(&mut rand::thread_rng(), 24)
    )
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn stripe_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({"error": {"type": "invalid_request_error", "message": message}})),
    )
        .into_response()
}

impl LocalPayments {
    /// Listens on `127.0.0.1:port` (0: any free port). Events go to
    /// `webhook_url` when given, and are kept for [`Self::deliveries`].
    pub async fn start(port: u16, webhook_url: Option<String>) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| {
                format!("cannot listen on 127.0.0.1:{port} for the local payment provider")
            })?;
        let addr: SocketAddr = listener.local_addr()?;
        let inner = Arc::new(Inner {
            base_url: format!("http://{addr}"),
            webhook_url,
            books: Mutex::new(Books::default()),
            http: reqwest::Client::new(),
        });
        let app = Router::new()
            .route("/v1/checkout/sessions", post(create_session))
            .route("/v1/checkout/sessions/{id}", get(show_session))
            .route("/v1/refunds", post(create_refund))
            .route("/c/pay/{id}", get(checkout_page).post(checkout_answer))
            .with_state(inner.clone());
        let (stop, mut stopped) = watch::channel(false);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stopped.changed().await;
                })
                .await;
        });
        Ok(LocalPayments { inner, stop })
    }

    /// What `PAYMENT_API_URL` should say.
    pub fn api_url(&self) -> String {
        self.inner.base_url.clone()
    }

    /// Every webhook delivery made so far, oldest first.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.inner.books.lock().unwrap().deliveries.clone()
    }

    /// Pays session `id` as the payer would on the hosted page; answers the
    /// `checkout.session.completed` delivery.
    pub async fn pay(&self, id: &str) -> Option<Delivery> {
        self.inner.pay(id).await
    }

    /// Declines session `id`'s payment; answers the
    /// `payment_intent.payment_failed` delivery.
    pub async fn decline(&self, id: &str) -> Option<Delivery> {
        self.inner.decline(id).await
    }

    /// Refunds `amount` cents (everything left when `None`) of paid session
    /// `id`; answers the `charge.refunded` delivery.
    pub async fn refund(&self, id: &str, amount: Option<i64>) -> Option<Delivery> {
        let intent = self.inner.books.lock().unwrap().sessions.get(id)?["payment_intent"]
            .as_str()?
            .to_string();
        self.inner.refund(&intent, amount).await.ok()
    }
}

impl Drop for LocalPayments {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

impl Inner {
    /// Signs and records an event, and posts it to the webhook URL if any
    /// (once; a failed post is logged, as the provider's dashboard would).
    async fn emit(&self, kind: &str, object: Value) -> Delivery {
        let body = json!({
            "id": random("evt"),
            "object": "event",
            "api_version": "2024-06-20",
            "created": now(),
            "livemode": false,
            "type": kind,
            "data": {"object": object},
        })
        .to_string();
        let delivery = Delivery {
            signature: signature::sign(WEBHOOK_SECRET, now(), body.as_bytes()),
            body,
        };
        self.books.lock().unwrap().deliveries.push(delivery.clone());
        if let Some(url) = &self.webhook_url {
            let sent = self
                .http
                .post(url)
                .header("content-type", "application/json")
                .header("stripe-signature", &delivery.signature)
                .body(delivery.body.clone())
                .send()
                .await;
            match sent {
                Ok(r) if r.status().is_success() => {}
                Ok(r) => tracing::warn!(status = %r.status(), "local payments: webhook refused"),
                Err(e) => tracing::warn!(error = %e, "local payments: webhook not delivered"),
            }
        }
        delivery
    }

    async fn pay(&self, id: &str) -> Option<Delivery> {
        let session = {
            let mut books = self.books.lock().unwrap();
            let session = books.sessions.get_mut(id)?;
            if session["status"] != "open" {
                return None;
            }
            let intent = session["payment_intent"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| random("pi"));
            session["status"] = json!("complete");
            session["payment_status"] = json!("paid");
            session["payment_intent"] = json!(intent);
            session.clone()
        };
        Some(self.emit("checkout.session.completed", session).await)
    }

    async fn decline(&self, id: &str) -> Option<Delivery> {
        let intent = {
            let mut books = self.books.lock().unwrap();
            let metadata = books.intents.get(id).cloned().unwrap_or(json!({}));
            let session = books.sessions.get_mut(id)?;
            if session["status"] != "open" {
                return None;
            }
            let intent = session["payment_intent"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| random("pi"));
            session["payment_intent"] = json!(intent);
            json!({
                "id": intent,
                "object": "payment_intent",
                "amount": session["amount_total"],
                "currency": session["currency"],
                "metadata": metadata,
                "status": "requires_payment_method",
                "last_payment_error": {"code": "card_declined", "message": "Your card was declined."},
            })
        };
        Some(self.emit("payment_intent.payment_failed", intent).await)
    }

    async fn refund(&self, intent: &str, amount: Option<i64>) -> Result<Delivery, String> {
        let charge = {
            let mut books = self.books.lock().unwrap();
            let session = books
                .sessions
                .values()
                .find(|s| s["payment_intent"] == intent && s["payment_status"] == "paid")
                .cloned()
                .ok_or_else(|| format!("No such payment_intent: '{intent}'"))?;
            let total = session["amount_total"].as_i64().unwrap_or_default();
            let done = books.refunded.get(intent).copied().unwrap_or_default();
            let amount = amount.unwrap_or(total - done);
            if amount <= 0 || done + amount > total {
                return Err(format!(
                    "Refund amount ({amount}) is greater than unrefunded amount on charge ({})",
                    total - done
                ));
            }
            books.refunded.insert(intent.to_string(), done + amount);
            json!({
                "id": random("ch"),
                "object": "charge",
                "amount": total,
                "amount_refunded": done + amount,
                "currency": session["currency"],
                "payment_intent": intent,
                "refunded": done + amount == total,
            })
        };
        Ok(self.emit("charge.refunded", charge).await)
    }
}

fn authorised(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h == format!("Bearer {SECRET_KEY}"))
}

/// The form-encoded body of an API call made with our key.
fn authorised_form(headers: &HeaderMap, body: &str) -> Option<HashMap<String, String>> {
    authorised(headers).then(|| {
        form_urlencoded::parse(body.as_bytes())
            .into_owned()
            .collect()
    })
}

/// The provider's answer to a wrong or missing key.
fn unauthorised() -> Response {
    stripe_error(StatusCode::UNAUTHORIZED, "Invalid API Key provided.")
}

/// `POST /v1/checkout/sessions`
async fn create_session(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let Some(form) = authorised_form(&headers, &body) else {
        return unauthorised();
    };
    let get = |k: &str| form.get(k).cloned();
    if get("mode").as_deref() != Some("payment") {
        return stripe_error(StatusCode::BAD_REQUEST, "Missing or unsupported mode.");
    }
    let (Some(success_url), Some(cancel_url)) = (get("success_url"), get("cancel_url")) else {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "Missing success_url or cancel_url.",
        );
    };
    let mut total = 0i64;
    let mut currency = None;
    for i in 0.. {
        let key = |k: &str| format!("line_items[{i}]{k}");
        let Some(amount) = get(&key("[price_data][unit_amount]")) else {
            break;
        };
        let (Ok(amount), Ok(quantity)) = (
            amount.parse::<i64>(),
            get(&key("[quantity]")).unwrap_or_default().parse::<i64>(),
        ) else {
            return stripe_error(StatusCode::BAD_REQUEST, "Invalid integer in line_items.");
        };
        if amount < 0 || quantity < 1 {
            return stripe_error(StatusCode::BAD_REQUEST, "Invalid amount or quantity.");
        }
        total += amount * quantity;
        currency = get(&key("[price_data][currency]"));
    }
    let Some(currency) = currency else {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "Missing required param: line_items.",
        );
    };
    let nested = |prefix: &str| {
        let map: Map<String, Value> = form
            .iter()
            .filter_map(|(k, v)| {
                let key = k.strip_prefix(prefix)?.strip_suffix(']')?;
                Some((key.to_string(), json!(v)))
            })
            .collect();
        Value::Object(map)
    };
    let id = random("cs_test");
    let session = json!({
        "id": id,
        "object": "checkout.session",
        "mode": "payment",
        "url": format!("{}/c/pay/{id}", inner.base_url),
        "status": "open",
        "payment_status": "unpaid",
        "amount_total": total,
        "currency": currency,
        "client_reference_id": get("client_reference_id"),
        "customer_email": get("customer_email"),
        "customer": null,
        "metadata": nested("metadata["),
        "payment_intent": null,
        "success_url": success_url,
        "cancel_url": cancel_url,
        "created": now(),
        "expires_at": now() + 86_400,
        "livemode": false,
    });
    let mut books = inner.books.lock().unwrap();
    books
        .intents
        .insert(id.clone(), nested("payment_intent_data[metadata]["));
    books.sessions.insert(id, session.clone());
    Json(session).into_response()
}

/// `GET /v1/checkout/sessions/{id}`
async fn show_session(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorised(&headers) {
        return unauthorised();
    }
    match inner.books.lock().unwrap().sessions.get(&id) {
        Some(s) => Json(s.clone()).into_response(),
        None => stripe_error(StatusCode::NOT_FOUND, "No such checkout.session."),
    }
}

/// `POST /v1/refunds` with `payment_intent` and optionally `amount`.
async fn create_refund(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let Some(form) = authorised_form(&headers, &body) else {
        return unauthorised();
    };
    let Some(intent) = form.get("payment_intent") else {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "Missing required param: payment_intent.",
        );
    };
    let amount = match form.get("amount").map(|a| a.parse::<i64>()) {
        None => None,
        Some(Ok(a)) => Some(a),
        Some(Err(_)) => return stripe_error(StatusCode::BAD_REQUEST, "Invalid integer: amount."),
    };
    match inner.refund(intent, amount).await {
        Ok(_) => Json(json!({
            "id": random("re"),
            "object": "refund",
            "payment_intent": intent,
            "amount": amount,
            "status": "succeeded",
        }))
        .into_response(),
        Err(message) => stripe_error(StatusCode::BAD_REQUEST, &message),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `GET /c/pay/{id}`: the hosted checkout page.
async fn checkout_page(State(inner): State<Arc<Inner>>, Path(id): Path<String>) -> Response {
    let Some(session) = inner.books.lock().unwrap().sessions.get(&id).cloned() else {
        return (StatusCode::NOT_FOUND, "No such checkout session.").into_response();
    };
    let total = session["amount_total"].as_i64().unwrap_or_default();
    let currency = session["currency"]
        .as_str()
        .unwrap_or_default()
        .to_uppercase();
    let email = session["customer_email"].as_str().unwrap_or_default();
    let state = session["status"].as_str().unwrap_or_default();
    Html(format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Local checkout</title></head>\
         <body style=\"font-family:sans-serif;max-width:32em;margin:3em auto\">\
         <h1>Local checkout (test mode)</h1>\
         <p>{} {}.{:02} for {}</p><p>Session {} is {}.</p>\
         <form method=\"post\"><button name=\"outcome\" value=\"paid\">Pay</button> \
         <button name=\"outcome\" value=\"declined\">Decline the card</button></form>\
         </body></html>",
        escape(&currency),
        total / 100,
        total % 100,
        escape(email),
        escape(&id),
        escape(state)
    ))
    .into_response()
}

/// `POST /c/pay/{id}` (`outcome=paid` or `declined`): what the payer chose;
/// redirects to the shop's success or cancel URL as the provider does.
async fn checkout_answer(
    State(inner): State<Arc<Inner>>,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let declined =
        form_urlencoded::parse(body.as_bytes()).any(|(k, v)| k == "outcome" && v == "declined");
    let urls = inner.books.lock().unwrap().sessions.get(&id).map(|s| {
        (
            s["success_url"]
                .as_str()
                .unwrap_or_default()
                .replace("{CHECKOUT_SESSION_ID}", &id),
            s["cancel_url"].as_str().unwrap_or_default().to_string(),
        )
    });
    let Some((success, cancel)) = urls else {
        return (StatusCode::NOT_FOUND, "No such checkout session.").into_response();
    };
    let done = if declined {
        inner.decline(&id).await
    } else {
        inner.pay(&id).await
    };
    match (done, declined) {
        (None, _) => (
            StatusCode::CONFLICT,
            "This checkout session is no longer open.",
        )
            .into_response(),
        (Some(_), false) => Redirect::to(&success).into_response(),
        (Some(_), true) => Redirect::to(&cancel).into_response(),
    }
}
