//! A local S3-compatible endpoint (s3s-fs: the S3 wire protocol, SigV4 and
//! presigned URLs included, over a folder), so `loaf serve` and the tests
//! run the same storage code path as AWS.

use anyhow::Context;
use http::{header, HeaderValue, Method, Request, Response, StatusCode};
use hyper::body::Incoming;
use hyper::service::Service;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::{S3Service, S3ServiceBuilder};
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The access key pair the local endpoint accepts. Local only: the endpoint
/// listens on 127.0.0.1 and holds development data.
pub const ACCESS_KEY_ID: &str = "loaf-local";
pub const SECRET_ACCESS_KEY: &str = "loaf-local-secret-key";

/// A running endpoint; dropping it stops it: no new connections, and open
/// ones are closed, as when a real endpoint goes away.
pub struct LocalS3 {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
}

impl LocalS3 {
    /// Serves the folder `root` (created if missing; each bucket is a
    /// sub-folder) on `127.0.0.1:port`, `port` 0 meaning any free port.
    pub async fn start(root: &Path, port: u16) -> anyhow::Result<Self> {
        std::fs::create_dir_all(root)
            .with_context(|| format!("cannot create the local S3 folder {}", root.display()))?;
        let fs = s3s_fs::FileSystem::new(root).map_err(|e| {
            anyhow::anyhow!("cannot open the local S3 folder {}: {e:?}", root.display())
        })?;
        let service = {
            let mut builder = S3ServiceBuilder::new(fs);
            builder.set_auth(SimpleAuth::from_single(ACCESS_KEY_ID, SECRET_ACCESS_KEY));
            WithCors(builder.build())
        };
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .with_context(|| {
                format!("cannot listen on 127.0.0.1:{port} for the local S3 endpoint")
            })?;
        let addr = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        tokio::spawn(async move {
            let http = ConnBuilder::new(TokioExecutor::new());
            loop {
                let socket = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((socket, _)) => socket,
                        Err(e) => {
                            tracing::warn!(error = %e, "local S3: accept failed");
                            continue;
                        }
                    },
                    _ = stopped.changed() => break,
                };
                let conn = http
                    .serve_connection(TokioIo::new(socket), service.clone())
                    .into_owned();
                let mut closing = stopped.clone();
                tokio::spawn(async move {
                    tokio::select! {
                        _ = conn => {}
                        _ = closing.changed() => {}
                    }
                });
            }
        });
        Ok(LocalS3 { addr, stop })
    }

    /// `http://127.0.0.1:PORT`, what `S3_ENDPOINT` should say.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// What the bucket's CORS rules do in AWS (template.yaml): a browser page may
/// GET, PUT and HEAD by presigned URL and read the ETag. Any origin, since
/// the endpoint listens on 127.0.0.1 only and the URL is the permission.
#[derive(Clone)]
struct WithCors(S3Service);

type Answer = Result<Response<s3s::Body>, s3s::HttpError>;

impl hyper::service::Service<Request<Incoming>> for WithCors {
    type Response = Response<s3s::Body>;
    type Error = s3s::HttpError;
    type Future = Pin<Box<dyn Future<Output = Answer> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        let s3 = self.0.clone();
        Box::pin(async move {
            let Some(origin) = request.headers().get(header::ORIGIN).cloned() else {
                return Service::call(&s3, request).await;
            };
            if request.method() == Method::OPTIONS {
                let mut preflight = Response::new(s3s::Body::empty());
                *preflight.status_mut() = StatusCode::NO_CONTENT;
                let headers = preflight.headers_mut();
                headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
                headers.insert(
                    header::ACCESS_CONTROL_ALLOW_METHODS,
                    HeaderValue::from_static("GET, PUT, HEAD"),
                );
                if let Some(asked) = request
                    .headers()
                    .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
                {
                    headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
                }
                headers.insert(
                    header::ACCESS_CONTROL_MAX_AGE,
                    HeaderValue::from_static("3000"),
                );
                headers.insert(header::VARY, HeaderValue::from_static("Origin"));
                return Ok(preflight);
            }
            let mut answer = Service::call(&s3, request).await?;
            let headers = answer.headers_mut();
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static("ETag"),
            );
            headers.insert(header::VARY, HeaderValue::from_static("Origin"));
            Ok(answer)
        })
    }
}

impl Drop for LocalS3 {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
