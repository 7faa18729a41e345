//! `GET /v1/proofs/…`, served the same by the sequencer and every verifier: tree proofs of
//! an account, a position, an order or a withdrawal against the state root of any batch the
//! node still holds (docs/PROTOCOL.md Part 3 §5 for the proof encoding, Part 4 §2-§3 for
//! keys and records). Each node says which batches it holds; the rest is shared here.

use crate::codec::Encode;
use crate::engine::keys::{account_key, order_index_key, position_key, withdrawal_key};
use crate::fraud::hex_bytes;
use crate::primitives::{Address, H256};
use crate::state::{State, StateError};
use crate::tree::Tree;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// What a proof is asked for (the endpoint's path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofTarget {
    Account(Address),
    Position(Address, u32),
    /// An order by owner, market and nonce: its index leaf and, if it rests, its book leaf.
    Order(Address, u32, u64),
    Withdrawal(u64),
}

/// A state the node holds: the one after batch `batch_index` (`None`: genesis).
#[derive(Debug, Clone)]
pub struct HeldState {
    pub batch_index: Option<u64>,
    pub tree: Tree,
}

/// Finalized states a node keeps after newer batches finalized, oldest first, at most
/// `limit` of them, so proofs against older roots stay available for a while (in memory:
/// tree clones share every unchanged node, so each costs about its batch's changes).
#[derive(Debug, Clone, Default)]
pub struct FinalizedHistory {
    limit: usize,
    states: VecDeque<HeldState>,
}

impl FinalizedHistory {
    /// Keeps at most `limit` states (0: none).
    pub fn new(limit: usize) -> FinalizedHistory {
        FinalizedHistory {
            limit,
            states: VecDeque::new(),
        }
    }

    /// `state` was the newest finalized one and a newer batch has just finalized.
    pub fn retire(&mut self, state: HeldState) {
        if self.limit == 0 {
            return;
        }
        self.states.push_back(state);
        while self.states.len() > self.limit {
            self.states.pop_front();
        }
    }

    /// The kept states, oldest first.
    pub fn states(&self) -> impl Iterator<Item = &HeldState> {
        self.states.iter()
    }
}

/// One leaf's inclusion (or exclusion) proof.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafProof {
    /// `account`, `position`, `order_index`, `book_order` or `withdrawal`.
    pub what: String,
    pub key: H256,
    /// The record's canonical encoding (Part 4 §3), `null` when the key is absent.
    #[serde(with = "crate::fraud::opt_hex_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^0x([0-9a-fA-F]{2})*$"))]
    pub value: Option<Vec<u8>>,
    /// The proof's encoding (Part 3 §5.1), `0x` hex.
    #[serde(with = "hex_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^0x([0-9a-fA-F]{2})*$"))]
    pub proof: Vec<u8>,
}

/// The answer: proofs against the state root after `batch_index`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateProof {
    /// `null`: the genesis state.
    pub batch_index: Option<u64>,
    pub state_root: H256,
    pub leaves: Vec<LeafProof>,
}

/// Why no proof could be given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error(
        "this node does not hold the state after batch {batch}: it holds {held}; a verifier re-executes any batch from the settlement layer's data (`vigil verify tx` does too)"
    )]
    NotHeld { batch: u64, held: String },
    #[error(transparent)]
    State(#[from] StateError),
}

/// The proofs for `target` against the held state after `batch` (the newest held when
/// `None`). `held` is in ascending batch order.
pub fn state_proof(
    held: &[HeldState],
    batch: Option<u64>,
    target: &ProofTarget,
) -> Result<StateProof, ProofError> {
    let found = match batch {
        None => held.last(),
        Some(b) => held.iter().find(|h| h.batch_index == Some(b)),
    };
    let Some(state) = found else {
        return Err(ProofError::NotHeld {
            batch: batch.unwrap_or_default(),
            held: describe(held),
        });
    };
    let mut tree = state.tree.clone();
    let (what, key) = target.key();
    let mut leaves = vec![leaf(&mut tree, what, key)?];
    if let ProofTarget::Order(..) = target
        && let Some(book_key) = leaves[0].value.as_deref().and_then(as_key)
    {
        leaves.push(leaf(&mut tree, "book_order", book_key)?);
    }
    Ok(StateProof {
        batch_index: state.batch_index,
        state_root: tree.root(),
        leaves,
    })
}

impl ProofTarget {
    /// The leaf proven directly (an order's book leaf follows from its index leaf).
    fn key(&self) -> (&'static str, H256) {
        match *self {
            ProofTarget::Account(a) => ("account", account_key(&a)),
            ProofTarget::Position(a, m) => ("position", position_key(&a, m)),
            ProofTarget::Order(a, m, n) => ("order_index", order_index_key(&a, m, n)),
            ProofTarget::Withdrawal(id) => ("withdrawal", withdrawal_key(id)),
        }
    }
}

fn leaf(tree: &mut Tree, what: &str, key: H256) -> Result<LeafProof, StateError> {
    Ok(LeafProof {
        what: what.to_string(),
        key,
        value: tree.get(&key)?,
        proof: tree.prove(&key)?.encode(),
    })
}

/// An order-index value is the order's 32-byte book key.
fn as_key(value: &[u8]) -> Option<H256> {
    <[u8; 32]>::try_from(value).ok().map(H256)
}

/// "batches 4..=9" (or "genesis and batches …", or "no state yet") for messages.
fn describe(held: &[HeldState]) -> String {
    let batches: Vec<u64> = held.iter().filter_map(|h| h.batch_index).collect();
    let genesis = held.iter().any(|h| h.batch_index.is_none());
    let range = match (batches.first(), batches.last()) {
        (Some(a), Some(b)) => format!("batches {a}..={b}"),
        _ => String::new(),
    };
    match (genesis, range.is_empty()) {
        (true, true) => "the genesis state only".into(),
        (true, false) => format!("the genesis state and {range}"),
        (false, false) => range,
        (false, true) => "no state yet".into(),
    }
}
