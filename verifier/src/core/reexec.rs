//! Re-execution with signatures recovered in parallel. Signature recovery dominates the
//! cost of an action and is independent per transaction (`batch::verify_tx` is pure), so it
//! runs first, on up to `recovery.workers` threads and with the chosen backend
//! (`recovery.recover`: k256 or libsecp256k1, equal by the differential test); the chunks then run in order on one thread
//! through protocol's one chunked executor (`batch::execute_chunks`) with those signers,
//! so the result is `fraud::find_first_bad_chunk`'s whatever the worker count; only the
//! wall-clock time differs. The fills of the receipts are kept (`TxFill`), and the order
//! events of the transactions (`Kept::orders`, derived as the sequencer's journal derives
//! them, `protocol::api::order_feed`, with what they need read from the state before each
//! transaction, `TxResting`): once the batch is final they are the feed's `trades`,
//! `fills` and `orders`.

use protocol::action::{Action, Tx};
use protocol::api::history::Side;
use protocol::api::order_feed::{self, Resting, TriggerTerms, TxAt};
use protocol::api::stream::OrderUpdate;
use protocol::batch::{
    Batch, ChunkExecutor, ExecutedChunk, Signer, domain_separator, execute_chunks, verify_tx_with,
};
use protocol::engine::records::LEG_ORDER;
use protocol::engine::view::{client_order_at, resting_order, trigger_order};
use protocol::engine::{Fill, TriggerEvent};
use protocol::fraud::{self, BadChunk};
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256};
use protocol::signing::RecoverFn;
use protocol::state::StateError;
use protocol::tree::Tree;
use std::collections::BTreeMap;

/// Below this many transactions per worker, threads cost more than they save.
const MIN_TXS_PER_WORKER: usize = 64;

/// How a replica recovers signatures: on how many threads and with which backend. The
/// verdicts never depend on either; only the time does.
#[derive(Debug, Clone, Copy)]
pub struct Recovery {
    pub workers: usize,
    pub recover: RecoverFn,
}

impl Default for Recovery {
    /// One thread, protocol's k256 reference.
    fn default() -> Recovery {
        Recovery {
            workers: 1,
            recover: protocol::signing::recover_signer,
        }
    }
}

/// `verify_tx` for every transaction, on up to `recovery.workers` threads; in order.
pub fn recover_signers(txs: &[Tx], genesis: &Genesis, recovery: Recovery) -> Vec<Signer> {
    let domain = domain_separator(genesis);
    let verify = |tx: &Tx| verify_tx_with(tx, &domain, &genesis.oracles, recovery.recover);
    let workers = recovery.workers.min(txs.len() / MIN_TXS_PER_WORKER).max(1);
    if workers == 1 {
        return txs.iter().map(verify).collect();
    }
    let per = txs.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let parts: Vec<_> = txs
            .chunks(per)
            .map(|part| scope.spawn(move || part.iter().map(verify).collect::<Vec<_>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().expect("signature recovery does not panic"))
            .collect()
    })
}

/// One fill of a re-executed transaction, kept with its batch until the batch is final
/// (the feed's `trades` and `fills` of finalized batches are made from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxFill {
    pub tx_hash: H256,
    pub fill: Fill,
}

/// What `fraud::find_first_bad_chunk(pre, genesis, batch)` returns, computed with the
/// signatures recovered as `recovery` says.
pub fn find_first_bad_chunk(
    pre: &Tree,
    genesis: &Genesis,
    batch: &Batch,
    recovery: Recovery,
) -> Result<(Tree, Option<BadChunk>), StateError> {
    let signers = recover_signers(&batch.txs, genesis, recovery);
    let chunks = execute_chunks(pre, genesis, batch, Some(&signers));
    fraud::first_bad_chunk_seeing(chunks, batch, |_| {})
}

/// What the feed keeps of a re-executed batch's receipts until the batch is final: its
/// fills and its transactions' order events (`order_feed::tx_order_events`), each with its
/// account; both as numerous as the batch's receipts, so bounded by its size.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Kept {
    pub fills: Vec<TxFill>,
    pub orders: Vec<(Address, OrderUpdate)>,
}

/// [`find_first_bad_chunk`] and what the feed keeps of every chunk executed (all of the
/// batch's when none is bad), in order.
/// `tx_hashes` is `batch.tx_hashes()`, which the caller already computed for the shape check.
pub fn find_first_bad_chunk_keeping_fills(
    pre: &Tree,
    genesis: &Genesis,
    (batch, tx_hashes): (&Batch, &[H256]),
    recovery: Recovery,
) -> Result<(Tree, Option<BadChunk>, Kept), StateError> {
    let signers = recover_signers(&batch.txs, genesis, recovery);
    let mut kept = Kept::default();
    let mut resting = TxResting {
        exec: ChunkExecutor::for_batch(genesis, batch, Some(&signers)),
        before: pre.clone(),
        before_tx: 0,
        tx: 0,
        placed: BTreeMap::new(),
    };
    let chunks = execute_chunks(pre, genesis, batch, Some(&signers));
    let (post, bad) = fraud::first_bad_chunk_seeing(chunks, batch, |chunk| {
        keep_chunk((batch, tx_hashes), chunk, &mut resting, &mut kept);
    })?;
    Ok((post, bad, kept))
}

/// Keeps the fills and order events of `chunk`'s transactions (`seq` 0: the feed numbers
/// each with its event), with the transaction hashes the shape check computed.
fn keep_chunk(
    (batch, tx_hashes): (&Batch, &[H256]),
    chunk: &ExecutedChunk,
    resting: &mut TxResting,
    kept: &mut Kept,
) {
    resting.before = chunk.pre_state.clone();
    resting.before_tx = chunk.txs.start;
    let txs = &batch.txs[chunk.txs.clone()];
    for (i, (tx, receipt)) in txs.iter().zip(&chunk.receipts).enumerate() {
        let action = order_feed::action_of(tx);
        let quiet = receipt.fills.is_empty()
            && receipt.cancelled.is_empty()
            && receipt.modified.is_empty()
            && receipt.triggered.is_empty()
            && !matches!(action, Some(Action::ModifyOrder(_)))
            && order_feed::placed_order(tx).is_none();
        if quiet {
            continue;
        }
        resting.tx = chunk.txs.start + i;
        let tx_hash = tx_hashes[resting.tx];
        kept.fills.extend(receipt.fills.iter().map(|fill| TxFill {
            tx_hash,
            fill: fill.clone(),
        }));
        let at = TxAt {
            seq: 0,
            tx_hash,
            batch_index: batch.header.index,
            timestamp_ms: batch.header.timestamp_ms,
        };
        kept.orders
            .extend(order_feed::tx_order_events(at, tx, receipt, resting));
    }
}

/// What a verifier's order events need beyond a receipt, read from the state before the
/// transaction (as the sequencer's journal reads it): an order's side and limit price (its
/// newest placement or modify earlier in the batch, else the book), the order a
/// `ModifyOrder`'s client id names, a fired trigger order's terms. The state before a
/// transaction is the chunk's pre-state with the chunk's earlier transactions replayed
/// (`ChunkExecutor::apply`), only when a transaction asks and only as far as it: most ask
/// nothing of it (a cancelled order's terms, the commonest question, are read from the
/// state already reached), so a batch costs at most one more pass over the chunks that do.
struct TxResting<'a> {
    exec: ChunkExecutor<'a>,
    /// The state before transaction `before_tx` (of the batch).
    before: Tree,
    before_tx: usize,
    /// The transaction whose events are being derived.
    tx: usize,
    placed: BTreeMap<(Address, u32, u64), (Side, u64)>,
}

impl TxResting<'_> {
    /// The state before transaction `tx` (`None` if replaying fails, which a full tree
    /// never does).
    fn state(&mut self) -> Option<&mut Tree> {
        while self.before_tx < self.tx {
            self.exec.apply(&mut self.before, self.before_tx).ok()?;
            self.before_tx += 1;
        }
        Some(&mut self.before)
    }
}

impl Resting for TxResting<'_> {
    fn entry(&mut self, account: &Address, market: u32, nonce: u64) -> Option<(Side, u64)> {
        if let Some(entry) = self.placed.get(&(*account, market, nonce)) {
            return Some(*entry);
        }
        // An order's side and limit price change only by a modify, which `record`s them,
        // and a nonce names one order for good: so an order resting in the state already
        // reached (the chunk's pre-state at the earliest) rests with these terms before
        // this transaction too, and nothing needs replaying. Only one placed since (a
        // fired trigger, say) needs the replay.
        let found = match resting_order(&mut self.before, account, market, nonce) {
            Ok(Some(found)) => found,
            _ => resting_order(self.state()?, account, market, nonce).ok()??,
        };
        Some((order_feed::side(found.0), found.1))
    }

    fn record(&mut self, account: &Address, market: u32, nonce: u64, entry: (Side, u64)) {
        self.placed.insert((*account, market, nonce), entry);
    }

    fn client_order(&mut self, account: &Address, client_id: u128) -> Option<(u32, u64)> {
        client_order_at(&*self.state()?, account, client_id).ok()?
    }

    fn trigger(&mut self, fired: &TriggerEvent) -> Option<TriggerTerms> {
        let (account, market, nonce) = (&fired.account, fired.market, fired.nonce);
        let t = trigger_order(self.state()?, account, market, nonce, LEG_ORDER).ok()??;
        Some(TriggerTerms {
            is_buy: t.is_buy,
            price: t.price,
            size: t.size,
            reduce_only: t.reduce_only,
        })
    }
}
