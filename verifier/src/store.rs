//! Durable replica: the core's `Snapshot` in SQLite (WAL, `synchronous=FULL`), kept current
//! by applying the core's journal, one transaction per page of events, so that the cursor
//! and everything derived from the events up to it are on disk together or not at all.
//! After a crash the verifier resumes from the last committed cursor and re-reads the rest.
//!
//! Tables: `meta` (genesis hash, progress, anchor, halted; JSON), `leaves` (the anchor's
//! state), `batches` (live batches as posted), `queue` (unconsumed L1 messages, canonical
//! encoding), `challenges` (records, JSON), `findings` (the log of findings, JSON).

use crate::core::{Anchor, Finding, LeafChange, PostedBatch, Snapshot, StoreOp};
use protocol::action::L1Message;
use protocol::api::verifier::{ChallengeView, Totals};
use protocol::codec::{Decode, Encode};
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The SQLite file inside the data dir.
pub const DB_FILE: &str = "verifier.db";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("stored {what} is corrupt: {message}")]
    Corrupt { what: &'static str, message: String },
    #[error("journal_mode stayed {0}; WAL is required")]
    NotWal(String),
}

/// The SQLite-backed snapshot.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
}

#[derive(Debug, Serialize, Deserialize)]
struct Progress {
    cursor: u64,
    last_block: u64,
    totals: Totals,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leaves (key BLOB PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS batches (
    submission_id INTEGER PRIMARY KEY,
    idx INTEGER NOT NULL,
    header_hash TEXT NOT NULL,
    poster TEXT NOT NULL,
    posted_block INTEGER NOT NULL,
    deadline_block INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS queue (idx INTEGER PRIMARY KEY, message BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS challenges (submission_id INTEGER PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS findings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    record TEXT NOT NULL
);
";

impl Store {
    /// Opens (creating on first start, from `Snapshot::at_genesis`) the store in `dir` and
    /// loads the snapshot to resume from.
    pub fn open(dir: &Path, genesis: &Genesis) -> Result<(Store, Snapshot), StoreError> {
        let conn = Connection::open(dir.join(DB_FILE))?;
        // WAL + FULL: commit returns only after the WAL is fsynced.
        let mode: String =
            conn.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NotWal(mode));
        }
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        let mut store = Store { conn };
        if store.meta::<H256>("genesis_hash")?.is_none() {
            store.write_full(&Snapshot::at_genesis(genesis))?;
        }
        let snapshot = store.load()?;
        Ok((store, snapshot))
    }

    /// Applies `journal` and appends `findings`, in one transaction.
    pub fn commit(
        &mut self,
        journal: &[StoreOp],
        findings: &[(u64, Finding)],
    ) -> Result<(), StoreError> {
        if journal.is_empty() && findings.is_empty() {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        for op in journal {
            apply(&tx, op)?;
        }
        for (seq, finding) in findings {
            tx.execute(
                "INSERT INTO findings (seq, kind, record) VALUES (?1, ?2, ?3)",
                params![seq, finding.kind(), json(finding)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The most recent findings, newest last, as stored JSON.
    pub fn findings(&self, limit: u32) -> Result<Vec<(u64, serde_json::Value)>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, record FROM (SELECT id, seq, record FROM findings ORDER BY id DESC LIMIT ?1) ORDER BY id",
        )?;
        let rows = stmt.query_map([limit], |r| {
            Ok((r.get::<_, u64>(0)?, r.get::<_, String>(1)?))
        })?;
        rows.map(|row| {
            let (seq, text) = row?;
            Ok((seq, parse("finding", &text)?))
        })
        .collect()
    }

    fn write_full(&mut self, s: &Snapshot) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        set_meta(&tx, "genesis_hash", &s.genesis_hash)?;
        set_meta(&tx, "anchor", &s.anchor)?;
        set_meta(
            &tx,
            "progress",
            &Progress {
                cursor: s.cursor,
                last_block: s.last_block,
                totals: s.totals,
            },
        )?;
        for (key, value) in &s.leaves {
            tx.execute(
                "INSERT OR REPLACE INTO leaves (key, value) VALUES (?1, ?2)",
                params![&key.0[..], value],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Binds this data dir to the settlement layer `instance` on first contact, and says
    /// which instance it is bound to (`instance` itself unless another one was stored).
    pub fn bind_settlement_instance(&mut self, instance: &H256) -> Result<H256, StoreError> {
        if let Some(stored) = self.meta::<H256>("settlement_instance")? {
            return Ok(stored);
        }
        let tx = self.conn.transaction()?;
        set_meta(&tx, "settlement_instance", instance)?;
        tx.commit()?;
        Ok(*instance)
    }

    fn meta<T: serde::de::DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let text: Option<String> = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
        text.map(|t| parse("meta", &t)).transpose()
    }

    fn load(&self) -> Result<Snapshot, StoreError> {
        let missing = |what: &'static str| StoreError::Corrupt {
            what,
            message: "missing".into(),
        };
        let progress: Progress = self.meta("progress")?.ok_or_else(|| missing("progress"))?;
        let mut snapshot = Snapshot {
            genesis_hash: self
                .meta("genesis_hash")?
                .ok_or_else(|| missing("genesis hash"))?,
            cursor: progress.cursor,
            last_block: progress.last_block,
            totals: progress.totals,
            anchor: self
                .meta::<Anchor>("anchor")?
                .ok_or_else(|| missing("anchor"))?,
            leaves: Default::default(),
            batches: Default::default(),
            queue: Default::default(),
            challenges: Default::default(),
            halted: self.meta("halted")?,
        };
        let mut stmt = self.conn.prepare("SELECT key, value FROM leaves")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let key: Vec<u8> = row.get(0)?;
            let key: [u8; 32] = key.try_into().map_err(|k: Vec<u8>| StoreError::Corrupt {
                what: "leaf key",
                message: format!("{} bytes, expected 32", k.len()),
            })?;
            snapshot.leaves.insert(H256(key), row.get(1)?);
        }
        let mut stmt = self.conn.prepare(
            "SELECT submission_id, idx, header_hash, poster, posted_block, deadline_block, data FROM batches",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let batch = PostedBatch {
                submission_id: row.get(0)?,
                index: row.get(1)?,
                header_hash: parse_text::<H256>("batch header hash", &row.get::<_, String>(2)?)?,
                poster: parse_text::<Address>("batch poster", &row.get::<_, String>(3)?)?,
                posted_block: row.get(4)?,
                deadline_block: row.get(5)?,
                data: row.get(6)?,
            };
            snapshot.batches.insert(batch.submission_id, batch);
        }
        let mut stmt = self.conn.prepare("SELECT idx, message FROM queue")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let bytes: Vec<u8> = row.get(1)?;
            let message = L1Message::decode(&bytes).map_err(|e| StoreError::Corrupt {
                what: "queue message",
                message: e.to_string(),
            })?;
            snapshot.queue.insert(row.get(0)?, message);
        }
        let mut stmt = self.conn.prepare("SELECT record FROM challenges")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let view: ChallengeView = parse("challenge", &row.get::<_, String>(0)?)?;
            snapshot.challenges.insert(view.submission_id, view);
        }
        Ok(snapshot)
    }
}

/// One journal entry inside `tx`: the SQL twin of `Snapshot::apply`.
fn apply(tx: &Transaction<'_>, op: &StoreOp) -> Result<(), StoreError> {
    match op {
        StoreOp::Progress {
            cursor,
            last_block,
            totals,
        } => set_meta(
            tx,
            "progress",
            &Progress {
                cursor: *cursor,
                last_block: *last_block,
                totals: *totals,
            },
        )?,
        StoreOp::QueueAdded { index, message } => {
            tx.execute(
                "INSERT OR REPLACE INTO queue (idx, message) VALUES (?1, ?2)",
                params![index, message.encode()],
            )?;
        }
        StoreOp::BatchAdded(b) => {
            tx.execute(
                "INSERT OR REPLACE INTO batches (submission_id, idx, header_hash, poster, posted_block, deadline_block, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    b.submission_id,
                    b.index,
                    b.header_hash.to_string(),
                    b.poster.to_string(),
                    b.posted_block,
                    b.deadline_block,
                    b.data
                ],
            )?;
        }
        StoreOp::BatchDropped { submission_id } => {
            tx.execute(
                "DELETE FROM batches WHERE submission_id = ?1",
                [submission_id],
            )?;
        }
        StoreOp::Finalized { anchor, changes } => {
            if let Some(id) = anchor.submission_id {
                tx.execute("DELETE FROM batches WHERE submission_id = ?1", [id])?;
            }
            for LeafChange { key, value } in changes {
                match value {
                    Some(v) => tx.execute(
                        "INSERT OR REPLACE INTO leaves (key, value) VALUES (?1, ?2)",
                        params![&key.0[..], v],
                    )?,
                    None => tx.execute("DELETE FROM leaves WHERE key = ?1", [&key.0[..]])?,
                };
            }
            tx.execute("DELETE FROM queue WHERE idx < ?1", [anchor.queue_end])?;
            set_meta(tx, "anchor", anchor)?;
        }
        StoreOp::Challenge(view) => {
            tx.execute(
                "INSERT OR REPLACE INTO challenges (submission_id, record) VALUES (?1, ?2)",
                params![view.submission_id, json(view)],
            )?;
        }
        StoreOp::Halted(reason) => set_meta(tx, "halted", reason)?,
    }
    Ok(())
}

fn set_meta<T: Serialize>(tx: &Transaction<'_>, key: &str, value: &T) -> Result<(), StoreError> {
    tx.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
        params![key, json(value)],
    )?;
    Ok(())
}

fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).expect("verifier records serialize to JSON")
}

fn parse<T: serde::de::DeserializeOwned>(what: &'static str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what,
        message: e.to_string(),
    })
}

fn parse_text<T: std::str::FromStr>(what: &'static str, text: &str) -> Result<T, StoreError>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e: T::Err| StoreError::Corrupt {
        what,
        message: e.to_string(),
    })
}
