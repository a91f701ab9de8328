//! The scheduled Lambda: the event says which job (`{"job": "send-email"}`
//! every minute, `{"job": "exports"}` every minute, `{"job": "hourly"}`
//! every hour, an SNS event for the email
//! provider's bounces and complaints, anything else daily); the answer is
//! the run's summary.

use lambda_runtime::{service_fn, LambdaEvent};
use loaf_core::config::{DbConfig, EmailConfig, RemindersConfig, StorageConfig};
use loaf_domain::email::Mailer;
use loaf_jobs::Job;
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    loaf_core::telemetry::init();
    let env = loaf_core::secrets::resolve_env(loaf_core::secrets::Needs::Database)
        .await
        .inspect_err(|e| tracing::error!("{e}"))?;
    // As the application role: its per-statement limit holds here too (each
    // job is a statement or a short transaction over batches).
    let config = DbConfig::read(&env).inspect_err(|e| tracing::error!("{e}"))?;
    let rotation = env.db_rotation();
    let email = EmailConfig::read(&env).inspect_err(|e| tracing::error!("{e}"))?;
    let reminders = RemindersConfig::read(&env).inspect_err(|e| tracing::error!("{e}"))?;
    let storage = StorageConfig::read(&env).inspect_err(|e| tracing::error!("{e}"))?;
    let storage = loaf_core::storage::Storage::new(&storage);
    let pool = loaf_core::db::connect_lazy(&config)?;
    let mailer = Mailer::from_config(email);
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| {
        let (pool, mailer, reminders, storage) = (&pool, &mailer, &reminders, &storage);
        let rotation = &rotation;
        async move {
            if let Some(rotation) = rotation {
                rotation.ready(pool).await;
            }
            let summary = match Job::of(&event.payload) {
                Job::SendEmail => serde_json::to_value(loaf_jobs::send_email(pool, mailer).await?)?,
                Job::Exports => {
                    serde_json::to_value(loaf_jobs::exports(pool, storage, &mailer.config).await?)?
                }
                Job::EmailEvents => {
                    serde_json::to_value(loaf_jobs::email_events(pool, &event.payload).await?)?
                }
                Job::Hourly => serde_json::to_value(
                    loaf_jobs::hourly(pool, &mailer.config, reminders, chrono::Utc::now()).await?,
                )?,
                Job::Daily => serde_json::to_value(
                    loaf_jobs::run(pool, storage, &mailer.config, reminders, chrono::Utc::now())
                        .await?,
                )?,
            };
            tracing::info!(%summary, "scheduled job done");
            Ok::<_, lambda_runtime::Error>(summary)
        }
    }))
    .await
}
