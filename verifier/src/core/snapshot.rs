//! The replica's durable form and the journal that keeps it current.
//!
//! A [`Snapshot`] is everything a verifier needs to resume: the event cursor, the anchor
//! (last finalized batch) with the leaves of its state tree, the batches still in their
//! window (as posted: re-executing them on restore rebuilds the tree at every boundary and
//! every fraud proof), the unconsumed L1 queue, the challenge records and the totals.
//!
//! The core never writes anything; it appends [`StoreOp`]s to a journal. The shell applies
//! each page's ops in one SQLite transaction; the simulation applies them to a `Snapshot`
//! with [`Snapshot::apply`]. Both must end equal to `Follower::snapshot()`, which the tests
//! check after every step.

use super::chain::{Anchor, PostedBatch};
use protocol::action::L1Message;
use protocol::api::verifier::{ChallengeView, Totals};
use protocol::batch::genesis_tree;
use protocol::genesis::Genesis;
use protocol::primitives::H256;
use protocol::tree::Tree;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Everything a verifier persists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub genesis_hash: H256,
    /// The last event applied.
    pub cursor: u64,
    /// The L1 block of that event.
    pub last_block: u64,
    pub totals: Totals,
    pub anchor: Anchor,
    /// The anchor's state, leaf by leaf (rebuilt with `Tree: FromIterator`).
    pub leaves: BTreeMap<H256, Vec<u8>>,
    /// Live batches after the anchor, by submission id.
    pub batches: BTreeMap<u64, PostedBatch>,
    /// Queue messages not consumed by a finalized batch, by queue index.
    pub queue: BTreeMap<u64, L1Message>,
    /// Challenge records by the bad batch's submission id.
    pub challenges: BTreeMap<u64, ChallengeView>,
    pub halted: Option<String>,
}

/// One leaf of the anchor's state set (`Some`) or deleted (`None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafChange {
    pub key: H256,
    pub value: Option<Vec<u8>>,
}

/// One change to the durable form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOp {
    /// After every event: the cursor, its block and the totals.
    Progress {
        cursor: u64,
        last_block: u64,
        totals: Totals,
    },
    QueueAdded {
        index: u64,
        message: L1Message,
    },
    BatchAdded(PostedBatch),
    BatchDropped {
        submission_id: u64,
    },
    /// The batch `anchor.submission_id` finalized: it becomes the anchor, its leaf changes
    /// apply, and queue messages below `anchor.queue_end` are dropped.
    Finalized {
        anchor: Anchor,
        changes: Vec<LeafChange>,
    },
    /// Insert or replace the record of `submission_id`.
    Challenge(ChallengeView),
    Halted(String),
}

impl Snapshot {
    /// The durable form of a verifier that has applied no event.
    pub fn at_genesis(genesis: &Genesis) -> Snapshot {
        let tree = genesis_tree(genesis);
        Snapshot {
            genesis_hash: genesis.hash(),
            cursor: 0,
            last_block: 0,
            totals: Totals::default(),
            anchor: Anchor::genesis(genesis),
            leaves: leaves_of(&tree),
            batches: BTreeMap::new(),
            queue: BTreeMap::new(),
            challenges: BTreeMap::new(),
            halted: None,
        }
    }

    /// Applies one journal entry (what the SQLite store does, in memory).
    pub fn apply(&mut self, op: &StoreOp) {
        match op {
            StoreOp::Progress {
                cursor,
                last_block,
                totals,
            } => {
                self.cursor = *cursor;
                self.last_block = *last_block;
                self.totals = *totals;
            }
            StoreOp::QueueAdded { index, message } => {
                self.queue.insert(*index, message.clone());
            }
            StoreOp::BatchAdded(batch) => {
                self.batches.insert(batch.submission_id, batch.clone());
            }
            StoreOp::BatchDropped { submission_id } => {
                self.batches.remove(submission_id);
            }
            StoreOp::Finalized { anchor, changes } => {
                if let Some(id) = anchor.submission_id {
                    self.batches.remove(&id);
                }
                for change in changes {
                    match &change.value {
                        Some(value) => self.leaves.insert(change.key, value.clone()),
                        None => self.leaves.remove(&change.key),
                    };
                }
                self.queue = self.queue.split_off(&anchor.queue_end);
                self.anchor = anchor.clone();
            }
            StoreOp::Challenge(view) => {
                self.challenges.insert(view.submission_id, view.clone());
            }
            StoreOp::Halted(reason) => self.halted = Some(reason.clone()),
        }
    }
}

/// Every leaf of `tree`.
pub fn leaves_of(tree: &Tree) -> BTreeMap<H256, Vec<u8>> {
    tree.iter().map(|(k, v)| (*k, v.to_vec())).collect()
}

/// The leaf changes that turn `old` into `new`, by one merged walk over both (ascending
/// keys): O(leaves) time, O(changes) output, which is what gets written.
pub fn leaf_changes(old: &Tree, new: &Tree) -> Vec<LeafChange> {
    let mut changes = Vec::new();
    let (mut a, mut b) = (old.iter().peekable(), new.iter().peekable());
    loop {
        let order = match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((ka, _)), Some((kb, _))) => ka.cmp(kb),
        };
        match order {
            Ordering::Less => {
                let (key, _) = a.next().expect("peeked");
                changes.push(LeafChange {
                    key: *key,
                    value: None,
                });
            }
            Ordering::Greater => {
                let (key, value) = b.next().expect("peeked");
                changes.push(LeafChange {
                    key: *key,
                    value: Some(value.to_vec()),
                });
            }
            Ordering::Equal => {
                let ((key, old_value), (_, new_value)) =
                    (a.next().expect("peeked"), b.next().expect("peeked"));
                if old_value != new_value {
                    changes.push(LeafChange {
                        key: *key,
                        value: Some(new_value.to_vec()),
                    });
                }
            }
        }
    }
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::state::State;

    fn tree(entries: &[(u8, &[u8])]) -> Tree {
        entries
            .iter()
            .map(|(k, v)| (H256([*k; 32]), v.to_vec()))
            .collect()
    }

    /// `leaf_changes(old, new)` applied to old's leaves gives new's leaves, and lists only
    /// what differs.
    fn check(old: &[(u8, &[u8])], new: &[(u8, &[u8])], expect_changed: &[u8]) {
        let (old, new) = (tree(old), tree(new));
        let changes = leaf_changes(&old, &new);
        let changed: Vec<u8> = changes.iter().map(|c| c.key.0[0]).collect();
        assert_eq!(changed, expect_changed);
        let mut leaves = leaves_of(&old);
        for c in changes {
            match c.value {
                Some(v) => leaves.insert(c.key, v),
                None => leaves.remove(&c.key),
            };
        }
        assert_eq!(leaves, leaves_of(&new));
        let rebuilt: Tree = leaves.into_iter().collect();
        assert_eq!(rebuilt.root(), new.root());
    }

    #[test]
    fn leaf_changes_list_inserts_updates_and_deletes_only() {
        check(&[], &[], &[]);
        check(&[(1, b"a")], &[(1, b"a")], &[]);
        check(&[], &[(1, b"a"), (2, b"b")], &[1, 2]);
        check(&[(1, b"a"), (2, b"b")], &[], &[1, 2]);
        check(&[(1, b"a"), (2, b"b")], &[(1, b"a"), (2, b"c")], &[2]);
        check(
            &[(1, b"a"), (3, b"c"), (5, b"e")],
            &[(2, b"b"), (3, b"c"), (5, b"E"), (6, b"f")],
            &[1, 2, 5, 6],
        );
    }

    #[test]
    fn finalizing_moves_the_anchor_and_drops_consumed_queue_messages() {
        let genesis = protocol::workload::Workload::new(1, 1).genesis;
        let mut snapshot = Snapshot::at_genesis(&genesis);
        for index in 0..4 {
            snapshot.apply(&StoreOp::QueueAdded {
                index,
                message: L1Message::Deposit {
                    account: protocol::Address([index as u8; 20]),
                    amount: 1,
                },
            });
        }
        let mut next = leaves_of(&genesis_tree(&genesis))
            .into_iter()
            .collect::<Tree>();
        next.set(&H256([7; 32]), b"x".to_vec()).expect("full tree");
        let anchor = Anchor {
            index: Some(0),
            submission_id: Some(1),
            header_hash: H256([1; 32]),
            state_root: next.root(),
            queue_end: 3,
            next_seq: 5,
            timestamp_ms: 6,
        };
        snapshot.apply(&StoreOp::Finalized {
            anchor: anchor.clone(),
            changes: leaf_changes(&genesis_tree(&genesis), &next),
        });
        assert_eq!(snapshot.anchor, anchor);
        assert_eq!(snapshot.queue.keys().copied().collect::<Vec<_>>(), vec![3]);
        assert_eq!(snapshot.leaves, leaves_of(&next));
    }
}
