//! Every status change of every withdrawal, in the order it happened (issue #17): the
//! feed's `withdrawals` channel is to send these, so that a subscriber sees requested →
//! in batch → challenge window → finalized (claimable), or reverted, and resumes from the
//! last event it saw. `requested` is written with the withdrawal's transaction, the batch
//! statuses with the seal, the settlement update or the revert that changed them, each in
//! the same SQLite transaction (so an acknowledged change is never missing after a crash).
//! Rows are never deleted (a revert is itself an event), and `event` is an `AUTOINCREMENT`
//! key, never reused: a cursor that moves only forward, unlike a transaction's `seq`, which
//! a seal or a settlement update does not advance.
//!
//! `claimed` happens on L1: the follower reads the settlement layer's `withdrawal_claimed`
//! events and the journal keeps each in `withdrawal_claims`, with the L1 event cursor it
//! read up to (`meta`, in the same transaction), so a restart resumes there and a claim
//! made while the sequencer was down is still seen; a claim is recorded once (by withdrawal
//! id) however often it is read. A withdrawal's `claimed` event is written when both its
//! claim and its `finalized` are recorded, whichever comes second: a claim read before the
//! poster records the batch final waits for it, so `claimed` always follows `finalized`.

use super::JournalError;
use super::ledger::h256;
use protocol::api::stream::WithdrawalUpdate;
use protocol::primitives::{Address, H256};
use rusqlite::{Connection, OptionalExtension, Transaction, params};

/// The table and its indexes (part of the journal's schema).
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS withdrawal_events (
    event INTEGER PRIMARY KEY AUTOINCREMENT,
    withdrawal_id INTEGER NOT NULL, account BLOB NOT NULL, amount INTEGER NOT NULL,
    batch_index INTEGER NOT NULL, seq INTEGER NOT NULL, tx_hash BLOB NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS withdrawal_events_by_account ON withdrawal_events (account, event);
CREATE INDEX IF NOT EXISTS withdrawal_events_by_id ON withdrawal_events (withdrawal_id, event);
CREATE INDEX IF NOT EXISTS withdrawals_by_batch ON withdrawals (batch_index);
CREATE TABLE IF NOT EXISTS withdrawal_claims (
    withdrawal_id INTEGER PRIMARY KEY, account BLOB NOT NULL, amount INTEGER NOT NULL,
    batch_index INTEGER NOT NULL, claimed_block INTEGER NOT NULL, l1_event INTEGER NOT NULL
);
";

/// The `meta` key of the settlement layer's event cursor the claims were read up to.
const CLAIMS_CURSOR: &str = "l1_claims_event_cursor";

/// A withdrawal claimed on L1 (its `withdrawal_claimed` event, number `l1_event`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Claim {
    pub withdrawal_id: u64,
    pub account: Address,
    pub amount: u64,
    pub batch_index: u64,
    pub claimed_block: u64,
    pub l1_event: u64,
}

/// A status a withdrawal reached: the feed's own type (one home for the names).
pub use protocol::api::stream::WithdrawalStatus as Reached;

/// One status change of one withdrawal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalEvent {
    /// The cursor: increasing over all withdrawals.
    pub event: u64,
    pub withdrawal_id: u64,
    pub amount: u64,
    pub batch_index: u64,
    /// The requesting transaction.
    pub seq: u64,
    pub tx_hash: H256,
    pub status: Reached,
}

/// The status each withdrawal in the `withdrawals` table matching `condition` (on `w`,
/// parameter `?1`) reached, unless it already reached it since it was last requested (a
/// batch posted again after a settlement-layer reorg is not a new status).
fn record(
    tx: &Transaction<'_>,
    condition: &str,
    value: u64,
    status: Reached,
) -> Result<(), JournalError> {
    let sql = format!(
        "INSERT INTO withdrawal_events (withdrawal_id, account, amount, batch_index, seq,
             tx_hash, status)
         SELECT w.id, w.account, w.amount, w.batch_index, t.seq, w.tx_hash, ?2
         FROM withdrawals w JOIN txs t ON t.hash = w.tx_hash
         WHERE {condition} AND NOT EXISTS (SELECT 1 FROM withdrawal_events e
             WHERE e.withdrawal_id = w.id AND e.status = ?2 AND e.event >
                 (SELECT COALESCE(MAX(r.event), 0) FROM withdrawal_events r
                  WHERE r.withdrawal_id = w.id AND r.status = 'requested'))
         ORDER BY w.id"
    );
    tx.prepare_cached(&sql)?
        .execute(params![value, status.name()])?;
    Ok(())
}

/// Withdrawal `id` was sequenced (after its `withdrawals` row was written).
pub fn requested(tx: &Transaction<'_>, id: u64) -> Result<(), JournalError> {
    let sql = "INSERT INTO withdrawal_events (withdrawal_id, account, amount, batch_index, seq,
             tx_hash, status)
         SELECT w.id, w.account, w.amount, w.batch_index, t.seq, w.tx_hash, 'requested'
         FROM withdrawals w JOIN txs t ON t.hash = w.tx_hash WHERE w.id = ?1";
    tx.prepare_cached(sql)?.execute(params![id])?;
    Ok(())
}

/// Batch `index` reached `status` (sealed, posted, finalized): so did its withdrawals
/// (and those of them already claimed on L1 reach `claimed` after `finalized`).
pub fn batch_reached(
    tx: &Transaction<'_>,
    index: u64,
    status: Reached,
) -> Result<(), JournalError> {
    record(tx, "w.batch_index = ?1", index, status)?;
    if status == Reached::Finalized {
        record(
            tx,
            &claimed_where("w.batch_index = ?1"),
            index,
            Reached::Claimed,
        )?;
    }
    Ok(())
}

/// `condition`, for a withdrawal whose claim is recorded (the same id, account, amount
/// and batch: a claim never matches a different withdrawal) and whose `finalized` is too.
fn claimed_where(condition: &str) -> String {
    format!(
        "{condition} AND EXISTS (SELECT 1 FROM withdrawal_claims c
             WHERE c.withdrawal_id = w.id AND c.account = w.account AND c.amount = w.amount
               AND c.batch_index = w.batch_index)
         AND EXISTS (SELECT 1 FROM withdrawal_events f
             WHERE f.withdrawal_id = w.id AND f.status = 'finalized' AND f.event >
                 (SELECT COALESCE(MAX(r.event), 0) FROM withdrawal_events r
                  WHERE r.withdrawal_id = w.id AND r.status = 'requested'))"
    )
}

/// The settlement layer's events up to `cursor` were read, with `claims` among them:
/// keeps each claim (once), writes `claimed` for those already finalized here, and moves
/// the stored cursor on.
pub fn claims_read(
    tx: &Transaction<'_>,
    claims: &[L1Claim],
    cursor: u64,
) -> Result<(), JournalError> {
    for c in claims {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO withdrawal_claims
                 (withdrawal_id, account, amount, batch_index, claimed_block, l1_event)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            c.withdrawal_id,
            c.account.0,
            c.amount,
            c.batch_index,
            c.claimed_block,
            c.l1_event
        ])?;
        record(
            tx,
            &claimed_where("w.id = ?1"),
            c.withdrawal_id,
            Reached::Claimed,
        )?;
    }
    tx.prepare_cached(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value
         WHERE CAST(value AS INTEGER) < CAST(excluded.value AS INTEGER)",
    )?
    .execute(params![CLAIMS_CURSOR, cursor.to_string()])?;
    Ok(())
}

/// The settlement layer's event cursor the claims were read up to (`None`: never read).
pub fn claims_cursor(conn: &Connection) -> Result<Option<u64>, JournalError> {
    let stored: Option<String> = conn
        .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row(params![CLAIMS_CURSOR], |r| r.get(0))
        .optional()?;
    stored
        .map(|v| {
            v.parse().map_err(|_| JournalError::Corrupt {
                what: "the L1 claims cursor".into(),
                reason: v,
            })
        })
        .transpose()
}

/// Batches `from_index` and later were reverted (before their withdrawals are deleted).
pub fn reverted(tx: &Transaction<'_>, from_index: u64) -> Result<(), JournalError> {
    record(tx, "w.batch_index >= ?1", from_index, Reached::Reverted)
}

/// Up to `limit` status changes of `account`'s withdrawals with `event > after`, oldest
/// first.
pub fn account_events(
    conn: &Connection,
    account: &Address,
    after: u64,
    limit: u64,
) -> Result<Vec<WithdrawalEvent>, JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT event, withdrawal_id, amount, batch_index, seq, tx_hash, status
         FROM withdrawal_events WHERE account = ?1 AND event > ?2 ORDER BY event LIMIT ?3",
    )?;
    let mut rows = stmt.query(params![account.0, after, limit])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let status: String = r.get(6)?;
        out.push(WithdrawalEvent {
            event: r.get(0)?,
            withdrawal_id: r.get(1)?,
            amount: r.get(2)?,
            batch_index: r.get(3)?,
            seq: r.get(4)?,
            tx_hash: h256(r.get(5)?)?,
            status: status_named(&status)?,
        });
    }
    Ok(out)
}

/// The feed's `withdrawals` page: up to `limit` of `account`'s status changes with
/// `event > after`, oldest first, as stream messages (with their batch's time: the live
/// batch of that index, else the newest reverted one), and whether more may follow.
pub fn account_updates(
    conn: &Connection,
    account: &Address,
    after: u64,
    limit: u64,
) -> Result<(Vec<WithdrawalUpdate>, bool), JournalError> {
    let mut stmt = conn.prepare_cached(
        "SELECT e.event, e.withdrawal_id, e.amount, e.batch_index, e.seq, e.tx_hash, e.status,
             COALESCE((SELECT b.timestamp_ms FROM batches b WHERE b.batch_index = e.batch_index
                       ORDER BY b.status = 'reverted', b.row DESC LIMIT 1), 0)
         FROM withdrawal_events e WHERE e.account = ?1 AND e.event > ?2 ORDER BY e.event LIMIT ?3",
    )?;
    let mut rows = stmt.query(params![account.0, after, limit])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let status: String = r.get(6)?;
        out.push(WithdrawalUpdate {
            seq: r.get(4)?,
            tx_hash: h256(r.get(5)?)?,
            batch_index: r.get(3)?,
            timestamp_ms: r.get(7)?,
            withdrawal_id: r.get(1)?,
            amount: r.get(2)?,
            status: status_named(&status)?,
            event: Some(r.get(0)?),
        });
    }
    let more = out.len() as u64 >= limit;
    Ok((out, more))
}

/// Where a `withdrawals` subscription without `since_event` starts: before the first event
/// of `account`'s first withdrawal requested by a transaction with `seq > since_seq`
/// (nothing: after the newest event), or after the newest event (`since_seq` absent).
pub fn start_cursor(
    conn: &Connection,
    account: &Address,
    since_seq: Option<u64>,
) -> Result<u64, JournalError> {
    let newest: u64 = conn
        .prepare_cached("SELECT COALESCE(MAX(event), 0) FROM withdrawal_events")?
        .query_row([], |r| r.get(0))?;
    let Some(since_seq) = since_seq else {
        return Ok(newest);
    };
    let first: Option<u64> = conn
        .prepare_cached(
            "SELECT MIN(event) FROM withdrawal_events
             WHERE account = ?1 AND status = 'requested' AND seq > ?2",
        )?
        .query_row(params![account.0, since_seq], |r| r.get(0))?;
    Ok(first.map_or(newest, |event| event - 1))
}

fn status_named(name: &str) -> Result<Reached, JournalError> {
    Reached::from_name(name).ok_or_else(|| JournalError::Corrupt {
        what: "withdrawal event status".into(),
        reason: name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use Reached::*;

    const ALICE: Address = Address([7; 20]);

    /// What happens, in order: a withdrawal `(id, batch)` sequenced, or a batch reaching a
    /// status, or batches reverted from an index, or an L1 claim `(id, batch)` read.
    enum Step {
        Withdraw(u64, u64),
        Batch(u64, Reached),
        Revert(u64),
        Claim(u64, u64),
    }

    fn apply(tx: &Transaction<'_>, step: &Step) {
        match *step {
            Step::Withdraw(id, batch) => {
                let hash = [id as u8; 32];
                tx.execute(
                    "INSERT OR REPLACE INTO txs (hash, seq, batch_index, position, state, receipt)
                     VALUES (?1, ?2, ?3, 0, 'included', '{}')",
                    params![hash, id * 10, batch],
                )
                .unwrap();
                tx.execute(
                    "INSERT OR REPLACE INTO withdrawals (id, account, amount, tx_hash, batch_index)
                     VALUES (?1, ?2, 1000, ?3, ?4)",
                    params![id, ALICE.0, hash, batch],
                )
                .unwrap();
                requested(tx, id).unwrap();
            }
            Step::Batch(index, status) => batch_reached(tx, index, status).unwrap(),
            Step::Claim(id, batch) => {
                let claim = L1Claim {
                    withdrawal_id: id,
                    account: ALICE,
                    amount: 1000,
                    batch_index: batch,
                    claimed_block: 50 + id,
                    l1_event: 100 + id,
                };
                claims_read(tx, &[claim], 100 + id).unwrap();
            }
            Step::Revert(from) => {
                reverted(tx, from).unwrap();
                tx.execute(
                    "DELETE FROM withdrawals WHERE batch_index >= ?1",
                    params![from],
                )
                .unwrap();
            }
        }
    }

    #[test]
    fn each_status_change_is_one_event_in_order_and_resumes_from_any_event() {
        use Step::*;
        let steps = [
            Withdraw(1, 0),
            Batch(0, InBatch),
            Withdraw(2, 1),
            Batch(0, ChallengeWindow),
            Batch(0, ChallengeWindow), // posted again (a reorg): no new status
            Claim(1, 0),               // read before its finalization: waits for it
            Batch(1, InBatch),
            Batch(0, Finalized),
            Claim(1, 0), // read again (after a restart): no new status
            Claim(2, 0), // another batch's claim of id 2: not this withdrawal
            Revert(1),
            Withdraw(2, 1), // re-sequenced: requested again, and it moves on again
            Batch(1, InBatch),
        ];
        let want = [
            (1, Requested),
            (1, InBatch),
            (2, Requested),
            (1, ChallengeWindow),
            (2, InBatch),
            (1, Finalized),
            (1, Claimed),
            (2, Reverted),
            (2, Requested),
            (2, InBatch),
        ];
        let dir = tempfile::tempdir().unwrap();
        let mut conn = super::super::schema::open(&dir.path().join("j.db")).unwrap();
        let tx = conn.transaction().unwrap();
        for step in &steps {
            apply(&tx, step);
        }
        tx.commit().unwrap();
        let all = account_events(&conn, &ALICE, 0, 100).unwrap();
        let got: Vec<(u64, Reached)> = all.iter().map(|e| (e.withdrawal_id, e.status)).collect();
        assert_eq!(got, want);
        for (i, from) in all.iter().enumerate() {
            let rest = account_events(&conn, &ALICE, from.event, 100).unwrap();
            assert_eq!(rest, all[i + 1..], "resumed after event {}", from.event);
        }
        assert!(
            account_events(&conn, &Address([8; 20]), 0, 100)
                .unwrap()
                .is_empty()
        );
        // The feed's page: the same changes, each with its event as the cursor, paged.
        let (page, more) = account_updates(&conn, &ALICE, 0, 4).unwrap();
        let cursors: Vec<_> = page.iter().map(|u| (u.event, u.status)).collect();
        let want_page: Vec<_> = all[..4].iter().map(|e| (Some(e.event), e.status)).collect();
        assert_eq!((cursors, more), (want_page, true));
        // Starts: now (after the newest event); legacy since_seq (seq = id * 10 here):
        // before withdrawal 2's first request, or from the start; nothing newer: now.
        let newest = all.last().unwrap().event;
        let table = [(None, newest), (Some(10), all[2].event - 1), (Some(0), 0)];
        for (since_seq, want) in table {
            assert_eq!(start_cursor(&conn, &ALICE, since_seq).unwrap(), want);
        }
        assert_eq!(start_cursor(&conn, &ALICE, Some(20)).unwrap(), newest);
        // The L1 cursor the claims were read up to (it never moves back).
        assert_eq!(claims_cursor(&conn).unwrap(), Some(102));
    }
}
