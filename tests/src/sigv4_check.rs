//! The stand-ins' side of Signature Version 4: a request is accepted only
//! when its `Authorization` header is what AWS would compute from the
//! request as it arrived (method, path, query, the signed headers' values,
//! the body's hash), for the credentials below. This checks how the
//! platform assembles and sends a signed request; the signing arithmetic
//! itself is held to AWS's published examples in `loaf_core::aws::sigv4`.

use chrono::{NaiveDateTime, TimeZone, Utc};
use http::{HeaderMap, Method, Uri};
use loaf_core::aws::sigv4::{self, Canonical, Scope};
use loaf_core::aws::Credentials;
use loaf_core::config::Secret;

/// The key pair the stand-ins accept (and the tests give the functions).
pub const ACCESS_KEY_ID: &str = "AKIDEXAMPLE";
pub const SECRET_ACCESS_KEY: &str = "secret";

pub fn credentials() -> Credentials {
    Credentials {
        access_key_id: ACCESS_KEY_ID.into(),
        secret_access_key: Secret::new(SECRET_ACCESS_KEY),
        session_token: None,
    }
}

/// Why the request's signature is refused, if it is.
pub fn verify(
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    service: &str,
) -> Result<(), String> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| format!("no {name} header"))
    };
    let authorization = header("authorization")?;
    let fields = authorization
        .strip_prefix("AWS4-HMAC-SHA256 ")
        .ok_or("not a SigV4 authorization")?;
    let field = |name: &str| {
        fields
            .split(", ")
            .find_map(|f| f.strip_prefix(name)?.strip_prefix('='))
            .ok_or_else(|| format!("no {name} in the authorization"))
    };
    let credential: Vec<&str> = field("Credential")?.split('/').collect();
    let [key_id, _date, region, signed_service, "aws4_request"] = credential[..] else {
        return Err("a malformed credential scope".into());
    };
    if key_id != ACCESS_KEY_ID || signed_service != service {
        return Err(format!("signed by {key_id} for {signed_service}"));
    }
    // A session token sent must be signed, or it could be swapped.
    if headers.contains_key("x-amz-security-token")
        && !field("SignedHeaders")?
            .split(';')
            .any(|h| h == "x-amz-security-token")
    {
        return Err("the session token is not signed".into());
    }
    let time = NaiveDateTime::parse_from_str(&header("x-amz-date")?, "%Y%m%dT%H%M%SZ")
        .map_err(|e| format!("x-amz-date: {e}"))?;
    let body_hash = sigv4::payload_hash(body);
    if let Ok(claimed) = header("x-amz-content-sha256") {
        if claimed != body_hash {
            return Err("x-amz-content-sha256 is not the body's hash".into());
        }
    }
    let signed: Vec<(String, String)> = field("SignedHeaders")?
        .split(';')
        .map(|name| Ok((name.to_string(), header(name)?)))
        .collect::<Result<_, String>>()?;
    let query: Vec<(String, String)> =
        form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let expected = sigv4::authorization(
        &credentials(),
        &Scope {
            region,
            service,
            time: Utc.from_utc_datetime(&time),
        },
        &Canonical {
            method: method.as_str(),
            path: uri.path(),
            query: &query,
            headers: &signed,
            payload_hash: &body_hash,
        },
    );
    if expected == authorization {
        Ok(())
    } else {
        Err("the signature does not match the request".into())
    }
}
