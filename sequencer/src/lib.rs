//! `sequencer`: Vigil's sequencer service (DESIGN §7).
//!
//! Actions arrive over HTTP (`http`), are admitted against an in-flight budget and have
//! their signatures checked in parallel on all cores (`intake`), then one thread that owns
//! the state applies them in arrival order with the protocol's STF, closes chunks and seals
//! batches (`executor`). A writer thread makes every decision durable with group commit
//! before any reply leaves (`journal`). The poster gets sealed batches onto the settlement
//! layer exactly once and reconciles with it (`poster`), the follower feeds L1 messages and
//! batch events in (`follower`), the keeper liquidates (`keeper`). Reads use O(1) clones
//! of the latest durable state (`view`). On start, `journal::recovery` and
//! `executor::replay` rebuild the exact state from the latest snapshot and the log.
//!
//! The operator's guide (API table, durability, batching, recovery) is
//! docs/spec/sequencer.md.

pub mod admission;
pub mod audit;
pub mod config;
pub mod executor;
pub mod follower;
pub mod http;
pub mod intake;
pub mod journal;
pub mod keeper;
mod lifecycle;
pub mod metrics;
pub mod poster;
pub mod view;

pub use config::{Config, ConfigError, FaultPlan, Limits};
pub use http::{ApiError, AppState, StatusBody};

pub use lifecycle::{ADDR_FILE, LOCK_FILE, Running, start};
pub use service_shell::lifecycle::{run, run_with_ready};

use executor::ExecError;
use journal::JournalError;
use service_client::SettlementError;

/// Why the sequencer could not start, or stopped with an error (a config error exits 2).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// Boxed: the client's error carries the request and the server's answer, and
    /// every other variant is small.
    #[error("cannot reach the settlement layer at startup: {0}")]
    Settlement(Box<SettlementError>),
    #[error(
        "genesis mismatch: ours hashes to {ours}, the settlement layer's to {theirs}; both must load the same genesis"
    )]
    GenesisMismatch {
        ours: protocol::primitives::H256,
        theirs: protocol::primitives::H256,
    },
    #[error("database: {0}")]
    Journal(#[from] JournalError),
    #[error("recovery: {0}")]
    Recovery(#[from] ExecError),
    #[error(transparent)]
    DataDir(#[from] service_shell::data_dir::DataDirError),
    #[error("bootstrapping from the settlement layer: {0}")]
    Bootstrap(String),
    #[error(transparent)]
    Io(#[from] service_shell::IoStepError),
}

/// The `map_err` for a startup step named `what`.
fn io(what: &str) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| service_shell::IoStepError::during(what)(source).into()
}

/// The service's router over `state`.
pub fn app(state: AppState) -> axum::Router {
    http::router(state)
}

/// A bad configuration exits 2, any other failure 1.
impl service_shell::RunFailure for RunError {
    fn is_config(&self) -> bool {
        matches!(self, RunError::Config(_))
    }
}
