//! `vigil`: parse the command line, run the command, print its output (text or `--json`).
//! Errors are one line on standard error (a JSON object with `--json`); the exit code is 2
//! for a usage or configuration mistake (clap's own usage errors included) and 1 for a
//! failure while doing the work.
//!
//! Logs go to standard error through one env-filter subscriber set up here (`VIGIL_LOG`
//! overrides the filter): quiet for ordinary commands, `info` for the long-running
//! `devnet` and `oracle`, errors only for `demo` (its timeline is the output).

use clap::error::ErrorKind;
use service_client::http::ServiceError;
use std::process::ExitCode;
use vigil_client::cli::{Cli, Command};
use vigil_client::commands::{self, Explained, UsageError};

// Multi-threaded: `vigil devnet` and `vigil demo` run every service in this process.
#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse_args(std::env::args_os()) {
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
/// (exit 0); a mistake becomes one line (clap's message with its tips and possible values,
/// without the usage block) and exit 2.
fn usage_error(e: &clap::Error) -> ExitCode {
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    let message = one_line(&e.render().to_string());
    let args: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    if args.iter().any(|a| a == "--json") {
        let body = serde_json::json!({"error": message, "code": "usage", "exit_code": 2});
        eprintln!("{body}");
    } else {
        eprintln!("error: {message} (see `{}`)", help_command(&args));
    }
    ExitCode::from(2)
}

/// Clap's rendered error as one line, without its usage block and closing hint:
/// "unexpected argument '--nmae' found; tip: a similar argument exists: '--name'".
fn one_line(rendered: &str) -> String {
    let mut out = String::new();
    let lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    for line in lines.take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more")) {
        let line = line.strip_prefix("error: ").unwrap_or(line);
        let line = line
            .strip_prefix('[')
            .and_then(|l| l.strip_suffix(']'))
            .unwrap_or(line);
        let joint = match out.chars().last() {
            None => "",
            Some(':') => " ",
            Some(_) if line.starts_with('<') || line.starts_with("--") => ", ",
            Some(_) => "; ",
        };
        out.push_str(joint);
        out.push_str(line);
    }
    if out.is_empty() {
        out.push_str("invalid command line");
    }
    out
}

/// The help command of the deepest subcommand named on the command line, e.g.
/// `vigil keys new --help`.
fn help_command(args: &[String]) -> String {
    let root = vigil_client::cli::command();
    let mut current = &root;
    let mut path = vec!["vigil".to_string()];
    for arg in args.iter().skip(1).filter(|a| !a.starts_with('-')) {
        if let Some(sub) = current.find_subcommand(arg) {
            path.push(sub.get_name().to_string());
            current = sub;
        }
    }
    format!("{} --help", path.join(" "))
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
    if let Some(explained) = e.downcast_ref::<Explained>() {
        return explained.code.clone();
    }
    if e.is::<UsageError>() {
        return "usage".into();
    }
    "failed".into()
}
