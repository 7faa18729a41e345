//! Running a parsed command: resolve the data dir and the endpoints, dispatch, and
//! return what to print in both forms (text for people, JSON for scripts), so every command
//! honours `--json` the same way.

mod agent;
mod bench;
mod bulk_modify;
pub mod chaos;
mod dead_man;
pub mod demo;
pub mod devnet;
mod exit;
pub mod explorer;
mod force;
mod history;
pub(crate) mod json_units;
mod keys;
mod l1;
mod ledger;
mod leverage;
mod margin;
pub mod market;
pub mod network;
pub mod options;
pub mod oracle;
mod orders;
mod reachability;
mod receipt;
pub mod risk;
mod table;
mod trade;
mod triggers;
mod tx;
pub(crate) mod verify;
mod views;
mod watch;
pub mod withdraw;

pub use views::markets_table;

use crate::cli::{Cli, Command};
use crate::keystore::{Keystore, KeystoreError};
use std::path::PathBuf;

/// A mistake in how `vigil` was called or configured (exit code 2), as opposed to a
/// failure while doing the work (exit code 1).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Writes `text` and a newline to standard output. A closed standard output (`vigil devnet
/// | head -1`, a parent that stopped reading) drops the line instead of panicking the way
/// `println!` does: the command's work matters more than its echo.
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}

/// A failure re-worded with what a person needs (the numbers behind a refusal, where an
/// address came from, the next step), keeping the stable `--json` code of the failure it
/// explains.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Explained {
    pub message: String,
    pub code: String,
}

/// A command's result: `text` for people, `json` for `--json`.
#[derive(Debug)]
pub struct Output {
    pub text: String,
    pub json: serde_json::Value,
}

impl Output {
    /// For commands that printed as they went (`watch`): nothing more to print.
    pub fn streamed() -> Output {
        Output {
            text: String::new(),
            json: serde_json::Value::Null,
        }
    }

    /// Whether there is nothing left to print.
    pub fn is_empty(&self) -> bool {
        self.text.is_empty() && self.json.is_null()
    }

    /// What to print on standard output.
    pub fn render(&self, json: bool) -> String {
        if json {
            serde_json::to_string_pretty(&self.json).expect("a JSON value always serializes")
        } else {
            self.text.clone()
        }
    }
}

/// Runs `cli`'s command; an unreachable service's error says where its address came from
/// and how to start the network.
pub async fn run(cli: &Cli) -> anyhow::Result<Output> {
    let mut output = dispatch(cli)
        .await
        .map_err(|e| reachability::explain(cli, e))?;
    // A demo's JSON is already in the schema, sized by its own throwaway network's markets
    // (the endpoints `cli` names are not the demo's).
    let demo = matches!(cli.command, Command::Demo(_));
    if cli.json && !output.json.is_null() && !demo {
        let markets = match json_units::names_a_market(&output.json) {
            // The command just talked to the sequencer; if it cannot answer now, the
            // amounts still get their decimals, only sizes and symbols are left out.
            true => match network::Endpoints::resolve(cli) {
                Ok(endpoints) => {
                    let seq = endpoints.sequencer();
                    let markets = market::markets(&seq).await.unwrap_or_default();
                    // Option series are named through their chain (`options`).
                    match options::names_a_series(&output.json) {
                        true => options::with_series(&seq, markets.clone())
                            .await
                            .unwrap_or(markets),
                        false => markets,
                    }
                }
                Err(_) => Vec::new(),
            },
            false => Vec::new(),
        };
        json_units::apply(&mut output.json, &markets);
    }
    Ok(output)
}

async fn dispatch(cli: &Cli) -> anyhow::Result<Output> {
    match &cli.command {
        Command::Keys(command) => keys::run(cli, &keystore(cli)?, command),
        Command::L1(command) => l1::run(cli, command).await,
        Command::Order(args) => trade::order(cli, args).await,
        Command::Cancel(args) => trade::cancel(cli, args).await,
        Command::CancelAll(args) => trade::cancel_all(cli, args).await,
        Command::Modify(args) => orders::modify(cli, args).await,
        Command::ModifyBulk(args) => bulk_modify::modify_bulk(cli, args).await,
        Command::Orders(args) => orders::list(cli, args).await,
        Command::Agent(command) => agent::run(cli, command).await,
        Command::DeadMan(command) => dead_man::run(cli, command).await,
        Command::Tpsl(args) => triggers::set(cli, args).await,
        Command::Triggers(arg) => triggers::list(cli, arg).await,
        Command::Leverage(args) => leverage::run(cli, args).await,
        Command::Margin(command) => margin::run(cli, command).await,
        Command::Account(args) => views::account(cli, args).await,
        Command::Positions(args) => views::positions(cli, args).await,
        Command::Markets => views::markets_command(cli).await,
        Command::Book(args) => views::book(cli, args).await,
        Command::Options(crate::cli::OptionsCommand::Chain(args)) => {
            options::chain(cli, args).await
        }
        Command::Fills(args) => history::fills(cli, args).await,
        Command::Trades(args) => history::trades(cli, args).await,
        Command::Candles(args) => history::candles(cli, args).await,
        Command::History(command) => ledger::history(cli, command).await,
        Command::Funding(args) => ledger::funding(cli, args).await,
        Command::Watch(args) => watch::run(cli, args).await,
        Command::Withdraw(args) => withdraw::withdraw(cli, args).await,
        Command::Withdrawal(args) => withdraw::withdrawal(cli, args).await,
        Command::Tx(args) => tx::show(cli, args).await,
        Command::Force(command) => force::run(cli, command).await,
        Command::Exit(command) => exit::run(cli, command).await,
        Command::Verify(command) => verify::run(cli, command).await,
        Command::Bench(args) => bench::run(cli, args).await,
        Command::Chaos(args) => chaos::run(cli, args).await,
        Command::Devnet(args) => devnet::run(cli, args).await,
        Command::Explorer(args) => explorer::run(cli, args).await,
        Command::Oracle(args) => oracle::run(cli, args).await,
        Command::Demo(command) => demo::run(cli, command).await,
    }
}

/// The data dir: `--data-dir` / $VIGIL_HOME, else ~/.vigil.
pub fn data_dir(cli: &Cli) -> Result<PathBuf, UsageError> {
    if let Some(dir) = &cli.data_dir {
        return Ok(dir.clone());
    }
    match std::env::var_os("HOME") {
        Some(home) if !home.is_empty() => Ok(PathBuf::from(home).join(".vigil")),
        _ => Err(UsageError(
            "no data dir: set --data-dir or VIGIL_HOME (HOME is not set)".into(),
        )),
    }
}

fn keystore(cli: &Cli) -> Result<Keystore, UsageError> {
    Ok(Keystore::new(&data_dir(cli)?))
}

/// Keystore errors the user can fix by calling differently (a wrong or unknown name, a
/// malformed key) are usage errors; I/O and corrupt files are failures.
fn classify(e: KeystoreError) -> anyhow::Error {
    match e {
        KeystoreError::InvalidName(_)
        | KeystoreError::Exists { .. }
        | KeystoreError::NotFound { .. }
        | KeystoreError::InvalidKey(_) => UsageError(e.to_string()).into(),
        KeystoreError::Corrupt { .. } | KeystoreError::Io { .. } => e.into(),
    }
}
