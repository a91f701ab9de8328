//! The local stack for one-off commands (`loaf jobs run`, `loaf storage
//! reconcile`): what `DATABASE_URL`, `S3_BUCKET` and `EMAIL_FROM`/`MAIL_DIR`
//! do not give comes from `loaf serve`'s project folder: its cluster
//! (started if needed, stopped again afterwards unless `loaf serve` runs),
//! its storage folder behind a local S3 endpoint, its mail folder.

use crate::local_postgres::{self, Cluster, Durability};
use crate::local_s3::{self, LocalS3};
use crate::project::Project;
use crate::serve::{cluster_dir, env_is_set, LOCAL_BUCKET};
use std::collections::HashMap;
use std::fs::File;

/// The local values and what was started for them.
pub struct LocalStack {
    values: HashMap<&'static str, String>,
    /// A cluster this command started (with the serve lock it holds).
    cluster: Option<(Cluster, File)>,
    s3: Option<LocalS3>,
}

impl LocalStack {
    /// Fills in what the environment leaves out.
    pub async fn for_commands() -> anyhow::Result<Self> {
        let mut stack = LocalStack {
            values: HashMap::new(),
            cluster: None,
            s3: None,
        };
        if env_is_set("DATABASE_URL") && env_is_set("S3_BUCKET") {
            return Ok(stack);
        }
        let project = Project::locate()?;
        let state_dir = project.state_dir()?;
        if !env_is_set("DATABASE_URL") {
            let cluster = Cluster::new(&cluster_dir(&state_dir), Durability::Safe)?;
            // Holding the serve lock means no `loaf serve` runs: the
            // cluster is ours to stop afterwards.
            let serve_lock = project.lock_serve().ok();
            cluster.start().await?;
            let set_up = local_postgres::database_exists(&cluster.url("postgres")?, "loaf").await;
            stack.values.insert("DATABASE_URL", cluster.url("loaf")?);
            if let Some(lock) = serve_lock {
                stack.cluster = Some((cluster, lock));
            }
            if !set_up? {
                stack.finish().await?;
                anyhow::bail!(
                    "the local database is not set up yet: run `loaf serve` once (it creates and migrates it), or set DATABASE_URL"
                );
            }
        }
        if !env_is_set("S3_BUCKET") {
            let s3 = LocalS3::start(&state_dir.join("s3"), 0).await?;
            stack.values.insert("S3_BUCKET", LOCAL_BUCKET.into());
            stack.values.insert("S3_ENDPOINT", s3.endpoint());
            stack
                .values
                .insert("S3_ACCESS_KEY_ID", local_s3::ACCESS_KEY_ID.into());
            stack
                .values
                .insert("S3_SECRET_ACCESS_KEY", local_s3::SECRET_ACCESS_KEY.into());
            stack.s3 = Some(s3);
        }
        if !env_is_set("EMAIL_FROM") && !env_is_set("MAIL_DIR") {
            stack.values.insert(
                "MAIL_DIR",
                state_dir.join("mail").to_string_lossy().into_owned(),
            );
        }
        Ok(stack)
    }

    /// The local value of `var`, if one was filled in.
    pub fn get(&self, var: &str) -> Option<String> {
        self.values.get(var).cloned()
    }

    /// Stops what this command started.
    pub async fn finish(self) -> anyhow::Result<()> {
        drop(self.s3);
        if let Some((cluster, _lock)) = self.cluster {
            cluster.stop().await?;
        }
        Ok(())
    }
}
