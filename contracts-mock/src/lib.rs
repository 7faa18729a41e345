//! `contracts-mock`: Vigil's settlement layer, the stand-in for the L1 contracts (DESIGN §6).
//!
//! It simulates an L1 (blocks, token balances, a faucet) and runs the rollup contract on it:
//! sequencer bonds, the L1 queue (deposits, forced actions), batch submission under every
//! rule, the challenge window, fraud-proof rulings with `protocol::fraud::adjudicate`,
//! reverts and slashing, finalization, and withdrawal claims. Every state change is an
//! event in an ordered log that verifiers follow. State lives in SQLite (WAL,
//! `synchronous=FULL`); an answered call is on disk.
//!
//! Map: `config` → `rules` (config + genesis commitments) → `ledger` (the rules as
//! functions over one SQLite transaction) ← `db` (the thread that owns the connection) ←
//! `state` (what handlers share) ← `http` (routes); `ledger::Ledger` runs the same rules on
//! one connection without HTTP (the whole-system simulation); `producer` mines blocks;
//! `auth` checks L1 call signatures. The spec is docs/spec/settlement.md.

mod auth;
pub mod config;
mod db;
pub mod error_codes;
mod http;
mod ledger;
mod metrics;
mod producer;
pub mod rules;
mod state;

pub use config::{Config, ConfigError};
pub use http::openapi_document;
pub use ledger::Ledger;
pub use ledger::schema::InitError;
pub use rules::Rules;
pub use service_shell::http::ApiError;
pub use service_shell::lifecycle::{run, run_with_ready};
pub use state::AppState;

use db::DbThread;
use ledger::schema;
use service_shell::IoStepError;
use service_shell::Shutdown;
use service_shell::lifecycle::{Serving, Starting};
use std::future::Future;
use std::net::SocketAddr;
use std::time::{SystemTime, UNIX_EPOCH};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The SQLite file inside the data dir.
pub const DB_FILE: &str = "settlement.db";
/// The file inside the data dir where `run` writes the address it serves on.
pub use service_shell::ADDR_FILE;

/// Why the settlement layer could not start, or stopped with an error (a config error exits 2).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("database: {0}")]
    Init(#[from] InitError),
    #[error(transparent)]
    Io(#[from] IoStepError),
    #[error("server: {0}")]
    Serve(std::io::Error),
    #[error(transparent)]
    DataDir(#[from] service_shell::data_dir::DataDirError),
}

/// The service's router over `state`.
pub fn app(state: AppState) -> axum::Router {
    http::router(state)
}

/// Wall-clock Unix milliseconds (0 if the clock is before 1970).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A serving settlement layer: `start` returns it once requests are answered.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    server: JoinHandle<std::io::Result<()>>,
    producer: Option<JoinHandle<()>>,
    db_thread: DbThread,
    /// Held until the service has stopped: no second instance on this data dir.
    _lock: service_shell::data_dir::DataDirLock,
}

/// Opens the database (creating it on first start, refusing another genesis'), starts the
/// database thread, the block producer (unless blocks are manual) and the server on
/// `listener`, and writes `listen.addr`.
pub async fn start(config: Config, listener: TcpListener) -> Result<Running, RunError> {
    config.validate()?;
    let data_dir = config.data_dir.clone();
    let lock = service_shell::data_dir::lock_data_dir(&data_dir, "settlement layer")?;
    let addr = service_shell::bound_addr(&listener)?;
    let (rules, conn, last_seq) = tokio::task::spawn_blocking(move || open(config))
        .await
        .map_err(|e| IoStepError {
            what: "startup task".into(),
            source: std::io::Error::other(e),
        })??;
    let (db, db_thread) = db::spawn(conn).map_err(|source| IoStepError {
        what: "starting the database thread".into(),
        source,
    })?;
    let (stop, stopping) = watch::channel(false);
    let state = AppState::new(db, rules, last_seq, stopping.clone());
    if let Err(e) = lock.publish_addr(addr) {
        drop(state);
        stop_db_thread(db_thread).await;
        return Err(e.into());
    }
    let producer = state
        .rules()
        .config
        .block_time_ms
        .map(|ms| tokio::spawn(producer::produce_blocks(state.clone(), ms)));
    let connections = state.rules().config.connections;
    let server = service_shell::http::spawn_server(listener, app(state), connections, stopping);
    tracing::info!(%addr, data_dir = %data_dir.display(), "settlement layer serving");
    Ok(Running {
        addr,
        stop,
        server,
        producer,
        db_thread,
        _lock: lock,
    })
}

impl Running {
    /// The address requests are answered on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` resolves, then shuts down.
    pub async fn serve_until(self, shutdown: impl Future<Output = ()>) -> Result<(), RunError> {
        shutdown.await;
        self.shutdown().await
    }

    /// Drains requests (long polls end early), stops block production, then lets queued
    /// database jobs finish and closes the database.
    pub async fn shutdown(self) -> Result<(), RunError> {
        self.stop.send_replace(true);
        let served = self.server.await;
        if let Some(task) = self.producer
            && let Err(e) = task.await
        {
            tracing::error!(error = %e, "block producer ended abnormally");
        }
        stop_db_thread(self.db_thread).await;
        tracing::info!("settlement layer stopped");
        served
            .map_err(|e| RunError::Serve(std::io::Error::other(e)))?
            .map_err(RunError::Serve)
    }
}

/// What the shared `run` does with a started service: announce its address, then serve.
impl service_shell::lifecycle::Started<RunError> for Running {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn serve_until(self, shutdown: Shutdown) -> Serving<RunError> {
        Box::pin(Running::serve_until(self, shutdown))
    }
}

/// Lets queued database jobs finish and closes the database (blocking, off the workers).
async fn stop_db_thread(db_thread: DbThread) {
    if tokio::task::spawn_blocking(move || db_thread.stop())
        .await
        .is_err()
    {
        tracing::error!("stopping the database thread failed");
    }
}

/// The settlement layer as the shared lifecycle runs it: `run(config, listener, shutdown)`
/// starts (finishing its start even if asked to stop meanwhile), serves, shuts down.
impl service_shell::lifecycle::Service for Config {
    type Running = Running;
    type Error = RunError;

    fn start(self, listener: TcpListener) -> Starting<Running, RunError> {
        Box::pin(start(self, listener))
    }
}

/// Blocking startup: data dir, database, schema, genesis check, genesis commitments.
fn open(config: Config) -> Result<(Rules, rusqlite::Connection, u64), RunError> {
    let mut conn = db::open(&config.data_dir.join(DB_FILE)).map_err(schema::InitError::from)?;
    // A fresh database's identity: unique per data dir and start, fixed once stored.
    let seed = format!(
        "{}:{}:{}",
        config.data_dir.display(),
        now_ms(),
        std::process::id()
    );
    let fresh = protocol::primitives::keccak256(seed.as_bytes());
    let instance_id = schema::init(&mut conn, &config.genesis, now_ms(), fresh)?;
    let last_seq = schema::last_event_seq(&conn)?;
    let mut rules = Rules::new(config);
    rules.instance_id = instance_id;
    Ok((rules, conn, last_seq))
}

/// A bad configuration exits 2, any other failure 1.
impl service_shell::RunFailure for RunError {
    fn is_config(&self) -> bool {
        matches!(self, RunError::Config(_))
    }
}
