//! Re-execution with signatures recovered in parallel. Signature recovery dominates the
//! cost of an action and is independent per transaction (`batch::verify_tx` is pure), so it
//! runs first, on up to `recovery.workers` threads and with the chosen backend
//! (`recovery.recover`: k256 or libsecp256k1, equal by the differential test); the chunks then run in order on one thread
//! through protocol's one chunked executor (`batch::execute_chunks`) with those signers,
//! so the result is `fraud::find_first_bad_chunk`'s whatever the worker count; only the
//! wall-clock time differs. The fills of the receipts are kept (`TxFill`): once the batch is
//! final they are the feed's `trades` and `fills`.

use protocol::action::Tx;
use protocol::batch::{
    Batch, ExecutedChunk, Signer, domain_separator, execute_chunks, verify_tx_with,
};
use protocol::engine::Fill;
use protocol::fraud::{self, BadChunk};
use protocol::genesis::Genesis;
use protocol::primitives::H256;
use protocol::signing::RecoverFn;
use protocol::state::StateError;
use protocol::tree::Tree;

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
    let (post, bad, _) = find_first_bad_chunk_keeping_fills(pre, genesis, batch, recovery)?;
    Ok((post, bad))
}

/// [`find_first_bad_chunk`] and the fills of every chunk executed (all of the batch's when
/// none is bad), in order.
pub fn find_first_bad_chunk_keeping_fills(
    pre: &Tree,
    genesis: &Genesis,
    batch: &Batch,
    recovery: Recovery,
) -> Result<(Tree, Option<BadChunk>, Vec<TxFill>), StateError> {
    let signers = recover_signers(&batch.txs, genesis, recovery);
    let mut fills = Vec::new();
    let chunks = execute_chunks(pre, genesis, batch, Some(&signers));
    let (post, bad) = fraud::first_bad_chunk_seeing(chunks, batch, |chunk| {
        fills.extend(fills_of(batch, chunk));
    })?;
    Ok((post, bad, fills))
}

/// The fills of `chunk`'s receipts, each with its transaction's hash (hashed only for a
/// transaction that filled: most do not, and this runs on every batch re-executed).
fn fills_of<'a>(batch: &'a Batch, chunk: &'a ExecutedChunk) -> impl Iterator<Item = TxFill> + 'a {
    let txs = &batch.txs[chunk.txs.clone()];
    let filled = txs.iter().zip(&chunk.receipts);
    filled
        .filter(|(_, receipt)| !receipt.fills.is_empty())
        .flat_map(|(tx, receipt)| {
            let tx_hash = tx.hash();
            receipt.fills.iter().map(move |fill| TxFill {
                tx_hash,
                fill: fill.clone(),
            })
        })
}
