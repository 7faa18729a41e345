//! Durability: the SQLite database (WAL, `synchronous=FULL`) holding the log of everything
//! the executor decided, the tables derived from it for the read API, the settlement status
//! of each batch, and periodic state snapshots.
//!
//! One writer thread owns the write connection and commits with group commit (`writer`);
//! startup reads the latest snapshot and the log after it (`recovery`); read handlers use
//! their own connection (`queries`). The log is what makes an action durable; the tables
//! derived from it are written by the same thread, in the same transaction or (for a
//! group of plain transactions) in the next one, just after the acknowledgement; a crash
//! between the two loses only derived rows, which recovery rebuilds from the log.
//!
//! Map: `record` (log record encoding) → `schema` (tables) → `writer` (group commit) →
//! `snapshot` (tree ↔ blob) → `recovery` (startup) ; `queries` (reads).

pub mod history;
pub mod ledger;
pub mod order_feed;
pub mod queries;
pub mod record;
pub mod recovery;
pub mod schema;
pub mod snapshot;
pub mod withdrawal_events;
pub mod writer;

use protocol::batch::BatchHeader;
use protocol::engine::Receipt;
use protocol::primitives::H256;
use protocol::tree::Tree;
use record::{OpenRecord, SealRecord, TxRecord};
use std::sync::Arc;

/// The SQLite file inside the data dir.
pub const DB_FILE: &str = "sequencer.db";

/// Why the database failed. Internal: logged, never shown to clients.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("corrupt {what}: {reason}")]
    Corrupt { what: String, reason: String },
    #[error(
        "this data dir belongs to another chain or sequencer: stored {name} {stored}, configured {configured}"
    )]
    Mismatch {
        name: &'static str,
        stored: String,
        configured: String,
    },
    #[error("the writer has stopped after an earlier failure; restart the sequencer")]
    WriterFailed,
}

/// One thing to make durable, in executor order.
#[derive(Debug)]
pub enum Entry {
    Open(OpenRecord),
    /// An accepted transaction with what the read API shows about it.
    Tx {
        record: TxRecord,
        /// `record.tx.hash()`, computed once by the executor (the writer must not redo it).
        hash: H256,
        batch_index: u64,
        position: u32,
        /// Shared with the executor's chunk receipts and the API's answer (no copy).
        receipt: Arc<Receipt>,
        /// The funding it settled and accrued (the ledger's `funding_*` tables). Boxed so
        /// that `Entry` stays small beside the receipt it carries.
        funding: Box<ledger::FundingEffects>,
    },
    Seal {
        record: SealRecord,
        header: BatchHeader,
        /// `Batch::encode()`, as posted.
        data: Vec<u8>,
    },
    Revert {
        from_index: u64,
    },
    /// A transaction of a reverted batch that failed when re-sequenced (not a log record:
    /// replay never sees it; only the read API does).
    Dropped {
        hash: H256,
        receipt: Arc<Receipt>,
    },
    /// The state after a finalized batch, written when it is time for a snapshot.
    Snapshot(Box<SnapshotData>),
    /// What the settlement layer says about one of our batches.
    Settlement(SettlementUpdate),
    /// A transaction whose log record is durable but whose rows in the derived tables were
    /// lost in a crash (`writer`: they are written just after the acknowledgement):
    /// recovery rebuilt it by replay, and only those rows are written.
    Derive(Box<Entry>),
}

impl Entry {
    /// Whether committing this changes a row of `batches` other than its transaction count
    /// (a batch opened, sealed, reverted, posted or finalized): what the batches feed shows.
    pub fn changes_batch_status(&self) -> bool {
        match self {
            Entry::Open(_) | Entry::Seal { .. } | Entry::Revert { .. } => true,
            Entry::Settlement(update) => !matches!(update, SettlementUpdate::Claims { .. }),
            Entry::Tx { .. } | Entry::Dropped { .. } | Entry::Snapshot(_) | Entry::Derive(_) => {
                false
            }
        }
    }
}

/// The executor's state right after batch `batch_index` was sealed.
#[derive(Debug)]
pub struct SnapshotData {
    pub batch_index: u64,
    pub header_hash: H256,
    /// The batch's committed post-state root (the next batch's `prev_state_root`).
    pub reported_root: H256,
    pub timestamp_ms: u64,
    pub queue_end: u64,
    /// The `seq` the next accepted transaction got after this batch.
    pub next_seq: u64,
    pub tree: Tree,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettlementUpdate {
    Posted {
        batch_index: u64,
        header_hash: H256,
        submission_id: u64,
        posted_block: u64,
        deadline_block: u64,
    },
    Finalized {
        batch_index: u64,
        header_hash: H256,
        submission_id: u64,
    },
    /// The settlement layer's events up to `event_cursor` were read, with the withdrawal
    /// claims among them (`withdrawal_events::claims_recorded`).
    Claims {
        claims: Vec<withdrawal_events::L1Claim>,
        event_cursor: u64,
    },
}
