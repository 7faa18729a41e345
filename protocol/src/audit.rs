//! Auditing a posted chain from its data alone: re-execute the live batches from genesis
//! and say whether one transaction's receipt is what its batch committed
//! (`vigil verify tx`). Pure: the caller fetches the batches from the settlement layer.

use crate::batch::{Batch, ReceiptProof, execute_chunks, genesis_tree};
use crate::engine::Receipt;
use crate::fraud;
use crate::genesis::Genesis;
use crate::primitives::H256;
use crate::state::StateError;
use serde::{Deserialize, Serialize};

/// What re-execution says about one transaction of the last batch of a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum ReceiptVerdict {
    /// Every chunk up to the transaction's re-executes to its committed checkpoint and
    /// receipt root; `proof` proves the receipt against the batch header.
    Committed { proof: ReceiptProof },
    /// Chunk `chunk` of the transaction's batch (at or before its own chunk) commits a
    /// checkpoint or receipt root that re-execution contradicts: the batch is fraudulent
    /// and provable. `receipt` is what honest execution gives the transaction.
    WrongCommitment {
        batch_index: u64,
        chunk: u32,
        claimed_root: H256,
        computed_root: H256,
        claimed_receipts_root: H256,
        computed_receipts_root: H256,
        receipt: Receipt,
    },
    /// An earlier batch of the chain is already wrong at `chunk`: nothing after it can be
    /// checked until it is reverted.
    EarlierBatchWrong { batch_index: u64, chunk: u32 },
    /// The transaction is not in the batch.
    NotInBatch { batch_index: u64 },
}

/// Re-executes `chain` (the live batches 0..=n, in order) from genesis and checks the
/// receipt of transaction `tx_hash` in its last batch.
pub fn check_receipt(
    genesis: &Genesis,
    chain: &[Batch],
    tx_hash: &H256,
) -> Result<ReceiptVerdict, StateError> {
    let Some((target, earlier)) = chain.split_last() else {
        return Ok(ReceiptVerdict::NotInBatch { batch_index: 0 });
    };
    let mut tree = genesis_tree(genesis);
    for batch in earlier {
        let (post, bad) = fraud::find_first_bad_chunk(&tree, genesis, batch)?;
        if let Some(bad) = bad {
            return Ok(ReceiptVerdict::EarlierBatchWrong {
                batch_index: batch.header.index,
                chunk: bad.chunk,
            });
        }
        tree = post;
    }
    let batch_index = target.header.index;
    let Some(position) = target.txs.iter().position(|tx| tx.hash() == *tx_hash) else {
        return Ok(ReceiptVerdict::NotInBatch { batch_index });
    };
    let k = genesis.checkpoint_interval_txs.max(1);
    let own_chunk = position / k as usize;
    let mut first_wrong = None;
    for executed in execute_chunks(&tree, genesis, target, None).take(own_chunk + 1) {
        let executed = executed?;
        let claimed = target.chunk_commitment(executed.index);
        if first_wrong.is_none() && claimed != (executed.post_root, executed.receipts_root) {
            first_wrong = Some((
                executed.index,
                claimed,
                executed.post_root,
                executed.receipts_root,
            ));
        }
        if executed.index < own_chunk {
            continue;
        }
        let receipt = executed.receipts[position - executed.txs.start].clone();
        let Some((chunk, claimed, computed_root, computed_receipts_root)) = first_wrong else {
            let proof = ReceiptProof::build(target, k, position, &executed.receipts)
                .expect("the chunk's own receipts prove its position");
            return Ok(ReceiptVerdict::Committed { proof });
        };
        return Ok(ReceiptVerdict::WrongCommitment {
            batch_index,
            chunk: u32::try_from(chunk).expect("chunk count fits u32"),
            claimed_root: claimed.0,
            computed_root,
            claimed_receipts_root: claimed.1,
            computed_receipts_root,
            receipt,
        });
    }
    unreachable!("a position inside the batch lies in one of its chunks")
}
