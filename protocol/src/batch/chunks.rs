//! The one chunked executor: runs a batch's transactions chunk by chunk (K per chunk, the
//! last one possibly shorter) and hands out each chunk's pre-state, receipts and post-root.
//! `execute_batch`, `fraud::find_first_bad_chunk`, `fraud::build`, the adjudicator and the
//! verifier's parallel re-execution all run chunks through here, so the consensus loop
//! exists once. Signers may be supplied (recovered elsewhere, e.g. on several threads);
//! otherwise each transaction's signature is recovered in line with `verify_tx`.

use super::{Batch, chunk_count, chunk_range, domain_separator, receipts_root, verify_tx};
use crate::action::Tx;
use crate::engine::{self, BlockContext, Receipt};
use crate::genesis::Genesis;
use crate::primitives::{Address, H256};
use crate::signing::SignatureError;
use crate::state::{State, StateError};
use crate::tree::Tree;
use std::ops::Range;

/// What signature recovery gave for one transaction (`verify_tx`'s result).
pub type Signer = Result<Address, SignatureError>;

/// Runs chunks of one transaction list at one block context; holds no state, so one
/// executor serves any number of states (full tree, witness, model).
#[derive(Debug, Clone)]
pub struct ChunkExecutor<'a> {
    genesis: &'a Genesis,
    txs: &'a [Tx],
    ctx: BlockContext,
    domain: H256,
    signers: Option<&'a [Signer]>,
}

/// One executed chunk.
#[derive(Debug, Clone)]
pub struct ExecutedChunk {
    pub index: usize,
    /// The transaction indices the chunk covers.
    pub txs: Range<usize>,
    /// The state before the chunk (an O(1) clone of the tree).
    pub pre_state: Tree,
    pub receipts: Vec<Receipt>,
    /// `receipts_root(receipts)`: what the batch's `receipt_roots[index]` must be.
    pub receipts_root: H256,
    pub post_root: H256,
}

/// Iterator over a batch's chunks in order, carrying the state from one to the next.
/// It stops after the first error (a full tree never fails; a witness may).
#[derive(Debug, Clone)]
pub struct Chunks<'a> {
    exec: ChunkExecutor<'a>,
    state: Tree,
    next: usize,
    failed: bool,
}

impl<'a> ChunkExecutor<'a> {
    /// An executor for `txs` at `ctx`. `signers`, if given, is `verify_tx`'s result for every
    /// transaction in order and is trusted as is.
    ///
    /// # Panics
    /// If `signers` is given with a length other than `txs.len()`: the caller recovered
    /// them for some other transaction list, and executing with them would be wrong.
    pub fn new(
        genesis: &'a Genesis,
        txs: &'a [Tx],
        ctx: BlockContext,
        signers: Option<&'a [Signer]>,
    ) -> Self {
        if let Some(signers) = signers {
            assert_eq!(
                signers.len(),
                txs.len(),
                "one recovered signer per transaction"
            );
        }
        ChunkExecutor {
            genesis,
            txs,
            ctx,
            domain: domain_separator(genesis),
            signers,
        }
    }

    /// The executor for `batch` at its block context.
    pub fn for_batch(
        genesis: &'a Genesis,
        batch: &'a Batch,
        signers: Option<&'a [Signer]>,
    ) -> Self {
        Self::new(genesis, &batch.txs, batch.header.block_context(), signers)
    }

    pub fn chunk_count(&self) -> usize {
        chunk_count(self.txs.len(), self.genesis.checkpoint_interval_txs)
    }

    /// The transaction indices of chunk `chunk`.
    pub fn range(&self, chunk: usize) -> Range<usize> {
        chunk_range(self.txs.len(), self.genesis.checkpoint_interval_txs, chunk)
    }

    /// The transactions of chunk `chunk`.
    pub fn txs(&self, chunk: usize) -> &'a [Tx] {
        &self.txs[self.range(chunk)]
    }

    /// Applies chunk `chunk`'s transactions to `state` in order; returns their receipts.
    pub fn execute<S: State>(
        &self,
        state: &mut S,
        chunk: usize,
    ) -> Result<Vec<Receipt>, StateError> {
        self.range(chunk).map(|i| self.apply(state, i)).collect()
    }

    /// Applies transaction `i` (of the whole list) to `state`, the one step every chunk
    /// takes: a caller that needs the state between two transactions of a chunk (a
    /// verifier's view before one) replays them from the chunk's pre-state with it.
    pub fn apply<S: State>(&self, state: &mut S, i: usize) -> Result<Receipt, StateError> {
        let tx = &self.txs[i];
        let signer = match self.signers {
            Some(signers) => signers[i].clone(),
            None => verify_tx(tx, &self.domain, &self.genesis.oracles),
        };
        engine::apply_tx(state, self.genesis, &self.ctx, tx, &signer)
    }

    /// Every chunk in order, starting from `pre`.
    pub fn chunks(self, pre: Tree) -> Chunks<'a> {
        Chunks {
            exec: self,
            state: pre,
            next: 0,
            failed: false,
        }
    }
}

/// Executes `batch` chunk by chunk from `pre`; see [`Chunks`].
pub fn execute_chunks<'a>(
    pre: &Tree,
    genesis: &'a Genesis,
    batch: &'a Batch,
    signers: Option<&'a [Signer]>,
) -> Chunks<'a> {
    ChunkExecutor::for_batch(genesis, batch, signers).chunks(pre.clone())
}

impl Chunks<'_> {
    /// The state after the chunks yielded so far.
    pub fn state(&self) -> &Tree {
        &self.state
    }

    /// Mutable access between chunks, for fault injection: the next chunk starts from it.
    pub fn state_mut(&mut self) -> &mut Tree {
        &mut self.state
    }

    pub fn into_state(self) -> Tree {
        self.state
    }
}

impl Iterator for Chunks<'_> {
    type Item = Result<ExecutedChunk, StateError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.next >= self.exec.chunk_count() {
            return None;
        }
        let index = self.next;
        self.next += 1;
        let pre_state = self.state.clone();
        match self.exec.execute(&mut self.state, index) {
            Ok(receipts) => Some(Ok(ExecutedChunk {
                index,
                txs: self.exec.range(index),
                pre_state,
                receipts_root: receipts_root(&receipts),
                receipts,
                post_root: self.state.root(),
            })),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}
