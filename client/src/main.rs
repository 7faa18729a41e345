//! `vigil`: parse the command line, run the command, print its output (text or `--json`).
//! Errors are one line on standard error; the exit code is 2 for a usage or configuration
//! mistake (clap's own usage errors included) and 1 for a failure while doing the work.

use clap::Parser;
use std::process::ExitCode;
use vigil_client::cli::Cli;
use vigil_client::commands::{self, UsageError};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(&cli).await {
        Ok(output) => {
            println!("{}", output.render(cli.json));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.is::<UsageError>() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}
