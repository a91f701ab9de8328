//! How this crate's AWS SDK clients are made: one HTTPS stack, and clients
//! built when first used rather than at a container's start.

use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// The SDK's configuration loader with [`https_client`].
pub fn defaults() -> aws_config::ConfigLoader {
    aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(https_client())
}

/// An HTTPS client on rustls and ring, the TLS stack the database
/// connections already use: the binaries carry one crypto library instead of
/// two (the SDK's default is aws-lc). Every SDK client needs one.
pub fn https_client() -> aws_sdk_s3::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// A client built on its first use and shared by every clone after that.
/// Loading the SDK's configuration (credential chain, TLS roots) costs a
/// cold start several milliseconds; most requests of most functions never
/// call AWS, and presigning needs the client but not a connection.
pub struct Lazy<C> {
    cell: Arc<OnceCell<C>>,
    build: Arc<dyn Fn() -> std::pin::Pin<Box<dyn Future<Output = C> + Send>> + Send + Sync>,
}

impl<C> Clone for Lazy<C> {
    fn clone(&self) -> Self {
        Lazy {
            cell: self.cell.clone(),
            build: self.build.clone(),
        }
    }
}

impl<C: Send + Sync + 'static> Lazy<C> {
    /// A client `build` makes when it is first asked for.
    pub fn new<F, Fut>(build: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = C> + Send + 'static,
    {
        Lazy {
            cell: Arc::new(OnceCell::new()),
            build: Arc::new(move || Box::pin(build())),
        }
    }

    /// A client made elsewhere (the tests bring their own).
    pub fn ready(client: C) -> Self
    where
        C: Clone,
    {
        Lazy::new(move || std::future::ready(client.clone()))
    }

    /// The client, built now if this is the first call (concurrent first
    /// calls build it once).
    pub async fn get(&self) -> &C {
        self.cell.get_or_init(|| (self.build)()).await
    }
}
