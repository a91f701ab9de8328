//! The S3 code path against a real S3-protocol endpoint: files go up and
//! down by presigned URL, never through the API.

use loaf_core::config::StorageConfig;
use loaf_core::storage::{Storage, StorageError};
use loaf_http::ApiError;
use loaf_tests::spawn_app;
use std::time::Duration;

const MINUTE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn a_file_goes_up_and_down_by_presigned_url() {
    let app = spawn_app().await;
    let storage = &app.state.storage;
    let http = reqwest::Client::new();
    let body = b"%PDF-1.7 minutes of the general assembly".to_vec();

    let put = storage
        .presign_put(
            "documents/newsletters/n1.pdf",
            "application/pdf",
            body.len() as i64,
            MINUTE,
        )
        .await
        .unwrap();
    assert_eq!(put.method, "PUT");
    let mut req = http.put(&put.url).body(body.clone());
    for (name, value) in &put.headers {
        req = req.header(name, value);
    }
    let res = req.send().await.unwrap();
    assert!(
        res.status().is_success(),
        "upload: {}",
        res.text().await.unwrap()
    );

    let info = storage
        .head("documents/newsletters/n1.pdf")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(info.size, body.len() as i64);
    assert_eq!(info.content_type.as_deref(), Some("application/pdf"));

    let url = storage
        .presign_get(
            "documents/newsletters/n1.pdf",
            MINUTE,
            Some("Lettre d'été.pdf"),
        )
        .await
        .unwrap();
    let res = http.get(&url).send().await.unwrap();
    assert!(res.status().is_success());
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.contains("filename*=UTF-8''Lettre%20d%27%C3%A9t%C3%A9.pdf"),
        "{disposition}"
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), body);

    storage
        .delete("documents/newsletters/n1.pdf")
        .await
        .unwrap();
    assert_eq!(
        storage.head("documents/newsletters/n1.pdf").await.unwrap(),
        None
    );
    storage
        .delete("documents/newsletters/n1.pdf")
        .await
        .unwrap();
}

#[tokio::test]
async fn an_upload_of_another_type_than_signed_is_refused() {
    let app = spawn_app().await;
    let put = app
        .state
        .storage
        .presign_put("documents/x.pdf", "application/pdf", 4, MINUTE)
        .await
        .unwrap();
    let res = reqwest::Client::new()
        .put(&put.url)
        .header("content-type", "text/html")
        .body("<h1>")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(
        app.state.storage.head("documents/x.pdf").await.unwrap(),
        None
    );
}

#[tokio::test]
async fn an_unreachable_endpoint_is_a_clean_503() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let storage = Storage::new(&StorageConfig {
        bucket: "nowhere".into(),
        endpoint: Some(format!("http://127.0.0.1:{port}")),
        force_path_style: Some(true),
        region: Some("us-east-1".into()),
        access_key_id: Some("x".into()),
        secret_access_key: Some("y".into()),
    });
    let err = storage.head("any").await.unwrap_err();
    assert!(matches!(err, StorageError::Unavailable(_)), "{err}");
    assert_eq!(
        ApiError::from(err).status(),
        http::StatusCode::SERVICE_UNAVAILABLE
    );
}

/// The browser's side of an upload: the local endpoint answers the CORS
/// preflight and lets the page read the ETag, as the bucket's rules do in AWS.
#[tokio::test]
async fn the_local_bucket_lets_a_web_page_upload_across_origins() {
    let app = spawn_app().await;
    let http = reqwest::Client::new();
    let origin = "http://127.0.0.1:5173";
    let body = b"\x89PNG logo".to_vec();
    let put = app
        .state
        .storage
        .presign_put("staging/logo.png", "image/png", body.len() as i64, MINUTE)
        .await
        .unwrap();

    let preflight = http
        .request(reqwest::Method::OPTIONS, &put.url)
        .header("origin", origin)
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    let h = preflight.headers();
    assert_eq!(h["access-control-allow-origin"], origin);
    assert!(h["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("PUT"));
    assert_eq!(h["access-control-allow-headers"], "content-type");

    let mut req = http.put(&put.url).header("origin", origin).body(body);
    for (name, value) in &put.headers {
        req = req.header(name, value);
    }
    let res = req.send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(res.headers()["access-control-allow-origin"], origin);
    assert_eq!(res.headers()["access-control-expose-headers"], "ETag");
    assert!(res.headers().contains_key("etag"));

    // Without an Origin (the API's own calls) nothing changes.
    let res = http.get(&put.url).send().await.unwrap();
    assert!(!res.headers().contains_key("access-control-allow-origin"));
}
