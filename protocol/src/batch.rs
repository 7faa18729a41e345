//! Batches (DESIGN §5): a hash-chained header committing to the state roots, the block
//! context, the L1 queue range, the transactions, a checkpoint root after every K
//! transactions and the root of each chunk's receipts (so a trader can prove what happened
//! to an action against a posted batch, and a wrong receipt is fraud like a wrong root);
//! plus the one driver that executes transactions (signature check + STF), used
//! identically by the sequencer, verifiers and the fraud-proof adjudicator.

use crate::action::{L1Message, Tx};
use crate::codec::{Decode, DecodeError, Encode, Reader, Writer};
use crate::engine::{self, BlockContext, Receipt};
use crate::genesis::Genesis;
use crate::merkle::merkle_root;
use crate::primitives::{Address, H256, keccak256, keccak256_concat, keccak256_many};
use crate::signing::{self, SignatureError};
use crate::state::{State, StateError};
use crate::tree::Tree;
use std::ops::Range;

mod chunks;
mod receipt_proof;
pub use chunks::{ChunkExecutor, Chunks, ExecutedChunk, Signer, execute_chunks};
pub use receipt_proof::{ReceiptProof, ReceiptProofError};

/// Most transactions one batch may carry; bounds decoding of hostile input.
pub const MAX_BATCH_TXS: usize = 100_000;

/// The committed summary of a batch; its hash links the chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BatchHeader {
    pub index: u64,
    /// `header_hash` of batch `index − 1`; for batch 0, `genesis_anchor(genesis)`.
    pub prev_header_hash: H256,
    pub prev_state_root: H256,
    pub post_state_root: H256,
    /// The block context: every transaction in the batch executes at this time.
    pub timestamp_ms: u64,
    /// L1 queue messages `queue_start..queue_end` are consumed, in order, by this batch.
    pub queue_start: u64,
    pub queue_end: u64,
    pub tx_count: u32,
    /// `merkle_root` of the transaction hashes.
    pub tx_root: H256,
    /// `merkle_root` of the checkpoint roots.
    pub checkpoint_root: H256,
    /// `merkle_root` of the chunks' receipt roots (`Batch::receipt_roots`).
    pub receipts_root: H256,
}

/// The header fields a proposer chooses; execution decides the rest
/// ([`Batch::execute_and_seal`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Draft {
    pub index: u64,
    pub prev_header_hash: H256,
    pub timestamp_ms: u64,
    pub queue_start: u64,
}

impl Draft {
    /// Batch 0's draft: on the genesis anchor, consuming the L1 queue from its start.
    pub fn first(genesis: &Genesis, timestamp_ms: u64) -> Draft {
        Draft {
            index: 0,
            prev_header_hash: genesis_anchor(genesis),
            timestamp_ms,
            queue_start: 0,
        }
    }
}

/// A whole batch as posted to the settlement layer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Batch {
    pub header: BatchHeader,
    pub txs: Vec<Tx>,
    /// Root after chunk j (transactions `j·K .. min((j+1)·K, n)`), for every chunk.
    pub checkpoints: Vec<H256>,
    /// `receipts_root` of chunk j's receipts, for every chunk.
    pub receipt_roots: Vec<H256>,
}

/// Why a batch is malformed (independent of whether its roots are right).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("batch has no transactions")]
    Empty,
    #[error("tx_count is {header} but the batch carries {actual} transactions")]
    TxCount { header: u32, actual: usize },
    #[error("tx_root does not match the transactions: header {header}, computed {computed}")]
    TxRoot { header: H256, computed: H256 },
    #[error("expected {expected} checkpoints for {txs} transactions at K = {k}, got {actual}")]
    CheckpointCount {
        expected: usize,
        actual: usize,
        txs: usize,
        k: u32,
    },
    #[error("checkpoint_root does not match the checkpoints: header {header}, computed {computed}")]
    CheckpointRoot { header: H256, computed: H256 },
    #[error("expected {expected} receipt roots (one per chunk), got {actual}")]
    ReceiptRootCount { expected: usize, actual: usize },
    #[error("receipts_root does not match the receipt roots: header {header}, computed {computed}")]
    ReceiptsRoot { header: H256, computed: H256 },
    #[error("the last checkpoint {last} is not post_state_root {post}")]
    LastCheckpoint { last: H256, post: H256 },
    #[error("L1 transaction {position} has queue index {found}, expected {expected}")]
    QueueOrder {
        position: usize,
        found: u64,
        expected: u64,
    },
    #[error("queue_end is {header} but the L1 transactions end at {actual}")]
    QueueEnd { header: u64, actual: u64 },
}

/// What executing a batch produced.
#[derive(Debug, Clone)]
pub struct Execution {
    pub receipts: Vec<Receipt>,
    pub checkpoints: Vec<H256>,
    pub receipt_roots: Vec<H256>,
}

/// The previous-header hash of batch 0: ties the chain to one genesis.
pub fn genesis_anchor(genesis: &Genesis) -> H256 {
    keccak256_concat(&[b"vigil-genesis", &genesis.hash().0])
}

/// The state root right after genesis; `prev_state_root` of batch 0.
pub fn genesis_tree(genesis: &Genesis) -> Tree {
    let mut tree = Tree::new();
    engine::init_genesis(&mut tree, genesis).expect("a full tree has no pruned nodes");
    tree
}

/// Number of chunks (and so checkpoints) for `tx_count` transactions at interval `k`.
pub fn chunk_count(tx_count: usize, k: u32) -> usize {
    tx_count.div_ceil(k.max(1) as usize)
}

/// The transaction indices of chunk `chunk`.
pub fn chunk_range(tx_count: usize, k: u32, chunk: usize) -> Range<usize> {
    let k = k.max(1) as usize;
    let start = (chunk * k).min(tx_count);
    start..(start + k).min(tx_count)
}

impl BatchHeader {
    pub fn hash(&self) -> H256 {
        keccak256(&self.encode())
    }

    /// The fields a proposer chose, to reseal the same batch with other contents.
    pub fn draft(&self) -> Draft {
        Draft {
            index: self.index,
            prev_header_hash: self.prev_header_hash,
            timestamp_ms: self.timestamp_ms,
            queue_start: self.queue_start,
        }
    }

    pub fn block_context(&self) -> BlockContext {
        BlockContext {
            timestamp_ms: self.timestamp_ms,
        }
    }
}

impl Batch {
    /// Assembles a batch from executed transactions, their checkpoints and receipt roots,
    /// computing the commitments. `draft.queue_start` is the first L1 queue index this
    /// batch may consume.
    pub fn seal(
        draft: Draft,
        prev_state_root: H256,
        txs: Vec<Tx>,
        checkpoints: Vec<H256>,
        receipt_roots: Vec<H256>,
    ) -> Batch {
        let hashes: Vec<H256> = txs.iter().map(Tx::hash).collect();
        Batch::seal_hashed(
            draft,
            prev_state_root,
            (txs, &hashes),
            checkpoints,
            receipt_roots,
        )
    }

    /// [`Batch::seal`] of transactions whose hashes the caller already has (`hashes[i]` is
    /// `txs[i].hash()`): the sequencer hashes each action once, on its intake's workers, so
    /// its serial path does not hash the batch again to seal it.
    pub fn seal_hashed(
        draft: Draft,
        prev_state_root: H256,
        (txs, hashes): (Vec<Tx>, &[H256]),
        checkpoints: Vec<H256>,
        receipt_roots: Vec<H256>,
    ) -> Batch {
        assert_eq!(hashes.len(), txs.len(), "one hash per transaction");
        // Re-hashing every transaction is what this function saves, so the hashes are
        // checked where checks are free: in debug builds (every test).
        debug_assert!(
            txs.iter().zip(hashes).all(|(tx, hash)| tx.hash() == *hash),
            "a transaction hash given to seal_hashed is not its hash"
        );
        let Draft {
            index,
            prev_header_hash,
            timestamp_ms,
            queue_start,
        } = draft;
        let l1_count = txs.iter().filter(|tx| matches!(tx, Tx::L1 { .. })).count() as u64;
        let header = BatchHeader {
            index,
            prev_header_hash,
            prev_state_root,
            post_state_root: checkpoints.last().copied().unwrap_or(prev_state_root),
            timestamp_ms,
            queue_start,
            queue_end: queue_start + l1_count,
            tx_count: u32::try_from(txs.len()).expect("batches hold at most MAX_BATCH_TXS"),
            tx_root: merkle_root(hashes),
            checkpoint_root: merkle_root(&checkpoints),
            receipts_root: merkle_root(&receipt_roots),
        };
        Batch {
            header,
            txs,
            checkpoints,
            receipt_roots,
        }
    }

    /// Executes `txs` honestly on `tree` (left at the post-state) and seals the batch that
    /// commits to the result: what an honest proposer posts. Returns it with the receipts.
    pub fn execute_and_seal(
        tree: &mut Tree,
        genesis: &Genesis,
        draft: Draft,
        txs: Vec<Tx>,
    ) -> Result<(Batch, Vec<Receipt>), StateError> {
        let ctx = BlockContext {
            timestamp_ms: draft.timestamp_ms,
        };
        let prev_state_root = tree.root();
        let chunks = ChunkExecutor::new(genesis, &txs, ctx, None).chunks(tree.clone());
        let execution = run_all(tree, chunks)?;
        let batch = Batch::seal(
            draft,
            prev_state_root,
            txs,
            execution.checkpoints,
            execution.receipt_roots,
        );
        Ok((batch, execution.receipts))
    }

    /// Checks every commitment that does not need execution: counts, tx root, checkpoint
    /// count and root, receipt-root count and root, last checkpoint = post root, and that
    /// the L1 transactions are the queue range in order.
    pub fn check_shape(&self, k: u32) -> Result<(), BatchError> {
        self.check_shape_hashed(k, &self.tx_hashes())
    }

    /// Each transaction's hash (`Tx::hash`), in order: what the tx root commits to.
    pub fn tx_hashes(&self) -> Vec<H256> {
        self.txs.iter().map(Tx::hash).collect()
    }

    /// [`Batch::check_shape`] with the transaction hashes the caller already has
    /// (`hashes` = [`Batch::tx_hashes`]): a verifier hashes each transaction once and keeps
    /// the hashes for its feed, instead of hashing the batch again.
    pub fn check_shape_hashed(&self, k: u32, hashes: &[H256]) -> Result<(), BatchError> {
        assert_eq!(hashes.len(), self.txs.len(), "one hash per transaction");
        let h = &self.header;
        if self.txs.is_empty() {
            return Err(BatchError::Empty);
        }
        if h.tx_count as usize != self.txs.len() {
            return Err(BatchError::TxCount {
                header: h.tx_count,
                actual: self.txs.len(),
            });
        }
        let computed = merkle_root(hashes);
        if computed != h.tx_root {
            return Err(BatchError::TxRoot {
                header: h.tx_root,
                computed,
            });
        }
        let expected = chunk_count(self.txs.len(), k);
        if self.checkpoints.len() != expected {
            return Err(BatchError::CheckpointCount {
                expected,
                actual: self.checkpoints.len(),
                txs: self.txs.len(),
                k,
            });
        }
        let computed = merkle_root(&self.checkpoints);
        if computed != h.checkpoint_root {
            return Err(BatchError::CheckpointRoot {
                header: h.checkpoint_root,
                computed,
            });
        }
        if self.receipt_roots.len() != expected {
            return Err(BatchError::ReceiptRootCount {
                expected,
                actual: self.receipt_roots.len(),
            });
        }
        let computed = merkle_root(&self.receipt_roots);
        if computed != h.receipts_root {
            return Err(BatchError::ReceiptsRoot {
                header: h.receipts_root,
                computed,
            });
        }
        let last = *self
            .checkpoints
            .last()
            .expect("non-empty batch has checkpoints");
        if last != h.post_state_root {
            return Err(BatchError::LastCheckpoint {
                last,
                post: h.post_state_root,
            });
        }
        let mut next = h.queue_start;
        for (position, tx) in self.txs.iter().enumerate() {
            if let Tx::L1 { queue_index, .. } = tx {
                if *queue_index != next {
                    return Err(BatchError::QueueOrder {
                        position,
                        found: *queue_index,
                        expected: next,
                    });
                }
                next += 1;
            }
        }
        if next != h.queue_end {
            return Err(BatchError::QueueEnd {
                header: h.queue_end,
                actual: next,
            });
        }
        Ok(())
    }

    /// What the batch commits for chunk `chunk`: (checkpoint, receipt root); zeros past
    /// the end (a shape-checked batch has both for every chunk).
    pub fn chunk_commitment(&self, chunk: usize) -> (H256, H256) {
        let at = |list: &[H256]| list.get(chunk).copied().unwrap_or(H256::ZERO);
        (at(&self.checkpoints), at(&self.receipt_roots))
    }

    /// The pre-state root of chunk `chunk`: `prev_state_root` or the previous checkpoint.
    pub fn chunk_pre_root(&self, chunk: usize) -> H256 {
        match chunk {
            0 => self.header.prev_state_root,
            j => self.checkpoints[j - 1],
        }
    }
}

/// One chunk's receipt root: `merkle_root` of its receipts' hashes, in transaction order.
/// Borrowed receipts (`&[Receipt]`, or shared ones such as `&[Arc<Receipt>]`): the
/// sequencer keeps each receipt once, shared with its journal entry, and hashes it there.
pub fn receipts_root<R: core::borrow::Borrow<Receipt>>(receipts: &[R]) -> H256 {
    // The same hashes as `Receipt::hash`, together (in lanes where the CPU allows).
    let encodings: Vec<Vec<u8>> = receipts.iter().map(|r| r.borrow().encode()).collect();
    merkle_root(&keccak256_many(&encodings))
}

/// The EIP-712 domain separator of this chain.
pub fn domain_separator(genesis: &Genesis) -> H256 {
    signing::domain_separator(genesis.chain_id, &genesis.verifying_contract)
}

/// Signature verification for one transaction: the signer the STF should see. Deposits
/// carry no signature (the L1 queue authenticates them) and yield their account.
/// Pure and independent per transaction, so callers may run it in parallel.
pub fn verify_tx(
    tx: &Tx,
    domain_separator: &H256,
    oracles: &[Address],
) -> Result<Address, SignatureError> {
    verify_tx_with(tx, domain_separator, oracles, signing::recover_signer)
}

/// [`verify_tx`] with the recovery done by `recover` (a faster backend in the services).
pub fn verify_tx_with(
    tx: &Tx,
    domain_separator: &H256,
    oracles: &[Address],
    recover: signing::RecoverFn,
) -> Result<Address, SignatureError> {
    match tx {
        Tx::User { action }
        | Tx::L1 {
            message: L1Message::Forced { action },
            ..
        } => signing::verify_action_with(action, domain_separator, oracles, recover),
        Tx::L1 {
            message: L1Message::Deposit { account, .. },
            ..
        } => Ok(*account),
    }
}

/// Verifies and applies one transaction: the complete state transition.
pub fn execute_tx<S: State>(
    state: &mut S,
    genesis: &Genesis,
    domain_separator: &H256,
    ctx: &BlockContext,
    tx: &Tx,
) -> Result<Receipt, StateError> {
    let signer = verify_tx(tx, domain_separator, &genesis.oracles);
    engine::apply_tx(state, genesis, ctx, tx, &signer)
}

/// Executes every transaction of `batch` on `tree`, recording the root after each chunk.
/// The caller compares the result with the batch's committed checkpoints.
pub fn execute_batch(
    tree: &mut Tree,
    genesis: &Genesis,
    batch: &Batch,
) -> Result<Execution, StateError> {
    run_all(tree, execute_chunks(tree, genesis, batch, None))
}

/// Runs every chunk of `chunks`, collecting what each produced; leaves `tree` at the
/// state after the last one.
fn run_all(tree: &mut Tree, mut chunks: Chunks<'_>) -> Result<Execution, StateError> {
    let mut execution = Execution {
        receipts: Vec::new(),
        checkpoints: Vec::new(),
        receipt_roots: Vec::new(),
    };
    for chunk in chunks.by_ref() {
        let chunk = chunk?;
        execution.checkpoints.push(chunk.post_root);
        execution.receipt_roots.push(chunk.receipts_root);
        execution.receipts.extend(chunk.receipts);
    }
    *tree = chunks.into_state();
    Ok(execution)
}

// ---- canonical encoding -------------------------------------------------------------

impl Encode for BatchHeader {
    fn encode_to(&self, w: &mut Writer) {
        w.u64(self.index)
            .h256(&self.prev_header_hash)
            .h256(&self.prev_state_root)
            .h256(&self.post_state_root);
        w.u64(self.timestamp_ms)
            .u64(self.queue_start)
            .u64(self.queue_end)
            .u32(self.tx_count);
        w.h256(&self.tx_root)
            .h256(&self.checkpoint_root)
            .h256(&self.receipts_root);
    }
}

impl Decode for BatchHeader {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(BatchHeader {
            index: r.u64("index")?,
            prev_header_hash: r.h256("prev_header_hash")?,
            prev_state_root: r.h256("prev_state_root")?,
            post_state_root: r.h256("post_state_root")?,
            timestamp_ms: r.u64("timestamp_ms")?,
            queue_start: r.u64("queue_start")?,
            queue_end: r.u64("queue_end")?,
            tx_count: r.u32("tx_count")?,
            tx_root: r.h256("tx_root")?,
            checkpoint_root: r.h256("checkpoint_root")?,
            receipts_root: r.h256("receipts_root")?,
        })
    }
}

impl Encode for Batch {
    fn encode_to(&self, w: &mut Writer) {
        self.header.encode_to(w);
        w.u32(u32::try_from(self.txs.len()).expect("bounded by MAX_BATCH_TXS"));
        for tx in &self.txs {
            tx.encode_to(w);
        }
        w.u32(u32::try_from(self.checkpoints.len()).expect("bounded by the tx count"));
        for c in &self.checkpoints {
            w.h256(c);
        }
        w.u32(u32::try_from(self.receipt_roots.len()).expect("bounded by the tx count"));
        for root in &self.receipt_roots {
            w.h256(root);
        }
    }
}

impl Decode for Batch {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let header = BatchHeader::decode_from(r)?;
        let n = r.count("txs", MAX_BATCH_TXS)?;
        let mut txs = Vec::with_capacity(n.min(4096));
        for _ in 0..n {
            txs.push(Tx::decode_from(r)?);
        }
        let m = r.count("checkpoints", MAX_BATCH_TXS)?;
        let mut checkpoints = Vec::with_capacity(m.min(4096));
        for _ in 0..m {
            checkpoints.push(r.h256("checkpoint")?);
        }
        let m = r.count("receipt_roots", MAX_BATCH_TXS)?;
        let mut receipt_roots = Vec::with_capacity(m.min(4096));
        for _ in 0..m {
            receipt_roots.push(r.h256("receipt_root")?);
        }
        Ok(Batch {
            header,
            txs,
            checkpoints,
            receipt_roots,
        })
    }
}
