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
//!   and `metrics` (status, Prometheus), `config`. The settlement-layer HTTP client is
//!   `service_client::SettlementClient`, shared with the sequencer and `vigil`.
//!
//! The operator guide is docs/spec/verifier.md.

pub mod config;
pub mod core;
mod follow;
pub mod http;
pub mod metrics;
pub mod state;
pub mod store;
pub mod submit;

pub use config::{Config, ConfigError};
pub use state::AppState;

use crate::core::{Follower, RestoreError};
use follow::{Engine, Follow};
use protocol::primitives::H256;
use std::future::Future;
use std::path::Path;
use store::{Store, StoreError};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The file inside the data dir where `run` writes the address it serves on.
pub const ADDR_FILE: &str = "listen.addr";

/// Why the service could not start or stopped with an error.
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
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    Task(String),
}

/// The service's router over `state`.
pub fn app(state: AppState) -> axum::Router {
    http::router(state)
}

/// Opens the store in `config.data_dir` and resumes the core from it (blocking).
pub fn open(config: &Config) -> Result<(Follower, Store), RunError> {
    std::fs::create_dir_all(&config.data_dir).map_err(|source| RunError::Io {
        what: format!("creating {}", config.data_dir.display()),
        source,
    })?;
    let (store, snapshot) = Store::open(&config.data_dir, &config.genesis)?;
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
    Ok((core, store))
}

/// Resumes from the data dir, serves the API on `listener` and follows the settlement
/// layer until `shutdown` resolves (or following fails for good); then stops following,
/// drains requests, and returns once every task has been joined.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    config.validate()?;
    let opening = config.clone();
    let (core, store) = tokio::task::spawn_blocking(move || open(&opening))
        .await
        .map_err(|e| RunError::Task(format!("startup task: {e}")))??;
    let addr = listener.local_addr().map_err(|source| RunError::Io {
        what: "reading the listen address".into(),
        source,
    })?;
    write_addr_file(&config.data_dir, &addr.to_string())?;
    tracing::info!(
        %addr,
        data_dir = %config.data_dir.display(),
        cursor = core.cursor(),
        mode = %config.mode,
        "verifier serving"
    );

    let (stop, stopping) = watch::channel(false);
    let state = AppState::new(
        state::status_of(&core, core.cursor(), None),
        stopping.clone(),
    );
    let follow = Follow::new(
        Engine { core, store },
        &config,
        state.clone(),
        stopping.clone(),
    )?;
    let mut follower = tokio::spawn(follow.run());
    let mut server_stop = stopping.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app(state))
            .with_graceful_shutdown(async move {
                let _ = server_stop.wait_for(|s| *s).await;
            })
            .await
    });

    // Stop on request, or as soon as following fails for good.
    let ended_early = tokio::select! {
        () = shutdown => None,
        result = &mut follower => Some(result),
    };
    stop.send_replace(true);
    let followed = match ended_early {
        Some(result) => result,
        None => follower.await,
    };
    let served = server.await;
    followed.map_err(|e| RunError::Task(format!("follower task: {e}")))??;
    served
        .map_err(|e| RunError::Task(format!("server task: {e}")))?
        .map_err(RunError::Serve)?;
    tracing::info!("verifier stopped");
    Ok(())
}

/// Writes the served address atomically (temp file + rename), for launchers and tests.
fn write_addr_file(data_dir: &Path, addr: &str) -> Result<(), RunError> {
    let path = data_dir.join(ADDR_FILE);
    let tmp = data_dir.join(format!("{ADDR_FILE}.tmp"));
    std::fs::write(&tmp, addr)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|source| RunError::Io {
            what: format!("writing {}", path.display()),
            source,
        })
}
