//! What every handler shares, built once per container (per process locally).

use loaf_core::config::PaymentsConfig;
use loaf_core::config::{Config, ConfigError};
use loaf_core::db;
use loaf_core::storage::Storage;
use loaf_domain::auth::{PermissionCache, TokenKeys};
use loaf_domain::email::Mailer;
use loaf_domain::payments::Payments;
use sqlx::PgPool;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

/// What every handler shares, behind one reference count: the router
/// clones it into each of its routes as a container starts (one atomic
/// increment each, where copying the parts cost a cold start tens of
/// microseconds). Reads go through to [`Shared`]; changing a part (tests,
/// the load bench) copies it first if it is shared.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl DerefMut for AppState {
    fn deref_mut(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }
}

/// The parts of [`AppState`].
#[derive(Clone)]
pub struct Shared {
    pub config: Arc<Config>,
    pub db: PgPool,
    pub storage: Storage,
    pub mailer: Arc<Mailer>,
    pub tokens: Arc<TokenKeys>,
    pub permissions: Arc<PermissionCache>,
    /// The payment provider's client, when online payments are on.
    pub payments: Payments,
    /// How the pool re-reads its credentials after a rotation (in AWS, where
    /// they come from a secret); `None` when they cannot change.
    pub db_rotation: Option<loaf_core::secrets::Rotation>,
}

impl AppState {
    /// Builds the state from parts made elsewhere (the local server and the
    /// tests bring their own pool, storage and mail transport).
    pub fn new(config: Config, db: PgPool, storage: Storage, mailer: Mailer) -> Self {
        AppState(Arc::new(Shared {
            mailer: Arc::new(mailer),
            tokens: Arc::new(TokenKeys::new(&config.auth)),
            permissions: Arc::new(PermissionCache::new(config.auth.permission_cache_ttl)),
            payments: Payments::fixed(
                config.payments.clone(),
                PaymentsConfig::read(&|_: &str| None).expect("the defaults are valid"),
            ),
            config: Arc::new(config),
            db,
            storage,
            db_rotation: None,
        }))
    }

    /// The same state, its pool following the credentials of `rotation`.
    pub fn with_rotation(mut self, rotation: Option<loaf_core::secrets::Rotation>) -> Self {
        self.db_rotation = rotation;
        self
    }

    /// Reads the environment (and the secrets it points at), builds the
    /// (lazy) pool and the S3 client: what a Lambda container does once,
    /// before its first request.
    pub async fn from_env() -> Result<Self, ConfigError> {
        let env =
            loaf_core::secrets::resolve_env(loaf_core::secrets::Needs::DatabaseAndJwt).await?;
        let config = Config::read(&env)?;
        let pool = db::connect_lazy(&config.db).map_err(|e| ConfigError {
            var: "DATABASE_URL",
            problem: format!("cannot be used: {e}"),
        })?;
        let storage = Storage::new(&config.storage);
        let mailer = Mailer::from_config(config.email.clone());
        let mut state =
            AppState::new(config, pool, storage, mailer).with_rotation(env.db_rotation());
        if let Some((arn, client)) = env.payment_secret() {
            state.payments = Payments::from_secret(
                PaymentsConfig::read(&env)?,
                state.config.payments.clone(),
                arn,
                client,
                loaf_domain::payments::FRESH_FOR,
            );
        }
        Ok(state)
    }
}
