//! Proofs: generated proofs verify and agree with the model; decoding is canonical; named
//! attacks (wrong root, swapped siblings, wrong split, node-kind confusion, truncation, a
//! non-first key) are rejected. Exhaustive byte mutations live in `proof_mutations`.

use super::{apply, key_strategy, op_strategy, pool_strategy, populated, prefix_of, run_tree};
use proptest::collection::vec;
use proptest::prelude::*;
use protocol::codec::{Decode, Encode};
use protocol::primitives::{H256, keccak256};
use protocol::state::State;
use protocol::tree::{EMPTY_ROOT, Proof, ProofError, ProofStep, Terminal, Tree};

fn round_trip(proof: &Proof) -> Proof {
    let decoded = Proof::decode(&proof.encode()).expect("a generated proof decodes");
    assert_eq!(&decoded, proof);
    decoded
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// For every pool key, present or absent, the proof verifies to the model's answer;
    /// first-with-prefix proofs verify to the model's first key.
    #[test]
    fn proofs_verify_to_the_models_answers(
        (pool, values) in pool_strategy(),
        ops in vec(op_strategy(), 0..40),
        prefixes in vec((any::<usize>(), 0..=32usize, any::<bool>()), 1..8),
    ) {
        let (mut tree, mut model) = populated(&pool, &values);
        run_tree(&mut tree, &pool, &ops).unwrap();
        // Replay on the model to reach the same state (sections included).
        let mut marks = Vec::new();
        for op in &ops {
            apply(&mut model, &pool, op, &mut marks).unwrap();
        }
        let root = tree.root();
        for key in &pool {
            let proof = round_trip(&tree.prove(key).unwrap());
            let expected = model.map.get(key);
            prop_assert_eq!(proof.verify(&root, key).unwrap(), expected.map(|v| keccak256(v)));
            match expected {
                Some(value) => {
                    proof.verify_inclusion(&root, key, value).unwrap();
                    prop_assert!(matches!(proof.verify_exclusion(&root, key), Err(ProofError::KeyPresent(_))));
                }
                None => {
                    proof.verify_exclusion(&root, key).unwrap();
                    prop_assert!(matches!(proof.verify_inclusion(&root, key, &[]), Err(ProofError::KeyAbsent(_))));
                }
            }
        }
        for (index, len, bump) in prefixes {
            let prefix = prefix_of(&pool, index, len, bump);
            let proof = round_trip(&tree.prove_first_with_prefix(&prefix).unwrap());
            let expected = model.first_with_prefix(&prefix).unwrap().map(|(k, v)| (k, keccak256(&v)));
            prop_assert_eq!(proof.verify_first_with_prefix(&root, &prefix).unwrap(), expected);
        }
    }

    /// Decoding is canonical: whatever decodes re-encodes to the same bytes.
    #[test]
    fn proof_decoding_is_canonical(key in key_strategy(), edits in vec((any::<usize>(), any::<u8>()), 1..4)) {
        let tree = fixed_tree();
        let mut bytes = tree.prove(&key).unwrap().encode();
        for (at, byte) in edits {
            let at = at % bytes.len();
            bytes[at] = byte;
        }
        if let Ok(proof) = Proof::decode(&bytes) {
            prop_assert_eq!(proof.encode(), bytes);
        }
    }
}

/// 40 keys sharing the first byte 0x03 (so the root splits after bit 7): half hashed,
/// half book-like with long shared prefixes.
pub(super) fn fixed_tree() -> Tree {
    (0..20u64)
        .flat_map(|i| {
            let mut hashed = keccak256(&i.to_be_bytes());
            hashed.0[0] = 0x03;
            let mut book = [0u8; 32];
            book[..6].copy_from_slice(&[0x03, 0, 0, 0, 1, (i % 2) as u8]);
            book[6..14].copy_from_slice(&(1000 + i / 4).to_be_bytes());
            book[14..22].copy_from_slice(&i.to_be_bytes());
            [
                (hashed, i.to_be_bytes().to_vec()),
                (H256(book), vec![i as u8]),
            ]
        })
        .collect()
}

/// A present key deep in the fixed tree and its proof.
fn deep_inclusion(tree: &Tree) -> (H256, Vec<u8>, Proof) {
    let (key, value) = tree
        .iter()
        .max_by_key(|(k, _)| tree.prove(k).unwrap().steps.len())
        .expect("non-empty");
    let proof = tree.prove(key).unwrap();
    assert!(
        proof.steps.len() >= 4,
        "deep enough to tamper with: {}",
        proof.steps.len()
    );
    (*key, value.to_vec(), proof)
}

#[test]
fn named_attacks_are_rejected() {
    let tree = fixed_tree();
    let root = tree.root();
    let (key, value, proof) = deep_inclusion(&tree);
    proof.verify_inclusion(&root, &key, &value).unwrap();
    let root_mismatch =
        |p: &Proof| matches!(p.verify(&root, &key), Err(ProofError::RootMismatch { .. }));

    // Wrong root, wrong value.
    assert!(matches!(
        proof.verify(&keccak256(b"other"), &key),
        Err(ProofError::RootMismatch { .. })
    ));
    assert!(matches!(
        proof.verify_inclusion(&root, &key, b"forged"),
        Err(ProofError::ValueMismatch { .. })
    ));

    // Swapped siblings.
    let mut swapped = proof.clone();
    let (a, b) = (swapped.steps[1].sibling, swapped.steps[2].sibling);
    swapped.steps[1].sibling = b;
    swapped.steps[2].sibling = a;
    assert!(root_mismatch(&swapped));

    // Wrong split (a shifted depth), and splits out of order.
    let gap = (0..proof.steps.len() - 1)
        .find(|&i| proof.steps[i + 1].split > proof.steps[i].split + 1)
        .expect("a gap");
    let mut shifted = proof.clone();
    shifted.steps[gap].split += 1;
    assert!(root_mismatch(&shifted));
    let mut unordered = proof.clone();
    unordered.steps.swap(1, 2);
    assert!(matches!(
        unordered.verify(&root, &key),
        Err(ProofError::SplitNotIncreasing { index: 2, .. })
    ));

    // Truncated path: the leaf is then not where the shorter path ends.
    let mut truncated = proof.clone();
    truncated.steps.pop();
    assert!(truncated.verify(&root, &key).is_err());
    let mut headless = proof.clone();
    headless.steps.remove(0);
    assert!(headless.verify(&root, &key).is_err());

    // The last internal node offered as the terminal: hashes to the root, but it could
    // still hold the key, so it proves nothing.
    let mut stopped = proof.clone();
    let last = stopped.steps.pop().expect("has steps");
    let leaf = protocol::tree::leaf_hash(&key, &value);
    let right = key.0[usize::from(last.split / 8)] & (0x80 >> (last.split % 8)) != 0;
    let (left, right) = if right {
        (last.sibling, leaf)
    } else {
        (leaf, last.sibling)
    };
    let mut prefix = key;
    for bit in u16::from(last.split)..256 {
        prefix.0[usize::from(bit / 8)] &= !(0x80u8 >> (bit % 8));
    }
    stopped.terminal = Terminal::Internal {
        split: last.split,
        prefix,
        left,
        right,
    };
    assert!(matches!(
        stopped.verify(&root, &key),
        Err(ProofError::Inconclusive(_))
    ));

    // A leaf offered as an inner node, and an inner node offered as a leaf.
    let Terminal::Leaf { value_hash, .. } = proof.terminal else {
        panic!("inclusion ends at a leaf")
    };
    let mut leaf_as_inner = proof.clone();
    leaf_as_inner.steps.pop();
    leaf_as_inner.terminal = Terminal::Internal {
        split: last.split,
        prefix,
        left: key,
        right: value_hash,
    };
    assert!(leaf_as_inner.verify(&root, &key).is_err());
    let mut inner_as_leaf = proof.clone();
    inner_as_leaf.steps.pop();
    inner_as_leaf.terminal = Terminal::Leaf {
        key: prefix,
        value_hash: last.sibling,
    };
    assert!(inner_as_leaf.verify(&root, &key).is_err());

    // Exclusion claimed for a present key with another key's proof.
    let (other, _) = tree.iter().find(|(k, _)| **k != key).expect("two keys");
    assert!(
        tree.prove(other)
            .unwrap()
            .verify_exclusion(&root, &key)
            .is_err()
    );

    // An empty-tree proof against a non-empty root, and with steps.
    let empty = Proof {
        steps: vec![],
        terminal: Terminal::Empty,
    };
    assert!(matches!(
        empty.verify(&root, &key),
        Err(ProofError::RootMismatch { .. })
    ));
    let padded = Proof {
        steps: vec![ProofStep {
            split: 0,
            sibling: root,
        }],
        terminal: Terminal::Empty,
    };
    assert_eq!(
        padded.verify(&EMPTY_ROOT, &key),
        Err(ProofError::EmptyWithSteps)
    );
}

#[test]
fn a_non_first_key_is_not_accepted_as_first_with_prefix() {
    let tree = fixed_tree();
    let root = tree.root();
    // Book keys of market 1, side 0: several share the prefix; take the second one.
    let prefix = [0x03, 0, 0, 0, 1, 0];
    let with_prefix: Vec<H256> = tree
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| k.0.starts_with(&prefix))
        .collect();
    assert!(with_prefix.len() > 2);
    let honest = tree.prove_first_with_prefix(&prefix).unwrap();
    assert_eq!(
        honest
            .verify_first_with_prefix(&root, &prefix)
            .unwrap()
            .map(|(k, _)| k),
        Some(with_prefix[0])
    );

    let second = tree.prove(&with_prefix[1]).unwrap();
    assert!(
        second.verify(&root, &with_prefix[1]).unwrap().is_some(),
        "a valid inclusion proof"
    );
    assert!(matches!(
        second.verify_first_with_prefix(&root, &prefix),
        Err(ProofError::NotFirst { .. })
    ));

    // An exclusion proof for a padded prefix does not prove that no key has the prefix.
    let mut padded = [0u8; 32];
    padded[..prefix.len()].copy_from_slice(&prefix);
    let absent_padded = tree.prove(&H256(padded)).unwrap();
    absent_padded
        .verify_exclusion(&root, &H256(padded))
        .unwrap();
    assert!(
        absent_padded
            .verify_first_with_prefix(&root, &prefix)
            .is_err()
    );
    assert_eq!(
        honest.verify_first_with_prefix(&root, &[0; 33]),
        Err(ProofError::PrefixTooLong(33))
    );
}

#[test]
fn proofs_over_a_witness_need_the_path_present() {
    let tree = fixed_tree();
    let (key, _, _) = deep_inclusion(&tree);
    let pruned = tree.pruned_to(&Default::default());
    assert_eq!(pruned.root(), tree.root());
    assert!(matches!(
        pruned.prove(&key),
        Err(protocol::state::StateError::WitnessIncomplete(_))
    ));
    // A run that read the key makes its proof available from the witness.
    let mut work = tree.clone();
    work.start_recording();
    work.get(&key).unwrap();
    let witness = tree.pruned_to(&work.take_recording());
    assert_eq!(witness.prove(&key).unwrap(), tree.prove(&key).unwrap());
}
