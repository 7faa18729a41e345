//! The root's missing hashes, computed eight at a time (`keccak-lanes`) where the CPU
//! allows it: the same hashes as `Link::hash`, in another order.
//!
//! Why: after a chunk of actions only the changed paths lack hashes, and those hashes are
//! most of the sequencer's serial path (issue #14). One by one they are a chain of
//! dependent scalar permutations; but the hashes of different nodes are independent once
//! their children's are known, so the walk first plans them in rounds (a round holds every
//! hash whose inputs earlier rounds produce) and then hashes each round in groups of eight.
//!
//! - A changed leaf is two jobs: its value's hash in round 0, its own hash in round 1.
//! - A changed internal node is one job, one round after the later of its changed
//!   children (round 0 if neither changed: e.g. a node a delete re-joined).
//! - A value of several keccak blocks (a market's state) shares its group with short ones:
//!   the group costs the permutations of its longest message.
//!
//! Each leaf and internal node hashed counts once in the tree's `HashCounter`, as on the
//! one-at-a-time path, so `Tree::hash_count` does not depend on which path ran.

use super::bits::masked;
use super::hashing::{internal_preimage, leaf_preimage};
use super::node::{HashCounter, Internal, LeafLink, Link};
use crate::primitives::{H256, keccak256_group};
use keccak_lanes::{LANES, Lanes8};

/// One hash to compute.
#[derive(Debug, Clone, Copy)]
enum Job<'a> {
    /// keccak256 of a leaf's value, kept in `Plan::value_hashes[slot]`.
    Value { leaf: &'a LeafLink, slot: usize },
    /// A leaf's hash, from its key and `Plan::value_hashes[slot]`.
    Leaf { leaf: &'a LeafLink, slot: usize },
    /// An internal node's hash; `key` is any key below it (its prefix's source).
    Internal { node: &'a Internal, key: &'a H256 },
}

/// The jobs with their rounds, and the value hashes between rounds 0 and 1.
#[derive(Debug, Default)]
struct Plan<'a> {
    jobs: Vec<(usize, Job<'a>)>,
    value_hashes: Vec<H256>,
}

/// Computes and caches every missing hash under `root`, eight at a time (one at a time
/// when `lanes` is `None`: `Tree::root` then takes the recursive path instead, but the
/// tests plan and hash this way on every CPU). Afterwards `root.hash()` only reads caches.
pub(super) fn fill(root: &Link, counter: &HashCounter, lanes: Option<Lanes8>) {
    let mut plan = Plan::default();
    let Some(last_round) = plan.collect(root).0 else {
        return;
    };
    let (jobs, starts) = plan.by_round(last_round);
    for round in starts.windows(2) {
        for group in jobs[round[0]..round[1]].chunks(LANES) {
            hash_group(group, &mut plan.value_hashes, counter, lanes);
        }
    }
}

impl<'a> Plan<'a> {
    /// Plans the missing hashes under `link`: returns the round its own hash is computed
    /// in (`None`: already known) and a key below it when one is at hand, as
    /// `Link::hash_and_key` does.
    fn collect(&mut self, link: &'a Link) -> (Option<usize>, Option<&'a H256>) {
        match link {
            Link::Pruned(pruned) => (None, Some(&pruned.hint)),
            Link::Leaf(leaf) => {
                if leaf.is_hashed() {
                    return (None, Some(leaf.key()));
                }
                let slot = self.value_hashes.len();
                self.value_hashes.push(H256::ZERO);
                self.jobs.push((0, Job::Value { leaf, slot }));
                self.jobs.push((1, Job::Leaf { leaf, slot }));
                (Some(1), Some(leaf.key()))
            }
            Link::Internal(node) => {
                if node.is_hashed() {
                    return (None, None);
                }
                let (left_round, left_key) = self.collect(node.left());
                let (right_round, right_key) = self.collect(node.right());
                let key = left_key
                    .or(right_key)
                    .unwrap_or_else(|| node.left().any_key());
                let round = left_round.max(right_round).map_or(0, |r| r + 1);
                self.jobs.push((round, Job::Internal { node, key }));
                (Some(round), Some(key))
            }
        }
    }

    /// The jobs in round order, and where each round starts in it (a counting sort: the
    /// rounds are small numbers, and the walk's order within a round is kept).
    fn by_round(&self, last: usize) -> (Vec<Job<'a>>, Vec<usize>) {
        let mut starts = vec![0usize; last + 2];
        for (round, _) in &self.jobs {
            starts[round + 1] += 1;
        }
        for round in 0..=last {
            starts[round + 1] += starts[round];
        }
        let mut next = starts.clone();
        let mut sorted = vec![self.jobs[0].1; self.jobs.len()];
        for (round, job) in &self.jobs {
            sorted[next[*round]] = *job;
            next[*round] += 1;
        }
        (sorted, starts)
    }
}

/// Hashes up to eight jobs of one round and stores the results.
fn hash_group(
    group: &[Job<'_>],
    value_hashes: &mut [H256],
    counter: &HashCounter,
    lanes: Option<Lanes8>,
) {
    let mut preimages = [[0u8; 98]; LANES];
    let mut lengths = [0usize; LANES];
    for (i, job) in group.iter().enumerate() {
        lengths[i] = match job {
            Job::Value { leaf, .. } => leaf.value().len(),
            Job::Leaf { leaf, slot } => {
                let bytes = leaf_preimage(leaf.key(), &value_hashes[*slot]);
                preimages[i][..bytes.len()].copy_from_slice(&bytes);
                bytes.len()
            }
            Job::Internal { node, key } => {
                // Computed in earlier rounds (or known before): these only read caches.
                let (left, right) = (node.left().hash(counter), node.right().hash(counter));
                let prefix = masked(key, u16::from(node.split));
                preimages[i] = internal_preimage(node.split, &prefix, &left, &right);
                preimages[i].len()
            }
        };
    }
    let message = |i: usize| -> &[u8] {
        match &group[i] {
            Job::Value { leaf, .. } => leaf.value(),
            _ => &preimages[i][..lengths[i]],
        }
    };
    let hashes = keccak256_group(lanes, group.len(), message);
    for (job, hash) in group.iter().zip(hashes) {
        match job {
            Job::Value { slot, .. } => value_hashes[*slot] = hash,
            Job::Leaf { leaf, .. } => leaf.store_hash(&hash, counter),
            Job::Internal { node, .. } => node.store_hash(&hash, counter),
        }
    }
}
