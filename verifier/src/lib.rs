//! `verifier`: Vigil's verifier service (DESIGN §5, §7). It follows the settlement layer's
//! event log (never the sequencer), re-executes every batch with `protocol`, compares every
//! checkpoint, and on the first wrong one builds the one-call fraud proof from its own
//! replica and submits it (challenge mode) or reports it (watch mode).
//!
//! Functional core, thin shell:
//! - `core` — the pure, synchronous `Follower`: events in; replica, findings, journal and
//!   challenge actions out. No I/O, clock or logging, so the deterministic simulation
//!   drives exactly the code the service runs.
//! - the shell — `follow` (the task: long-poll, apply, persist, submit), `submit`
//!   (challenges and bonds), `store` (SQLite, WAL + `synchronous=FULL`), `state`, `http`
//!   and `metrics` (status, Prometheus), `feed` and `stream` (the WebSocket feed of what it
//!   re-executed, `GET /v1/stream`), `config`. The settlement-layer HTTP client is
//!   `service_client::SettlementClient`, shared with the sequencer and `vigil`.
//!
//! The operator guide is docs/spec/verifier.md.

pub mod config;
pub mod core;
pub mod error_codes;
pub mod feed;
mod follow;
pub mod http;
pub mod metrics;
pub mod state;
pub mod store;
pub mod stream;
pub mod submit;

pub use config::{Config, ConfigError};
pub use service_shell::lifecycle::{run, run_with_ready};
pub use state::AppState;

use crate::core::{Follower, RestoreError};
use feed::FeedLog;
use follow::{Engine, Follow};
use protocol::primitives::H256;
use service_shell::IoStepError;
use service_shell::Shutdown;
use service_shell::lifecycle::{Serving, Starting};
use std::future::Future;
use std::net::SocketAddr;
use store::{FeedReader, Store, StoreError};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The file inside the data dir where `run` writes the address it serves on.
pub use service_shell::ADDR_FILE;

/// Why the verifier could not start, or stopped with an error (a config error exits 2).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("database: {0}")]
    Store(#[from] StoreError),
    #[error("resuming from the database: {0}")]
    Restore(#[from] RestoreError),
    #[error(
        "the settlement layer runs genesis {theirs}, but this verifier is configured with genesis {ours}"
    )]
    GenesisMismatch { ours: H256, theirs: H256 },
    #[error(
        "the settlement layer at {url} is instance {theirs}, but this data dir follows instance {bound}: another chain with the same genesis (another devnet?); point --settlement-url at the one this data dir follows, or use a fresh --data-dir"
    )]
    OtherInstance {
        url: String,
        bound: H256,
        theirs: H256,
    },
    #[error(transparent)]
    Io(#[from] IoStepError),
    #[error("server: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    Task(String),
    #[error(transparent)]
    DataDir(#[from] service_shell::data_dir::DataDirError),
}

/// The service's router over `state`.
pub fn app(state: AppState) -> axum::Router {
    http::router(state)
}

/// Opens the store in `config.data_dir` and resumes the core from it (blocking).
pub fn open(config: &Config) -> Result<(Follower, Store), RunError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| IoStepError {
        what: format!("creating {}", config.data_dir.display()),
        source,
    })?;
    let (mut store, snapshot) = Store::open(&config.data_dir, &config.genesis)?;
    let mut core = Follower::restore(
        config.genesis.clone(),
        config.mode,
        config.challenger(),
        snapshot,
    )?;
    core.set_signature_workers(
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
    );
    core.set_signature_backend(config.signature_backend.recover_fn());
    core.set_proof_history(config.proof_history_batches);
    store.set_feed_retention(config.feed_retention_events);
    Ok((core, store))
}

/// A serving verifier: following the settlement layer and answering its status API.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    follower: JoinHandle<Result<(), RunError>>,
    /// The follower's outcome once `following_ended` has seen it end.
    followed: Option<Result<Result<(), RunError>, tokio::task::JoinError>>,
    server: JoinHandle<std::io::Result<()>>,
    /// Held until the verifier has stopped: no second instance on this data dir.
    _lock: service_shell::data_dir::DataDirLock,
}

/// Resumes from the data dir and starts following the settlement layer and serving the API
/// on `listener`; returns once requests are answered (after `listen.addr` is written).
/// Refused before serving: a data dir in use, or a settlement layer that answers with
/// another genesis or another instance than this data dir follows.
pub async fn start(config: Config, listener: TcpListener) -> Result<Running, RunError> {
    config.validate()?;
    let lock = service_shell::data_dir::lock_data_dir(&config.data_dir, "verifier")?;
    let opening = config.clone();
    let (core, store) = tokio::task::spawn_blocking(move || open(&opening))
        .await
        .map_err(|e| RunError::Task(format!("startup task: {e}")))??;
    let addr = service_shell::bound_addr(&listener)?;
    let cursor = core.cursor();
    let (stop, stopping) = watch::channel(false);
    let state = AppState::new(&core, stopping.clone());
    let feed = FeedLog::new(&core);
    state.publish_feed(&core, &feed, store.feed_head());
    state.attach_feed_reader(FeedReader::open(&config.data_dir)?);
    let mut follow = Follow::new(
        Engine { core, store, feed },
        &config,
        state.clone(),
        stopping.clone(),
    )?;
    follow.first_contact().await?;
    lock.publish_addr(addr)?;
    tracing::info!(
        %addr,
        data_dir = %config.data_dir.display(),
        cursor,
        mode = %config.mode,
        "verifier serving"
    );
    let follower = tokio::spawn(follow.run());
    let server =
        service_shell::http::spawn_server(listener, app(state), config.connections, stopping);
    Ok(Running {
        addr,
        stop,
        follower,
        followed: None,
        server,
        _lock: lock,
    })
}

impl Running {
    /// The address requests are answered on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Resolves when following has ended on its own (it failed for good); the verifier
    /// should then be shut down. Cancel-safe: the outcome is kept for `shutdown`.
    pub async fn following_ended(&mut self) {
        if self.followed.is_none() {
            self.followed = Some((&mut self.follower).await);
        }
    }

    /// Serves until `shutdown` resolves or following fails for good, then shuts down.
    pub async fn serve_until(mut self, shutdown: impl Future<Output = ()>) -> Result<(), RunError> {
        tokio::select! {
            () = shutdown => {}
            () = self.following_ended() => {}
        }
        self.shutdown().await
    }

    /// Stops following (a page being applied is finished and persisted first), drains
    /// requests, and returns once every task has been joined, with the first error.
    pub async fn shutdown(self) -> Result<(), RunError> {
        self.stop.send_replace(true);
        let followed = match self.followed {
            Some(followed) => followed,
            None => self.follower.await,
        };
        let served = self.server.await;
        followed.map_err(|e| RunError::Task(format!("follower task: {e}")))??;
        served
            .map_err(|e| RunError::Task(format!("server task: {e}")))?
            .map_err(RunError::Serve)?;
        tracing::info!("verifier stopped");
        Ok(())
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

/// The verifier as the shared lifecycle runs it: `run(config, listener, shutdown)` starts,
/// serves until `shutdown` resolves or following fails for good, then shuts down.
impl service_shell::lifecycle::Service for Config {
    type Running = Running;
    type Error = RunError;

    fn start(self, listener: TcpListener) -> Starting<Running, RunError> {
        Box::pin(start(self, listener))
    }
}

/// A bad configuration exits 2, any other failure 1.
impl service_shell::RunFailure for RunError {
    fn is_config(&self) -> bool {
        matches!(self, RunError::Config(_))
    }
}
