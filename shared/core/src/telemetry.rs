//! Logging: JSON lines in Lambda (CloudWatch parses them), readable text on a
//! terminal. `RUST_LOG` filters (default `info,sqlx=warn`); `LOG_FORMAT=json|text`
//! overrides the choice.
//!
//! The filter is a list of `target=level` (or a bare default level), read
//! by `tracing_subscriber`'s `Targets`: the full `EnvFilter` syntax (span
//! and field matches) would link a regular-expression engine into every
//! function and cost each cold start its set-up.

use std::io::IsTerminal;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

const DEFAULT_FILTER: &str = "info,sqlx=warn";

/// Installs the global subscriber once; later calls do nothing, so tests and
/// the local server can call it freely.
pub fn init() {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.parse::<Targets>().ok())
        .unwrap_or_else(|| DEFAULT_FILTER.parse().expect("the default filter parses"));
    let json = match std::env::var("LOG_FORMAT").ok().as_deref() {
        Some("json") => true,
        Some("text") => false,
        _ => std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some(),
    };
    let registry = tracing_subscriber::registry().with(filter);
    let result = if json {
        // Lambda adds its own timestamp and request id to every line.
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(false)
                    .without_time()
                    .with_target(false)
                    .with_writer(std::io::stderr),
            )
            .try_init()
    } else {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_target(false)
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_writer(std::io::stderr),
            )
            .try_init()
    };
    // Err only means a subscriber is already installed.
    let _ = result;
}
