//! The web app in `loaf serve`: built when its build is missing or older
//! than its sources (npm installs from the lockfile, then Vite builds, the
//! progress shown as it goes), then served on the API's own address with
//! the headers CloudFront gives it in AWS. Every path that is not a file
//! of the build is answered with the app's page, which routes in the
//! browser.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::path::{Component, Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// Where the app's sources are: `LOAF_WEB_DIR`, else `web/` of the project.
pub fn source_dir(project_root: &Path) -> PathBuf {
    std::env::var_os("LOAF_WEB_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| project_root.join("web"))
}

/// What became of the web app.
pub enum Prepared {
    /// Built (now or before): serve it from this folder.
    Ready(PathBuf),
    /// Not served, and why (one line for the banner).
    Skipped(String),
}

/// Builds the app in `dir` if needed. Never fails the server: without the
/// app's sources, without Node, or when the build fails, the API is served
/// alone and the reason is given.
pub fn prepare(dir: &Path) -> Prepared {
    if !dir.join("package.json").is_file() {
        return Prepared::Skipped(format!("no web app in {}", dir.display()));
    }
    let dist = dir.join("dist");
    if !is_stale(dir, &dist) {
        return Prepared::Ready(dist);
    }
    if Command::new("npm").arg("--version").output().is_err() {
        return Prepared::Skipped(
            "Node.js (npm) not found: install Node.js 20 or later to build the web app; serving the API only"
                .into(),
        );
    }
    eprintln!("Building the web app in {} …", dir.display());
    if !install(dir) {
        return Prepared::Skipped("npm ci failed (see above); serving the API only".into());
    }
    let built = Command::new("npm")
        .args(["run", "build"])
        .current_dir(dir)
        .status();
    if !built.is_ok_and(|s| s.success()) {
        return Prepared::Skipped(
            "the web app's build failed (see above); serving the API only".into(),
        );
    }
    Prepared::Ready(dist)
}

/// The newest modification time of the files the build reads.
fn newest_source(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    let mut stack: Vec<PathBuf> = ["src", "public"].iter().map(|d| dir.join(d)).collect();
    for file in [
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "tsconfig.json",
    ] {
        stack.push(dir.join(file));
    }
    while let Some(path) = stack.pop() {
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            if let Ok(entries) = std::fs::read_dir(&path) {
                stack.extend(entries.flatten().map(|e| e.path()));
            }
        } else if let Ok(modified) = meta.modified() {
            newest = newest.max(Some(modified));
        }
    }
    newest
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn is_stale(dir: &Path, dist: &Path) -> bool {
    match modified(&dist.join("index.html")) {
        None => true,
        Some(built) => newest_source(dir).is_some_and(|source| source > built),
    }
}

/// Installs the app's packages from the lockfile (`npm ci`, its progress
/// shown) when they are missing or older than the lockfile; false when that
/// fails.
pub fn install(dir: &Path) -> bool {
    let fresh = match modified(&dir.join("node_modules/.package-lock.json")) {
        None => false,
        Some(installed) => {
            modified(&dir.join("package-lock.json")).is_none_or(|lock| lock <= installed)
        }
    };
    fresh
        || Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir)
            .status()
            .is_ok_and(|s| s.success())
}

/// The app's files under `dist`, with the security headers of every page.
/// `storage` is the S3 endpoint the pages load images from and upload to.
pub fn router(dist: PathBuf, storage: &str) -> Router {
    let policy = content_security_policy(storage);
    Router::new().fallback(move |req: Request| {
        let (dist, policy) = (dist.clone(), policy.clone());
        async move { serve(&dist, &policy, req).await }
    })
}

/// The policy of every page: only this origin's scripts (no inline script
/// at all), styles and fonts; images and uploads also to the storage
/// endpoint (presigned URLs); no frame around the app.
pub fn content_security_policy(storage: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: {storage}; \
         connect-src 'self' {storage}; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

async fn serve(dist: &Path, policy: &str, req: Request) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let path = req.uri().path().trim_start_matches('/');
    let relative = Path::new(path);
    let safe = relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    let file = if safe && !path.is_empty() {
        Some(dist.join(relative)).filter(|f| f.is_file())
    } else {
        None
    };
    let (file, is_page) = match file {
        Some(f) => (f, false),
        // Every other path is one of the app's own routes.
        None => (dist.join("index.html"), true),
    };
    let Ok(bytes) = tokio::fs::read(&file).await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // Built assets carry a hash of their content in their name.
    let cache = if path.starts_with("assets/") && !is_page {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut res = Response::new(if req.method() == Method::HEAD {
        Body::empty()
    } else {
        Body::from(bytes)
    });
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&file)),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(policy) = HeaderValue::from_str(policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    res
}

fn content_type(file: &Path) -> &'static str {
    match file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    async fn get(router: &Router, path: &str) -> Response {
        router
            .clone()
            .oneshot(Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn files_pages_and_what_may_not_be_reached() {
        let dist = std::env::temp_dir().join(format!("loaf-web-{}", std::process::id()));
        std::fs::create_dir_all(dist.join("assets")).unwrap();
        std::fs::write(
            dist.join("index.html"),
            "<!doctype html><title>LOAF</title>",
        )
        .unwrap();
        std::fs::write(dist.join("assets/app-1a2b.js"), "console.log(1)").unwrap();
        let router = router(dist.clone(), "http://127.0.0.1:9000");

        let asset = get(&router, "/assets/app-1a2b.js").await;
        assert_eq!(asset.status(), StatusCode::OK);
        assert!(asset.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript"));
        assert!(asset.headers()[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable"));
        // An app route is the page, never cached.
        let page = get(&router, "/membership/complete").await;
        assert_eq!(page.headers()[header::CACHE_CONTROL], "no-cache");
        let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'"));
        // A path that climbs out is just a page.
        let climb = get(&router, "/assets/../../etc/passwd").await;
        let body = axum::body::to_bytes(climb.into_body(), 1 << 16)
            .await
            .unwrap();
        assert!(body.starts_with(b"<!doctype html>"));
        std::fs::remove_dir_all(dist).unwrap();
    }
}
