//! `loaf`: serve the whole API locally, migrate a database, create an admin,
//! run the scheduled jobs, reconcile the storage usage.

use clap::{Parser, Subcommand};
use loaf::commands::{self, AdminArgs, JobChoice};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "loaf",
    version,
    about = "The LOAF membership platform's admin CLI"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every function's routes on one local port. Without DATABASE_URL
    /// a private PostgreSQL runs in .loaf/postgres; without S3_BUCKET a local
    /// S3 endpoint serves .loaf/s3.
    Serve {
        /// Port on 127.0.0.1.
        #[arg(long, env = "PORT", default_value_t = 3000)]
        port: u16,
    },
    /// Apply migrations and seed permissions and roles (DATABASE_URL).
    Migrate {
        /// Print the summary as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Create a superadmin (DATABASE_URL). Prompts for what ADMIN_EMAIL,
    /// ADMIN_PASSWORD, ADMIN_FIRST_NAME, ADMIN_LAST_NAME and the flags do not give.
    CreateAdmin {
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        first_name: Option<String>,
        #[arg(long)]
        last_name: Option<String>,
    },
    /// The scheduled jobs (EventBridge runs them in AWS).
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Write the OpenAPI document of every route (what
    /// `GET /api/openapi.json` serves) to a file, or to standard output
    /// with `-`.
    Openapi {
        #[arg(default_value = "openapi.json")]
        path: String,
    },
    /// Stored files.
    Storage {
        #[command(subcommand)]
        command: StorageCommand,
    },
    /// The email provider's side, simulated locally.
    Email {
        #[command(subcommand)]
        command: EmailCommand,
    },
}

#[derive(Subcommand)]
enum EmailCommand {
    /// Feed the jobs function the event SES publishes when mail to ADDRESS
    /// bounces for good (or, with --complaint, is reported as spam): the
    /// address is then never mailed again. Uses DATABASE_URL, or the local
    /// cluster of `loaf serve`.
    Bounce {
        address: String,
        #[arg(long)]
        complaint: bool,
    },
}

#[derive(Subcommand)]
enum StorageCommand {
    /// Recompute the storage usage from what S3 holds, retry queued
    /// deletions, and report orphans and missing objects. Uses
    /// DATABASE_URL and S3_BUCKET, or the local stack of `loaf serve`.
    Reconcile,
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Run a job once now: expiries, reminders and housekeeping (daily), or
    /// the email outbox (send-email). Uses DATABASE_URL, or the local
    /// cluster of `loaf serve`.
    Run {
        #[arg(long, value_enum, default_value = "daily")]
        job: JobChoice,
        /// Run as of this instant (RFC 3339, e.g. 2027-01-31T09:00:00Z)
        /// instead of now: what the jobs would do then (a rehearsal of a
        /// reminder schedule, or catching up by hand).
        #[arg(long, value_parser = commands::instant)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    loaf_core::telemetry::init();
    let result = match cli.command {
        Command::Serve { port } => loaf::serve::serve(port).await,
        Command::Migrate { json } => commands::migrate(json).await,
        Command::Jobs {
            command: JobsCommand::Run { job, now },
        } => commands::run_jobs(job, now.unwrap_or_else(chrono::Utc::now)).await,
        Command::Openapi { path } => commands::write_openapi(&path),
        Command::Email {
            command: EmailCommand::Bounce { address, complaint },
        } => commands::simulate_bounce(&address, complaint).await,
        Command::Storage {
            command: StorageCommand::Reconcile,
        } => commands::reconcile_storage().await,
        Command::CreateAdmin {
            email,
            first_name,
            last_name,
        } => {
            commands::create_admin(AdminArgs {
                email,
                first_name,
                last_name,
            })
            .await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
