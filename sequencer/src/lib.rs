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

pub mod config;
pub mod executor;
pub mod follower;
pub mod http;
pub mod intake;
pub mod journal;
pub mod keeper;
pub mod metrics;
pub mod poster;
pub mod view;

pub use config::{Config, ConfigError, FaultPlan, Limits};
pub use http::{ApiError, AppState, StatusBody};

use executor::replay::{self, Rebuilt};
use executor::{Batching, Command, Driver, ExecError};
use journal::writer::{self, WriteOp};
use journal::{JournalError, recovery, schema};
use protocol::api::settlement::{StatusResponse, l1_domain_separator};
use service_client::{ServiceError, SettlementClient, SettlementError, Timeouts};
use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, oneshot, watch};

/// The file inside the data dir where `run` writes the address it serves on, once ready.
pub const ADDR_FILE: &str = "listen.addr";

/// The file inside the data dir that a running sequencer holds an exclusive lock on.
pub const LOCK_FILE: &str = "LOCK";

/// How long startup keeps trying to reach the settlement layer.
const CONNECT_ATTEMPTS: u32 = 60;

/// Time limits on every settlement-layer call (long polls add their wait): a posting
/// round or a read must not hang on a settlement layer that stopped answering.
const SETTLEMENT_TIMEOUTS: Timeouts = Timeouts {
    call: Some(Duration::from_secs(10)),
    connect: Some(Duration::from_secs(3)),
};

/// Why the service could not start or stopped with an error.
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
    #[error(
        "data dir {} is in use by another sequencer (it holds {LOCK_FILE}); stop that one or choose another --data-dir",
        dir.display()
    )]
    DataDirLocked { dir: std::path::PathBuf },
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

fn io(what: &str) -> impl FnOnce(std::io::Error) -> RunError + '_ {
    move |source| RunError::Io {
        what: what.to_string(),
        source,
    }
}

/// The service's router over `state`.
pub fn app(state: AppState) -> axum::Router {
    http::router(state)
}

/// Connects to the settlement layer (retrying for a while: in a compose network it may
/// start later) and checks that it runs our genesis.
async fn connect(
    client: &SettlementClient,
    genesis_hash: protocol::primitives::H256,
) -> Result<StatusResponse, RunError> {
    let mut attempt = 0;
    let status = loop {
        match client.status().await {
            Ok(status) => break status,
            Err(e @ ServiceError::Unreachable { .. }) if attempt + 1 < CONNECT_ATTEMPTS => {
                attempt += 1;
                tracing::info!(error = %e, attempt, "waiting for the settlement layer");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => return Err(RunError::Settlement(Box::new(e))),
        }
    };
    if status.params.genesis_hash != genesis_hash {
        return Err(RunError::GenesisMismatch {
            ours: genesis_hash,
            theirs: status.params.genesis_hash,
        });
    }
    Ok(status)
}

/// Takes the data dir for this run: creates it and holds an exclusive lock on its `LOCK`
/// file until the returned file is dropped, so that two sequencers (processes, or runs in
/// one process) never write the same log. The OS releases the lock if the process dies.
fn lock_data_dir(dir: &Path) -> Result<std::fs::File, RunError> {
    std::fs::create_dir_all(dir).map_err(io("creating the data dir"))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(LOCK_FILE))
        .map_err(io("opening the data dir's LOCK file"))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(RunError::DataDirLocked {
            dir: dir.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(e)) => Err(io("locking the data dir")(e)),
    }
}

/// Opens the database and rebuilds the executor state (blocking).
fn open_and_recover(config: &Config) -> Result<(rusqlite::Connection, Rebuilt), RunError> {
    let path = config.data_dir.join(journal::DB_FILE);
    let conn = schema::open(&path)?;
    schema::check_meta(&conn, "genesis_hash", &config.genesis.hash().to_string())?;
    let sequencer = protocol::signing::address_of(&config.key).to_string();
    schema::check_meta(&conn, "sequencer", &sequencer)?;
    let recovered = recovery::load(&conn)?;
    let rebuilt = replay::rebuild(
        Arc::new(config.genesis.clone()),
        recovered,
        config.inject_fault,
        config.snapshot_every_batches,
    )?;
    Ok((conn, rebuilt))
}

fn write_addr_file(data_dir: &Path, addr: &str) -> Result<(), RunError> {
    let path = data_dir.join(ADDR_FILE);
    let tmp = data_dir.join(format!("{ADDR_FILE}.tmp"));
    std::fs::write(&tmp, addr)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(io("writing listen.addr"))
}

/// Recovers, serves on `listener` until `shutdown` resolves, then stops every task and
/// thread in order: HTTP (in-flight requests finish), background tasks, the executor (it
/// seals the open batch), and last the writer (everything queued is committed).
///
/// Nothing is answered before recovery is complete: connections made earlier wait in the
/// listener's backlog. Use `run_with_ready` to learn when serving starts.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), RunError> {
    run_with_ready(config, listener, shutdown, |_| {}).await
}

/// `run`, calling `ready` with the address once the recovered state is durable, the read
/// view shows it and the server is about to accept (after `listen.addr` is written).
pub async fn run_with_ready(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), RunError> {
    config.validate()?;
    // Held until the end of `run`, after every thread that writes has been joined.
    let _lock = lock_data_dir(&config.data_dir)?;
    // A launcher waiting for `listen.addr` must not read the previous run's address.
    match std::fs::remove_file(config.data_dir.join(ADDR_FILE)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(io("removing the old listen.addr")(e));
        }
        _ => {}
    }
    let genesis = Arc::new(config.genesis.clone());
    let genesis_hash = genesis.hash();
    let sequencer = protocol::signing::address_of(&config.key);
    // Signed calls use the settlement layer's own EIP-712 domain ("Vigil Settlement"),
    // known from the genesis, so signing needs no status read.
    let client = SettlementClient::with_timeouts(&config.settlement_url, SETTLEMENT_TIMEOUTS)
        .map_err(|e| io("building the HTTP client")(std::io::Error::other(e)))?
        .with_domain(l1_domain_separator(
            genesis.chain_id,
            &genesis.verifying_contract,
        ));
    // `shutdown` is watched from here on, so an embedding process can stop a sequencer
    // that is still waiting for the settlement layer (recovery itself is not interrupted).
    let (stop_requested, mut stop_request) = watch::channel(false);
    // A JoinSet: whichever way `run` returns, the watcher is aborted with it.
    let mut watcher = tokio::task::JoinSet::new();
    watcher.spawn(async move {
        shutdown.await;
        let _ = stop_requested.send(true);
    });
    let connected = tokio::select! {
        connected = connect(&client, genesis_hash) => connected,
        _ = stop_request.wait_for(|s| *s) => {
            tracing::info!("stopped while waiting for the settlement layer");
            return Ok(());
        }
    };
    let status = connected?;
    let shutdown = async move {
        let _ = stop_request.wait_for(|s| *s).await;
    };
    if config.auto_bond {
        poster::ensure_bond(&client, &config.key, status.params.min_sequencer_bond).await;
    }
    let recovering = config.clone();
    let (conn, rebuilt) = tokio::task::spawn_blocking(move || open_and_recover(&recovering))
        .await
        .map_err(|e| io("recovery task")(std::io::Error::other(e)))??;
    tracing::info!(
        replayed = rebuilt.replayed,
        next_batch = rebuilt.core.tip().next_index,
        "state recovered"
    );

    // Everything that can fail without a thread to stop is done before the threads start.
    let addr = listener
        .local_addr()
        .map_err(io("reading the listen address"))?;
    let reader = schema::open_reader(&config.data_dir.join(journal::DB_FILE))?;
    let metrics = Arc::new(metrics::Metrics::default());
    let wake_poster = Arc::new(Notify::new());
    let (writer, writer_thread) = writer::spawn(conn, metrics.clone(), wake_poster.clone())
        .map_err(io("starting the writer thread"))?;
    // What recovery decided (sealing the batch the crash left open, a due snapshot) is made
    // durable before anything can be read, so the first view and the database agree.
    let (recovered_tx, recovered) = oneshot::channel();
    writer.write(WriteOp {
        entries: rebuilt.pending,
        done: Some(Box::new(move |ok| {
            let _ = recovered_tx.send(ok);
        })),
    });
    if !matches!(recovered.await, Ok(true)) {
        return Err(stop_writer(
            writer,
            writer_thread,
            RunError::Io {
                what: "committing the recovered state".into(),
                source: std::io::Error::other("the write failed (see the log)"),
            },
        )
        .await);
    }
    let (views_tx, views) = watch::channel(Arc::new(rebuilt.core.read_view()));
    let (exec_tx, exec_rx) = mpsc::channel();
    let exec_failed = Arc::new(AtomicBool::new(false));
    let domain = protocol::batch::domain_separator(&genesis);
    let intake = match intake::Intake::new(
        exec_tx.clone(),
        config.limits.max_inflight_actions,
        domain,
        genesis.oracle,
        config.signature_backend.recover_fn(),
    ) {
        Ok(intake) => Arc::new(intake),
        Err(e) => {
            let error = io("starting the verification pool")(e);
            return Err(stop_writer(writer, writer_thread, error).await);
        }
    };
    let driver = Driver {
        core: rebuilt.core,
        rx: exec_rx,
        writer: writer.clone(),
        views: Arc::new(views_tx),
        batching: Batching {
            max_txs: config.batch_max_txs,
            interval: config.batch_interval,
            snapshot_every: config.snapshot_every_batches,
        },
        metrics: metrics.clone(),
        failed: exec_failed.clone(),
    };
    let exec_thread = match std::thread::Builder::new()
        .name("seq-executor".into())
        .spawn(move || driver.run())
    {
        Ok(thread) => thread,
        Err(e) => {
            drop(intake);
            let error = io("starting the executor thread")(e);
            return Err(stop_writer(writer, writer_thread, error).await);
        }
    };

    let posting_error = Arc::new(Mutex::new(None));
    let oldest_pending_l1 = Arc::new(Mutex::new(None));
    let state = AppState {
        genesis: genesis.clone(),
        genesis_hash,
        sequencer,
        intake: intake.clone(),
        views: views.clone(),
        db: http::ReadDb::new(reader),
        settlement: client.clone(),
        metrics: metrics.clone(),
        limits: config.limits.clone(),
        requests: Arc::new(Semaphore::new(config.limits.max_concurrent_requests)),
        halted: Arc::new([exec_failed, writer.failed_flag()]),
        posting_error: posting_error.clone(),
        oldest_pending_l1: oldest_pending_l1.clone(),
        fault: config.inject_fault,
        block_time_ms: status.params.block_time_ms,
    };
    let (stop, stopping) = watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(
        poster::Poster {
            client: client.clone(),
            key: config.key.clone(),
            db: state.db.clone(),
            writer: writer.clone(),
            exec: exec_tx.clone(),
            wake: wake_poster.clone(),
            posting_error,
            metrics: metrics.clone(),
            auto_bond: config.auto_bond,
        }
        .run(stopping.clone()),
    );
    tasks.spawn(
        follower::Follower {
            client: client.clone(),
            exec: exec_tx.clone(),
            views: views.clone(),
            wake_poster: wake_poster.clone(),
            oldest_pending: oldest_pending_l1,
        }
        .run(stopping.clone()),
    );
    if let Some(every) = config.keeper_interval {
        tasks.spawn(
            keeper::Keeper {
                intake: intake.clone(),
                views: views.clone(),
                genesis: genesis.clone(),
                key: config.key.clone(),
                domain,
                every,
            }
            .run(stopping.clone()),
        );
    }
    drop(intake);

    // If listen.addr cannot be written, nothing is served and everything stops in order.
    let announced = write_addr_file(&config.data_dir, &addr.to_string());
    if announced.is_ok() {
        tracing::info!(%addr, %sequencer, "sequencer serving");
        ready(addr);
        http::server::serve(listener, app(state.clone()), &config.limits, shutdown).await;
    }

    tracing::info!("stopping");
    stop.send_replace(true);
    while tasks.join_next().await.is_some() {}
    drop(state);
    let _ = exec_tx.send(Command::Shutdown);
    drop(exec_tx);
    let joined = tokio::task::spawn_blocking(move || {
        let exec = exec_thread.join();
        drop(writer);
        let write = writer_thread.join();
        exec.is_ok() && write.is_ok()
    })
    .await;
    if !matches!(joined, Ok(true)) {
        tracing::error!("a worker thread ended abnormally");
    }
    watcher.shutdown().await;
    tracing::info!("sequencer stopped");
    announced
}

/// Stops the writer thread of a start that failed half-way (everything queued is
/// committed first) and gives back `error`.
async fn stop_writer(
    writer: writer::WriterHandle,
    thread: std::thread::JoinHandle<()>,
    error: RunError,
) -> RunError {
    drop(writer);
    if !matches!(
        tokio::task::spawn_blocking(move || thread.join()).await,
        Ok(Ok(()))
    ) {
        tracing::error!("the writer thread ended abnormally");
    }
    error
}
