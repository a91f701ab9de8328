//! Email: templates, the transactional outbox and its transports.
//!
//! A handler queues mail with [`outbox::enqueue`] inside its transaction and,
//! after commit, may ask the [`Mailer`] to deliver those messages at once.
//! Whatever is not delivered then (a provider outage, or mail deliberately
//! left to the scheduled sender so answer times do not reveal whether an
//! address has an account) is delivered by the jobs function every minute.

pub mod outbox;
pub mod suppressions;
mod templates;
pub mod transport;

pub use templates::{Mail, Rendered};

use loaf_core::config::EmailConfig;
use sqlx::PgPool;
use transport::Transport;
use uuid::Uuid;

/// The configured transport and sender address, built once per container.
#[derive(Clone)]
pub struct Mailer {
    pub config: EmailConfig,
    pub transport: Transport,
}

impl Mailer {
    /// Files under `MAIL_DIR` when it is set, else SES with the default AWS
    /// configuration (region and credentials of the function's role).
    pub fn from_config(config: EmailConfig) -> Self {
        let transport = match &config.mail_dir {
            Some(dir) => Transport::Directory(dir.clone()),
            None => Transport::Ses {
                client: transport::ses_client(),
                configuration_set: config.configuration_set.clone(),
            },
        };
        Mailer { config, transport }
    }

    /// Delivers the messages `ids` now, after the transaction that queued
    /// them committed. Failures are logged and left to the scheduled sender;
    /// the request that caused the mail has already succeeded.
    pub async fn deliver_now(&self, db: &PgPool, ids: &[Uuid]) {
        if ids.is_empty() {
            return;
        }
        let limit = ids.len() as i64;
        if let Err(e) =
            outbox::deliver_due(db, &self.transport, &self.config.from, Some(ids), limit).await
        {
            tracing::warn!(error = %e, "immediate email delivery failed; the scheduled sender will retry");
        }
    }

    /// Delivers up to `limit` due messages: the scheduled sender's work.
    pub async fn deliver_due(
        &self,
        db: &PgPool,
        limit: i64,
    ) -> Result<outbox::Delivery, sqlx::Error> {
        outbox::deliver_due(db, &self.transport, &self.config.from, None, limit).await
    }
}
