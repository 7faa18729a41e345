//! What a node's invariant auditor reports (the sequencer's and every verifier's
//! `/v1/status`): the named state invariants of PROTOCOL.md Part 4 §15 checked on the
//! state after every batch, and the first one that did not hold.

use serde::{Deserialize, Serialize};

/// A named state invariant (PROTOCOL.md Part 4 §15) that did not hold after a batch: the
/// engine itself is wrong, or the node's state was corrupted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvariantAlert {
    pub batch_index: u64,
    /// The invariant's name, e.g. `money-conserved`.
    pub invariant: String,
    /// The numbers that disagree.
    pub detail: String,
}

/// The invariant auditor of a node: the newest batch whose post-state passed every named
/// invariant, and the first violation found (the sequencer stops posting on it;
/// a verifier raises it as an alert).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditStatus {
    pub passed_batch: Option<u64>,
    pub violation: Option<InvariantAlert>,
}
