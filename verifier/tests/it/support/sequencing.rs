//! A test-side sequencer, pure: seals batches with `protocol` exactly as an honest
//! sequencer would, or with a `protocol::fault` injected (as in protocol's fraud tests), and
//! keeps the honest state at every boundary so that after an upheld proof it can rewind to
//! the last valid root and re-sequence honestly.

use protocol::action::Tx;
use protocol::batch::{Batch, ChunkExecutor, Draft};
use protocol::batch::{genesis_anchor, genesis_tree};
use protocol::engine::BlockContext;
use protocol::fault::{self, Fault};
use protocol::genesis::Genesis;
use protocol::primitives::H256;
use protocol::tree::Tree;
use std::collections::BTreeMap;

/// The chain position after a batch (or genesis).
#[derive(Debug, Clone)]
pub struct Boundary {
    /// The state the sequencer holds there (honest unless a fault corrupted it).
    pub state: Tree,
    pub header_hash: H256,
    /// The post-state root as posted (a lie after a fault).
    pub claimed_root: H256,
    pub queue_end: u64,
}

/// A sealed batch and where (if anywhere) the fault went in.
#[derive(Debug, Clone)]
pub struct Sealed {
    pub batch: Batch,
    pub fault_chunk: Option<u32>,
}

/// What a batch is, by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truth {
    Honest,
    /// A fault was injected in this batch.
    Bad,
    /// Built on a bad batch.
    OnBad,
}

#[derive(Debug, Clone)]
pub struct Sequencer {
    pub genesis: Genesis,
    /// `boundaries[i]` is the position after batch i − 1; `boundaries[0]` is genesis.
    boundaries: Vec<Boundary>,
    /// The first bad batch on the current chain, if any.
    pub tainted_from: Option<u64>,
    /// Every sealed batch's truth, by header hash.
    pub truth: BTreeMap<H256, Truth>,
}

impl Sequencer {
    pub fn new(genesis: &Genesis) -> Sequencer {
        let state = genesis_tree(genesis);
        Sequencer {
            genesis: genesis.clone(),
            boundaries: vec![Boundary {
                claimed_root: state.root(),
                state,
                header_hash: genesis_anchor(genesis),
                queue_end: 0,
            }],
            tainted_from: None,
            truth: BTreeMap::new(),
        }
    }

    pub fn next_index(&self) -> u64 {
        self.boundaries.len() as u64 - 1
    }

    pub fn tip(&self) -> &Boundary {
        self.boundaries.last().expect("genesis is always there")
    }

    /// The honest root at the tip (meaningful while not tainted).
    pub fn root(&self) -> H256 {
        self.tip().state.root()
    }

    /// Seals the next batch of `txs` at `timestamp_ms`, with `fault` injected at the first
    /// chunk where it finds something to corrupt (none: the batch is honest).
    pub fn seal(&mut self, txs: Vec<Tx>, timestamp_ms: u64, fault: Option<Fault>) -> Sealed {
        let tip = self.tip().clone();
        let genesis = &self.genesis;
        let ctx = BlockContext { timestamp_ms };
        let k = genesis.checkpoint_interval_txs;
        let exec = ChunkExecutor::new(genesis, &txs, ctx, None);
        let mut chunks = exec.clone().chunks(tip.state.clone());
        let mut checkpoints = Vec::new();
        let mut receipt_roots = Vec::new();
        let mut fault_chunk = None;
        while let Some(chunk) = chunks.next() {
            let chunk = chunk.expect("full tree");
            let chunk_txs = exec.txs(chunk.index);
            let mut roots = (chunk.post_root, chunk.receipts_root);
            // A fault "bites" only if it changed the committed root: `fault::corrupt` can
            // report a corruption that the state drops (a bad fill on a position the fill
            // closed is deleted, cost and all), and such a batch is honest.
            let state = chunks.state_mut();
            if let Some(f) = fault.filter(|_| fault_chunk.is_none())
                && fault::corrupt(state, genesis, &ctx, f, chunk_txs, &chunk.receipts)
                    .expect("full tree")
                    .is_some()
                && (!f.corrupts_state() || state.root() != roots.0)
            {
                fault_chunk = Some(chunk.index as u32);
                roots = fault::reported_roots(f, chunk.post_root, state.root(), &chunk.receipts);
            }
            checkpoints.push(roots.0);
            receipt_roots.push(roots.1);
        }
        let state = chunks.into_state();
        let index = self.next_index();
        let draft = Draft {
            index,
            prev_header_hash: tip.header_hash,
            timestamp_ms,
            queue_start: tip.queue_end,
        };
        let batch = Batch::seal(draft, tip.claimed_root, txs, checkpoints, receipt_roots);
        batch.check_shape(k).expect("a sealed batch is well formed");
        let truth = match (self.tainted_from, fault_chunk) {
            (Some(_), _) => Truth::OnBad,
            (None, Some(_)) => Truth::Bad,
            (None, None) => Truth::Honest,
        };
        if truth == Truth::Bad {
            self.tainted_from = Some(index);
        }
        self.truth.insert(batch.header.hash(), truth);
        self.boundaries.push(Boundary {
            state,
            header_hash: batch.header.hash(),
            claimed_root: batch.header.post_state_root,
            queue_end: batch.header.queue_end,
        });
        Sealed { batch, fault_chunk }
    }

    /// Batch `index` and every later one were reverted: back to the position before it.
    pub fn rewind(&mut self, index: u64) {
        self.boundaries.truncate(index as usize + 1);
        if self.tainted_from.is_some_and(|bad| bad >= index) {
            self.tainted_from = None;
        }
        assert!(
            self.tainted_from.is_none(),
            "a revert at {index} leaves the chain honest only if it covers the first bad batch"
        );
    }
}
