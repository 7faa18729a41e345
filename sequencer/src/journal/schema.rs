//! The tables, and opening a connection with the durability settings.
//!
//! - `log`: the executor's records in order (`pos`), replayed on start; indexed by `seq`
//!   for the reads of one transaction's body (a closed order's client id and good-till-time,
//!   the backfills), which would otherwise scan the whole log.
//! - `batches`: one row per batch opened (a reverted index gets a new row when re-used),
//!   with its settlement status; `batch_data`: a sealed batch's canonical encoding, by the
//!   same `row`. Apart, because the encoding runs to hundreds of KiB: in the batch's row it
//!   put every later column behind an overflow chain that each read of the row walked and
//!   each status change rewrote (`open` moves it out of an older data dir's rows).
//! - `txs`: the current location and receipt of every sequenced transaction, by hash.
//! - `withdrawals`: withdrawal id → account, amount, transaction, batch.
//! - `withdrawal_events`: every status change of every withdrawal, in order (`withdrawal_events.rs`).
//! - `fills`: every fill of every included transaction (`history.rs`).
//! - `orders`, `order_cancels`, `deposits`, `funding_payments`, `funding_accruals`,
//!   `trigger_orders`: the account and market history beside the fills (`ledger.rs`).
//! - `snapshots`: the state after a finalized batch, as a blob of leaves.
//! - `meta`: the genesis hash and sequencer address this data dir belongs to, which
//!   one-time backfills have run, and `derived_through`: the last log position whose
//!   derived rows are written (`writer`: the log goes first).
//!
//! A schema change is additive: a new table or index is `CREATE … IF NOT EXISTS` (made on
//! the next start of an older data dir) and, when rows derived from the past must exist,
//! a one-time backfill from the log and the stored receipts, marked in `meta` under its own
//! key (`history::backfill`).

use super::JournalError;
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use std::path::Path;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS log (
    pos    INTEGER PRIMARY KEY,
    kind   INTEGER NOT NULL,
    seq    INTEGER,
    fault  INTEGER,
    record BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS log_by_seq ON log (seq);
CREATE TABLE IF NOT EXISTS batches (
    row             INTEGER PRIMARY KEY,
    batch_index     INTEGER NOT NULL,
    status          TEXT NOT NULL,
    timestamp_ms    INTEGER NOT NULL,
    prev_state_root BLOB NOT NULL,
    queue_start     INTEGER NOT NULL,
    tx_count        INTEGER NOT NULL,
    header_hash     BLOB,
    post_state_root BLOB,
    queue_end       INTEGER,
    seal_pos        INTEGER,
    submission_id   INTEGER,
    posted_block    INTEGER,
    deadline_block  INTEGER
);
CREATE INDEX IF NOT EXISTS batches_by_index ON batches (batch_index);
CREATE TABLE IF NOT EXISTS batch_data (
    row  INTEGER PRIMARY KEY,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS txs (
    hash        BLOB PRIMARY KEY,
    seq         INTEGER NOT NULL,
    batch_index INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    state       TEXT NOT NULL,
    receipt     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS txs_by_seq ON txs (seq);
CREATE INDEX IF NOT EXISTS txs_by_batch ON txs (batch_index);
CREATE TABLE IF NOT EXISTS withdrawals (
    id          INTEGER PRIMARY KEY,
    account     BLOB NOT NULL,
    amount      INTEGER NOT NULL,
    tx_hash     BLOB NOT NULL,
    batch_index INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    batch_index   INTEGER PRIMARY KEY,
    seal_pos      INTEGER NOT NULL,
    header_hash   BLOB NOT NULL,
    reported_root BLOB NOT NULL,
    state_root    BLOB NOT NULL,
    timestamp_ms  INTEGER NOT NULL,
    queue_end     INTEGER NOT NULL,
    next_seq      INTEGER NOT NULL,
    leaves        BLOB NOT NULL
);
";

/// The write connection's page cache: 64 MiB (SQLite reads a negative `cache_size` as
/// KiB). SQLite's default, 2 MiB, holds fewer pages than the indexes a group commit
/// touches under load, so commits read them back from the OS one `pread` at a time: in
/// the pipeline bench's bulk run (20,000 actions) this cut the process's `pread`s from
/// 41.6k to 12.7k and its `pwrite`s from 83k to 58k (`perf stat -e
/// 'syscalls:sys_enter_pread64'`, counts that do not depend on the machine's load).
const WRITER_CACHE_KIB: i64 = -65_536;

/// Opens (creating) the database with WAL and `synchronous=FULL`: a commit returns only
/// after its WAL frames are fsynced, so a committed transaction survives `kill -9` and
/// power loss.
pub fn open(path: &Path) -> Result<Connection, JournalError> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB)?;
    conn.execute_batch(SCHEMA)?;
    move_batch_data(&mut conn)?;
    // A data dir written before the log went first has every derived row.
    conn.execute(
        "INSERT OR IGNORE INTO meta (key, value)
         SELECT ?1, COALESCE(MAX(pos), 0) FROM log",
        params![super::writer::DERIVED_THROUGH],
    )?;
    conn.execute_batch(&super::history::schema())?;
    conn.execute_batch(super::withdrawal_events::SCHEMA)?;
    super::history::backfill(&mut conn)?;
    Ok(conn)
}

/// A data dir written before `batch_data` kept each sealed batch's encoding in its
/// `batches` row: moves it out, in one transaction.
fn move_batch_data(conn: &mut Connection) -> Result<(), JournalError> {
    let inline: bool = conn.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info('batches') WHERE name = 'data'",
        [],
        |r| r.get(0),
    )?;
    if inline {
        let tx = conn.transaction()?;
        tx.execute_batch(
            "INSERT INTO batch_data (row, data) SELECT row, data FROM batches WHERE data IS NOT NULL;
             ALTER TABLE batches DROP COLUMN data;",
        )?;
        tx.commit()?;
    }
    Ok(())
}

/// A read-only connection for the read API (WAL lets it read while the writer commits).
pub fn open_reader(path: &Path) -> Result<Connection, JournalError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(conn)
}

/// Records `value` under `key` on first start; afterwards refuses a different one.
pub fn check_meta(conn: &Connection, key: &'static str, value: &str) -> Result<(), JournalError> {
    let stored: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
            r.get(0)
        })
        .optional()?;
    match stored {
        None => {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                params![key, value],
            )?;
            Ok(())
        }
        Some(stored) if stored == value => Ok(()),
        Some(stored) => Err(JournalError::Mismatch {
            name: key,
            stored,
            configured: value.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durability_settings_hold_and_meta_refuses_another_chain() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("t.db")).unwrap();
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        let sync: i64 = conn
            .pragma_query_value(None, "synchronous", |r| r.get(0))
            .unwrap();
        assert_eq!(sync, 2, "FULL");
        let cache: i64 = conn
            .pragma_query_value(None, "cache_size", |r| r.get(0))
            .unwrap();
        assert_eq!(cache, WRITER_CACHE_KIB);
        check_meta(&conn, "genesis_hash", "0xaa").unwrap();
        check_meta(&conn, "genesis_hash", "0xaa").unwrap();
        let err = check_meta(&conn, "genesis_hash", "0xbb").unwrap_err();
        assert!(
            err.to_string().contains("stored genesis_hash 0xaa"),
            "{err}"
        );
    }

    /// An older data dir's sealed batches keep their encodings, now in `batch_data`, and
    /// their rows lose the column; opening again changes nothing.
    #[test]
    fn an_older_data_dir_has_its_batch_data_moved_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let old = Connection::open(&path).unwrap();
        old.execute_batch(
            "CREATE TABLE batches (
                 row INTEGER PRIMARY KEY, batch_index INTEGER NOT NULL, status TEXT NOT NULL,
                 timestamp_ms INTEGER NOT NULL, prev_state_root BLOB NOT NULL,
                 queue_start INTEGER NOT NULL, tx_count INTEGER NOT NULL, header_hash BLOB,
                 post_state_root BLOB, queue_end INTEGER, data BLOB, seal_pos INTEGER,
                 submission_id INTEGER, posted_block INTEGER, deadline_block INTEGER);
             INSERT INTO batches VALUES
                 (1, 0, 'reverted', 5, zeroblob(32), 0, 1, zeroblob(32), zeroblob(32), 0,
                  x'0a0b', 3, NULL, NULL, NULL),
                 (2, 0, 'finalized', 6, zeroblob(32), 0, 1, zeroblob(32), zeroblob(32), 0,
                  x'0c0d', 7, 9, 10, 30),
                 (3, 1, 'open', 7, zeroblob(32), 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
                  NULL);",
        )
        .unwrap();
        drop(old);
        for _ in 0..2 {
            let conn = open(&path).unwrap();
            let moved: Vec<(i64, Vec<u8>)> = conn
                .prepare("SELECT row, data FROM batch_data ORDER BY row")
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(moved, vec![(1, vec![10, 11]), (2, vec![12, 13])]);
            let has_column: bool = conn
                .query_row(
                    "SELECT COUNT(*) > 0 FROM pragma_table_info('batches') WHERE name = 'data'",
                    [],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(!has_column, "batches keeps no data column");
            let live = super::super::queries::batch(&conn, 0, true)
                .unwrap()
                .unwrap();
            assert_eq!(live.data, Some(vec![12, 13]), "the live batch's data");
            let open_batch = super::super::queries::batch(&conn, 1, true)
                .unwrap()
                .unwrap();
            assert_eq!(open_batch.data, None, "an open batch has none yet");
        }
    }
}
