//! The writer thread: group commit. It blocks for the first pending write, drains every
//! other write queued behind it, commits them all in one transaction (one fsync), and only
//! then runs their completions, which release the replies of the actions they carry. One
//! fsync costs ~72 µs (DESIGN §10), so under load hundreds of actions share it.
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
use rusqlite::{Connection, Transaction, params};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::JoinHandle;
use std::time::Instant;
use tokio::sync::Notify;

/// Most writes committed together (bounds one transaction's size and latency).
const MAX_GROUP: usize = 4_096;

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
    let flag = failed.clone();
    let thread = std::thread::Builder::new()
        .name("seq-writer".into())
        .spawn(move || run(conn, rx, flag, metrics, batches_changed))?;
    Ok((WriterHandle { tx, failed }, thread))
}

fn run(
    mut conn: Connection,
    rx: mpsc::Receiver<Inbox>,
    failed: Arc<AtomicBool>,
    metrics: Arc<Metrics>,
    batches_changed: Arc<Notify>,
) {
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
        let ok = if failed.load(Ordering::Relaxed) {
            false
        } else {
            let started = Instant::now();
            match commit(&mut conn, &group) {
                Ok(()) => {
                    metrics.observe_commit(group.len(), started.elapsed());
                    true
                }
                Err(e) => {
                    tracing::error!(error = %e, "commit failed; the sequencer stops acknowledging actions until restarted");
                    failed.store(true, Ordering::Relaxed);
                    false
                }
            }
        };
        let wake_poster = ok
            && group.iter().any(|op| {
                op.entries.iter().any(|e| {
                    matches!(
                        e,
                        Entry::Seal { .. } | Entry::Revert { .. } | Entry::Settlement(_)
                    )
                })
            });
        for op in group {
            if let Some(done) = op.done {
                done(ok);
            }
        }
        if wake_poster {
            batches_changed.notify_one();
        }
    }
}

fn commit(conn: &mut Connection, group: &[WriteOp]) -> Result<(), JournalError> {
    let tx = conn.transaction()?;
    // Open batches' transaction counts, bumped once per batch per commit. A seal in the
    // same commit sets the final count itself, so pending bumps are applied before it.
    let mut added: Vec<(u64, u64)> = Vec::new();
    for op in group {
        for entry in &op.entries {
            match entry {
                Entry::Tx { batch_index, .. } => match added.last_mut() {
                    Some((index, n)) if index == batch_index => *n += 1,
                    _ => added.push((*batch_index, 1)),
                },
                Entry::Seal { .. } | Entry::Revert { .. } => bump_counts(&tx, &mut added)?,
                _ => {}
            }
            write_entry(&tx, entry)?;
        }
    }
    bump_counts(&tx, &mut added)?;
    tx.commit()?;
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

fn write_entry(tx: &Transaction<'_>, entry: &Entry) -> Result<(), JournalError> {
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
        Entry::Tx {
            record,
            hash,
            batch_index,
            position,
            receipt,
            funding,
        } => {
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
            history::insert(tx, record.seq, hash, *batch_index, &receipt.fills)?;
            let at = (record.seq, hash, *batch_index);
            ledger::insert(tx, at, &record.tx, receipt, funding)?;
            if let (Some(id), Some((account, amount))) =
                (receipt.withdrawal_id, withdrawal_of(&record.tx))
            {
                tx.prepare_cached(
                    "INSERT OR REPLACE INTO withdrawals (id, account, amount, tx_hash, batch_index)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![id, account.0, amount, hash.0, batch_index])?;
                withdrawal_events::requested(tx, id)?;
            }
        }
        Entry::Seal {
            record,
            header,
            data,
        } => {
            let pos = append_log(tx, &LogRecord::Seal(record.clone()))?;
            tx.prepare_cached(
                "UPDATE batches SET status = 'sealed', header_hash = ?2, post_state_root = ?3,
                     queue_end = ?4, tx_count = ?5, data = ?6, seal_pos = ?7
                 WHERE batch_index = ?1 AND status = 'open'",
            )?
            .execute(params![
                header.index,
                header.hash().0,
                header.post_state_root.0,
                header.queue_end,
                header.tx_count,
                data,
                pos
            ])?;
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
