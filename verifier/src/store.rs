//! Durable replica: the core's `Snapshot` in SQLite (WAL, `synchronous=FULL`), kept current
//! by applying the core's journal, one transaction per page of events, so that the cursor
//! and everything derived from the events up to it are on disk together or not at all.
//! After a crash the verifier resumes from the last committed cursor and re-reads the rest.
//!
//! Tables: `meta` (genesis hash, progress, anchor, halted; JSON), `leaves` (the anchor's
//! state), `batches` (live batches as posted), `queue` (unconsumed L1 messages, canonical
//! encoding), `challenges` (records, JSON), `findings` (the log of findings, JSON), `feed`
//! (the `batches`, `trades` and `fills` messages of `GET /v1/stream` by feed event number,
//! JSON; the newest `feed_retention` kept). `FeedReader` reads the feed on its own
//! connection, for the WebSocket sessions.

use crate::core::{Anchor, Finding, LeafChange, PostedBatch, Snapshot, StoreOp};
use protocol::action::L1Message;
use protocol::api::stream::StreamMessage;
use protocol::api::verifier::{ChallengeView, Totals};
use protocol::codec::{Decode, Encode};
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256};
use rusqlite::{Connection, OpenFlags, OptionalExtension, Transaction, params};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Mutex;

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

/// Feed events kept by default (older ones: a resume from them gets a `resnapshot`).
pub const FEED_RETENTION: u64 = 10_000;

/// The SQLite-backed snapshot.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    /// The newest feed event number given out (0: none yet).
    feed_head: u64,
    feed_retention: u64,
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
CREATE TABLE IF NOT EXISTS feed (event INTEGER PRIMARY KEY, message TEXT NOT NULL);
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
        let feed_head: Option<u64> =
            conn.query_row("SELECT MAX(event) FROM feed", [], |r| r.get(0))?;
        let mut store = Store {
            conn,
            feed_head: feed_head.unwrap_or(0),
            feed_retention: FEED_RETENTION,
        };
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
        self.commit_with_feed(journal, findings, &[])
    }

    /// Applies `journal`, appends `findings` and numbers and appends the `feed` messages
    /// (dropping those older than the retention), in one transaction.
    pub fn commit_with_feed(
        &mut self,
        journal: &[StoreOp],
        findings: &[(u64, Finding)],
        feed: &[StreamMessage],
    ) -> Result<(), StoreError> {
        if journal.is_empty() && findings.is_empty() && feed.is_empty() {
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
        let head = append_feed(&tx, self.feed_head, feed)?;
        let cut = head.saturating_sub(self.feed_retention);
        tx.execute("DELETE FROM feed WHERE event <= ?1", [cut])?;
        tx.commit()?;
        self.feed_head = head;
        Ok(())
    }

    /// The newest feed event number given out (0: none yet).
    pub fn feed_head(&self) -> u64 {
        self.feed_head
    }

    /// Keeps the newest `events` feed events (at least 1) from the next commit on.
    pub fn set_feed_retention(&mut self, events: u64) {
        self.feed_retention = events.max(1);
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

/// Appends `messages` after event `head`, each numbered (its `event`); the new head.
fn append_feed(
    tx: &Transaction<'_>,
    head: u64,
    messages: &[StreamMessage],
) -> Result<u64, StoreError> {
    let mut event = head;
    for message in messages {
        event += 1;
        let numbered = numbered(message.clone(), event);
        tx.execute(
            "INSERT INTO feed (event, message) VALUES (?1, ?2)",
            params![event, json(&numbered)],
        )?;
    }
    Ok(event)
}

/// `message` carrying feed event number `event` (a batch's `event`; a trade's, fill's or
/// order event's `seq`, which on a verifier is its feed event).
pub fn numbered(message: StreamMessage, event: u64) -> StreamMessage {
    match message {
        StreamMessage::Batch { batch, verdict, .. } => StreamMessage::Batch {
            batch,
            event: Some(event),
            verdict,
        },
        StreamMessage::BatchReverted { index, .. } => StreamMessage::BatchReverted {
            index,
            event: Some(event),
        },
        StreamMessage::Trade { market, mut trade } => {
            trade.seq = event;
            StreamMessage::Trade { market, trade }
        }
        StreamMessage::Fill { account, mut fill } => {
            fill.seq = event;
            StreamMessage::Fill { account, fill }
        }
        StreamMessage::Order { account, mut order } => {
            order.seq = event;
            StreamMessage::Order { account, order }
        }
        other => other,
    }
}

/// Reads the feed table on a connection of its own (read-only; WAL lets it read while the
/// follower writes), for the WebSocket sessions.
#[derive(Debug)]
pub struct FeedReader {
    conn: Mutex<Connection>,
}

/// A page of the feed: the oldest event still retained, and events after a cursor as
/// stored JSON text, oldest first.
#[derive(Debug, Default)]
pub struct FeedPage {
    pub oldest: Option<u64>,
    pub newest: Option<u64>,
    pub events: Vec<(u64, String)>,
}

impl FeedReader {
    /// Opens the store's file in `dir` read-only (the store must have created it).
    pub fn open(dir: &Path) -> Result<FeedReader, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(dir.join(DB_FILE), flags)?;
        Ok(FeedReader {
            conn: Mutex::new(conn),
        })
    }

    /// At most `limit` events after `after`, and the retained range.
    pub fn page(&self, after: u64, limit: u64) -> Result<FeedPage, StoreError> {
        let conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.unchecked_transaction()?;
        let (oldest, newest): (Option<u64>, Option<u64>) =
            tx.query_row("SELECT MIN(event), MAX(event) FROM feed", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
        let mut stmt = tx.prepare_cached(
            "SELECT event, message FROM feed WHERE event > ?1 ORDER BY event LIMIT ?2",
        )?;
        let events = stmt
            .query_map(params![after, limit], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<Vec<(u64, String)>, _>>()?;
        drop(stmt);
        tx.commit()?;
        Ok(FeedPage {
            oldest,
            newest,
            events,
        })
    }
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
