//! Where a client keeps its refresh token. JSON clients get it in the body,
//! as ever. The web app asks for a cookie instead (`X-Loaf-Session:
//! cookie`): the token then travels only as an `HttpOnly; Secure;
//! SameSite=Strict` cookie scoped to `/api/auth`, which page scripts cannot
//! read, and the body leaves it out. The routes that read the cookie
//! (refresh, logout) read it only when that header is sent: a page of
//! another site cannot send a custom header to this origin (the browser
//! asks first, and the API allows no other origin), and the cookie is not
//! sent cross-site anyway, so a forged request carries no session.

use axum::extract::FromRequestParts;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use std::time::Duration;

/// The cookie holding the refresh token.
pub const COOKIE_NAME: &str = "loaf_refresh";
/// The request header by which the web app asks for the cookie.
pub const MODE_HEADER: &str = "x-loaf-session";
/// The only path the browser sends the cookie to.
const COOKIE_PATH: &str = "/api/auth";

/// How this request's client keeps its refresh token, and the cookie it
/// sent (read only in cookie mode).
#[derive(Debug, Clone, Default)]
pub struct SessionMode {
    cookie_mode: bool,
    cookie: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for SessionMode {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let cookie_mode = parts
            .headers
            .get(MODE_HEADER)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"cookie"));
        let cookie = cookie_mode
            .then(|| {
                parts
                    .headers
                    .get_all(COOKIE)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(';'))
                    .filter_map(|pair| pair.trim().split_once('='))
                    .find(|(name, _)| *name == COOKIE_NAME)
                    .map(|(_, value)| value.to_string())
            })
            .flatten();
        Ok(SessionMode {
            cookie_mode,
            cookie,
        })
    }
}

impl SessionMode {
    /// `true` when the client asked for the cookie.
    pub fn is_cookie(&self) -> bool {
        self.cookie_mode
    }

    /// The refresh token of this request: the body's, else (in cookie
    /// mode) the cookie's.
    pub fn refresh_token(&self, from_body: Option<String>) -> Option<String> {
        from_body.or_else(|| self.cookie.clone())
    }

    /// The `Set-Cookie` that keeps `token` for `ttl`, in cookie mode.
    pub fn keep(&self, token: &str, ttl: Duration) -> Option<HeaderValue> {
        self.cookie_mode.then(|| {
            cookie_header(&format!(
                "{COOKIE_NAME}={token}; Path={COOKIE_PATH}; Max-Age={}; HttpOnly; Secure; SameSite=Strict",
                ttl.as_secs()
            ))
        })
    }

    /// The `Set-Cookie` that removes the cookie, in cookie mode.
    pub fn clear(&self) -> Option<HeaderValue> {
        self.cookie_mode.then(|| {
            cookie_header(&format!(
                "{COOKIE_NAME}=; Path={COOKIE_PATH}; Max-Age=0; HttpOnly; Secure; SameSite=Strict"
            ))
        })
    }
}

fn cookie_header(value: &str) -> HeaderValue {
    // Tokens are URL-safe base64 and the rest is ours: always a valid value.
    HeaderValue::from_str(value).expect("a cookie of URL-safe characters")
}

/// An answer with a `Set-Cookie` header added when there is one.
pub struct WithCookie<R> {
    pub reply: R,
    pub set_cookie: Option<HeaderValue>,
}

impl<R: IntoResponse> IntoResponse for WithCookie<R> {
    fn into_response(self) -> Response {
        let mut res = self.reply.into_response();
        if let Some(cookie) = self.set_cookie {
            res.headers_mut().append(SET_COOKIE, cookie);
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    async fn mode(headers: &[(&str, &str)]) -> SessionMode {
        let mut req = Request::builder();
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let (mut parts, _) = req.body(()).unwrap().into_parts();
        SessionMode::from_request_parts(&mut parts, &())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn the_cookie_is_read_only_when_the_client_asks_for_cookies() {
        let cookie = ("cookie", "theme=dark; loaf_refresh=abc123; other=1");
        assert_eq!(mode(&[cookie]).await.refresh_token(None), None);
        let asked = mode(&[cookie, ("x-loaf-session", "cookie")]).await;
        assert_eq!(asked.refresh_token(None).as_deref(), Some("abc123"));
        assert_eq!(
            asked.refresh_token(Some("body".into())).as_deref(),
            Some("body")
        );
    }

    #[tokio::test]
    async fn the_cookie_is_http_only_secure_strict_and_scoped() {
        let asked = mode(&[("x-loaf-session", "cookie")]).await;
        let set = asked.keep("tok", Duration::from_secs(60)).unwrap();
        let set = set.to_str().unwrap();
        for part in [
            "loaf_refresh=tok",
            "Path=/api/auth",
            "Max-Age=60",
            "HttpOnly",
            "Secure",
            "SameSite=Strict",
        ] {
            assert!(set.contains(part), "{set}");
        }
        assert!(asked
            .clear()
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Max-Age=0"));
        assert!(mode(&[])
            .await
            .keep("tok", Duration::from_secs(60))
            .is_none());
    }
}
