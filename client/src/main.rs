//! `vigil`: parse the command line, run the command, print its output (text or `--json`).
//! Errors are one line on standard error (a JSON object with `--json`); the exit code is 2
//! for a usage or configuration mistake (clap's own usage errors included) and 1 for a
//! failure while doing the work.
//!
//! Logs go to standard error through one env-filter subscriber set up here (`VIGIL_LOG`
//! overrides the filter): quiet for ordinary commands, `info` for the long-running
//! `devnet` and `oracle`, errors only for `demo` (its timeline is the output).

use clap::Parser;
use clap::error::ErrorKind;
use service_client::http::ServiceError;
use std::process::ExitCode;
use vigil_client::cli::{Cli, Command};
use vigil_client::commands::{self, UsageError};

// Multi-threaded: `vigil devnet` and `vigil demo` run every service in this process.
#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(&e),
    };
    init_logs(&cli);
    match commands::run(&cli).await {
        Ok(output) => {
            if !output.is_empty() {
                commands::emit(&output.render(cli.json));
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            let exit_code: u8 = if e.is::<UsageError>() { 2 } else { 1 };
            let message = format!("{e:#}").replace('\n', " ");
            if cli.json {
                // A server refusal keeps its stable code, so scripts can branch on it;
                // every other failure has one of its own.
                let code = error_code(&e);
                let body = serde_json::json!({
                    "error": message,
                    "code": code,
                    "exit_code": exit_code,
                });
                eprintln!("{body}");
            } else {
                eprintln!("error: {message}");
            }
            ExitCode::from(exit_code)
        }
    }
}

/// The tracing subscriber: `VIGIL_LOG` if set, else a default by command.
fn init_logs(cli: &Cli) {
    let default = match cli.command {
        Command::Devnet(_) | Command::Oracle(_) => "info",
        Command::Demo(_) => "error",
        _ => "warn",
    };
    let filter = std::env::var("VIGIL_LOG").unwrap_or_else(|_| default.to_string());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(service_shell::colours_wanted())
        .try_init();
}

/// Clap's answer when the command line does not parse: help and version print as usual
/// (exit 0); a mistake becomes one line (its first line, without clap's tips) and exit 2.
fn usage_error(e: &clap::Error) -> ExitCode {
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let rendered = e.render().to_string();
    let first = rendered
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("invalid command line");
    let message = first.strip_prefix("error: ").unwrap_or(first);
    if std::env::args().any(|a| a == "--json") {
        let body = serde_json::json!({"error": message, "code": "usage", "exit_code": 2});
        eprintln!("{body}");
    } else {
        eprintln!("error: {message} (see `vigil --help`)");
    }
    ExitCode::from(2)
}

/// The stable code of a failure for `--json`: the server's own when it refused, else
/// `usage` (a mistake in the command line or configuration), `unreachable` or
/// `bad_response` (a service did not answer properly), or `failed`.
fn error_code(e: &anyhow::Error) -> String {
    if let Some(service) = e.downcast_ref::<ServiceError>() {
        return match service {
            ServiceError::Api { code, .. } => code.clone(),
            ServiceError::Unreachable { .. } => "unreachable".into(),
            ServiceError::BadResponse { .. } => "bad_response".into(),
        };
    }
    if e.is::<UsageError>() {
        return "usage".into();
    }
    "failed".into()
}
