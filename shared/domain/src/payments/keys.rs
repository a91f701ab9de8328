//! The payment provider as a function sees it now.
//!
//! In AWS the provider's keys live in a secret (`PAYMENT_SECRET_ARN`) that
//! the deployer fills after the first deploy and may roll at any time (a
//! leaked key is replaced at the provider, then in the secret). A container
//! reads the secret again when asked and its copy is over a minute old, so
//! new keys reach warm containers without a redeploy; between reads, asking
//! costs nothing. Locally and in the tests the keys are fixed.

use super::Provider;
use loaf_core::config::{self, PaymentsConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// How long a container trusts its copy of the keys read from a secret.
pub const FRESH_FOR: Duration = Duration::from_secs(60);

/// The provider's client, or none when online payments are off; cheap to
/// clone.
#[derive(Clone)]
pub struct Payments {
    /// The limits and API URL, which come from the environment.
    settings: PaymentsConfig,
    secret: Option<Arc<Secret>>,
    fixed: Option<Provider>,
}

struct Secret {
    arn: String,
    client: loaf_core::aws::Client,
    fresh_for: Duration,
    /// The provider built from the keys last read, and when they were read.
    current: Mutex<(Instant, Option<Provider>)>,
}

#[derive(serde::Deserialize)]
struct Keys {
    secret_key: String,
    webhook_secret: String,
}

impl Payments {
    /// Keys fixed for the process's life (`None`: payments off); `settings`
    /// gives the limits when they are off.
    pub fn fixed(config: Option<PaymentsConfig>, settings: PaymentsConfig) -> Self {
        Payments {
            settings: config.clone().unwrap_or(settings),
            fixed: config.map(Provider::new),
            secret: None,
        }
    }

    /// Keys in the secret `arn`, read at start as `initial` (`None`: the
    /// secret held none then), read again when asked after `fresh_for`
    /// ([`FRESH_FOR`] in a function).
    pub fn from_secret(
        settings: PaymentsConfig,
        initial: Option<PaymentsConfig>,
        arn: String,
        client: loaf_core::aws::Client,
        fresh_for: Duration,
    ) -> Self {
        Payments {
            settings,
            fixed: None,
            secret: Some(Arc::new(Secret {
                arn,
                client,
                fresh_for,
                current: Mutex::new((Instant::now(), initial.map(Provider::new))),
            })),
        }
    }

    /// The largest total a payment may carry, whether or not online
    /// payments are on.
    pub fn max_cents(&self) -> i64 {
        self.settings.max_cents
    }

    /// The provider, or `None` when online payments are off. A secret that
    /// cannot be read keeps the keys read last (and says so in the log).
    pub async fn provider(&self) -> Option<Provider> {
        let Some(secret) = &self.secret else {
            return self.fixed.clone();
        };
        let mut current = secret.current.lock().await;
        if current.0.elapsed() < secret.fresh_for {
            return current.1.clone();
        }
        match loaf_core::secrets::fetch(&secret.client, "PAYMENT_SECRET_ARN", &secret.arn).await {
            Ok(text) => match serde_json::from_str::<Keys>(&text) {
                Ok(keys) => {
                    let unchanged = current.1.as_ref().is_some_and(|p| {
                        p.config().secret_key.expose() == keys.secret_key
                            && p.config().webhook_secret.expose() == keys.webhook_secret
                    });
                    if !unchanged {
                        current.1 = (!keys.secret_key.trim().is_empty()
                            && !keys.webhook_secret.trim().is_empty())
                        .then(|| {
                            Provider::new(PaymentsConfig {
                                secret_key: config::Secret::new(keys.secret_key.trim()),
                                webhook_secret: config::Secret::new(keys.webhook_secret.trim()),
                                ..self.settings.clone()
                            })
                        });
                        tracing::info!(on = current.1.is_some(), "payment keys read again");
                    }
                }
                Err(_) => tracing::error!(
                    "PAYMENT_SECRET_ARN names a secret that is not JSON with secret_key and webhook_secret"
                ),
            },
            Err(e) => tracing::error!("{e}"),
        }
        current.0 = Instant::now();
        current.1.clone()
    }
}
