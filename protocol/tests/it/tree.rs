//! The state tree through its public API: model-based tests against `MapState` (the
//! BTreeMap reference), canonical shape, and shared test data. Proofs and witnesses have
//! their own submodules.

mod proof_mutations;
mod proofs;
mod witness;

use crate::atomicity::Snapshotting;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use protocol::primitives::H256;
use protocol::state::{MapState, Mark, State, StateError};
use protocol::tree::{EMPTY_ROOT, Tree};

/// Key prefixes shared by many generated keys, so that long common prefixes (like
/// order-book keys `kind ‖ market ‖ side ‖ price ‖ seq`) and short ones both occur.
const PREFIXES: &[&[u8]] = &[
    &[],
    &[0x03],
    &[0x03, 0, 0, 0, 1, 0],
    &[
        0x03, 0, 0, 0, 1, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x12,
    ],
];

/// A key: one of `PREFIXES`, then bytes mostly from a tiny alphabet (so keys collide on
/// long runs) and sometimes arbitrary (so splits fall on every bit position).
/// Every single-byte mutation of `bytes`, in order: (position, new byte, mutated bytes),
/// the new byte always differing from the original.
pub fn single_byte_mutations(bytes: &[u8]) -> impl Iterator<Item = (usize, u8, Vec<u8>)> + '_ {
    (0..bytes.len()).flat_map(move |at| {
        (0..=255u8)
            .filter(move |&byte| byte != bytes[at])
            .map(move |byte| {
                let mut mutated = bytes.to_vec();
                mutated[at] = byte;
                (at, byte, mutated)
            })
    })
}

pub fn key_strategy() -> impl Strategy<Value = H256> {
    let byte = prop_oneof![3 => select(vec![0u8, 1, 0x80, 0xff]), 1 => any::<u8>()];
    (select(PREFIXES), vec(byte, 32)).prop_map(|(prefix, tail)| {
        let mut key = [0u8; 32];
        key[..prefix.len()].copy_from_slice(prefix);
        key[prefix.len()..].copy_from_slice(&tail[prefix.len()..]);
        H256(key)
    })
}

pub fn value_strategy() -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..6)
}

/// One state operation over a pool of keys (indices are taken modulo the pool size).
#[derive(Debug, Clone)]
pub enum Op {
    Get(usize),
    Set(usize, Vec<u8>),
    Delete(usize),
    /// First key with the first `len` bytes of a pool key, the last byte bumped if `bump`
    /// (so absent prefixes occur too).
    First {
        index: usize,
        len: usize,
        bump: bool,
    },
    /// Opens an atomic section.
    Begin,
    /// Ends the innermost open section keeping its writes (no-op if none is open).
    Commit,
    /// Ends the innermost open section undoing its writes (no-op if none is open).
    Rollback,
    /// Compute the root mid-sequence (exercises incremental hashing); no-op on the model.
    Root,
}

pub fn op_strategy() -> impl Strategy<Value = Op> {
    let len = prop_oneof![select(vec![0usize, 1, 6, 13, 32]), 0..=32usize];
    prop_oneof![
        4 => any::<usize>().prop_map(Op::Get),
        6 => (any::<usize>(), value_strategy()).prop_map(|(i, v)| Op::Set(i, v)),
        3 => any::<usize>().prop_map(Op::Delete),
        3 => (any::<usize>(), len, any::<bool>()).prop_map(|(index, len, bump)| Op::First { index, len, bump }),
        1 => Just(Op::Begin),
        1 => Just(Op::Commit),
        1 => Just(Op::Rollback),
        1 => Just(Op::Root),
    ]
}

/// What an operation returned, for comparing implementations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Value(Option<Vec<u8>>),
    First(Option<(H256, Vec<u8>)>),
    Done,
}

pub fn prefix_of(pool: &[H256], index: usize, len: usize, bump: bool) -> Vec<u8> {
    let mut prefix = pool[index % pool.len()].0[..len].to_vec();
    if let (true, Some(last)) = (bump, prefix.last_mut()) {
        *last = last.wrapping_add(1);
    }
    prefix
}

/// Applies `op` to any `State`; `marks` is the stack of open sections.
pub fn apply<S: State>(
    state: &mut S,
    pool: &[H256],
    op: &Op,
    marks: &mut Vec<Mark>,
) -> Result<Outcome, StateError> {
    let key = |i: usize| pool[i % pool.len()];
    Ok(match op {
        Op::Get(i) => Outcome::Value(state.get(&key(*i))?),
        Op::Set(i, value) => {
            state.set(&key(*i), value.clone())?;
            Outcome::Done
        }
        Op::Delete(i) => {
            state.delete(&key(*i))?;
            Outcome::Done
        }
        Op::First { index, len, bump } => {
            Outcome::First(state.first_with_prefix(&prefix_of(pool, *index, *len, *bump))?)
        }
        Op::Begin => {
            marks.push(state.begin());
            Outcome::Done
        }
        Op::Commit => {
            if let Some(mark) = marks.pop() {
                state.commit(mark);
            }
            Outcome::Done
        }
        Op::Rollback => {
            if let Some(mark) = marks.pop() {
                state.rollback(mark)?;
            }
            Outcome::Done
        }
        Op::Root => Outcome::Done,
    })
}

/// Applies ops to a tree, computing the root where asked; returns every outcome.
pub fn run_tree(tree: &mut Tree, pool: &[H256], ops: &[Op]) -> Result<Vec<Outcome>, StateError> {
    let mut marks = Vec::new();
    ops.iter()
        .map(|op| {
            if let Op::Root = op {
                tree.root();
            }
            apply(tree, pool, op, &mut marks)
        })
        .collect()
}

pub fn entries(tree: &Tree) -> Vec<(H256, Vec<u8>)> {
    tree.iter().map(|(k, v)| (*k, v.to_vec())).collect()
}

/// A tree and the model holding the same entries: each pool key with a value or absent.
pub fn populated(pool: &[H256], values: &[Option<Vec<u8>>]) -> (Tree, MapState) {
    let mut model = MapState::default();
    for (key, value) in pool.iter().zip(values) {
        if let Some(value) = value {
            model.map.insert(*key, value.clone());
        }
    }
    let tree = model.map.iter().map(|(k, v)| (*k, v.clone())).collect();
    (tree, model)
}

pub fn pool_strategy() -> impl Strategy<Value = (Vec<H256>, Vec<Option<Vec<u8>>>)> {
    vec(key_strategy(), 1..48).prop_flat_map(|pool| {
        let n = pool.len();
        (
            Just(pool),
            vec(proptest::option::weighted(0.7, value_strategy()), n),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Every operation answers exactly as the BTreeMap model does, including nested
    /// sections committed and rolled back, and the tree's contents end equal to the
    /// model's. The sections of the reference model are snapshots (the atomicity the undo
    /// log replaced); the plain model's use its own undo log and must agree too.
    #[test]
    fn tree_behaves_like_the_map_model((pool, values) in pool_strategy(), ops in vec(op_strategy(), 0..120)) {
        let (mut tree, model) = populated(&pool, &values);
        let mut reference = Snapshotting::new(model.clone());
        let mut model = model;
        let (mut reference_marks, mut model_marks) = (Vec::new(), Vec::new());
        let tree_outcomes = run_tree(&mut tree, &pool, &ops).unwrap();
        for (op, tree_outcome) in ops.iter().zip(&tree_outcomes) {
            let reference_outcome = apply(&mut reference, &pool, op, &mut reference_marks).unwrap();
            prop_assert_eq!(tree_outcome, &reference_outcome, "op {:?}", op);
            let model_outcome = apply(&mut model, &pool, op, &mut model_marks).unwrap();
            prop_assert_eq!(tree_outcome, &model_outcome, "op {:?}", op);
        }
        prop_assert_eq!(&model.map, &reference.inner.map);
        let model_entries: Vec<_> = model.map.iter().map(|(k, v)| (*k, v.clone())).collect();
        prop_assert_eq!(entries(&tree), model_entries);
        for key in &pool {
            prop_assert_eq!(tree.lookup(key).unwrap(), model.map.get(key).map(Vec::as_slice));
        }
    }

    /// The incrementally maintained root equals the root of a tree built from scratch
    /// from the same entries in another order (the shape is canonical).
    #[test]
    fn incremental_root_equals_root_from_scratch((pool, values) in pool_strategy(), ops in vec(op_strategy(), 0..120)) {
        let (mut tree, _) = populated(&pool, &values);
        tree.root();
        run_tree(&mut tree, &pool, &ops).unwrap();
        let rebuilt: Tree = entries(&tree).into_iter().rev().collect();
        prop_assert_eq!(tree.root(), rebuilt.root());
        prop_assert_eq!(tree.to_witness_bytes(), rebuilt.to_witness_bytes());
        prop_assert_eq!(tree.is_empty(), tree.root() == EMPTY_ROOT);
    }

    /// Insertion order does not matter, even with long shared prefixes: a shuffled
    /// insertion gives the same root and the same nodes as a sorted one.
    #[test]
    fn shape_depends_only_on_the_key_set(
        shuffled in proptest::collection::btree_map(key_strategy(), value_strategy(), 0..64)
            .prop_map(|m| m.into_iter().collect::<Vec<_>>())
            .prop_shuffle()
    ) {
        let from_shuffled: Tree = shuffled.iter().cloned().collect();
        let mut sorted = shuffled.clone();
        sorted.sort();
        let from_sorted: Tree = sorted.iter().cloned().collect();
        prop_assert_eq!(from_shuffled.root(), from_sorted.root());
        prop_assert_eq!(from_shuffled.to_witness_bytes(), from_sorted.to_witness_bytes());
        prop_assert_eq!(entries(&from_shuffled), sorted);
    }
}

#[test]
fn empty_tree_has_the_zero_root_and_no_entries() {
    let mut tree = Tree::new();
    assert_eq!(tree.root(), EMPTY_ROOT);
    assert_eq!(tree.get(&H256::ZERO), Ok(None));
    assert_eq!(tree.first_with_prefix(&[]), Ok(None));
    tree.delete(&H256::ZERO).unwrap();
    tree.set(&H256::ZERO, vec![]).unwrap();
    assert_ne!(tree.root(), EMPTY_ROOT, "an empty value is still a leaf");
    tree.delete(&H256::ZERO).unwrap();
    assert_eq!(tree.root(), EMPTY_ROOT);
    assert!(tree.is_empty());
}

#[test]
fn first_with_prefix_finds_the_best_book_order() {
    // Book keys: kind ‖ market ‖ side ‖ price-priority ‖ sequence (bids store MAX - price).
    let book_key = |side: u8, priority: u64, seq: u64| {
        let mut k = [0u8; 32];
        k[0] = 0x03;
        k[1..5].copy_from_slice(&7u32.to_be_bytes());
        k[5] = side;
        k[6..14].copy_from_slice(&priority.to_be_bytes());
        k[14..22].copy_from_slice(&seq.to_be_bytes());
        H256(k)
    };
    let mut tree = Tree::new();
    for (side, priority, seq) in [
        (0, 105, 1),
        (0, 101, 9),
        (0, 101, 3),
        (1, u64::MAX - 99, 2),
        (1, u64::MAX - 100, 5),
    ] {
        tree.set(&book_key(side, priority, seq), vec![side])
            .unwrap();
    }
    let check = |tree: &mut Tree, prefix: &[u8], expect: Option<H256>| {
        assert_eq!(
            tree.first_with_prefix(prefix).unwrap().map(|(k, _)| k),
            expect,
            "prefix {prefix:02x?}"
        );
    };
    check(&mut tree, &[0x03, 0, 0, 0, 7, 0], Some(book_key(0, 101, 3)));
    check(
        &mut tree,
        &[0x03, 0, 0, 0, 7, 1],
        Some(book_key(1, u64::MAX - 100, 5)),
    );
    check(&mut tree, &[0x03, 0, 0, 0, 7, 2], None);
    check(&mut tree, &[0x03, 0, 0, 0, 8], None);
    check(&mut tree, &[], Some(book_key(0, 101, 3)));
    check(&mut tree, &[0; 33], None);
    tree.delete(&book_key(0, 101, 3)).unwrap();
    check(&mut tree, &[0x03, 0, 0, 0, 7, 0], Some(book_key(0, 101, 9)));
}
