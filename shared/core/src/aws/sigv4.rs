//! AWS Signature Version 4: the signature every AWS API call carries, in its
//! two forms — an `Authorization` header on a request we send, and query
//! parameters on a presigned URL a browser uses. The algorithm is AWS's
//! published one (canonical request → string to sign → HMAC chain of date,
//! region, service); the tests hold it to AWS's documented examples.

use super::Credentials;
use crate::{hex, percent};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The payload hash of a request whose body is not hashed (S3 accepts it
/// over HTTPS; presigned URLs always use it).
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// What a signature covers. `path` is as sent (each segment already
/// percent-encoded); `query` and `headers` are raw, in any order; header
/// names are lower case and include `host`.
pub struct Canonical<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub headers: &'a [(String, String)],
    pub payload_hash: &'a str,
}

/// Where a signature is valid: one region and service, one day.
pub struct Scope<'a> {
    pub region: &'a str,
    pub service: &'a str,
    pub time: DateTime<Utc>,
}

impl Scope<'_> {
    fn date(&self) -> String {
        self.time.format("%Y%m%d").to_string()
    }

    /// `20150830T123600Z`, the `x-amz-date` form.
    pub fn timestamp(&self) -> String {
        self.time.format("%Y%m%dT%H%M%SZ").to_string()
    }

    fn credential_scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date(),
            self.region,
            self.service
        )
    }
}

/// The query string exactly as signed: pairs encoded, sorted, joined.
pub fn canonical_query(query: &[(String, String)]) -> String {
    let mut pairs: Vec<(String, String)> = query
        .iter()
        .map(|(k, v)| (percent::encode(k), percent::encode(v)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The names of the signed headers, sorted, `;`-joined.
fn signed_headers(headers: &[(String, String)]) -> String {
    let mut names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
    names.sort_unstable();
    names.join(";")
}

fn canonical_request(req: &Canonical) -> String {
    let mut headers: Vec<(&str, String)> = req
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str(),
                v.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .collect();
    headers.sort();
    let headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        req.method,
        req.path,
        canonical_query(req.query),
        headers,
        signed_headers(req.headers),
        req.payload_hash
    )
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes a key of any length");
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The SHA-256 of a body, as `x-amz-content-sha256` and the canonical
/// request want it.
pub fn payload_hash(body: &[u8]) -> String {
    hex::encode(&Sha256::digest(body))
}

fn signature(creds: &Credentials, scope: &Scope, req: &Canonical) -> String {
    let to_sign = format!(
        "{ALGORITHM}\n{}\n{}\n{}",
        scope.timestamp(),
        scope.credential_scope(),
        payload_hash(canonical_request(req).as_bytes())
    );
    let key = [
        scope.date().as_str(),
        scope.region,
        scope.service,
        "aws4_request",
    ]
    .iter()
    .fold(
        format!("AWS4{}", creds.secret_access_key.expose()).into_bytes(),
        |key, part| hmac(&key, part),
    );
    hex::encode(&hmac(&key, &to_sign))
}

/// The `Authorization` header for `req`, whose headers must already hold
/// `x-amz-date` (and the session token, when there is one).
pub fn authorization(creds: &Credentials, scope: &Scope, req: &Canonical) -> String {
    format!(
        "{ALGORITHM} Credential={}/{}, SignedHeaders={}, Signature={}",
        creds.access_key_id,
        scope.credential_scope(),
        signed_headers(req.headers),
        signature(creds, scope, req)
    )
}

/// The query parameters that make `req` a presigned request valid for
/// `expires_secs`: `req.query` plus the signing parameters, the signature
/// last. `req.query` must not already hold any `X-Amz-` parameter.
pub fn presigned_query(
    creds: &Credentials,
    scope: &Scope,
    req: &Canonical,
    expires_secs: u64,
) -> Vec<(String, String)> {
    let mut query = req.query.to_vec();
    query.extend([
        ("X-Amz-Algorithm".to_string(), ALGORITHM.to_string()),
        (
            "X-Amz-Credential".to_string(),
            format!("{}/{}", creds.access_key_id, scope.credential_scope()),
        ),
        ("X-Amz-Date".to_string(), scope.timestamp()),
        ("X-Amz-Expires".to_string(), expires_secs.to_string()),
    ]);
    if let Some(token) = &creds.session_token {
        query.push((
            "X-Amz-Security-Token".to_string(),
            token.expose().to_string(),
        ));
    }
    query.push((
        "X-Amz-SignedHeaders".to_string(),
        signed_headers(req.headers),
    ));
    let signed = Canonical {
        query: &query,
        ..*req
    };
    let signature = signature(creds, scope, &signed);
    query.push(("X-Amz-Signature".to_string(), signature));
    query
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;
    use chrono::TimeZone;

    fn example_credentials() -> Credentials {
        Credentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            session_token: None,
        }
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// AWS's worked example of a signed request ("Create a signed AWS API
    /// request", IAM `ListUsers`, 2015-08-30).
    #[test]
    fn a_header_signature_matches_the_documented_example() {
        let scope = Scope {
            region: "us-east-1",
            service: "iam",
            time: Utc.with_ymd_and_hms(2015, 8, 30, 12, 36, 0).unwrap(),
        };
        let headers = pairs(&[
            (
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
            ("host", "iam.amazonaws.com"),
            ("x-amz-date", "20150830T123600Z"),
        ]);
        let query = pairs(&[("Version", "2010-05-08"), ("Action", "ListUsers")]);
        let req = Canonical {
            method: "GET",
            path: "/",
            query: &query,
            headers: &headers,
            payload_hash: &payload_hash(b""),
        };
        assert_eq!(
            authorization(&example_credentials(), &scope, &req),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
             SignedHeaders=content-type;host;x-amz-date, \
             Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }

    /// Amazon S3's worked example of a presigned URL ("Authenticating
    /// requests: using query parameters", `GET /test.txt`, 2013-05-24).
    #[test]
    fn a_presigned_url_matches_the_documented_example() {
        let creds = Credentials {
            access_key_id: "AKIAIOSFODNN7EXAMPLE".into(),
            secret_access_key: Secret::new("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
            session_token: None,
        };
        let scope = Scope {
            region: "us-east-1",
            service: "s3",
            time: Utc.with_ymd_and_hms(2013, 5, 24, 0, 0, 0).unwrap(),
        };
        let headers = pairs(&[("host", "examplebucket.s3.amazonaws.com")]);
        let req = Canonical {
            method: "GET",
            path: "/test.txt",
            query: &[],
            headers: &headers,
            payload_hash: UNSIGNED_PAYLOAD,
        };
        let query = presigned_query(&creds, &scope, &req, 86400);
        assert_eq!(
            query.last().unwrap(),
            &(
                "X-Amz-Signature".to_string(),
                "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404".to_string()
            )
        );
        assert_eq!(
            canonical_query(&query[..query.len() - 1]),
            "X-Amz-Algorithm=AWS4-HMAC-SHA256\
             &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
             &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        );
    }

    #[test]
    fn a_session_token_is_signed_into_a_presigned_url() {
        let scope = Scope {
            region: "eu-west-1",
            service: "s3",
            time: Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap(),
        };
        let headers = pairs(&[("host", "bucket.s3.eu-west-1.amazonaws.com")]);
        let req = Canonical {
            method: "GET",
            path: "/a.pdf",
            query: &[],
            headers: &headers,
            payload_hash: UNSIGNED_PAYLOAD,
        };
        let without = presigned_query(&example_credentials(), &scope, &req, 60);
        let with_token = Credentials {
            session_token: Some(Secret::new("token/with+symbols")),
            ..example_credentials()
        };
        let with = presigned_query(&with_token, &scope, &req, 60);
        assert!(with.contains(&(
            "X-Amz-Security-Token".to_string(),
            "token/with+symbols".to_string()
        )));
        assert_eq!(with.last().unwrap().0, "X-Amz-Signature");
        assert_ne!(
            with.last(),
            without.last(),
            "the token is part of what is signed"
        );
    }

    #[test]
    fn query_pairs_are_encoded_then_sorted() {
        let query = pairs(&[("prefix", "a b/é"), ("list-type", "2"), ("a", "")]);
        assert_eq!(
            canonical_query(&query),
            "a=&list-type=2&prefix=a%20b%2F%C3%A9"
        );
    }
}
