//! Re-execution with signatures recovered in parallel. Signature recovery dominates the
//! cost of an action and is independent per transaction (`batch::verify_tx` is pure), so it
//! runs first, on up to `recovery.workers` threads and with the chosen backend
//! (`recovery.recover`: k256 or libsecp256k1, equal by the differential test); the chunks then run in order on one thread
//! through protocol's one chunked executor (`batch::execute_chunks`) with those signers,
//! so the result is `fraud::find_first_bad_chunk`'s whatever the worker count; only the
//! wall-clock time differs.

use protocol::action::Tx;
use protocol::batch::{Batch, Signer, domain_separator, execute_chunks, verify_tx_with};
use protocol::fraud::{self, BadChunk};
use protocol::genesis::Genesis;
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

/// What `fraud::find_first_bad_chunk(pre, genesis, batch)` returns, computed with the
/// signatures recovered as `recovery` says.
pub fn find_first_bad_chunk(
    pre: &Tree,
    genesis: &Genesis,
    batch: &Batch,
    recovery: Recovery,
) -> Result<(Tree, Option<BadChunk>), StateError> {
    let signers = recover_signers(&batch.txs, genesis, recovery);
    fraud::first_bad_chunk(execute_chunks(pre, genesis, batch, Some(&signers)), batch)
}
