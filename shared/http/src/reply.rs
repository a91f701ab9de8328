//! Success answers other than a plain 200 JSON body. Each is its own type so
//! the OpenAPI document learns the status from the handler's signature.

use crate::extract::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// 201 with the created resource.
#[derive(Debug)]
pub struct Created<T>(pub T);

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (StatusCode::CREATED, Json(self.0)).into_response()
    }
}

/// 202: taken, the effect follows by email or later (registration, password
/// reset), and the body says only that.
#[derive(Debug)]
pub struct Accepted<T>(pub T);

impl<T: Serialize> IntoResponse for Accepted<T> {
    fn into_response(self) -> Response {
        (StatusCode::ACCEPTED, Json(self.0)).into_response()
    }
}

/// 204, no body.
#[derive(Debug)]
pub struct NoContent;

impl IntoResponse for NoContent {
    fn into_response(self) -> Response {
        StatusCode::NO_CONTENT.into_response()
    }
}

/// A sentence for the person, when that is all an answer has to say.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Message {
    pub message: &'static str,
}
