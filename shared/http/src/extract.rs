//! Request extractors that answer in our JSON error shape instead of axum's
//! plain-text rejections, and name the offending field.

use crate::error::ApiError;
use crate::pagination::{PageParams, RawPageParams};
use crate::state::AppState;
use crate::ErrorCode;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::StatusCode;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// A JSON body. Wrong content type or broken JSON: 400; a value of the wrong
/// shape: 422 naming the field (`address.city`, `interests[2]`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|mime| {
                let mime = mime.trim().to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::BadRequest(
                "Send a JSON body with Content-Type: application/json.".into(),
            ));
        }
        parse_json(&read_body(req, state).await?).map(Json)
    }
}

/// The whole body, within the router's size limit (413 beyond it).
async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|e| match e {
        BytesRejection::FailedToBufferBody(inner)
            if inner.status() == StatusCode::PAYLOAD_TOO_LARGE =>
        {
            ApiError::PayloadTooLarge
        }
        other => ApiError::BadRequest(format!("The body could not be read: {other}")),
    })
}

/// A JSON response body, so handlers use one `Json` both ways.
impl<T: serde::Serialize> axum::response::IntoResponse for Json<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// A JSON body the client may leave out: no body (or only whitespace) is
/// `T::default()`; anything else is read like [`Json`].
#[derive(Debug, Clone, Copy, Default)]
pub struct OptionalJson<T>(pub T);

impl<T, S> FromRequest<S> for OptionalJson<T>
where
    T: DeserializeOwned + Default,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = read_body(req, state).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(T::default()));
        }
        parse_json(&bytes).map(OptionalJson)
    }
}

/// The body exactly as sent, for a signature over its bytes (the payment
/// webhook); over the size limit it is refused in our JSON shape.
#[derive(Debug, Clone)]
pub struct RawBody(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for RawBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        read_body(req, state).await.map(RawBody)
    }
}

/// The message for text holding NUL, which PostgreSQL cannot store.
const NUL_MESSAGE: &str = "Text may not contain the NUL character (U+0000).";

/// `true` when a JSON text holds the escape `\u0000` (a raw NUL byte is
/// not valid JSON, so this is the only way one arrives).
fn has_nul_escape(json: &[u8]) -> bool {
    let mut i = 0;
    while i < json.len() {
        if json[i] == b'\\' {
            if json.get(i + 1) == Some(&b'u') && json.get(i + 2..i + 6) == Some(b"0000".as_slice())
            {
                return true;
            }
            // Skip the escaped character, so `\\u0000` (a backslash, then
            // the letters) is not taken for one.
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// The path of the first string holding NUL in `value` (`address.city`,
/// `interests[2]`), `""` for the top level.
fn nul_path(value: &serde_json::Value, at: &str) -> Option<String> {
    let join = |key: &str| {
        if at.is_empty() {
            key.to_string()
        } else {
            format!("{at}.{key}")
        }
    };
    match value {
        serde_json::Value::String(s) => s.contains('\0').then(|| at.to_string()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_path(item, &format!("{at}[{i}]"))),
        serde_json::Value::Object(map) => map.iter().find_map(|(key, item)| {
            // A key holding NUL is named by the object that holds it.
            if key.contains('\0') {
                Some(at.to_string())
            } else {
                nul_path(item, &join(key))
            }
        }),
        _ => None,
    }
}

/// Deserialises `bytes`, turning serde's error into a field-naming ApiError.
/// Text holding NUL is refused here, naming its field, rather than failing
/// in PostgreSQL.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if has_nul_escape(bytes) {
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) {
            if let Some(field) = nul_path(&value, "") {
                return Err(ApiError::invalid(field, NUL_MESSAGE));
            }
        }
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::BadRequest(format!(
                "The body is not valid JSON (line {}, column {}).",
                inner.line(),
                inner.column()
            ));
        }
        field_error(&path, &inner.to_string())
    })
}

/// Builds the 422 for a serde data error at `path`. A missing field is
/// reported at its parent by serde, so its name is taken from the message.
fn field_error(path: &str, message: &str) -> ApiError {
    let message = message
        .split(" at line ")
        .next()
        .unwrap_or(message)
        .to_string();
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next())
    {
        let field = if path == "." || path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        };
        return ApiError::Validation {
            message: format!("{field} is required"),
            field,
            code: ErrorCode::Required,
        };
    }
    let field = if path == "." {
        String::new()
    } else {
        path.to_string()
    };
    ApiError::Validation {
        field,
        code: ErrorCode::Invalid,
        message,
    }
}

pub use loaf_domain::validate::present;

/// A query string. A value of the wrong type: 422 naming the parameter. A
/// parameter given empty (`?status=`, what a form's blank choice sends) is
/// taken as absent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let pairs = form_urlencoded::parse(query.as_bytes());
        if let Some((name, _)) = pairs.clone().find(|(_, value)| value.contains('\0')) {
            return Err(ApiError::invalid(name, NUL_MESSAGE));
        }
        let kept;
        let pairs = if pairs.clone().any(|(_, value)| value.is_empty()) {
            kept = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs.filter(|(_, value)| !value.is_empty()))
                .finish();
            form_urlencoded::parse(kept.as_bytes())
        } else {
            pairs
        };
        let de = serde_urlencoded::Deserializer::new(pairs);
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|err| {
                let path = err.path().to_string();
                field_error(&path, &err.into_inner().to_string())
            })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for PageParams {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(raw) = Query::<RawPageParams>::from_request_parts(parts, state).await?;
        raw.try_into()
    }
}

/// Path parameters. A value that does not parse (an id that is not a UUID)
/// names nothing that can exist: 404, like any other unknown id.
#[derive(Debug, Clone, Copy)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|_| ApiError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)] // fields are read by serde only
    struct Body {
        email: String,
        address: Address,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Address {
        city: String,
        zip: u32,
    }

    fn field_of(json: &str) -> (String, &'static str) {
        match parse_json::<Body>(json.as_bytes()) {
            Err(ApiError::Validation { field, code, .. }) => (field, code.as_str()),
            other => panic!("{json}: {other:?}"),
        }
    }

    #[test]
    fn missing_field_is_named() {
        assert_eq!(
            field_of(r#"{"address":{"city":"x","zip":1}}"#),
            ("email".into(), "required")
        );
        assert_eq!(
            field_of(r#"{"email":"a@b.c","address":{"zip":1}}"#),
            ("address.city".into(), "required")
        );
    }

    #[test]
    fn wrong_type_is_named() {
        assert_eq!(
            field_of(r#"{"email":"a@b.c","address":{"city":"x","zip":"ten"}}"#),
            ("address.zip".into(), "invalid")
        );
    }

    #[test]
    fn nul_in_text_is_refused_and_named() {
        assert_eq!(
            field_of(r#"{"email":"a\u0000b","address":{"city":"x","zip":1}}"#),
            ("email".into(), "invalid")
        );
        assert_eq!(
            field_of(r#"{"email":"a@b.c","address":{"city":"x\u0000","zip":1}}"#),
            ("address.city".into(), "invalid")
        );
        // A backslash followed by the letters u0000 is ordinary text.
        assert!(
            parse_json::<Body>(br#"{"email":"a\\u0000","address":{"city":"x","zip":1}}"#).is_ok()
        );
    }

    #[test]
    fn broken_json_is_a_bad_request() {
        assert!(matches!(
            parse_json::<Body>(b"{\"email\":"),
            Err(ApiError::BadRequest(_))
        ));
    }
}

/// The header the distribution's function writes on every `/api/*`
/// request: the viewer's address as CloudFront saw it.
pub const VIEWER_ADDRESS_HEADER: &str = "x-loaf-viewer-address";
/// The header the distribution adds to what it forwards, carrying the
/// token (`EDGE_TOKEN`) that makes [`VIEWER_ADDRESS_HEADER`] believable.
pub const EDGE_TOKEN_HEADER: &str = "x-loaf-edge";

/// The caller's network address: behind the distribution, the viewer's
/// (CloudFront's own header, believed only with the distribution's token,
/// which a caller going straight to API Gateway does not have); else as
/// API Gateway saw it (its request context) or as the local server
/// accepted it (the TCP peer). Never read from `X-Forwarded-For`, which
/// any client can write. `None` when none is known (a test calling the
/// router directly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub Option<String>);

impl<S> FromRequestParts<S> for ClientAddress
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        Ok(ClientAddress(client_address(
            parts,
            state.config.auth.edge_token.as_ref().map(|t| t.expose()),
        )))
    }
}

fn client_address(parts: &Parts, edge_token: Option<&str>) -> Option<String> {
    use lambda_http::request::RequestContext;
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    let from_edge = edge_token
        .filter(|token| {
            // Digests compared, so the comparison's time says nothing of
            // the token.
            header(EDGE_TOKEN_HEADER).is_some_and(|given| {
                Sha256::digest(given.as_bytes()) == Sha256::digest(token.as_bytes())
            })
        })
        .and_then(|_| header(VIEWER_ADDRESS_HEADER)?.parse::<IpAddr>().ok())
        .map(|ip| ip.to_string());
    let from_gateway = || {
        parts
            .extensions
            .get::<RequestContext>()
            .and_then(|ctx| match ctx {
                RequestContext::ApiGatewayV2(c) => c.http.source_ip.clone(),
                RequestContext::ApiGatewayV1(c) => c.identity.source_ip.clone(),
                #[allow(unreachable_patterns)]
                _ => None,
            })
    };
    let from_socket = || {
        parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip().to_string())
    };
    from_edge.or_else(from_gateway).or_else(from_socket)
}

#[cfg(test)]
mod client_address_tests {
    use super::*;
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut request = axum::http::Request::builder().uri("/api/auth/login");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let (mut parts, ()) = request.body(()).unwrap().into_parts();
        let peer: SocketAddr = "198.51.100.7:443".parse().unwrap();
        parts.extensions.insert(ConnectInfo(peer));
        parts
    }

    #[test]
    fn the_viewer_address_counts_only_with_the_edge_token() {
        let viewer = [
            (EDGE_TOKEN_HEADER, "the-stack-token"),
            (VIEWER_ADDRESS_HEADER, "203.0.113.9"),
        ];
        assert_eq!(
            client_address(&parts(&viewer), Some("the-stack-token")).as_deref(),
            Some("203.0.113.9")
        );
        // A wrong token, no token, or no token configured: the peer.
        let forged = [
            (EDGE_TOKEN_HEADER, "a-guess"),
            (VIEWER_ADDRESS_HEADER, "203.0.113.9"),
        ];
        let peer = Some("198.51.100.7");
        assert_eq!(
            client_address(&parts(&forged), Some("the-stack-token")).as_deref(),
            peer
        );
        assert_eq!(
            client_address(&parts(&viewer[1..]), Some("the-stack-token")).as_deref(),
            peer
        );
        assert_eq!(client_address(&parts(&viewer), None).as_deref(), peer);
        // Something that is not an address is not believed either.
        let garbage = [
            (EDGE_TOKEN_HEADER, "the-stack-token"),
            (VIEWER_ADDRESS_HEADER, "203.0.113.9, 10.0.0.1"),
        ];
        assert_eq!(
            client_address(&parts(&garbage), Some("the-stack-token")).as_deref(),
            peer
        );
        // IPv6 viewers are normalised.
        let v6 = [
            (EDGE_TOKEN_HEADER, "the-stack-token"),
            (VIEWER_ADDRESS_HEADER, "2001:DB8:0:0::1"),
        ];
        assert_eq!(
            client_address(&parts(&v6), Some("the-stack-token")).as_deref(),
            Some("2001:db8::1")
        );
    }
}
