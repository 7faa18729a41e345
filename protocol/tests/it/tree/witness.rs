//! Witnesses: replaying a step on its witness gives the full tree's results and root;
//! anything the step did not touch fails with `WitnessIncomplete`; witness bytes are
//! canonical, validated against hostile input, and compact.

use super::{Op, op_strategy, pool_strategy, populated, run_tree, single_byte_mutations};
use proptest::collection::vec;
use proptest::prelude::*;
use protocol::primitives::{H256, keccak256};
use protocol::state::{State, StateError};
use protocol::tree::{MAX_WITNESS_BYTES, Tree, WitnessError};

/// Runs `ops` on a clone of `pre` while recording; returns the post-state and the witness.
fn record(pre: &Tree, pool: &[H256], ops: &[Op]) -> (Tree, Vec<super::Outcome>, Tree) {
    let mut work = pre.clone();
    work.start_recording();
    let outcomes = run_tree(&mut work, pool, ops).expect("the full tree has every node");
    let witness = pre.pruned_to(&work.take_recording());
    (work, outcomes, witness)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// The witness, shipped as bytes, reproduces the step exactly; a further operation on
    /// it either fails with WitnessIncomplete or answers exactly as the full tree does.
    #[test]
    fn witness_replay_equals_full_execution(
        (pool, values) in pool_strategy(),
        ops in vec(op_strategy(), 0..24),
        extra in vec(op_strategy(), 1..4),
    ) {
        let (pre, _) = populated(&pool, &values);
        let (mut post, outcomes, witness) = record(&pre, &pool, &ops);
        let bytes = witness.to_witness_bytes();
        let mut replay = Tree::from_witness_bytes(&bytes).unwrap();
        prop_assert_eq!(replay.to_witness_bytes(), bytes.clone(), "canonical round trip");
        prop_assert_eq!(replay.root(), pre.root());

        prop_assert_eq!(run_tree(&mut replay, &pool, &ops).unwrap(), outcomes);
        prop_assert_eq!(replay.root(), post.root());

        for op in &extra {
            let full = run_tree(&mut post, &pool, std::slice::from_ref(op)).unwrap();
            let before = replay.root();
            match run_tree(&mut replay, &pool, std::slice::from_ref(op)) {
                Ok(answer) => prop_assert_eq!(answer, full),
                Err(StateError::WitnessIncomplete(_)) => {
                    // A failed operation changes nothing; the two runs part ways here.
                    prop_assert_eq!(replay.root(), before);
                    break;
                }
                Err(other) => prop_assert!(false, "a witness of the tree's own values cannot be malformed: {other}"),
            }
            prop_assert_eq!(replay.root(), post.root());
        }
    }

    /// Mutated witness bytes either fail to decode or decode canonically (re-encode to the
    /// same bytes); a one-byte change that decodes always changes the root.
    #[test]
    fn witness_decoding_is_canonical((pool, values) in pool_strategy(), edits in vec((any::<usize>(), any::<u8>()), 1..4)) {
        let (tree, _) = populated(&pool, &values);
        let original = tree.to_witness_bytes();
        let mut bytes = original.clone();
        for (at, byte) in &edits {
            let at = at % bytes.len();
            bytes[at] = *byte;
        }
        if let Ok(decoded) = Tree::from_witness_bytes(&bytes) {
            prop_assert_eq!(decoded.to_witness_bytes(), bytes.clone());
            if bytes != original {
                prop_assert_ne!(decoded.root(), tree.root());
            }
        }
    }
}

fn hashed_tree(n: u64) -> Tree {
    (0..n)
        .map(|i| (keccak256(&i.to_be_bytes()), i.to_be_bytes().to_vec()))
        .collect()
}

#[test]
fn touching_an_unrecorded_path_is_witness_incomplete() {
    let pre = hashed_tree(200);
    let touched = keccak256(&7u64.to_be_bytes());
    let untouched = keccak256(&8u64.to_be_bytes());
    let (_, _, witness) = record(&pre, &[touched], &[Op::Get(0), Op::Set(0, vec![1])]);
    let mut replay = witness.clone();
    assert_eq!(replay.get(&touched), Ok(Some(7u64.to_be_bytes().to_vec())));
    assert_eq!(
        replay.get(&untouched),
        Err(StateError::WitnessIncomplete(untouched))
    );
    assert_eq!(
        replay.clone().set(&untouched, vec![]),
        Err(StateError::WitnessIncomplete(untouched))
    );
    assert_eq!(
        replay.clone().delete(&untouched),
        Err(StateError::WitnessIncomplete(untouched))
    );
    let mut padded = [0u8; 32];
    padded[0] = untouched.0[0];
    assert_eq!(
        replay.first_with_prefix(&untouched.0[..1]),
        Err(StateError::WitnessIncomplete(H256(padded)))
    );
}

#[test]
fn every_single_byte_mutation_of_a_witness_is_rejected_or_changes_the_root() {
    let pre = hashed_tree(32);
    let keys: Vec<H256> = pre.iter().map(|(k, _)| *k).step_by(5).collect();
    let ops = [
        Op::Get(0),
        Op::Set(1, vec![9]),
        Op::Delete(2),
        Op::First {
            index: 3,
            len: 2,
            bump: false,
        },
    ];
    let (_, _, witness) = record(&pre, &keys, &ops);
    let bytes = witness.to_witness_bytes();
    let root = pre.root();
    for (at, byte, mutated) in single_byte_mutations(&bytes) {
        if let Ok(tree) = Tree::from_witness_bytes(&mutated) {
            assert_ne!(
                tree.root(),
                root,
                "byte {at} set to {byte:#04x} kept the root"
            );
        }
    }
}

#[test]
fn hostile_witness_bytes_are_rejected_with_a_reason() {
    let check = |bytes: &[u8], expect: WitnessError| {
        assert_eq!(Tree::from_witness_bytes(bytes).unwrap_err(), expect)
    };
    // 256 nested internal nodes (splits 0..=255), then one more: no split can follow 255.
    let mut deep: Vec<u8> = (0..=255u8).flat_map(|split| [2, split]).collect();
    deep.extend_from_slice(&[2, 255]);
    check(
        &deep,
        WitnessError::SplitNotIncreasing {
            split: 255,
            min: 256,
        },
    );
    check(
        &[2, 5, 0x00, 2, 5],
        WitnessError::SplitNotIncreasing { split: 5, min: 6 },
    );
    check(&[9], WitnessError::UnknownTag(9));
    check(&[2, 0, 0], WitnessError::NestedEmpty);
    check(
        &[0, 0],
        WitnessError::Decode(protocol::codec::DecodeError::Trailing(1)),
    );
    check(&[2, 4, 0x18], WitnessError::PrefixNotMasked { split: 4 });
    // Left child of a split-0 node must have bit 0 clear; this leaf's key starts 0x80.
    let mut off_path = vec![2, 0, 1, 0x80];
    off_path.extend_from_slice(&[0; 31]);
    off_path.extend_from_slice(&[0, 0, 0, 0]);
    check(&off_path, WitnessError::OffPath { known: 1 });
    let huge = vec![0u8; MAX_WITNESS_BYTES + 1];
    check(
        &huge,
        WitnessError::TooLarge {
            len: MAX_WITNESS_BYTES + 1,
            max: MAX_WITNESS_BYTES,
        },
    );
    // A leaf whose value length runs past the end.
    let mut long_value = vec![1];
    long_value.extend_from_slice(&[0; 32]);
    long_value.extend_from_slice(&[0, 0, 1, 0]);
    assert!(matches!(
        Tree::from_witness_bytes(&long_value),
        Err(WitnessError::Decode(_))
    ));
}

/// Witness size at 100,000 accounts: 32 updates, 16 reads, 8 inserts and 8 deletes.
#[test]
fn witnesses_stay_small_at_one_hundred_thousand_accounts() {
    let n = 100_000u64;
    let pre = hashed_tree(n);
    let key = |i: u64| keccak256(&i.to_be_bytes());
    let mut pool = Vec::new();
    let mut ops = Vec::new();
    for i in 0..64u64 {
        pool.push(key(if i < 56 { i * 1_511 } else { n + i }));
        let index = pool.len() - 1;
        ops.push(match i {
            0..32 => Op::Set(index, vec![1; 64]),
            32..48 => Op::Get(index),
            48..56 => Op::Delete(index),
            _ => Op::Set(index, vec![2; 64]),
        });
    }
    let (post, _, witness) = record(&pre, &pool, &ops);
    let bytes = witness.to_witness_bytes();
    let mut replay = Tree::from_witness_bytes(&bytes).unwrap();
    run_tree(&mut replay, &pool, &ops).unwrap();
    assert_eq!(replay.root(), post.root());
    assert!(
        bytes.len() < 64 * 1024,
        "64 touched keys at 100k accounts: {} bytes",
        bytes.len()
    );
}
