//! One-call fraud proofs (DESIGN §5).
//!
//! A proof names a batch and a chunk and carries the witness: the chunk's pre-state tree
//! pruned to exactly the nodes the chunk touches. The adjudicator takes the chunk's
//! transactions, checkpoints and receipt roots from the batch data it already holds, checks
//! that the witness hashes to the chunk's committed pre-root, re-executes the chunk on it
//! with the same STF, and upholds the proof iff the resulting root differs from the
//! committed checkpoint or the resulting receipts' root differs from the committed one.
//! No bisection game, no VM.
//!
//! Soundness sketch: the witness must hash to the committed pre-root, so (keccak being
//! collision resistant) it is that tree with some subtrees pruned; running the STF on it
//! either yields the one correct post-root or stops with "witness incomplete". So an honest
//! chunk can never be upheld, and a wrong checkpoint always can be, by whoever holds the
//! pre-state.

use crate::batch::{
    Batch, ChunkExecutor, Chunks, ExecutedChunk, chunk_count, execute_chunks, receipts_root,
};
use crate::genesis::Genesis;
use crate::primitives::H256;
use crate::state::StateError;
use crate::tree::Tree;
use serde::{Deserialize, Serialize};

/// A fraud proof against chunk `chunk` of batch `batch_index`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FraudProof {
    pub batch_index: u64,
    pub chunk: u32,
    /// The encoded pruned pre-state tree (`Tree::to_witness_bytes`), hex in JSON.
    #[serde(with = "hex_bytes")]
    pub witness: Vec<u8>,
}

/// The adjudicator's ruling. A rejected proof is an answer, not an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Upheld(UpheldChunk),
    Rejected { reason: Rejection },
}

/// What an upheld proof showed: re-executing `chunk` gives `computed_root` and
/// `computed_receipts_root`, but the batch committed `claimed_root` and
/// `claimed_receipts_root`; at least one pair differs. (Serialized inside `Verdict`'s
/// tagged map, field for field as the variant's fields were.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpheldChunk {
    pub chunk: u32,
    pub claimed_root: H256,
    pub computed_root: H256,
    pub claimed_receipts_root: H256,
    pub computed_receipts_root: H256,
}

/// Why a proof was not upheld; `Display` is the message the settlement layer returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Rejection {
    #[error("proof is for batch {proof} but was checked against batch {batch}")]
    WrongBatch { proof: u64, batch: u64 },
    #[error("chunk {chunk} does not exist: the batch has {chunks} chunks")]
    NoSuchChunk { chunk: u32, chunks: usize },
    #[error("malformed witness: {message}")]
    MalformedWitness { message: String },
    #[error("witness root {witness_root} is not the chunk's pre-state root {expected}")]
    WitnessRootMismatch { witness_root: H256, expected: H256 },
    #[error("witness incomplete: {message}")]
    WitnessIncomplete { message: String },
    #[error(
        "chunk {chunk} is honest: re-execution gives the committed root {root} and receipts root {receipts_root}"
    )]
    HonestChunk {
        chunk: u32,
        root: H256,
        receipts_root: H256,
    },
}

/// Why a proof could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    #[error("chunk {chunk} does not exist: the batch has {chunks} chunks")]
    NoSuchChunk { chunk: u32, chunks: usize },
    #[error("pre-state root {have} is not the chunk's pre-state root {expected}")]
    WrongPreState { have: H256, expected: H256 },
    #[error("chunk {chunk} is honest: re-execution gives the committed root")]
    HonestChunk { chunk: u32 },
    #[error(transparent)]
    State(#[from] StateError),
}

/// The first chunk whose committed checkpoint or receipt root differs from honest
/// re-execution.
#[derive(Debug, Clone)]
pub struct BadChunk {
    pub chunk: u32,
    /// The honest state before the chunk (equal to its committed pre-root).
    pub pre_state: Tree,
    pub claimed_root: H256,
    pub computed_root: H256,
    pub claimed_receipts_root: H256,
    pub computed_receipts_root: H256,
}

/// Re-executes `batch` from `pre_state` chunk by chunk. Returns the honest post-state and
/// the first bad chunk, if any. Verifiers call this on every batch they follow.
pub fn find_first_bad_chunk(
    pre_state: &Tree,
    genesis: &Genesis,
    batch: &Batch,
) -> Result<(Tree, Option<BadChunk>), StateError> {
    first_bad_chunk(execute_chunks(pre_state, genesis, batch, None), batch)
}

/// Runs `chunks` (of `batch`) until a post-root differs from the committed checkpoint:
/// [`find_first_bad_chunk`] for callers that supply their own signers.
pub fn first_bad_chunk(
    chunks: Chunks<'_>,
    batch: &Batch,
) -> Result<(Tree, Option<BadChunk>), StateError> {
    first_bad_chunk_seeing(chunks, batch, |_| {})
}

/// [`first_bad_chunk`], handing every executed chunk to `seen` before it is compared (a
/// verifier keeps the receipts of the batches it re-executed this way).
pub fn first_bad_chunk_seeing(
    mut chunks: Chunks<'_>,
    batch: &Batch,
    mut seen: impl FnMut(&ExecutedChunk),
) -> Result<(Tree, Option<BadChunk>), StateError> {
    for chunk in chunks.by_ref() {
        let chunk = chunk?;
        seen(&chunk);
        let (claimed_root, claimed_receipts_root) = batch.chunk_commitment(chunk.index);
        if (chunk.post_root, chunk.receipts_root) != (claimed_root, claimed_receipts_root) {
            let index = u32::try_from(chunk.index).expect("chunk count fits u32");
            return Ok((
                chunks.into_state(),
                Some(BadChunk {
                    chunk: index,
                    pre_state: chunk.pre_state,
                    claimed_root,
                    computed_root: chunk.post_root,
                    claimed_receipts_root,
                    computed_receipts_root: chunk.receipts_root,
                }),
            ));
        }
    }
    Ok((chunks.into_state(), None))
}

/// Builds the proof for `chunk` of `batch` from the honest pre-state of that chunk.
pub fn build(
    genesis: &Genesis,
    batch: &Batch,
    chunk: u32,
    pre_state: &Tree,
) -> Result<FraudProof, BuildError> {
    let k = genesis.checkpoint_interval_txs;
    let chunks = chunk_count(batch.txs.len(), k);
    if chunk as usize >= chunks {
        return Err(BuildError::NoSuchChunk { chunk, chunks });
    }
    let expected = batch.chunk_pre_root(chunk as usize);
    if pre_state.root() != expected {
        return Err(BuildError::WrongPreState {
            have: pre_state.root(),
            expected,
        });
    }
    let mut exec = pre_state.clone();
    exec.start_recording();
    let receipts =
        ChunkExecutor::for_batch(genesis, batch, None).execute(&mut exec, chunk as usize)?;
    if (exec.root(), receipts_root(&receipts)) == batch.chunk_commitment(chunk as usize) {
        return Err(BuildError::HonestChunk { chunk });
    }
    let recording = exec.take_recording();
    let witness = pre_state.pruned_to(&recording).to_witness_bytes();
    Ok(FraudProof {
        batch_index: batch.header.index,
        chunk,
        witness,
    })
}

/// Rules on `proof` against `batch` (whose shape the settlement layer checked at posting).
pub fn adjudicate(genesis: &Genesis, batch: &Batch, proof: &FraudProof) -> Verdict {
    match rule(genesis, batch, proof) {
        Ok(((claimed_root, claimed_receipts_root), (computed_root, computed_receipts_root))) => {
            Verdict::Upheld(UpheldChunk {
                chunk: proof.chunk,
                claimed_root,
                computed_root,
                claimed_receipts_root,
                computed_receipts_root,
            })
        }
        Err(reason) => Verdict::Rejected { reason },
    }
}

/// (committed, computed) as (state root, receipts root) pairs, or why the proof fails.
type Ruling = ((H256, H256), (H256, H256));

fn rule(genesis: &Genesis, batch: &Batch, proof: &FraudProof) -> Result<Ruling, Rejection> {
    if proof.batch_index != batch.header.index {
        return Err(Rejection::WrongBatch {
            proof: proof.batch_index,
            batch: batch.header.index,
        });
    }
    let k = genesis.checkpoint_interval_txs;
    let chunks = chunk_count(batch.txs.len(), k);
    let chunk = proof.chunk as usize;
    if chunk >= chunks {
        return Err(Rejection::NoSuchChunk {
            chunk: proof.chunk,
            chunks,
        });
    }
    let mut witness =
        Tree::from_witness_bytes(&proof.witness).map_err(|e| Rejection::MalformedWitness {
            message: e.to_string(),
        })?;
    let expected = batch.chunk_pre_root(chunk);
    let witness_root = witness.root();
    if witness_root != expected {
        return Err(Rejection::WitnessRootMismatch {
            witness_root,
            expected,
        });
    }
    let receipts = ChunkExecutor::for_batch(genesis, batch, None)
        .execute(&mut witness, chunk)
        .map_err(|e| Rejection::WitnessIncomplete {
            message: e.to_string(),
        })?;
    let computed = (witness.root(), receipts_root(&receipts));
    let claimed = batch.chunk_commitment(chunk);
    if computed == claimed {
        return Err(Rejection::HonestChunk {
            chunk: proof.chunk,
            root: claimed.0,
            receipts_root: claimed.1,
        });
    }
    Ok((claimed, computed))
}

/// Serde adapter: bytes as `0x` hex strings.
pub mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::primitives::to_hex(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        crate::primitives::parse_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// Serde adapter: optional bytes as `0x` hex strings or `null`.
pub mod opt_hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => super::hex_bytes::serialize(b, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        let s: Option<String> = Option::deserialize(d)?;
        s.map(|s| crate::primitives::parse_hex(&s).map_err(serde::de::Error::custom))
            .transpose()
    }
}
