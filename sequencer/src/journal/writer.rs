//! The writer thread: group commit. It blocks for the first pending write, drains every
//! other write queued behind it, commits them all in one transaction (one fsync), and only
//! then runs their completions, which release the replies of the actions they carry. One
//! fsync costs ~72 µs (DESIGN §10), so under load hundreds of actions share it.
//!
//! Log first: what makes an action durable is its log record (recovery replays the log)
//! and its `txs` row (`GET /v1/txs/{hash}` right after the answer). A group of plain
//! transactions commits just those, fsynced, answers, and then writes the rows derived
//! from them (history, ledger, withdrawals, the open batch's count) in a second
//! transaction that is not fsynced on its own: the next commit's fsync covers it, as the
//! WAL is one file written in order. An acknowledged order so waits for about 5 pages
//! instead of about 22 (measured: 22 pages and an fsync take 0.37 ms on this disk, 5
//! pages 0.2 ms). Every other group (opening, sealing, reverting, settlement, snapshots)
//! is one transaction as before. Whichever transaction writes derived rows also records
//! `derived_through`, the last log position they cover; a crash in between loses only
//! derived rows, and recovery rebuilds them from the log (`Entry::Derive`). Readers wait
//! for the derived rows of every group acknowledged before they asked (`Progress`), so
//! a client reads its own writes.
//!
//! If a commit fails, nothing after it can be acknowledged honestly (the executor already
//! built on the lost writes), so the writer stops writing for good: every later write
//! fails, the API answers 503 and the operator restarts (recovery replays the log).

use super::record::LogRecord;
use super::withdrawal_events::{self, Reached};
use super::{Entry, JournalError, SettlementUpdate, snapshot};
use super::{history, ledger};
use crate::metrics::Metrics;
use protocol::action::{Action, L1Message, Tx};
use protocol::codec::Encode;
use protocol::engine::Receipt;
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Instant;
use tokio::sync::{Notify, watch};

/// Most writes committed together (bounds one transaction's size and latency).
const MAX_GROUP: usize = 4_096;

/// The WAL's length in pages at which the writer checkpoints: SQLite's automatic default.
const CHECKPOINT_PAGES: u64 = 1_000;

/// Runs after the write committed (`true`) or failed (`false`).
pub type Done = Box<dyn FnOnce(bool) + Send>;

/// Entries to make durable, and what to do once they are.
pub struct WriteOp {
    pub entries: Vec<Entry>,
    pub done: Option<Done>,
}

impl std::fmt::Debug for WriteOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteOp")
            .field("entries", &self.entries.len())
            .field("done", &self.done.is_some())
            .finish()
    }
}

/// What the writer's queue carries: writes, and the order to stop once those queued
/// before it are committed.
#[derive(Debug)]
enum Inbox {
    Write(WriteOp),
    Stop,
}

/// The sending side, shared by the executor and the settlement tasks.
#[derive(Debug, Clone)]
pub struct WriterHandle {
    tx: mpsc::Sender<Inbox>,
    failed: Arc<AtomicBool>,
    progress: Arc<Progress>,
}

/// How far the writer has got, in groups committed since it started: so that a read sees
/// the derived rows of every write acknowledged before it.
#[derive(Debug)]
pub struct Progress {
    /// Groups whose log is durable (their actions may have been acknowledged).
    durable: AtomicU64,
    /// Groups whose derived rows are written too; `u64::MAX` once the writer has stopped
    /// (nothing more will come, so no reader may wait for it).
    derived: watch::Sender<u64>,
}

impl Progress {
    fn new() -> Progress {
        Progress {
            durable: AtomicU64::new(0),
            derived: watch::Sender::new(0),
        }
    }

    /// Returns once the derived tables hold every group durable when it was called: about
    /// one derived transaction's time at most, as the writer writes them next.
    pub async fn caught_up(&self) {
        let target = self.durable.load(Ordering::Acquire);
        let mut derived = self.derived.subscribe();
        // `Err` only if the sender is gone, and it lives in `self`.
        let _ = derived.wait_for(|done| *done >= target).await;
    }

    fn durable(&self, groups: u64) {
        self.durable.store(groups, Ordering::Release);
    }

    fn derived(&self, groups: u64) {
        self.derived.send_replace(groups);
    }
}

/// Raises `Progress::derived` to the end when the writer's thread ends, however it ends.
struct StoppedWriter(Arc<Progress>);

impl Drop for StoppedWriter {
    fn drop(&mut self) {
        self.0.derived(u64::MAX);
    }
}

impl WriterHandle {
    /// Queues `op`; if the writer is gone, runs its completion with `false`.
    pub fn write(&self, op: WriteOp) {
        if let Err(mpsc::SendError(Inbox::Write(op))) = self.tx.send(Inbox::Write(op))
            && let Some(done) = op.done
        {
            done(false);
        }
    }

    /// Tells the writer to stop once everything queued before this call is committed.
    /// Stopping does not wait for every clone of the handle to be dropped: a clone held by
    /// a task that will never run again (its runtime is the thread joining the writer)
    /// must not keep the join waiting. Writes sent later fail (their completions get
    /// `false`).
    pub fn stop(&self) {
        let _ = self.tx.send(Inbox::Stop);
    }

    /// Whether a commit has failed (the service can no longer acknowledge anything).
    pub fn has_failed(&self) -> bool {
        self.failed.load(Ordering::Relaxed)
    }

    /// The flag behind `has_failed`, for whoever must refuse work once it is raised.
    pub fn failed_flag(&self) -> Arc<AtomicBool> {
        self.failed.clone()
    }

    /// How far the writer has got (readers wait on it for their own writes).
    pub fn progress(&self) -> Arc<Progress> {
        self.progress.clone()
    }
}

/// Starts the writer on `conn`. `batches_changed` is notified after a commit that sealed or
/// reverted a batch (the poster wakes up).
pub fn spawn(
    conn: Connection,
    metrics: Arc<Metrics>,
    batches_changed: Arc<Notify>,
) -> std::io::Result<(WriterHandle, JoinHandle<()>)> {
    let (tx, rx) = mpsc::channel::<Inbox>();
    let failed = Arc::new(AtomicBool::new(false));
    let progress = Arc::new(Progress::new());
    let mut conn = conn;
    let wal_pages = Arc::new(AtomicU64::new(0));
    let seen = wal_pages.clone();
    // Replaces SQLite's automatic checkpoint, which would run inside the commit that
    // crosses the threshold, maybe the one acknowledgements wait for.
    conn.wal_hook(Some(
        move |_: &mut rusqlite::hooks::Wal, pages: std::ffi::c_int| {
            seen.store(u64::try_from(pages).unwrap_or(0), Ordering::Relaxed);
            Ok(())
        },
    ))
    .map_err(std::io::Error::other)?;
    let writer = Writer {
        conn,
        wal_pages,
        failed: failed.clone(),
        metrics,
        batches_changed,
        progress: progress.clone(),
        groups: 0,
    };
    let thread = std::thread::Builder::new()
        .name("seq-writer".into())
        .spawn(move || writer.run(rx))?;
    Ok((
        WriterHandle {
            tx,
            failed,
            progress,
        },
        thread,
    ))
}

/// The writer thread's state.
struct Writer {
    conn: Connection,
    /// The WAL's length in pages after the last commit (the connection's WAL hook).
    wal_pages: Arc<AtomicU64>,
    failed: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
    batches_changed: Arc<Notify>,
    progress: Arc<Progress>,
    /// Groups taken so far (`Progress` counts in these).
    groups: u64,
}

impl Writer {
    fn run(mut self, rx: mpsc::Receiver<Inbox>) {
        let _stopped = StoppedWriter(self.progress.clone());
        let mut stopping = false;
        while !stopping {
            let first = match rx.recv() {
                Ok(Inbox::Write(op)) => op,
                Ok(Inbox::Stop) | Err(_) => return,
            };
            let mut group = vec![first];
            while group.len() < MAX_GROUP {
                match rx.try_recv() {
                    Ok(Inbox::Write(op)) => group.push(op),
                    Ok(Inbox::Stop) => {
                        stopping = true;
                        break;
                    }
                    Err(_) => break,
                }
            }
            self.groups += 1;
            self.write_group(group);
        }
    }

    /// Commits one group and runs its completions: the log first and the derived rows after
    /// the completions when the group holds only transactions, else all in one.
    fn write_group(&mut self, mut group: Vec<WriteOp>) {
        let mut entries = group.iter().flat_map(|op| &op.entries).peekable();
        let log_first = entries.peek().is_some() && entries.all(|e| matches!(e, Entry::Tx { .. }));
        let rows = if log_first { Rows::Log } else { Rows::All };
        let ok = self.attempt(true, |conn| commit(conn, &group, rows));
        if ok {
            self.progress.durable(self.groups);
        }
        if !log_first {
            self.progress.derived(self.groups);
        }
        let wake_poster = ok
            && group
                .iter()
                .any(|op| op.entries.iter().any(Entry::changes_batch_status));
        for op in &mut group {
            if let Some(done) = op.done.take() {
                done(ok);
            }
        }
        if wake_poster {
            self.batches_changed.notify_one();
        }
        if log_first {
            if ok {
                self.attempt(false, |conn| commit_unsynced(conn, &group, Rows::Derived));
            }
            self.progress.derived(self.groups);
        }
        self.checkpoint_if_long();
    }

    /// Copies the WAL into the database once it is `CHECKPOINT_PAGES` long (SQLite's own
    /// threshold), after the group's answers and derived rows: no acknowledgement waits
    /// for it. Passive, like SQLite's automatic checkpoint: it never waits for readers, and
    /// a checkpoint that could not finish is tried again after the next group.
    fn checkpoint_if_long(&mut self) {
        if self.wal_pages.load(Ordering::Relaxed) < CHECKPOINT_PAGES {
            return;
        }
        match self.conn.wal_checkpoint_v2(
            Some(rusqlite::MAIN_DB),
            rusqlite::wal::CheckpointMode::PASSIVE,
        ) {
            Ok(_) => self.wal_pages.store(0, Ordering::Relaxed),
            Err(e) => {
                tracing::warn!(error = %e, "WAL checkpoint failed; tried again after the next group")
            }
        }
    }

    /// Runs one commit unless an earlier one failed; a failure stops the writer for good.
    /// `observed`: the commit an acknowledgement waits for (the metrics' commit latency).
    fn attempt(
        &mut self,
        observed: bool,
        commit: impl FnOnce(&mut Connection) -> Result<usize, JournalError>,
    ) -> bool {
        if self.failed.load(Ordering::Relaxed) {
            return false;
        }
        let started = Instant::now();
        match commit(&mut self.conn) {
            Ok(ops) => {
                if observed {
                    self.metrics.observe_commit(ops, started.elapsed());
                }
                true
            }
            Err(e) => {
                tracing::error!(error = %e, "commit failed; the sequencer stops acknowledging actions until restarted");
                self.failed.store(true, Ordering::Relaxed);
                false
            }
        }
    }
}

/// Which of an entry's rows a transaction writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rows {
    /// Everything (one transaction per group).
    All,
    /// A transaction's log record and `txs` row: what its acknowledgement waits for.
    Log,
    /// A transaction's derived rows, after `Log` was committed.
    Derived,
}

/// Commits `group`'s `rows` in one transaction; returns how many writes it held.
fn commit(conn: &mut Connection, group: &[WriteOp], rows: Rows) -> Result<usize, JournalError> {
    let tx = conn.transaction()?;
    // Open batches' transaction counts, bumped once per batch per commit. A seal in the
    // same commit sets the final count itself, so pending bumps are applied before it.
    let mut added: Vec<(u64, u64)> = Vec::new();
    for op in group {
        for entry in &op.entries {
            if rows != Rows::Log
                && let Some(batch_index) = counted_in(entry)
            {
                match added.last_mut() {
                    Some((index, n)) if *index == batch_index => *n += 1,
                    _ => added.push((batch_index, 1)),
                }
            }
            if matches!(entry, Entry::Seal { .. } | Entry::Revert { .. }) {
                bump_counts(&tx, &mut added)?;
            }
            write_entry(&tx, entry, rows)?;
        }
    }
    let moved_log = group.iter().flat_map(|op| &op.entries).any(moves_log);
    if rows != Rows::Log {
        bump_counts(&tx, &mut added)?;
        // Unchanged otherwise: no log position was added (a write of a view or of the
        // settlement layer's news alone stays free of writes, so it costs no fsync).
        if moved_log {
            derived_through_log(&tx)?;
        }
    }
    tx.commit()?;
    Ok(group.len())
}

/// `commit` without waiting for the disk: durable with the next fsynced commit, and
/// rebuilt from the log by recovery if a crash comes first.
fn commit_unsynced(
    conn: &mut Connection,
    group: &[WriteOp],
    rows: Rows,
) -> Result<usize, JournalError> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let committed = commit(conn, group, rows);
    conn.pragma_update(None, "synchronous", "FULL")?;
    committed
}

/// The open batch whose transaction count an entry's derived rows bump.
fn counted_in(entry: &Entry) -> Option<u64> {
    match entry {
        Entry::Tx { batch_index, .. } => Some(*batch_index),
        Entry::Derive(inner) => counted_in(inner),
        _ => None,
    }
}

/// Whether writing `entry` appends a log record, or derives the rows of one.
fn moves_log(entry: &Entry) -> bool {
    match entry {
        Entry::Open(_)
        | Entry::Tx { .. }
        | Entry::Seal { .. }
        | Entry::Revert { .. }
        | Entry::Derive(_) => true,
        Entry::Dropped { .. } | Entry::Snapshot(_) | Entry::Settlement(_) => false,
    }
}

/// The `meta` key of the last log position whose derived rows are written.
pub const DERIVED_THROUGH: &str = "derived_through";

/// Records that every log record now stored has its derived rows (the transaction that
/// calls this writes the last of them).
fn derived_through_log(tx: &Transaction<'_>) -> Result<(), JournalError> {
    tx.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, (SELECT COALESCE(MAX(pos), 0) FROM log))
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![DERIVED_THROUGH])?;
    Ok(())
}

fn bump_counts(tx: &Transaction<'_>, added: &mut Vec<(u64, u64)>) -> Result<(), JournalError> {
    for (index, n) in added.drain(..) {
        tx.prepare_cached(
            "UPDATE batches SET tx_count = tx_count + ?2 WHERE batch_index = ?1 AND status = 'open'",
        )?
        .execute(params![index, n])?;
    }
    Ok(())
}

fn append_log(tx: &Transaction<'_>, record: &LogRecord) -> Result<i64, JournalError> {
    let seq = match record {
        LogRecord::Tx(t) => Some(t.seq),
        _ => None,
    };
    let fault = record.fault().map(|f| super::record::fault_code(Some(f)));
    tx.prepare_cached("INSERT INTO log (kind, seq, fault, record) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![record.kind(), seq, fault, record.encode()])?;
    Ok(tx.last_insert_rowid())
}

fn receipt_json(receipt: &Receipt) -> Result<String, JournalError> {
    serde_json::to_string(receipt).map_err(|e| JournalError::Corrupt {
        what: "receipt".into(),
        reason: e.to_string(),
    })
}

fn write_entry(tx: &Transaction<'_>, entry: &Entry, rows: Rows) -> Result<(), JournalError> {
    match (entry, rows) {
        (Entry::Tx { .. }, Rows::Log) => write_tx_log(tx, entry),
        (Entry::Tx { .. }, Rows::Derived) | (Entry::Derive(_), _) => write_tx_derived(tx, entry),
        (Entry::Tx { .. }, Rows::All) => {
            write_tx_log(tx, entry)?;
            write_tx_derived(tx, entry)
        }
        (_, Rows::All) => write_whole(tx, entry),
        (_, Rows::Log | Rows::Derived) => Err(JournalError::Corrupt {
            what: "a write group".into(),
            reason: "only transactions are committed log first".into(),
        }),
    }
}

/// A transaction's log record and `txs` row.
fn write_tx_log(tx: &Transaction<'_>, entry: &Entry) -> Result<(), JournalError> {
    let Entry::Tx {
        record,
        hash,
        batch_index,
        position,
        receipt,
        ..
    } = entry
    else {
        return Err(JournalError::Corrupt {
            what: "a logged entry".into(),
            reason: "only a transaction's log record goes before its derived rows".into(),
        });
    };
    append_log(tx, &LogRecord::Tx(record.clone()))?;
    tx.prepare_cached(
        "INSERT INTO txs (hash, seq, batch_index, position, state, receipt)
         VALUES (?1, ?2, ?3, ?4, 'included', ?5)
         ON CONFLICT (hash) DO UPDATE SET seq = ?2, batch_index = ?3, position = ?4,
             state = 'included', receipt = ?5",
    )?
    .execute(params![
        hash.0,
        record.seq,
        batch_index,
        position,
        receipt_json(receipt)?
    ])?;
    Ok(())
}

/// A transaction's rows in the derived tables (its batch's count is bumped by `commit`).
fn write_tx_derived(tx: &Transaction<'_>, entry: &Entry) -> Result<(), JournalError> {
    let entry = match entry {
        Entry::Derive(inner) => inner.as_ref(),
        entry => entry,
    };
    let Entry::Tx {
        record,
        hash,
        batch_index,
        receipt,
        funding,
        ..
    } = entry
    else {
        return Err(JournalError::Corrupt {
            what: "a derived entry".into(),
            reason: "only a transaction's rows are derived after its log record".into(),
        });
    };
    history::insert(tx, record.seq, hash, *batch_index, &receipt.fills)?;
    let at = (record.seq, hash, *batch_index);
    ledger::insert(tx, at, &record.tx, receipt, funding)?;
    if let (Some(id), Some((account, amount))) = (receipt.withdrawal_id, withdrawal_of(&record.tx))
    {
        tx.prepare_cached(
            "INSERT OR REPLACE INTO withdrawals (id, account, amount, tx_hash, batch_index)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )?
        .execute(params![id, account.0, amount, hash.0, batch_index])?;
        withdrawal_events::requested(tx, id)?;
    }
    Ok(())
}

/// Every other entry: its log record (if it has one) and its rows, in one transaction.
fn write_whole(tx: &Transaction<'_>, entry: &Entry) -> Result<(), JournalError> {
    match entry {
        Entry::Open(open) => {
            append_log(tx, &LogRecord::Open(open.clone()))?;
            tx.prepare_cached(
                "INSERT INTO batches (batch_index, status, timestamp_ms, prev_state_root, queue_start, tx_count)
                 VALUES (?1, 'open', ?2, ?3, ?4, 0)",
            )?
            .execute(params![
                open.index,
                open.timestamp_ms,
                open.prev_state_root.0,
                open.queue_start
            ])?;
        }
        Entry::Seal {
            record,
            header,
            data,
        } => {
            let pos = append_log(tx, &LogRecord::Seal(record.clone()))?;
            let sealed: Option<i64> = tx
                .prepare_cached(
                    "UPDATE batches SET status = 'sealed', header_hash = ?2, post_state_root = ?3,
                         queue_end = ?4, tx_count = ?5, seal_pos = ?6
                     WHERE batch_index = ?1 AND status = 'open' RETURNING row",
                )?
                .query_row(
                    params![
                        header.index,
                        header.hash().0,
                        header.post_state_root.0,
                        header.queue_end,
                        header.tx_count,
                        pos
                    ],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(row) = sealed {
                tx.prepare_cached("INSERT INTO batch_data (row, data) VALUES (?1, ?2)")?
                    .execute(params![row, data])?;
            }
            withdrawal_events::batch_reached(tx, header.index, Reached::InBatch)?;
        }
        Entry::Revert { from_index } => {
            append_log(
                tx,
                &LogRecord::Revert {
                    from_index: *from_index,
                },
            )?;
            tx.execute(
                "UPDATE batches SET status = 'reverted' WHERE batch_index >= ?1 AND status != 'reverted'",
                params![from_index],
            )?;
            tx.execute(
                "UPDATE txs SET state = 'reverted' WHERE batch_index >= ?1 AND state = 'included'",
                params![from_index],
            )?;
            withdrawal_events::reverted(tx, *from_index)?;
            tx.execute(
                "DELETE FROM withdrawals WHERE batch_index >= ?1",
                params![from_index],
            )?;
            history::delete_from(tx, *from_index)?;
        }
        Entry::Dropped { hash, receipt } => {
            tx.execute(
                "UPDATE txs SET state = 'dropped', receipt = ?2 WHERE hash = ?1",
                params![hash.0, receipt_json(receipt)?],
            )?;
            history::delete_tx(tx, hash)?;
        }
        Entry::Snapshot(s) => {
            let seal_pos: i64 = tx.query_row(
                "SELECT seal_pos FROM batches WHERE batch_index = ?1 AND header_hash = ?2 AND status != 'reverted'",
                params![s.batch_index, s.header_hash.0],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT OR REPLACE INTO snapshots (batch_index, seal_pos, header_hash, reported_root,
                     state_root, timestamp_ms, queue_end, next_seq, leaves)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    s.batch_index,
                    seal_pos,
                    s.header_hash.0,
                    s.reported_root.0,
                    s.tree.root().0,
                    s.timestamp_ms,
                    s.queue_end,
                    s.next_seq,
                    snapshot::encode(&s.tree)
                ],
            )?;
            // Only the newest snapshot is ever loaded; keep one older as a spare.
            tx.execute(
                "DELETE FROM snapshots WHERE batch_index NOT IN
                     (SELECT batch_index FROM snapshots ORDER BY batch_index DESC LIMIT 2)",
                [],
            )?;
        }
        Entry::Settlement(update) => write_settlement(tx, update)?,
        Entry::Tx { .. } | Entry::Derive(_) => write_entry(tx, entry, Rows::All)?,
    }
    Ok(())
}

fn write_settlement(tx: &Transaction<'_>, update: &SettlementUpdate) -> Result<(), JournalError> {
    match update {
        SettlementUpdate::Posted {
            batch_index,
            header_hash,
            submission_id,
            posted_block,
            deadline_block,
        } => {
            let changed = tx.execute(
                "UPDATE batches SET status = 'posted', submission_id = ?3, posted_block = ?4, deadline_block = ?5
                 WHERE batch_index = ?1 AND header_hash = ?2 AND status IN ('sealed', 'posted')",
                params![batch_index, header_hash.0, submission_id, posted_block, deadline_block],
            )?;
            if changed > 0 {
                withdrawal_events::batch_reached(tx, *batch_index, Reached::ChallengeWindow)?;
            }
        }
        SettlementUpdate::Finalized {
            batch_index,
            header_hash,
            submission_id,
        } => {
            let changed = tx.execute(
                "UPDATE batches SET status = 'finalized', submission_id = ?3
                 WHERE batch_index = ?1 AND header_hash = ?2 AND status IN ('sealed', 'posted')",
                params![batch_index, header_hash.0, submission_id],
            )?;
            if changed > 0 {
                withdrawal_events::batch_reached(tx, *batch_index, Reached::Finalized)?;
            }
        }
        SettlementUpdate::Claims {
            claims,
            event_cursor,
        } => withdrawal_events::claims_read(tx, claims, *event_cursor)?,
    }
    Ok(())
}

/// The account and amount of a withdrawal transaction (user or forced).
fn withdrawal_of(tx: &Tx) -> Option<(protocol::primitives::Address, u64)> {
    let action = match tx {
        Tx::User { action }
        | Tx::L1 {
            message: L1Message::Forced { action },
            ..
        } => action,
        Tx::L1 { .. } => return None,
    };
    match &action.action {
        Action::Withdraw(w) => Some((w.account, w.amount)),
        _ => None,
    }
}
