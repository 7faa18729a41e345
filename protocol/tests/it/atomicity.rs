//! Atomicity by undo log, proven equal to the root snapshot it replaced: random workloads
//! (rejected actions included) run through `engine::apply_tx` on the full tree, on the
//! map model, and on witnesses, once with the states' undo logs and once under
//! [`Snapshotting`] (the old snapshot/restore, kept here as the reference). Same receipts,
//! same roots, same witness bytes.

use proptest::prelude::*;
use protocol::action::Tx;
use protocol::batch::{domain_separator, genesis_tree, verify_tx};
use protocol::engine::{self, BlockContext, Receipt, Status};
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256};
use protocol::signing::SignatureError;
use protocol::state::{Key, MapState, Mark, State, StateError};
use protocol::tree::{Tree, TreeSnapshot};
use protocol::workload::Workload;
use std::collections::BTreeMap;

const T0_MS: u64 = 1_700_000_000_000;

/// A state that can save and bring back its whole contents: the reference atomicity.
pub trait Saves {
    type Saved;
    fn save(&self) -> Self::Saved;
    fn bring_back(&mut self, saved: Self::Saved);
}

impl Saves for Tree {
    type Saved = TreeSnapshot;
    fn save(&self) -> TreeSnapshot {
        self.snapshot()
    }
    fn bring_back(&mut self, saved: TreeSnapshot) {
        self.restore(saved);
    }
}

impl Saves for MapState {
    type Saved = BTreeMap<Key, Vec<u8>>;
    fn save(&self) -> Self::Saved {
        self.map.clone()
    }
    fn bring_back(&mut self, saved: Self::Saved) {
        self.map = saved;
    }
}

/// `S` with sections implemented the old way: `begin` saves the whole state and
/// `rollback` brings it back (the inner undo log is only used for its marks and is
/// discarded by committing it).
pub struct Snapshotting<S: Saves> {
    pub inner: S,
    saved: Vec<S::Saved>,
}

impl<S: Saves> Snapshotting<S> {
    pub fn new(inner: S) -> Self {
        Snapshotting {
            inner,
            saved: Vec::new(),
        }
    }
}

impl<S: State + Saves> State for Snapshotting<S> {
    fn get(&mut self, key: &Key) -> Result<Option<Vec<u8>>, StateError> {
        self.inner.get(key)
    }
    fn set(&mut self, key: &Key, value: Vec<u8>) -> Result<(), StateError> {
        self.inner.set(key, value)
    }
    fn delete(&mut self, key: &Key) -> Result<(), StateError> {
        self.inner.delete(key)
    }
    fn first_with_prefix(&mut self, prefix: &[u8]) -> Result<Option<(Key, Vec<u8>)>, StateError> {
        self.inner.first_with_prefix(prefix)
    }
    fn begin(&mut self) -> Mark {
        self.saved.push(self.inner.save());
        self.inner.begin()
    }
    fn commit(&mut self, mark: Mark) {
        self.saved.pop();
        self.inner.commit(mark);
    }
    fn rollback(&mut self, mark: Mark) -> Result<(), StateError> {
        self.inner.commit(mark);
        if let Some(saved) = self.saved.pop() {
            self.inner.bring_back(saved);
        }
        Ok(())
    }
}

/// A transaction and the outcome of its signature check.
type Signed = (Tx, Result<Address, SignatureError>);

/// A seeded workload: deposits, prices, agent approvals, then random trading (orders out
/// of the band, stale cancels, over-withdrawals, healthy liquidations: many rejected after
/// writing), with every 9th action's signer replaced by a stranger.
fn workload(seed: u64, n: usize) -> (Genesis, Vec<Signed>) {
    let mut w = Workload::new(seed, 5).with_agents(seed).with_isolated();
    let mut txs = w.deposits(2_000_000_000);
    txs.extend(w.price_updates(T0_MS));
    txs.extend(w.agent_approvals(T0_MS));
    txs.extend(w.isolated_modes(T0_MS));
    while txs.len() < n {
        txs.push(w.next_tx(T0_MS));
    }
    let domain = domain_separator(&w.genesis);
    let signed = txs
        .into_iter()
        .enumerate()
        .map(|(i, tx)| {
            let signer = match i % 9 {
                8 => Ok(Address([0x5a; 20])),
                _ => verify_tx(&tx, &domain, &w.genesis.oracles),
            };
            (tx, signer)
        })
        .collect();
    (w.genesis.clone(), signed)
}

/// Applies `txs` in order; the receipts.
fn run<S: State>(st: &mut S, genesis: &Genesis, txs: &[Signed]) -> Vec<Receipt> {
    let ctx = BlockContext {
        timestamp_ms: T0_MS + 1_000,
    };
    txs.iter()
        .map(|(tx, signer)| engine::apply_tx(st, genesis, &ctx, tx, signer).unwrap())
        .collect()
}

fn entries(tree: &Tree) -> Vec<(H256, Vec<u8>)> {
    tree.iter().map(|(k, v)| (*k, v.to_vec())).collect()
}

/// Runs `chunk` on a recording clone of `pre`; the post-state, receipts and witness bytes.
fn recorded<S: State>(
    pre: &Tree,
    wrap: impl FnOnce(Tree) -> S,
    unwrap: impl FnOnce(S) -> Tree,
    genesis: &Genesis,
    chunk: &[Signed],
) -> (Tree, Vec<Receipt>, Vec<u8>) {
    let mut work = pre.clone();
    work.start_recording();
    let mut st = wrap(work);
    let receipts = run(&mut st, genesis, chunk);
    let mut work = unwrap(st);
    let witness = pre.pruned_to(&work.take_recording()).to_witness_bytes();
    (work, receipts, witness)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Full tree and map model, undo log against snapshots: the same receipt for every
    /// transaction, the same contents, the same root.
    #[test]
    fn the_undo_log_equals_snapshots_on_the_tree_and_the_model(seed in any::<u64>()) {
        let (genesis, txs) = workload(seed, 160);
        let start = genesis_tree(&genesis);
        let mut tree = start.clone();
        let mut reference = Snapshotting::new(start.clone());
        let mut model = MapState::from_map(entries(&start).into_iter().collect());
        let mut model_reference = Snapshotting::new(model.clone());
        for chunk in txs.chunks(16) {
            let receipts = run(&mut tree, &genesis, chunk);
            prop_assert_eq!(&receipts, &run(&mut reference, &genesis, chunk));
            prop_assert_eq!(&receipts, &run(&mut model, &genesis, chunk));
            prop_assert_eq!(&receipts, &run(&mut model_reference, &genesis, chunk));
            prop_assert_eq!(tree.root(), reference.inner.root());
            let contents: Vec<_> = model.map.clone().into_iter().collect();
            prop_assert_eq!(&entries(&tree), &contents);
            prop_assert_eq!(&model.map, &model_reference.inner.map);
        }
        // Rejections after the nonce was written (not at the signature check) occur.
        let late = run(&mut start.clone(), &genesis, &txs)
            .iter()
            .filter(|r| !r.status.is_ok() && r.status != Status::SignerMismatch)
            .count();
        prop_assert!(late > 0, "the workload rejects some actions after writing");
    }

    /// Witnesses: the nodes a chunk opens under the undo log are exactly those it opened
    /// under snapshots (same witness bytes), and re-executing the chunk on its witness
    /// with the undo log gives the full tree's receipts and root.
    #[test]
    fn the_undo_log_equals_snapshots_on_witnesses(seed in any::<u64>()) {
        let (genesis, txs) = workload(seed, 120);
        let mut pre = genesis_tree(&genesis);
        for chunk in txs.chunks(8) {
            let (post, receipts, witness) = recorded(&pre, |t| t, |t| t, &genesis, chunk);
            let (ref_post, ref_receipts, ref_witness) =
                recorded(&pre, Snapshotting::new, |s| s.inner, &genesis, chunk);
            prop_assert_eq!(&receipts, &ref_receipts);
            prop_assert_eq!(post.root(), ref_post.root());
            prop_assert_eq!(&witness, &ref_witness);
            let mut replay = Tree::from_witness_bytes(&witness).unwrap();
            prop_assert_eq!(&run(&mut replay, &genesis, chunk), &receipts);
            prop_assert_eq!(replay.root(), post.root());
            pre = post;
        }
    }
}

/// `Tree::at` reads the state as it was when a section began, through the section's own
/// writes and deletes.
#[test]
fn tree_at_reads_the_state_at_the_start_of_the_section() {
    let key = |b: u8| H256([b; 32]);
    let mut tree: Tree = [(key(1), vec![1]), (key(2), vec![2])].into_iter().collect();
    let mark = tree.begin();
    tree.set(&key(1), vec![10]).unwrap();
    tree.set(&key(1), vec![11]).unwrap();
    tree.delete(&key(2)).unwrap();
    tree.set(&key(3), vec![3]).unwrap();
    let before = tree.at(mark);
    assert_eq!(before.lookup(&key(1)).unwrap(), Some(&[1u8][..]));
    assert_eq!(before.lookup(&key(2)).unwrap(), Some(&[2u8][..]));
    assert_eq!(before.lookup(&key(3)).unwrap(), None);
    assert_eq!(tree.lookup(&key(1)).unwrap(), Some(&[11u8][..]));
    tree.commit(mark);
}
