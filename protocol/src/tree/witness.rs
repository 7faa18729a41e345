//! Witnesses: the pre-state of a step pruned to the nodes the step opened (DESIGN §3).
//!
//! Recipe: clone the pre-state and keep the clone alive; `start_recording` on the working
//! tree; run the step; `take_recording`; then `pre_state.pruned_to(&recording)`. Running
//! the same step on the witness opens the same nodes (they are present) and reaches the
//! same root (everything else is present as its hash); a step that needs anything else
//! fails with `WitnessIncomplete` instead of answering wrongly.
//!
//! Nodes are identified by address. That is exact because the pre-state keeps its nodes
//! alive during the step, so no node created during the step can reuse their addresses;
//! addresses of step-created nodes in the recording are simply never looked up.

use super::Tree;
use super::node::{Link, identity};
use std::collections::BTreeSet;

/// The identities of the nodes a step opened; see the module docs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recording {
    opened: BTreeSet<usize>,
}

impl Recording {
    /// How many distinct nodes were opened.
    pub fn len(&self) -> usize {
        self.opened.len()
    }

    pub fn is_empty(&self) -> bool {
        self.opened.is_empty()
    }
}

impl Tree {
    /// Starts (or restarts, forgetting earlier opens) recording the nodes that state
    /// operations open.
    pub fn start_recording(&mut self) {
        self.recording = Some(BTreeSet::new());
    }

    /// Stops recording and returns what was opened since `start_recording` (empty if
    /// recording was not started).
    pub fn take_recording(&mut self) -> Recording {
        Recording {
            opened: self.recording.take().unwrap_or_default(),
        }
    }

    /// This tree with every node not opened in `recording` replaced by its hash. The root
    /// is unchanged. `self` must be the state the recorded step started from, kept alive
    /// (e.g. as a clone) since before the step.
    pub fn pruned_to(&self, recording: &Recording) -> Tree {
        let root = self.root.as_ref().map(|node| self.prune(node, recording));
        Tree::from_root(root)
    }

    /// `node` pruned to `recording`. A pruned node keeps a key from below it as its hint
    /// (see `node::Pruned`), so its ancestors can still derive their prefixes.
    fn prune(&self, node: &Link, recording: &Recording) -> Link {
        if !recording.opened.contains(&identity(node)) {
            return match node {
                Link::Pruned(_) => node.clone(),
                _ => Link::pruned(node.hash(&self.hashes), *node.any_key()),
            };
        }
        match node {
            // Same contents and child hashes, so the same hash: keep it if cached.
            Link::Internal(int) => Link::internal_like(
                int,
                self.prune(int.left(), recording),
                self.prune(int.right(), recording),
            ),
            // Leaves and pruned nodes carry no children to prune: share them.
            Link::Leaf(_) | Link::Pruned(_) => node.clone(),
        }
    }
}
