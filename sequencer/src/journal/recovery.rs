//! What startup reads back: the newest snapshot (its tree rebuilt and its root checked),
//! every log record after it, whether the injected fault was already spent, and the newest
//! batch the settlement layer finalized. The executor replays the records (see
//! `executor::replay`).

use super::record::LogRecord;
use super::{JournalError, SnapshotData, snapshot};
use protocol::codec::Decode;
use protocol::primitives::H256;
use rusqlite::{Connection, OptionalExtension, params};

#[derive(Debug)]
pub struct Recovered {
    pub snapshot: Option<SnapshotData>,
    /// Records after the snapshot (all records without one), in order.
    pub records: Vec<LogRecord>,
    /// How many of the last `records` have no derived rows yet (a crash came between a
    /// group's log and its derived rows: `writer`); recovery writes them.
    pub underived: usize,
    /// The log holds a record that injected a fault: never inject again.
    pub fault_spent: bool,
    /// The newest finalized batch of the live chain: (index, header hash).
    pub finalized: Option<(u64, H256)>,
}

fn h256(bytes: Vec<u8>, what: &str) -> Result<H256, JournalError> {
    let arr: [u8; 32] = bytes.try_into().map_err(|_| JournalError::Corrupt {
        what: what.into(),
        reason: "not 32 bytes".into(),
    })?;
    Ok(H256(arr))
}

pub fn load(conn: &Connection) -> Result<Recovered, JournalError> {
    let snapshot = load_snapshot(conn)?;
    let after = snapshot.as_ref().map_or(0, |(pos, _)| *pos);
    let derived_through: i64 = conn.query_row(
        "SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?1",
        params![super::writer::DERIVED_THROUGH],
        |r| r.get(0),
    )?;
    let mut underived = 0;
    let mut records = Vec::new();
    let mut stmt = conn.prepare("SELECT pos, record FROM log WHERE pos > ?1 ORDER BY pos")?;
    let mut rows = stmt.query(params![after])?;
    while let Some(row) = rows.next()? {
        let pos: i64 = row.get(0)?;
        let bytes: Vec<u8> = row.get(1)?;
        let record = LogRecord::decode(&bytes).map_err(|e| JournalError::Corrupt {
            what: format!("log record {pos}"),
            reason: e.to_string(),
        })?;
        records.push(record);
        if pos > derived_through {
            underived += 1;
        }
    }
    let fault_spent: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM log WHERE fault IS NOT NULL)",
        [],
        |r| r.get(0),
    )?;
    let finalized = conn
        .query_row(
            "SELECT batch_index, header_hash FROM batches WHERE status = 'finalized'
             ORDER BY batch_index DESC LIMIT 1",
            [],
            |r| Ok((r.get::<_, u64>(0)?, r.get::<_, Vec<u8>>(1)?)),
        )
        .optional()?
        .map(|(index, hash)| Ok::<_, JournalError>((index, h256(hash, "finalized header hash")?)))
        .transpose()?;
    Ok(Recovered {
        snapshot: snapshot.map(|(_, s)| s),
        records,
        underived,
        fault_spent,
        finalized,
    })
}

/// The newest snapshot and the log position it covers.
fn load_snapshot(conn: &Connection) -> Result<Option<(i64, SnapshotData)>, JournalError> {
    let row = conn
        .query_row(
            "SELECT batch_index, seal_pos, header_hash, reported_root, state_root, timestamp_ms,
                    queue_end, next_seq, leaves
             FROM snapshots ORDER BY batch_index DESC LIMIT 1",
            [],
            |r| {
                Ok((
                    r.get::<_, u64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                    r.get::<_, u64>(5)?,
                    r.get::<_, u64>(6)?,
                    r.get::<_, u64>(7)?,
                    r.get::<_, Vec<u8>>(8)?,
                ))
            },
        )
        .optional()?;
    let Some((batch_index, seal_pos, header, reported, state_root, ts, queue_end, next_seq, blob)) =
        row
    else {
        return Ok(None);
    };
    let what = || format!("snapshot of batch {batch_index}");
    let tree = snapshot::decode(&blob).map_err(|e| JournalError::Corrupt {
        what: what(),
        reason: e.to_string(),
    })?;
    let state_root = h256(state_root, "snapshot state root")?;
    if tree.root() != state_root {
        return Err(JournalError::Corrupt {
            what: what(),
            reason: format!(
                "its leaves hash to {}, but it recorded root {state_root}",
                tree.root()
            ),
        });
    }
    Ok(Some((
        seal_pos,
        SnapshotData {
            batch_index,
            header_hash: h256(header, "snapshot header hash")?,
            reported_root: h256(reported, "snapshot reported root")?,
            timestamp_ms: ts,
            queue_end,
            next_seq,
            tree,
        },
    )))
}
