//! The trade history tables: every fill of every included transaction, written by the
//! journal writer in the same SQLite transaction as the transaction's own row (so what is
//! acknowledged is in the history, and a crash loses neither), deleted with a reverted
//! batch (the re-sequenced transactions write theirs again), and read by the history
//! endpoints: an account's fills, a market's trades and candles. The ledger tables
//! (`ledger.rs`) share this file's revert, backfill and cursor paths. A batch's timestamp is
//! the fills' time; it is joined from the one live `batches` row of their batch.

use super::{JournalError, ledger};
use protocol::api::history::{AccountFill, Candle, Interval, Role, Side, Trade};
use protocol::engine::{Fill, Receipt};
use protocol::primitives::{Address, H256};
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

/// One history table. Every row carries its place in the chain (`seq`, `idx` within the
/// transaction, `tx_hash`, `batch_index`): the primary key is `(seq, idx)`, and indexes by
/// batch and by transaction let a revert and a re-sequenced transaction delete its rows.
#[derive(Debug)]
pub struct HistoryTable {
    pub name: &'static str,
    /// The table's own columns, after the chain position.
    pub columns: &'static str,
    /// Its read indexes: (name suffix, columns).
    pub lookups: &'static [(&'static str, &'static str)],
}

impl HistoryTable {
    /// `CREATE TABLE` and `CREATE INDEX` statements, idempotent.
    fn create(&self) -> String {
        let name = self.name;
        let mut sql = format!(
            "CREATE TABLE IF NOT EXISTS {name} (
                seq INTEGER NOT NULL, idx INTEGER NOT NULL, tx_hash BLOB NOT NULL,
                batch_index INTEGER NOT NULL, {},
                PRIMARY KEY (seq, idx)
            );",
            self.columns
        );
        let chain = [("by_batch", "batch_index"), ("by_tx", "tx_hash")];
        for (suffix, columns) in self.lookups.iter().chain(&chain) {
            sql += &format!("CREATE INDEX IF NOT EXISTS {name}_{suffix} ON {name} ({columns});");
        }
        sql
    }
}

/// The fills table: every fill of every included transaction.
pub const FILLS: HistoryTable = HistoryTable {
    name: "fills",
    columns: "market INTEGER NOT NULL, price INTEGER NOT NULL, size INTEGER NOT NULL,
        taker_is_buy INTEGER NOT NULL, maker BLOB NOT NULL, maker_nonce INTEGER NOT NULL,
        maker_fee INTEGER NOT NULL, taker BLOB NOT NULL, taker_nonce INTEGER NOT NULL,
        taker_fee INTEGER NOT NULL",
    lookups: &[
        ("by_market", "market, seq"),
        ("by_maker", "maker, seq"),
        ("by_taker", "taker, seq"),
    ],
};

/// Every history table: the fills and the ledger's.
fn tables() -> impl Iterator<Item = &'static HistoryTable> {
    std::iter::once(&FILLS).chain(&ledger::TABLES)
}

/// The history tables and their indexes (part of the journal's schema).
pub fn schema() -> String {
    tables().map(HistoryTable::create).collect::<String>() + ledger::EXTRA_INDEXES
}

/// One included transaction as the `txs` table holds it, for the one-time backfills.
#[derive(Debug)]
pub struct IncludedTx {
    pub seq: u64,
    pub hash: H256,
    pub batch_index: u64,
    pub receipt: Receipt,
}

/// Fills the fills table from the stored receipts once, for a data dir created before it
/// existed, then the ledger tables (`ledger.rs`) from the log the same way, then the
/// trigger orders and the orders they fired (added after the ledger tables: a data dir
/// that ran the ledger backfill before has none of them).
pub fn backfill(conn: &mut Connection) -> Result<(), JournalError> {
    backfill_once(conn, "fills_table", |tx, t| {
        insert(tx, t.seq, &t.hash, t.batch_index, &t.receipt.fills)
    })?;
    backfill_once(conn, "ledger_tables", ledger::backfill_one)?;
    backfill_once(conn, "trigger_orders_table", ledger::backfill_triggers)
}

/// Runs `each` over every included transaction in sequence order (a fired trigger order's
/// row reads its placement's), once per data dir (marked in `meta` as `key`, so it runs
/// once; later writes keep the tables current). Transactions after `derived_through` (a
/// crash came before their derived rows: `writer`) are left to recovery, which writes all
/// their derived rows, the new table's included.
fn backfill_once(
    conn: &mut Connection,
    key: &str,
    mut each: impl FnMut(&Transaction<'_>, &IncludedTx) -> Result<(), JournalError>,
) -> Result<(), JournalError> {
    let done: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key = ?1", params![key], |r| {
            r.get(0)
        })
        .optional()?;
    if done.is_some() {
        return Ok(());
    }
    let tx = conn.transaction()?;
    let included: Vec<(u64, Vec<u8>, u64, String)> = tx
        .prepare(
            "SELECT seq, hash, batch_index, receipt FROM txs WHERE state = 'included'
                 AND seq <= COALESCE((SELECT MAX(seq) FROM log WHERE pos <=
                     (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'derived_through')), -1)
             ORDER BY seq",
        )?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<Result<_, _>>()?;
    for (seq, hash, batch_index, receipt) in included {
        let receipt: Receipt =
            serde_json::from_str(&receipt).map_err(|e| JournalError::Corrupt {
                what: "stored receipt".into(),
                reason: e.to_string(),
            })?;
        let hash = H256(hash.try_into().map_err(|_| corrupt("tx_hash"))?);
        let t = IncludedTx {
            seq,
            hash,
            batch_index,
            receipt,
        };
        each(&tx, &t)?;
    }
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, '1')",
        params![key],
    )?;
    tx.commit()?;
    Ok(())
}

fn fee(value: i128) -> Result<i64, JournalError> {
    i64::try_from(value).map_err(|_| JournalError::Corrupt {
        what: "fill fee".into(),
        reason: format!("{value} does not fit the history table"),
    })
}

/// Records the fills of the transaction `hash` (sequence `seq`, batch `batch_index`).
pub fn insert(
    tx: &Transaction<'_>,
    seq: u64,
    hash: &H256,
    batch_index: u64,
    fills: &[Fill],
) -> Result<(), JournalError> {
    let mut stmt = tx.prepare_cached(
        "INSERT OR REPLACE INTO fills (seq, idx, tx_hash, batch_index, market, price, size,
             taker_is_buy, maker, maker_nonce, maker_fee, taker, taker_nonce, taker_fee)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?;
    for (idx, f) in fills.iter().enumerate() {
        stmt.execute(params![
            seq,
            idx as u64,
            hash.0,
            batch_index,
            f.market,
            f.price,
            f.size,
            f.taker_is_buy,
            f.maker.0,
            f.maker_nonce,
            fee(f.maker_fee)?,
            f.taker.0,
            f.taker_nonce,
            fee(f.taker_fee)?,
        ])?;
    }
    Ok(())
}

/// Forgets the history of batches `from_index` and later (a revert).
pub fn delete_from(tx: &Transaction<'_>, from_index: u64) -> Result<(), JournalError> {
    for table in tables().map(|t| t.name) {
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE batch_index >= ?1"))?
            .execute(params![from_index])?;
    }
    Ok(())
}

/// Forgets the history of one transaction (dropped when re-sequenced).
pub fn delete_tx(tx: &Transaction<'_>, hash: &H256) -> Result<(), JournalError> {
    for table in tables().map(|t| t.name) {
        tx.prepare_cached(&format!("DELETE FROM {table} WHERE tx_hash = ?1"))?
            .execute(params![hash.0])?;
    }
    Ok(())
}

/// The live batch's timestamp for a fill row, joined once for every read.
const FROM_FILLS: &str = "FROM fills f JOIN batches b
     ON b.batch_index = f.batch_index AND b.status != 'reverted'";

fn address(bytes: Vec<u8>) -> Result<Address, JournalError> {
    bytes
        .try_into()
        .map(Address)
        .map_err(|_| corrupt("address"))
}

fn corrupt(what: &str) -> JournalError {
    JournalError::Corrupt {
        what: format!("fills {what} column"),
        reason: "wrong length".into(),
    }
}

/// Where a read starts and which way it goes: the history pages newest first below a
/// cursor; the stream follows oldest first after the last `seq` it sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Walk {
    /// `seq < before` (all when `None`), newest first.
    NewestBefore(Option<u64>),
    /// `seq > after`, oldest first.
    OldestAfter(u64),
}

impl Walk {
    /// The SQL condition on `f.seq` (parameter `?2`) and the order, and the parameter.
    pub(super) fn sql(self) -> (&'static str, Option<u64>) {
        match self {
            Walk::NewestBefore(before) => (
                "(?2 IS NULL OR f.seq < ?2) ORDER BY f.seq DESC, f.idx DESC",
                before,
            ),
            Walk::OldestAfter(after) => ("f.seq > ?2 ORDER BY f.seq, f.idx", Some(after)),
        }
    }
}

/// A page along `walk` that ends between whole transactions, and the cursor to continue
/// from when more follow (its last `seq`). A transaction's rows share its `seq` and every
/// cursor is a `seq`, so a page that cut one would lose the rest of it: the page runs to
/// the end of the transaction that holds its `limit`-th row. `read` is asked for
/// `first_read` rows (`limit` plus a transaction's usual most), then twice as many until
/// that transaction is whole (one that fired many orders can exceed any fixed slack).
pub fn whole_transactions<T>(
    conn: &Connection,
    walk: Walk,
    (limit, first_read): (u64, u64),
    read: impl Fn(&Connection, Walk, u64) -> Result<Vec<T>, JournalError>,
    seq: impl Fn(&T) -> u64,
) -> Result<(Vec<T>, Option<u64>), JournalError> {
    let limit = usize::try_from(limit.max(1)).unwrap_or(usize::MAX);
    let mut wanted = first_read.max(limit as u64 + 1);
    loop {
        let mut rows = read(conn, walk, wanted)?;
        if rows.len() <= limit {
            return Ok((rows, None));
        }
        let last = seq(&rows[limit - 1]);
        let end = limit + rows[limit..].iter().take_while(|r| seq(r) == last).count();
        if end < rows.len() {
            rows.truncate(end);
            return Ok((rows, Some(last)));
        }
        if (rows.len() as u64) < wanted {
            return Ok((rows, None)); // all there is, the last transaction whole
        }
        wanted = wanted.saturating_mul(2);
    }
}

/// Up to `limit` fills of `account` along `walk`.
pub fn account_fills(
    conn: &Connection,
    account: &Address,
    walk: Walk,
    limit: u64,
) -> Result<Vec<AccountFill>, JournalError> {
    let (condition, cursor) = walk.sql();
    let sql = format!(
        "SELECT f.seq, f.tx_hash, f.batch_index, b.timestamp_ms, f.market, f.price, f.size,
             f.taker_is_buy, f.maker, f.maker_nonce, f.maker_fee, f.taker, f.taker_nonce,
             f.taker_fee
         {FROM_FILLS}
         WHERE (f.maker = ?1 OR f.taker = ?1) AND {condition} LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![account.0, cursor, limit])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(account_fill(row, account)?);
    }
    Ok(out)
}

fn account_fill(row: &Row<'_>, account: &Address) -> Result<AccountFill, JournalError> {
    let taker_is_buy: bool = row.get(7)?;
    let maker = address(row.get(8)?)?;
    let taker = address(row.get(11)?)?;
    // A self-trade never fills, so the account is exactly one of the two.
    let as_taker = taker == *account;
    let (role, is_buy, fee, nonce, counterparty) = if as_taker {
        (
            Role::Taker,
            taker_is_buy,
            row.get::<_, i64>(13)?,
            row.get(12)?,
            maker,
        )
    } else {
        (
            Role::Maker,
            !taker_is_buy,
            row.get::<_, i64>(10)?,
            row.get(9)?,
            taker,
        )
    };
    let tx_hash: Vec<u8> = row.get(1)?;
    Ok(AccountFill {
        seq: row.get(0)?,
        tx_hash: H256(tx_hash.try_into().map_err(|_| corrupt("tx_hash"))?),
        batch_index: row.get(2)?,
        timestamp_ms: row.get(3)?,
        market: row.get(4)?,
        side: if is_buy { Side::Buy } else { Side::Sell },
        role,
        price: row.get(5)?,
        size: row.get(6)?,
        fee: i128::from(fee),
        counterparty,
        order_nonce: nonce,
    })
}

/// Up to `limit` trades of `market` along `walk`.
pub fn market_trades(
    conn: &Connection,
    market: u32,
    walk: Walk,
    limit: u64,
) -> Result<Vec<Trade>, JournalError> {
    let (condition, cursor) = walk.sql();
    let sql = format!(
        "SELECT f.seq, f.batch_index, b.timestamp_ms, f.price, f.size, f.taker_is_buy
         {FROM_FILLS}
         WHERE f.market = ?1 AND {condition} LIMIT ?3"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let trades = stmt.query_map(params![market, cursor, limit], |r| {
        Ok(Trade {
            seq: r.get(0)?,
            batch_index: r.get(1)?,
            timestamp_ms: r.get(2)?,
            price: r.get(3)?,
            size: r.get(4)?,
            taker_side: if r.get(5)? { Side::Buy } else { Side::Sell },
        })
    })?;
    Ok(trades.collect::<Result<_, _>>()?)
}

/// Candles of `market` at `interval` for trades in `from_ms..to_ms`, oldest first, at
/// most `limit` (intervals without trades are absent).
pub fn candles(
    conn: &Connection,
    market: u32,
    interval: Interval,
    (from_ms, to_ms): (u64, u64),
    limit: u64,
) -> Result<Vec<Candle>, JournalError> {
    let width = interval.millis();
    // One pass groups the trades; open and close are then read by primary key: the first
    // fill of the interval's first transaction and the last of its last (a transaction
    // trades in one market only).
    let sql = format!(
        "WITH g AS (
             SELECT (b.timestamp_ms / ?2) * ?2 AS open_ms, MAX(f.price) AS high,
                 MIN(f.price) AS low, SUM(f.size) AS volume, COUNT(*) AS trades,
                 MIN(f.seq) AS first_seq, MAX(f.seq) AS last_seq
             {FROM_FILLS}
             WHERE f.market = ?1 AND b.timestamp_ms >= ?3 AND b.timestamp_ms < ?4
             GROUP BY open_ms ORDER BY open_ms LIMIT ?5)
         SELECT open_ms, high, low, volume, trades,
             (SELECT price FROM fills WHERE seq = g.first_seq ORDER BY idx ASC LIMIT 1),
             (SELECT price FROM fills WHERE seq = g.last_seq ORDER BY idx DESC LIMIT 1)
         FROM g ORDER BY open_ms"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let candles = stmt.query_map(params![market, width, from_ms, to_ms, limit], |r| {
        Ok(Candle {
            open_ms: r.get(0)?,
            high: r.get(1)?,
            low: r.get(2)?,
            volume: r.get(3)?,
            trades: r.get(4)?,
            open: r.get(5)?,
            close: r.get(6)?,
        })
    })?;
    Ok(candles.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows' seqs in walk order, limit, first read → the page's seqs and the cursor.
    type Case = (&'static [u64], u64, u64, &'static [u64], Option<u64>);

    /// The rows of `seqs` along `walk` (ascending `seqs`), at most `n`: a table's reads.
    fn along(seqs: &[u64], walk: Walk, n: u64) -> Vec<u64> {
        let rows: Vec<u64> = match walk {
            Walk::OldestAfter(after) => seqs.iter().copied().filter(|s| *s > after).collect(),
            Walk::NewestBefore(before) => seqs
                .iter()
                .rev()
                .copied()
                .filter(|s| before.is_none_or(|b| *s < b))
                .collect(),
        };
        rows.into_iter().take(n as usize).collect()
    }

    #[test]
    fn a_page_ends_after_the_transaction_of_its_last_row_however_long() {
        // Oldest first from the start; the last rows were cut before (a transaction longer
        // than the first read: the stream's fills and trades lost its remainder).
        let table: [Case; 8] = [
            (&[7, 8, 9], 5, 6, &[7, 8, 9], None),
            (&[6, 7, 8, 9], 3, 4, &[6, 7, 8], Some(8)),
            (&[7, 8, 8, 8, 9], 2, 3, &[7, 8, 8, 8], Some(8)),
            (&[7, 8, 8, 8], 2, 3, &[7, 8, 8, 8], None),
            (&[4, 5, 5, 5], 1, 2, &[4], Some(4)),
            (&[5, 5, 5, 5, 5, 5, 6], 2, 3, &[5, 5, 5, 5, 5, 5], Some(5)),
            (
                &[1, 2, 2, 2, 2, 2, 2, 2, 2],
                2,
                3,
                &[1, 2, 2, 2, 2, 2, 2, 2, 2],
                None,
            ),
            (
                &[1, 2, 2, 2, 2, 2, 2, 3, 3],
                2,
                3,
                &[1, 2, 2, 2, 2, 2, 2],
                Some(2),
            ),
        ];
        let conn = Connection::open_in_memory().unwrap();
        for (seqs, limit, first_read, page, cursor) in table {
            let read = |_: &Connection, walk, n| Ok(along(seqs, walk, n));
            let walk = Walk::OldestAfter(0);
            let got = whole_transactions(&conn, walk, (limit, first_read), read, |s| *s);
            let want = (page.to_vec(), cursor);
            assert_eq!(got.unwrap(), want, "{seqs:?} limit {limit}");
        }
    }

    /// Fills per transaction (of one account), and the page size the stream reads.
    type Layout = (&'static [usize], u64);

    #[test]
    fn following_pages_from_a_seq_gives_every_fill_once_in_order() {
        let layouts: [Layout; 5] = [
            (&[1, 1, 1, 1], 2),
            (&[3, 3, 3], 2),
            (&[1, 5, 1, 4], 3),
            (&[6], 2),
            (&[2, 2, 2, 2, 2], 3),
        ];
        for (per_tx, limit) in layouts {
            let dir = tempfile::tempdir().unwrap();
            let mut conn = super::super::schema::open(&dir.path().join("j.db")).unwrap();
            let account = Address([7; 20]);
            write_fills(&mut conn, &account, per_tx);
            let mut after = 0;
            let mut got = Vec::new();
            for _ in 0..100 {
                let fills = |c: &Connection, walk, n| account_fills(c, &account, walk, n);
                let walk = Walk::OldestAfter(after);
                let (page, more) =
                    whole_transactions(&conn, walk, (limit, limit), fills, |f| f.seq).unwrap();
                got.extend(page.iter().map(|f| (f.seq, f.order_nonce)));
                after = page.last().map_or(after, |f| f.seq);
                if more.is_none() {
                    break;
                }
            }
            let want: Vec<(u64, u64)> = per_tx
                .iter()
                .enumerate()
                .flat_map(|(i, n)| (0..*n as u64).map(move |k| (i as u64 + 1, k)))
                .collect();
            assert_eq!(got, want, "{per_tx:?} in pages of {limit}");
        }
    }

    /// Transaction `i + 1` fills `account` (as taker) `per_tx[i]` times, nonces 0, 1, …
    fn write_fills(conn: &mut Connection, account: &Address, per_tx: &[usize]) {
        let tx = conn.transaction().unwrap();
        tx.execute(
            "INSERT INTO batches (batch_index, status, timestamp_ms, prev_state_root,
                 queue_start, tx_count) VALUES (0, 'open', 1, x'00', 0, 0)",
            [],
        )
        .unwrap();
        for (i, n) in per_tx.iter().enumerate() {
            let fills: Vec<Fill> = (0..*n as u64)
                .map(|k| Fill {
                    market: 1,
                    maker: Address([9; 20]),
                    maker_nonce: k,
                    taker: *account,
                    taker_nonce: k,
                    price: 100,
                    size: 1,
                    taker_is_buy: true,
                    maker_fee: 0,
                    taker_fee: 1,
                })
                .collect();
            insert(&tx, i as u64 + 1, &H256([i as u8; 32]), 0, &fills).unwrap();
        }
        tx.commit().unwrap();
    }
}
