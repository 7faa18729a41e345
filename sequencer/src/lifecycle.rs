//! The sequencer's life: `start(config, listener) -> Running`, `Running::shutdown()`, and
//! its [`service_shell::lifecycle::Service`] impl, through which the shared `run` (start,
//! wait for the shutdown future, shut down) serves mains and launchers.
//!
//! Startup takes the data dir's lock, reaches the settlement layer, recovers the exact state
//! from the journal, makes what recovery decided durable, starts the writer and executor
//! threads (owned by one [`Workers`] guard that stops them in order), the background tasks
//! and the HTTP server. Any failure after a thread started unwinds through that guard, so
//! no path leaves a thread running or a queued write uncommitted.

use crate::executor::replay::{self, Rebuilt};
use crate::executor::{Batching, Command, Driver};
use crate::journal::writer::{self, WriteOp, WriterHandle};
use crate::journal::{self, recovery, schema};
use crate::{AppState, Config, RunError, app, follower, http, intake, io, keeper, metrics, poster};
use protocol::api::settlement::{StatusResponse, l1_domain_separator};
use protocol::primitives::H256;
use service_client::{ServiceError, SettlementClient, Timeouts};
use service_shell::Shutdown;
use service_shell::lifecycle::{Serving, Starting};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

/// The file inside the data dir where `start` writes the address it serves on, once ready.
pub use service_shell::ADDR_FILE;

/// The file inside the data dir that a running sequencer holds an exclusive lock on.
pub use service_shell::data_dir::LOCK_FILE;

/// How long startup keeps trying to reach the settlement layer.
const CONNECT_ATTEMPTS: u32 = 60;

/// Time limits on every settlement-layer call (long polls add their wait): a posting
/// round or a read must not hang on a settlement layer that stopped answering.
const SETTLEMENT_TIMEOUTS: Timeouts = Timeouts {
    call: Some(Duration::from_secs(10)),
    connect: Some(Duration::from_secs(3)),
};

/// A serving sequencer. Drop it only through [`Running::shutdown`]; dropping it otherwise
/// (a cancelled start, a panic) still stops and joins the executor and the writer in order,
/// but does not wait for the HTTP server and background tasks.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    server: JoinHandle<()>,
    tasks: JoinSet<()>,
    state: AppState,
    workers: Workers,
    /// Held until the writer has been joined: no other sequencer may write this log.
    _lock: service_shell::data_dir::DataDirLock,
}

impl Running {
    /// The address requests are answered on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `shutdown` resolves, then shuts down.
    pub async fn serve_until(self, shutdown: impl Future<Output = ()>) {
        shutdown.await;
        self.shutdown().await;
    }

    /// Stops in order: HTTP (in-flight requests finish), background tasks, the executor (it
    /// seals the open batch), and last the writer (everything queued is committed).
    pub async fn shutdown(mut self) {
        tracing::info!("stopping");
        self.stop.send_replace(true);
        if let Err(e) = (&mut self.server).await {
            tracing::error!(error = %e, "the HTTP server task ended abnormally");
        }
        while self.tasks.join_next().await.is_some() {}
        let Running {
            state,
            workers,
            _lock,
            ..
        } = self;
        drop(state);
        if !matches!(
            tokio::task::spawn_blocking(move || workers.stop()).await,
            Ok(true)
        ) {
            tracing::error!("a worker thread ended abnormally");
        }
        drop(_lock);
        tracing::info!("sequencer stopped");
    }
}

/// What the shared `run` does with a started sequencer: announce its address, then serve
/// (its shutdown cannot fail: what goes wrong is logged).
impl service_shell::lifecycle::Started<RunError> for Running {
    fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn serve_until(self, shutdown: Shutdown) -> Serving<RunError> {
        Box::pin(async move {
            Running::serve_until(self, shutdown).await;
            Ok(())
        })
    }
}

/// The executor and writer threads, stopped in that order (the executor's last writes
/// reach the writer before its stop order, so it commits them, then exits). `Drop` does the same for unwinding.
#[derive(Debug)]
struct Workers {
    writer: Option<WriterHandle>,
    writer_thread: Option<std::thread::JoinHandle<()>>,
    exec: Option<(mpsc::Sender<Command>, std::thread::JoinHandle<()>)>,
}

impl Workers {
    /// Joins both threads; true when neither panicked.
    fn stop(mut self) -> bool {
        self.join_all()
    }

    fn join_all(&mut self) -> bool {
        let mut clean = true;
        if let Some((exec_tx, thread)) = self.exec.take() {
            let _ = exec_tx.send(Command::Shutdown);
            drop(exec_tx);
            clean &= thread.join().is_ok();
        }
        // An explicit stop, not the last handle's drop: a background task dropped without
        // being joined (this `Running` dropped on its own runtime's thread) may still hold
        // a handle, and would never run again to drop it.
        if let Some(writer) = self.writer.take() {
            writer.stop();
        }
        if let Some(thread) = self.writer_thread.take() {
            clean &= thread.join().is_ok();
        }
        clean
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        if !self.join_all() {
            tracing::error!("a worker thread ended abnormally");
        }
    }
}

/// Recovers and starts serving on `listener`; returns once requests are answered (after
/// `listen.addr` is written). Nothing is answered before recovery is complete: connections
/// made earlier wait in the listener's backlog.
///
/// Cancel-safe: dropping the future before it returns (an embedding process that gives
/// up waiting for the settlement layer) releases the data dir and stops any thread it
/// started.
pub async fn start(config: Config, listener: TcpListener) -> Result<Running, RunError> {
    config.validate()?;
    // Also removes the previous run's `listen.addr`, which a launcher must not read.
    let lock = service_shell::data_dir::lock_data_dir(&config.data_dir, "sequencer")?;
    let genesis = &config.genesis;
    // Signed calls use the settlement layer's own EIP-712 domain ("Vigil Settlement"),
    // known from the genesis, so signing needs no status read.
    let client = SettlementClient::with_timeouts(&config.settlement_url, SETTLEMENT_TIMEOUTS)
        .map_err(|e| io("building the HTTP client")(std::io::Error::other(e)))?
        .with_domain(l1_domain_separator(
            genesis.chain_id,
            &genesis.verifying_contract,
        ));
    let status = connect(&client, genesis.hash()).await?;
    if config.auto_bond {
        poster::ensure_bond(&client, &config.key, status.params.min_sequencer_bond).await;
    }
    let recovering = config.clone();
    let instance = status.params.instance_id;
    // The lock travels with the recovery so that a cancelled start holds it until the
    // blocking read of the journal is over.
    let (lock, recovered) = tokio::task::spawn_blocking(move || {
        let recovered = open_and_recover(&recovering, &instance);
        (lock, recovered)
    })
    .await
    .map_err(|e| io("recovery task")(std::io::Error::other(e)))?;
    let (conn, mut rebuilt) = recovered?;
    if config.bootstrap_from_l1 && rebuilt.replayed == 0 && rebuilt.core.tip().next_index == 0 {
        bootstrap(&client, &mut rebuilt, config.batch_max_txs).await?;
    }
    tracing::info!(
        replayed = rebuilt.replayed,
        next_batch = rebuilt.core.tip().next_index,
        "state recovered"
    );
    let running = launch(config, listener, client, &status, conn, rebuilt, lock).await?;
    tracing::info!(addr = %running.addr, "sequencer serving");
    Ok(running)
}

/// Rebuilds the state from the settlement layer's live batches alone (the data every
/// `batch_posted` event carries), adopting each in order as another proposer's batch, so
/// the journal holds them like any batch; then checks the result is the L1 tip's root.
async fn bootstrap(
    client: &SettlementClient,
    rebuilt: &mut Rebuilt,
    batch_max_txs: usize,
) -> Result<(), RunError> {
    let settlement = settlement_error;
    let tip = client.status().await.map_err(settlement)?.tip;
    let Some(last) = tip.index else {
        return Ok(()); // nothing posted yet: genesis is the state
    };
    for index in 0..=last {
        let data = client
            .batch(index, true)
            .await
            .map_err(settlement)?
            .data
            .ok_or_else(|| RunError::Bootstrap(format!("batch {index} came without data")))?;
        let batch = <protocol::batch::Batch as protocol::codec::Decode>::decode(&data)
            .map_err(|e| RunError::Bootstrap(format!("batch {index} does not decode: {e}")))?;
        rebuilt
            .core
            .adopt(&batch, crate::executor::now_ms(), batch_max_txs)?
            .map_err(|why| RunError::Bootstrap(format!("batch {index}: {why}")))?;
    }
    let got = rebuilt.core.tip();
    if (got.next_index, got.state_root) != (last + 1, tip.state_root) {
        return Err(RunError::Bootstrap(format!(
            "rebuilt batch {} with root {}, but the L1 tip is batch {last} with root {}",
            got.next_index.saturating_sub(1),
            got.state_root,
            tip.state_root
        )));
    }
    rebuilt.pending.extend(rebuilt.core.take_entries());
    tracing::info!(batches = last + 1, root = %tip.state_root, "state rebuilt from the settlement layer");
    Ok(())
}

fn settlement_error(e: service_client::SettlementError) -> RunError {
    RunError::Settlement(Box::new(e))
}

/// Starts the threads, tasks and server over the recovered state.
async fn launch(
    config: Config,
    listener: TcpListener,
    client: SettlementClient,
    status: &StatusResponse,
    conn: rusqlite::Connection,
    mut rebuilt: Rebuilt,
    lock: service_shell::data_dir::DataDirLock,
) -> Result<Running, RunError> {
    let addr = service_shell::bound_addr(&listener)?;
    let reader = schema::open_reader(&config.data_dir.join(journal::DB_FILE))?;
    let metrics = Arc::new(metrics::Metrics::default());
    let wake_poster = Arc::new(Notify::new());
    let (writer, writer_thread) = writer::spawn(conn, metrics.clone(), wake_poster.clone())
        .map_err(io("starting the writer thread"))?;
    let mut workers = Workers {
        writer: Some(writer.clone()),
        writer_thread: Some(writer_thread),
        exec: None,
    };
    commit_recovered(&writer, rebuilt.pending).await?;

    let genesis = Arc::new(config.genesis.clone());
    let (views_tx, views) = watch::channel(Arc::new(rebuilt.core.read_view()));
    let (exec_tx, exec_rx) = mpsc::channel();
    let exec_failed = Arc::new(AtomicBool::new(false));
    let domain = protocol::batch::domain_separator(&genesis);
    let intake = Arc::new(
        intake::Intake::new(
            exec_tx.clone(),
            config.limits.max_inflight_actions,
            config.limits.queue_policy(),
            domain,
            genesis.oracles.clone().into(),
            config.signature_backend.recover_fn(),
        )
        .map_err(io("starting the verification pool"))?,
    );
    let mut core = rebuilt.core;
    core.history = protocol::api::proofs::FinalizedHistory::new(config.proof_history_batches);
    let driver = Driver {
        core,
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
    let exec_thread = std::thread::Builder::new()
        .name("seq-executor".into())
        .spawn(move || driver.run())
        .map_err(io("starting the executor thread"))?;
    workers.exec = Some((exec_tx.clone(), exec_thread));

    let posting_error = Arc::new(Mutex::new(None));
    let oldest_pending_l1 = Arc::new(Mutex::new(None));
    let frozen: follower::FrozenAt = Arc::default();
    if let Some(block) = client.exit().await.map_err(settlement_error)?.frozen_block {
        let _ = frozen.set(block);
    }
    let audit = Arc::new(crate::audit::Audit::new(config.inject_fault.is_some()));
    let (stop, stopping) = watch::channel(false);
    let state = AppState {
        genesis: genesis.clone(),
        genesis_hash: genesis.hash(),
        sequencer: protocol::signing::address_of(&config.key),
        intake: intake.clone(),
        views: views.clone(),
        db: http::ReadDb::new(reader, writer.progress()),
        settlement: client.clone(),
        metrics: metrics.clone(),
        limits: config.limits.clone(),
        requests: Arc::new(Semaphore::new(config.limits.max_concurrent_requests)),
        halted: Arc::new([exec_failed, writer.failed_flag()]),
        posting_error: posting_error.clone(),
        oldest_pending_l1: oldest_pending_l1.clone(),
        frozen: frozen.clone(),
        audit: audit.clone(),
        stopping: stopping.clone(),
        fault: config.inject_fault,
        block_time_ms: status.params.block_time_ms,
    };
    let mut tasks = JoinSet::new();
    tasks.spawn(
        poster::Poster {
            client: client.clone(),
            key: config.key.clone(),
            db: state.db.clone(),
            exec: exec_tx.clone(),
            wake: wake_poster.clone(),
            posting_error,
            metrics: metrics.clone(),
            auto_bond: config.auto_bond,
            frozen: frozen.clone(),
            audit: audit.clone(),
        }
        .run(stopping.clone()),
    );
    tasks.spawn(
        crate::audit::Auditor {
            audit,
            views: views.clone(),
            genesis: genesis.clone(),
            wake_poster: wake_poster.clone(),
        }
        .run(stopping.clone()),
    );
    tasks.spawn(
        follower::Follower {
            client,
            exec: exec_tx,
            views: views.clone(),
            wake_poster,
            oldest_pending: oldest_pending_l1,
            frozen,
            db: state.db.clone(),
        }
        .run(stopping.clone()),
    );
    if let Some(every) = config.keeper_interval {
        tasks.spawn(
            keeper::Keeper {
                intake,
                views,
                genesis,
                key: config.key.clone(),
                domain,
                every,
            }
            .run(stopping.clone()),
        );
    }
    drop(writer);

    // If listen.addr cannot be written, nothing is served: dropping `tasks` aborts the
    // tasks and `workers` stops the threads in order.
    lock.publish_addr(addr)?;
    let limits = config.limits.clone();
    let router = app(state.clone());
    let mut server_stop = stopping;
    let server = tokio::spawn(async move {
        let stopped = async move {
            let _ = server_stop.wait_for(|s| *s).await;
        };
        service_shell::http::serve(listener, router, limits.connections(), stopped).await;
    });
    Ok(Running {
        addr,
        stop,
        server,
        tasks,
        state,
        workers,
        _lock: lock,
    })
}

/// What recovery decided (sealing the batch the crash left open, a due snapshot) is made
/// durable before anything can be read, so the first view and the database agree.
async fn commit_recovered(
    writer: &WriterHandle,
    entries: Vec<journal::Entry>,
) -> Result<(), RunError> {
    let (recovered_tx, recovered) = oneshot::channel();
    writer.write(WriteOp {
        entries,
        done: Some(Box::new(move |ok| {
            let _ = recovered_tx.send(ok);
        })),
    });
    if matches!(recovered.await, Ok(true)) {
        Ok(())
    } else {
        let failed = std::io::Error::other("the write failed (see the log)");
        Err(io("committing the recovered state")(failed))
    }
}

/// The sequencer as the shared lifecycle runs it: `run(config, listener, shutdown)`
/// starts, serves until `shutdown` resolves, then shuts down in order. A shutdown while
/// still starting (waiting for the settlement layer) returns `Ok` without serving: `start`
/// is cancel-safe.
impl service_shell::lifecycle::Service for Config {
    type Running = Running;
    type Error = RunError;
    const STOPS_WHILE_STARTING: bool = true;

    fn start(self, listener: TcpListener) -> Starting<Running, RunError> {
        Box::pin(start(self, listener))
    }
}

/// Connects to the settlement layer (retrying for a while: in a compose network it may
/// start later) and checks that it runs our genesis.
async fn connect(
    client: &SettlementClient,
    genesis_hash: H256,
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

/// Opens the database and rebuilds the executor state (blocking).
fn open_and_recover(
    config: &Config,
    settlement_instance: &protocol::primitives::H256,
) -> Result<(rusqlite::Connection, Rebuilt), RunError> {
    let path = config.data_dir.join(journal::DB_FILE);
    let conn = schema::open(&path)?;
    schema::check_meta(&conn, "genesis_hash", &config.genesis.hash().to_string())?;
    let sequencer = protocol::signing::address_of(&config.key).to_string();
    schema::check_meta(&conn, "sequencer", &sequencer)?;
    // Same genesis is not the same chain (every devnet shares one): the journal stays with
    // the settlement layer it was written against.
    schema::check_meta(
        &conn,
        "settlement_instance",
        &settlement_instance.to_string(),
    )?;
    let recovered = recovery::load(&conn)?;
    let rebuilt = replay::rebuild(
        Arc::new(config.genesis.clone()),
        recovered,
        config.inject_fault,
        config.snapshot_every_batches,
    )?;
    Ok((conn, rebuilt))
}
