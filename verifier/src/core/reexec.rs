//! Re-execution with signatures recovered in parallel. Signature recovery dominates the
//! cost of an action and is independent per transaction (`batch::verify_tx` is pure), so it
//! runs on up to `workers` threads first; the state transitions then run in order on one
//! thread, chunk by chunk, exactly as `batch::execute_tx` = `verify_tx` + `engine::apply_tx`
//! would. The result equals `fraud::find_first_bad_chunk` whatever the worker count (tested
//! against it); only the wall-clock time differs.

use protocol::action::Tx;
use protocol::batch::{Batch, chunk_count, chunk_range, domain_separator, verify_tx};
use protocol::engine;
use protocol::fraud::BadChunk;
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256};
use protocol::signing::SignatureError;
use protocol::state::StateError;
use protocol::tree::Tree;

/// Below this many transactions per worker, threads cost more than they save.
const MIN_TXS_PER_WORKER: usize = 64;

/// `verify_tx` for every transaction, on up to `workers` threads; in order.
pub fn recover_signers(
    txs: &[Tx],
    genesis: &Genesis,
    workers: usize,
) -> Vec<Result<Address, SignatureError>> {
    let domain = domain_separator(genesis);
    let verify = |tx: &Tx| verify_tx(tx, &domain, &genesis.oracle);
    let workers = workers.min(txs.len() / MIN_TXS_PER_WORKER).max(1);
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

/// What `fraud::find_first_bad_chunk(pre, genesis, batch)` returns, computed with the
/// signatures recovered on `workers` threads.
pub fn find_first_bad_chunk(
    pre: &Tree,
    genesis: &Genesis,
    batch: &Batch,
    workers: usize,
) -> Result<(Tree, Option<BadChunk>), StateError> {
    let signers = recover_signers(&batch.txs, genesis, workers);
    let ctx = batch.header.block_context();
    let k = genesis.checkpoint_interval_txs;
    let n = batch.txs.len();
    let mut state = pre.clone();
    for chunk in 0..chunk_count(n, k) {
        let before = state.clone();
        for i in chunk_range(n, k, chunk) {
            engine::apply_tx(&mut state, genesis, &ctx, &batch.txs[i], &signers[i])?;
        }
        let computed_root = state.root();
        let claimed_root = batch.checkpoints.get(chunk).copied().unwrap_or(H256::ZERO);
        if computed_root != claimed_root {
            let chunk = u32::try_from(chunk).expect("chunk count fits u32");
            return Ok((
                state,
                Some(BadChunk {
                    chunk,
                    pre_state: before,
                    claimed_root,
                    computed_root,
                }),
            ));
        }
    }
    Ok((state, None))
}
