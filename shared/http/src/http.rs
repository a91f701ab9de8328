//! What every function's router has in common: `GET /api/health`, JSON 404s
//! and 405s, a body limit, a deadline and a request log line.

use crate::error::ApiError;
use crate::extract::Json;
use crate::routes::{Docs, Routes};
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::Router;
use schemars::JsonSchema;
use serde::Serialize;
use std::time::{Duration, Instant};

/// Every request answers within this, 503 if its work is not done: well
/// inside the route functions' 20 s Lambda timeout, so a slow dependency
/// gives the client a clean, retryable error instead of a gateway timeout.
/// Each statement is also limited (`DB_STATEMENT_TIMEOUT_MS`, the
/// application role's own setting).
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(15);

/// JSON bodies larger than this are refused with 413. Files never travel in
/// bodies (they go to S3 by presigned URL), so 1 MiB is generous.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// Wraps a function's own routes with the common ones and the state. The
/// result runs unchanged under `lambda_http` and in `loaf serve`. Give it
/// routes declared with [`Docs::Skip`]: the docs function builds the whole
/// document from every function's routes.
pub fn function_router(routes: Routes, state: AppState) -> Router {
    routes
        .merge(common_routes(Docs::Skip))
        .into_router()
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), around))
        .with_state(state)
}

/// What wraps every request, as one middleware rather than one layer each:
/// axum wraps every route in every layer as the router is built, which a
/// cold start pays per route. From the outside in: the API's headers, the
/// log line, the deadline, the pool's readiness.
async fn around(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    // The route's template (`/api/auth/invitations/{token}`), not the path:
    // paths can carry secrets (invitation tokens) that must not reach logs.
    let path = match req.extensions().get::<MatchedPath>() {
        Some(route) => route.as_str().to_string(),
        None => "(no route)".to_string(),
    };
    let started = Instant::now();
    let res = within_deadline(async {
        if let Some(rotation) = &state.db_rotation {
            // When the pool's credentials can rotate, makes sure it can
            // connect (see `loaf_core::secrets::Rotation::ready`).
            rotation.ready(&state.db).await;
        }
        next.run(req).await
    })
    .await;
    tracing::info!(
        %method,
        %path,
        status = res.status().as_u16(),
        ms = started.elapsed().as_millis() as u64,
        "request"
    );
    api_headers(res).await
}

/// Headers on every answer of the API: nothing is to be sniffed into
/// another type (a download served as what it claims, a JSON error never
/// run as a page), and nothing stored by a browser or a shared cache,
/// since answers carry tokens and personal data (a route that may be cached
/// sets its own `Cache-Control`).
pub async fn api_headers(mut res: Response) -> Response {
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    res
}

/// The routes every function answers: `GET /api/health`.
pub fn common_routes(docs: Docs) -> Routes {
    Routes::new(docs).api_route(
        "/api/health",
        docs.get_with(health, |op| {
            op.summary("Health check").tag("health").description(
                "Whether this function is up and reaches its database. Every function answers it.",
            )
        }),
    )
}

#[derive(Serialize, JsonSchema)]
struct Health {
    /// `ok`.
    status: &'static str,
    /// `reachable`.
    database: &'static str,
}

/// 200 `{"status":"ok","database":"reachable"}`, or 503 when the database
/// does not answer.
async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    if loaf_core::db::is_reachable(&state.db).await {
        Ok(Json(Health {
            status: "ok",
            database: "reachable",
        }))
    } else {
        Err(ApiError::Unavailable(anyhow::anyhow!(
            "health check: database unreachable"
        )))
    }
}

async fn not_found() -> ApiError {
    ApiError::NotFound
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// `work`'s answer, or 503 when it is not done within [`REQUEST_DEADLINE`].
async fn within_deadline(work: impl std::future::Future<Output = Response>) -> Response {
    match tokio::time::timeout(REQUEST_DEADLINE, work).await {
        Ok(res) => res,
        Err(_) => ApiError::Unavailable(anyhow::anyhow!(
            "request deadline of {} s passed",
            REQUEST_DEADLINE.as_secs()
        ))
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[tokio::test(start_paused = true)]
    async fn a_request_past_its_deadline_answers_503() {
        let res = within_deadline(async {
            tokio::time::sleep(REQUEST_DEADLINE * 2).await;
            "too late".into_response()
        })
        .await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_within_its_deadline_keeps_its_answer() {
        let res = within_deadline(async {
            tokio::time::sleep(REQUEST_DEADLINE / 2).await;
            StatusCode::CREATED.into_response()
        })
        .await;
        assert_eq!(res.status(), StatusCode::CREATED);
    }
}
