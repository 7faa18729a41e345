//! Proving what happened to one transaction against a posted batch: its receipt, the
//! Merkle path from the receipt's hash to its chunk's receipt root, and the path from that
//! root to the header's `receipts_root` (docs/PROTOCOL.md Part 5 §3). Whoever holds the
//! header (the settlement layer has it) checks the receipt with hashing alone.

use super::{Batch, BatchHeader, chunk_count, chunk_range};
use crate::engine::Receipt;
use crate::merkle::{merkle_proof, merkle_root_from_proof};
use crate::primitives::H256;
use serde::{Deserialize, Serialize};

/// A receipt and the two Merkle paths that tie it to a batch header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceiptProof {
    pub batch_index: u64,
    /// The transaction's position in the batch.
    pub position: u32,
    /// Its chunk (`position div K`) and its position inside the chunk.
    pub chunk: u32,
    pub position_in_chunk: u32,
    /// The chunk's number of transactions and the batch's number of chunks: the lengths
    /// the two Merkle lists commit beside their roots.
    pub chunk_len: u32,
    pub chunks: u32,
    pub receipt: Receipt,
    pub receipt_hash: H256,
    /// Siblings from the receipt's leaf up to the chunk's receipt root (`null` where a
    /// node was carried up unpaired).
    pub receipt_path: Vec<Option<H256>>,
    /// The chunk's receipt root, and the siblings from it up to `receipts_root`.
    pub chunk_receipts_root: H256,
    pub chunk_path: Vec<Option<H256>>,
}

/// Why a receipt proof does not hold against a header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptProofError {
    #[error("the proof is for batch {proof}, the header is batch {header}")]
    WrongBatch { proof: u64, header: u64 },
    #[error("the receipt's hash is {computed}, the proof says {claimed}")]
    ReceiptHash { claimed: H256, computed: H256 },
    #[error("the receipt path does not lead to the chunk's receipt root {chunk_root}")]
    ReceiptPath { chunk_root: H256 },
    #[error("the chunk path leads to {computed}, the header commits receipts_root {header}")]
    ChunkPath { computed: H256, header: H256 },
}

impl ReceiptProof {
    /// The proof for the transaction at `position` of `batch`, given its chunk's receipts
    /// (from re-execution). `None` if `position` is outside the batch or the receipts are
    /// not the chunk's (wrong count).
    pub fn build(
        batch: &Batch,
        k: u32,
        position: usize,
        chunk_receipts: &[Receipt],
    ) -> Option<ReceiptProof> {
        let n = batch.txs.len();
        let chunk = position.checked_div(k.max(1) as usize)?;
        let range = chunk_range(n, k, chunk);
        if position >= n || chunk_receipts.len() != range.len() {
            return None;
        }
        let at = position - range.start;
        let hashes: Vec<H256> = chunk_receipts.iter().map(Receipt::hash).collect();
        let receipt = chunk_receipts[at].clone();
        Some(ReceiptProof {
            batch_index: batch.header.index,
            position: u32::try_from(position).ok()?,
            chunk: u32::try_from(chunk).ok()?,
            position_in_chunk: u32::try_from(at).ok()?,
            chunk_len: u32::try_from(range.len()).ok()?,
            chunks: u32::try_from(chunk_count(n, k)).ok()?,
            receipt_hash: hashes[at],
            receipt,
            receipt_path: merkle_proof(&hashes, at),
            chunk_receipts_root: *batch.receipt_roots.get(chunk)?,
            chunk_path: merkle_proof(&batch.receipt_roots, chunk),
        })
    }

    /// Checks the proof against `header` with hashing alone.
    pub fn verify(&self, header: &BatchHeader) -> Result<(), ReceiptProofError> {
        if self.batch_index != header.index {
            return Err(ReceiptProofError::WrongBatch {
                proof: self.batch_index,
                header: header.index,
            });
        }
        let computed = self.receipt.hash();
        if computed != self.receipt_hash {
            return Err(ReceiptProofError::ReceiptHash {
                claimed: self.receipt_hash,
                computed,
            });
        }
        let chunk_root = merkle_root_from_proof(
            &computed,
            self.position_in_chunk as usize,
            self.chunk_len as usize,
            &self.receipt_path,
        );
        if chunk_root != Some(self.chunk_receipts_root) {
            return Err(ReceiptProofError::ReceiptPath {
                chunk_root: self.chunk_receipts_root,
            });
        }
        let computed = merkle_root_from_proof(
            &self.chunk_receipts_root,
            self.chunk as usize,
            self.chunks as usize,
            &self.chunk_path,
        )
        .unwrap_or(H256::ZERO);
        if computed != header.receipts_root {
            return Err(ReceiptProofError::ChunkPath {
                computed,
                header: header.receipts_root,
            });
        }
        Ok(())
    }
}
