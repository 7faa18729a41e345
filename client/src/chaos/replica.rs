//! The harness's own replica of the chain: every batch the sequencer has sealed, fetched
//! once, linked to the previous header, re-executed from genesis with `protocol`'s STF
//! (`execute_batch`) and held to its committed checkpoints and receipt roots. It indexes
//! every transaction by hash with the receipt re-execution gave it, which is what each
//! acknowledgement is compared with.
//!
//! A batch is fetched only once: the header chain pins everything before the newest
//! header, so each catch-up re-reads just that header (a sealed batch that changed after a
//! crash is a divergence) and links the new batches to it.

use super::ChaosError;
use super::network::CALL_LIMIT;
use crate::sequencer::SequencerClient;
use protocol::batch::{Batch, execute_batch, genesis_anchor, genesis_tree};
use protocol::codec::Decode;
use protocol::genesis::Genesis;
use protocol::primitives::H256;
use protocol::tree::Tree;
use std::collections::HashMap;

/// Where a transaction sits and what re-execution gave it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub batch_index: u64,
    pub receipt: H256,
}

#[derive(Debug)]
pub struct Replica {
    genesis: Genesis,
    tree: Tree,
    /// Header hash and post-state root of every sealed batch, by index.
    pub headers: Vec<H256>,
    pub post_roots: Vec<H256>,
    /// Every transaction of the chain.
    pub txs: HashMap<H256, Placed>,
    pub tx_count: u64,
    /// Transactions met a second time (each is a duplicate in the chain).
    pub duplicates: u64,
}

impl Replica {
    pub fn new(genesis: &Genesis) -> Replica {
        Replica {
            tree: genesis_tree(genesis),
            genesis: genesis.clone(),
            headers: Vec::new(),
            post_roots: Vec::new(),
            txs: HashMap::new(),
            tx_count: 0,
            duplicates: 0,
        }
    }

    pub fn root(&self) -> H256 {
        self.tree.root()
    }

    /// Applies the sealed batches up to `last_sealed` it has not applied yet; a changed or
    /// unlinked batch, or one whose commitments re-execution contradicts, is an error.
    pub async fn catch_up(
        &mut self,
        seq: &SequencerClient,
        last_sealed: Option<u64>,
    ) -> Result<(), ChaosError> {
        if let Some(newest) = self.headers.last().copied() {
            let index = self.headers.len() as u64 - 1;
            let info = bounded(seq.batch(index, false)).await?;
            if info.header_hash != Some(newest) {
                return Err(ChaosError::Diverged(format!(
                    "sealed batch {index} changed after a restart: header {newest} became {:?}",
                    info.header_hash
                )));
            }
        }
        let sealed = last_sealed.map_or(0, |last| last + 1);
        for index in self.headers.len() as u64..sealed {
            let info = bounded(seq.batch(index, true)).await?;
            let data = info.data.ok_or_else(|| {
                ChaosError::Diverged(format!("sealed batch {index} is served without data"))
            })?;
            let batch = Batch::decode(&data).map_err(|e| {
                ChaosError::Diverged(format!("sealed batch {index} does not decode: {e}"))
            })?;
            self.apply(index, &batch)?;
        }
        Ok(())
    }

    fn apply(&mut self, index: u64, batch: &Batch) -> Result<(), ChaosError> {
        let prev = self
            .headers
            .last()
            .copied()
            .unwrap_or_else(|| genesis_anchor(&self.genesis));
        let diverged = |what: &str| ChaosError::Diverged(format!("sealed batch {index} {what}"));
        if batch.header.index != index || batch.header.prev_header_hash != prev {
            return Err(diverged("does not link to the previous header"));
        }
        if batch.header.prev_state_root != self.tree.root() {
            return Err(diverged("does not start at the replayed root"));
        }
        let execution = execute_batch(&mut self.tree, &self.genesis, batch)
            .map_err(|e| diverged(&format!("does not re-execute: {e}")))?;
        if execution.checkpoints != batch.checkpoints
            || execution.receipt_roots != batch.receipt_roots
        {
            return Err(diverged(
                "commits checkpoints or receipt roots re-execution contradicts",
            ));
        }
        for (tx, receipt) in batch.txs.iter().zip(&execution.receipts) {
            let placed = Placed {
                batch_index: index,
                receipt: receipt.hash(),
            };
            if self.txs.insert(tx.hash(), placed).is_some() {
                self.duplicates += 1;
            }
        }
        self.tx_count += batch.txs.len() as u64;
        self.headers.push(batch.header.hash());
        self.post_roots.push(self.tree.root());
        Ok(())
    }
}

/// One sequencer or verifier call, bounded in time like every settlement-layer call.
pub async fn bounded<T>(
    call: impl Future<Output = Result<T, service_client::http::ServiceError>>,
) -> Result<T, ChaosError> {
    match tokio::time::timeout(CALL_LIMIT, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(ChaosError::Service(e.to_string())),
        Err(_) => Err(ChaosError::Service(format!(
            "a call took longer than {CALL_LIMIT:?}"
        ))),
    }
}
