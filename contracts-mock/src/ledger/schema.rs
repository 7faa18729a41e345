//! The SQLite schema and first-start initialization.
//!
//! Amounts, block numbers and indices are SQLite integers (i64; the supply cap keeps
//! amounts below 2^63), addresses and hashes are BLOBs of 20 and 32 bytes, and L1 queue
//! messages and batches are stored in their canonical encodings, byte for byte as
//! accepted, so what the rules compared is exactly what is served back.

use protocol::genesis::Genesis;
use protocol::primitives::H256;
use rusqlite::{Connection, OptionalExtension, params};

/// 2: batch data moved from `batches` to `batch_data` (a version-1 database is migrated at
/// startup, see `migrate_from_v1`).
const SCHEMA_VERSION: &str = "2";

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- The L1 head and the token totals that are not per account (one row).
CREATE TABLE IF NOT EXISTS head (
    id                 INTEGER PRIMARY KEY CHECK (id = 0),
    block_number       INTEGER NOT NULL,
    block_timestamp_ms INTEGER NOT NULL,
    minted             INTEGER NOT NULL,
    escrow             INTEGER NOT NULL,
    burned             INTEGER NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS accounts (
    address BLOB PRIMARY KEY,
    balance INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
    nonce   INTEGER NOT NULL DEFAULT 0,
    bond    INTEGER NOT NULL DEFAULT 0 CHECK (bond >= 0)
) STRICT;

CREATE TABLE IF NOT EXISTS queue (
    queue_index  INTEGER PRIMARY KEY,
    message      BLOB NOT NULL,
    sender       BLOB NOT NULL,
    block        INTEGER NOT NULL,
    timestamp_ms INTEGER NOT NULL
) STRICT;

-- Every posting ('submission'); after a revert a new submission may reuse an index, so at
-- most one non-reverted row exists per index. The data lives in `batch_data`: a batch's
-- canonical encoding runs to hundreds of KiB, and a row holding it would put every column
-- after it behind an overflow chain that each status check, count and scan had to walk,
-- and each status change rewrite.
CREATE TABLE IF NOT EXISTS batches (
    submission_id    INTEGER PRIMARY KEY,
    batch_index      INTEGER NOT NULL,
    header_hash      BLOB NOT NULL,
    prev_header_hash BLOB NOT NULL,
    prev_state_root  BLOB NOT NULL,
    post_state_root  BLOB NOT NULL,
    timestamp_ms     INTEGER NOT NULL,
    queue_start      INTEGER NOT NULL,
    queue_end        INTEGER NOT NULL,
    tx_count         INTEGER NOT NULL,
    poster           BLOB NOT NULL,
    posted_block     INTEGER NOT NULL,
    deadline_block   INTEGER NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'finalized', 'reverted')),
    settled_block    INTEGER
) STRICT;
CREATE UNIQUE INDEX IF NOT EXISTS batches_live ON batches (batch_index) WHERE status <> 'reverted';
CREATE INDEX IF NOT EXISTS batches_by_index ON batches (batch_index, submission_id);
CREATE INDEX IF NOT EXISTS batches_by_hash ON batches (header_hash);
CREATE INDEX IF NOT EXISTS batches_by_posted ON batches (posted_block);
CREATE INDEX IF NOT EXISTS batches_reverted ON batches (settled_block) WHERE status = 'reverted';
CREATE INDEX IF NOT EXISTS batches_pending ON batches (batch_index) WHERE status = 'pending';
-- Each submission's canonical encoding, byte for byte as posted; written once.
CREATE TABLE IF NOT EXISTS batch_data (
    submission_id INTEGER PRIMARY KEY,
    data          BLOB NOT NULL
) STRICT;

-- payload: the EventKind JSON; a batch_posted payload omits the data, which is joined in
-- from `batch_data` through submission_id when served.
CREATE TABLE IF NOT EXISTS events (
    seq           INTEGER PRIMARY KEY,
    block         INTEGER NOT NULL,
    timestamp_ms  INTEGER NOT NULL,
    payload       TEXT NOT NULL,
    submission_id INTEGER
) STRICT;

-- Withdrawal ids are any u64 a finalized root may hold, so they are stored as 8 BE bytes.
CREATE TABLE IF NOT EXISTS claims (
    withdrawal_id BLOB PRIMARY KEY,
    account       BLOB NOT NULL,
    amount        INTEGER NOT NULL,
    batch_index   INTEGER NOT NULL,
    claimed_by    BLOB NOT NULL,
    block         INTEGER NOT NULL
) STRICT;

-- Every upheld fraud proof as ruled, witness included, so anyone can re-run the ruling
-- (one per challenged submission: an upheld proof reverts it).
CREATE TABLE IF NOT EXISTS upheld_proofs (
    submission_id          INTEGER PRIMARY KEY,
    batch_index            INTEGER NOT NULL,
    chunk                  INTEGER NOT NULL,
    challenger             BLOB NOT NULL,
    block                  INTEGER NOT NULL,
    claimed_root           BLOB NOT NULL,
    computed_root          BLOB NOT NULL,
    claimed_receipts_root  BLOB NOT NULL,
    computed_receipts_root BLOB NOT NULL,
    witness                BLOB NOT NULL
) STRICT;

-- Exit mode (one row once the rollup froze; absent while live).
CREATE TABLE IF NOT EXISTS exit_state (
    id                   INTEGER PRIMARY KEY CHECK (id = 0),
    frozen_block         INTEGER NOT NULL,
    overdue_queue_index  INTEGER NOT NULL,
    opened_block         INTEGER,
    exit_batch_index     INTEGER,
    exit_root            BLOB,
    claim_deadline_block INTEGER,
    refunded_deposits    INTEGER NOT NULL,
    refunded_amount      INTEGER NOT NULL,
    total_withdrawals    INTEGER,
    paid_block           INTEGER,
    payout_numerator     INTEGER,
    payout_denominator   INTEGER
) STRICT;

-- One exit claim per account: the equity proven at the exit root, what it is owed
-- (max(equity, 0)) and, once paid, what it was paid.
CREATE TABLE IF NOT EXISTS exit_claims (
    account    BLOB PRIMARY KEY,
    equity     INTEGER NOT NULL,
    owed       INTEGER NOT NULL CHECK (owed >= 0),
    paid       INTEGER CHECK (paid >= 0 AND paid <= owed),
    claimed_by BLOB NOT NULL,
    block      INTEGER NOT NULL,
    paid_block INTEGER
) STRICT;
";

/// Why the database cannot serve this configuration.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database holds schema version {found}, this build uses {SCHEMA_VERSION}")]
    SchemaVersion { found: String },
    #[error(
        "the database was created for genesis {stored}, but the configured genesis hashes to {configured}; use another data dir or the same genesis"
    )]
    GenesisMismatch { stored: String, configured: String },
    #[error("stored genesis is unreadable: {0}")]
    StoredGenesis(String),
}

/// Creates the schema on first start (block 0 at `now_ms`, genesis recorded) and checks on
/// later starts that the database belongs to this genesis. Returns the database's instance
/// id: `new_instance` the first time (a database from before ids gets it then too), the
/// stored one after, so two settlement layers with the same genesis (every devnet) tell
/// apart and a node's data dir can refuse the wrong one.
pub fn init(
    conn: &mut Connection,
    genesis: &Genesis,
    now_ms: u64,
    new_instance: H256,
) -> Result<H256, InitError> {
    let tx = conn.transaction()?;
    tx.execute_batch(SCHEMA)?;
    let configured = genesis.hash().to_string();
    let version: Option<String> = tx
        .query_row(
            "SELECT value FROM meta WHERE key = 'schema_version'",
            [],
            |r| r.get(0),
        )
        .optional()?;
    match version {
        None => {
            let json = serde_json::to_string(genesis)
                .map_err(|e| InitError::StoredGenesis(e.to_string()))?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)",
                [SCHEMA_VERSION],
            )?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('genesis_hash', ?1)",
                [&configured],
            )?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('genesis', ?1)",
                [&json],
            )?;
            tx.execute(
                "INSERT INTO head (id, block_number, block_timestamp_ms, minted, escrow, burned) VALUES (0, 0, ?1, 0, 0, 0)",
                params![now_ms],
            )?;
        }
        Some(found) if found == "1" => {
            check_genesis(&tx, &configured)?;
            migrate_from_v1(&tx)?;
        }
        Some(found) if found != SCHEMA_VERSION => return Err(InitError::SchemaVersion { found }),
        Some(_) => check_genesis(&tx, &configured)?,
    }
    tx.execute(
        "INSERT OR IGNORE INTO meta (key, value) VALUES ('instance_id', ?1)",
        [new_instance.to_string()],
    )?;
    let instance: String = tx.query_row(
        "SELECT value FROM meta WHERE key = 'instance_id'",
        [],
        |r| r.get(0),
    )?;
    tx.commit()?;
    instance
        .parse()
        .map_err(|e| InitError::StoredGenesis(format!("stored instance id {instance:?}: {e}")))
}

/// Refuses a database created for another genesis.
fn check_genesis(conn: &Connection, configured: &str) -> Result<(), InitError> {
    let stored: String = conn.query_row(
        "SELECT value FROM meta WHERE key = 'genesis_hash'",
        [],
        |r| r.get(0),
    )?;
    if stored != configured {
        return Err(InitError::GenesisMismatch {
            stored,
            configured: configured.to_owned(),
        });
    }
    Ok(())
}

/// Version 1 kept each batch's data in its `batches` row: moves it to `batch_data` (in the
/// caller's transaction, so a crash leaves version 1 whole) and records version 2.
fn migrate_from_v1(conn: &Connection) -> Result<(), InitError> {
    conn.execute_batch(
        "INSERT INTO batch_data (submission_id, data) SELECT submission_id, data FROM batches;
         ALTER TABLE batches DROP COLUMN data;",
    )?;
    conn.execute(
        "UPDATE meta SET value = ?1 WHERE key = 'schema_version'",
        [SCHEMA_VERSION],
    )?;
    Ok(())
}

/// The newest event seq at startup (0 for an empty log).
pub fn last_event_seq(conn: &Connection) -> Result<u64, InitError> {
    Ok(conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM events", [], |r| r.get(0))?)
}

/// Converts a caller-supplied number to an SQLite key; numbers above i64::MAX name no row.
pub fn sql_key(v: u64) -> Option<i64> {
    i64::try_from(v).ok()
}
