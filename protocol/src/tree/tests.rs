//! Unit tests of tree internals: the spec's worked example (preimages built by hand),
//! incremental hashing cost, and which nodes operations open. Model-based property tests
//! live in tests/it/tree.rs.

use super::*;
use crate::codec::Encode;
use crate::primitives::{keccak256, keccak256_concat};

fn key(first_bytes: &[u8]) -> H256 {
    bits::padded_prefix(first_bytes)
        .expect("short test prefix")
        .0
}

/// A deterministic pseudo-random key (keccak of a counter).
fn random_key(i: u64) -> H256 {
    keccak256(&i.to_be_bytes())
}

/// The worked example of docs/PROTOCOL.md Part 3 §Worked example: keys A = 0x10…, B = 0x18…,
/// C = 0x80… with values 0x01, 0x02, 0x03. A and B first differ at bit 4, C differs from
/// both at bit 0, so the root splits at 0 with C on the right, and its left child splits
/// at 4 with prefix 0x10.
#[test]
fn worked_example_root_matches_hand_built_preimages() {
    let (a, b, c) = (key(&[0x10]), key(&[0x18]), key(&[0x80]));
    let tree: Tree = [(c, vec![0x03]), (a, vec![0x01]), (b, vec![0x02])]
        .into_iter()
        .collect();

    let leaf = |k: &H256, v: u8| keccak256_concat(&[&[0x00], &k.0, &keccak256(&[v]).0]);
    let internal = |split: u8, prefix: &H256, l: &H256, r: &H256| {
        let mut preimage = vec![0x01, split];
        preimage.extend_from_slice(&prefix.0);
        preimage.extend_from_slice(&l.0);
        preimage.extend_from_slice(&r.0);
        assert_eq!(preimage.len(), 98);
        keccak256(&preimage)
    };
    let (ha, hb, hc) = (leaf(&a, 1), leaf(&b, 2), leaf(&c, 3));
    let inner = internal(4, &key(&[0x10]), &ha, &hb);
    let root = internal(0, &H256::ZERO, &inner, &hc);
    assert_eq!(tree.root(), root);

    let hex = |h: H256| h.to_string();
    assert_eq!(
        hex(ha),
        "0x5033f15a25eeb7079757958feab5c86cb77d6f85e6afcb72196aad820f90755c"
    );
    assert_eq!(
        hex(hb),
        "0x80431811878502fb0ef8e4a25e925c253bc89230d18a17a52385a15163e05a6c"
    );
    assert_eq!(
        hex(hc),
        "0x9789cec1948d4746abb2d431ba1471313b938cdaf7aa287d949621e332811205"
    );
    assert_eq!(
        hex(inner),
        "0x23d8f0884ec6878112c55da834be30a19ce94f001a201953ff19251e27e29fbc"
    );
    assert_eq!(
        hex(root),
        "0xe86c981fb8b304734221c948b64416ce1c3ccc67927610bc923d28cfd88363ec"
    );

    // Inclusion proof of B: count 2; (split 0, sibling C's leaf); (split 4, sibling A's
    // leaf); terminal leaf B with keccak256(0x02).
    let concat = |parts: &[&[u8]]| parts.concat();
    let proof = tree.prove(&b).unwrap();
    let expected = concat(&[
        &[0, 0, 0, 2],
        &[0],
        &hc.0,
        &[4],
        &ha.0,
        &[1],
        &b.0,
        &keccak256(&[2]).0,
    ]);
    assert_eq!(proof.encode(), expected);
    proof.verify_inclusion(&root, &b, &[2]).unwrap();

    // Exclusion of E = 0x40…: it leaves the A/B node's prefix at bit 1, so the proof stops
    // there: count 1; (split 0, sibling C's leaf); terminal internal (split 4, prefix byte
    // 0x10, A's and B's leaf hashes).
    let e = key(&[0x40]);
    let proof = tree.prove(&e).unwrap();
    assert_eq!(
        proof.encode(),
        concat(&[&[0, 0, 0, 1], &[0], &hc.0, &[2, 4, 0x10], &ha.0, &hb.0])
    );
    proof.verify_exclusion(&root, &e).unwrap();

    // The first key with the empty prefix is A: the same path as A's inclusion proof.
    let first = tree.prove_first_with_prefix(&[]).unwrap();
    assert_eq!(first, tree.prove(&a).unwrap());
    assert_eq!(
        first.verify_first_with_prefix(&root, &[]).unwrap(),
        Some((a, keccak256(&[1])))
    );

    // Witness of the whole tree: root (split 0, no prefix bytes); its left child (split 4,
    // one fresh prefix byte 0x10); leaves A and B (bits from 5 on are fresh: all 32 key
    // bytes), then leaf C (bits from 1 on: all 32 bytes); values length-prefixed.
    let len1 = [0, 0, 0, 1];
    let expected = concat(&[
        &[2, 0],
        &[2, 4, 0x10],
        &[1],
        &a.0,
        &len1,
        &[1],
        &[1],
        &b.0,
        &len1,
        &[2],
        &[1],
        &c.0,
        &len1,
        &[3],
    ]);
    assert_eq!(tree.to_witness_bytes(), expected);

    // Witness for deleting C: the root and leaf C open, A and B's subtree pruned.
    let mut work = tree.clone();
    work.start_recording();
    work.delete(&c).unwrap();
    let witness = tree.pruned_to(&work.take_recording()).to_witness_bytes();
    assert_eq!(
        witness,
        concat(&[&[2, 0], &[3], &inner.0, &[1], &c.0, &len1, &[3]])
    );
    assert_eq!(
        work.root(),
        inner,
        "deleting C leaves the A/B node as the root"
    );
}

#[test]
fn updating_one_key_rehashes_only_its_path() {
    let mut tree: Tree = (0..10_000u64)
        .map(|i| (random_key(i), i.to_be_bytes().to_vec()))
        .collect();
    let before = tree.root();
    let full = tree.hash_count();
    assert_eq!(full, 2 * 10_000 - 1, "first root hashes every node once");
    assert_eq!(tree.root(), before);
    assert_eq!(tree.hash_count(), full, "a second root() is free");

    let target = random_key(4_321);
    tree.set(&target, b"new".to_vec()).unwrap();
    let depth = tree.prove(&target).unwrap().steps.len() as u64;
    assert!(
        depth < 40,
        "random keys give a balanced tree, depth {depth}"
    );
    tree.root();
    assert_eq!(
        tree.hash_count() - full,
        depth + 1,
        "the leaf and its ancestors, nothing else"
    );

    // Writing the same value again changes nothing, so nothing is re-hashed.
    let count = tree.hash_count();
    tree.set(&target, b"new".to_vec()).unwrap();
    tree.root();
    assert_eq!(tree.hash_count(), count);
}

#[test]
fn delete_reattaches_a_pruned_sibling_without_opening_it() {
    let (a, b, c) = (key(&[0x10]), key(&[0x18]), key(&[0x80]));
    let full: Tree = [(a, vec![1]), (b, vec![2]), (c, vec![3])]
        .into_iter()
        .collect();

    let mut work = full.clone();
    work.start_recording();
    work.delete(&c).unwrap();
    let witness = full.pruned_to(&work.take_recording());
    // Only the root and C were opened: the root's left subtree is a single pruned hash.
    assert_eq!(witness.iter().map(|(k, _)| *k).collect::<Vec<_>>(), vec![c]);

    let mut replay = witness.clone();
    replay.delete(&c).unwrap();
    assert_eq!(replay.root(), work.root());
    // Reading A now needs the pruned subtree: an error, not an answer.
    assert_eq!(replay.get(&a), Err(StateError::WitnessIncomplete(a)));
}

#[test]
fn insert_opens_the_diverging_node_but_not_its_children() {
    let (a, b) = (key(&[0x10]), key(&[0x18]));
    let full: Tree = [(a, vec![1]), (b, vec![2])].into_iter().collect();
    let new_key = key(&[0x80]);

    let mut work = full.clone();
    work.start_recording();
    work.set(&new_key, vec![3]).unwrap();
    let recording = work.take_recording();
    assert_eq!(
        recording.len(),
        1,
        "only the root, where the new key diverges"
    );

    let mut replay = full.pruned_to(&recording);
    replay.set(&new_key, vec![3]).unwrap();
    assert_eq!(replay.root(), work.root());
}

#[test]
fn rollback_restores_the_root_but_keeps_recording() {
    let mut tree: Tree = [(key(&[1]), vec![1])].into_iter().collect();
    let root = tree.root();
    tree.start_recording();
    let mark = tree.begin();
    tree.set(&key(&[2]), vec![2]).unwrap();
    assert_ne!(tree.root(), root);
    tree.rollback(mark).unwrap();
    assert_eq!(tree.root(), root);
    assert_eq!(
        tree.take_recording().len(),
        1,
        "the read of leaf 1 made while inserting stays recorded"
    );
}

#[test]
fn undoing_a_delete_does_not_open_the_sibling() {
    // Leaf [1] and a subtree of [2], [3]: deleting [1] re-attaches the subtree unopened,
    // and so must putting [1] back, or a witness of the step would lack it.
    let full: Tree = [
        (key(&[1]), vec![1]),
        (key(&[2]), vec![2]),
        (key(&[3]), vec![3]),
    ]
    .into_iter()
    .collect();
    let root = full.root();
    let mut work = full.clone();
    work.start_recording();
    let mark = work.begin();
    work.delete(&key(&[1])).unwrap();
    work.rollback(mark).unwrap();
    assert_eq!(work.root(), root);
    let mut witness = full.pruned_to(&work.take_recording());
    let mark = witness.begin();
    witness.delete(&key(&[1])).unwrap();
    witness.rollback(mark).unwrap();
    assert_eq!(witness.root(), root);
}

#[test]
fn updating_a_clone_never_changes_the_original() {
    // The original is unshared before cloning, so its own updates happen in place; once
    // cloned, updates on either side must copy and leave the other intact.
    let mut original: Tree = (0..300u64)
        .map(|i| (random_key(i), vec![i as u8]))
        .collect();
    let root = original.root();
    let entries: Vec<(H256, Vec<u8>)> = original.iter().map(|(k, v)| (*k, v.to_vec())).collect();

    let mut copy = original.clone();
    for i in 0..100u64 {
        copy.set(&random_key(i), b"changed".to_vec()).unwrap();
        copy.delete(&random_key(i + 100)).unwrap();
        copy.set(&random_key(i + 1_000), vec![]).unwrap();
    }
    assert_ne!(copy.root(), root);
    assert_eq!(original.root(), root);
    assert_eq!(
        original
            .iter()
            .map(|(k, v)| (*k, v.to_vec()))
            .collect::<Vec<_>>(),
        entries
    );
    let rebuilt: Tree = entries.iter().cloned().collect();
    assert_eq!(
        rebuilt.root(),
        root,
        "the cached hashes still describe the contents"
    );

    // And the other way round: updating the original leaves the copy as it was.
    let copy_root = copy.root();
    original.set(&random_key(5), b"again".to_vec()).unwrap();
    original.delete(&random_key(250)).unwrap();
    assert_eq!(copy.root(), copy_root);
    let copy_rebuilt: Tree = copy.iter().map(|(k, v)| (*k, v.to_vec())).collect();
    assert_eq!(copy_rebuilt.root(), copy_root);
}

/// Keys that share long prefixes (like the engine's book and index keys) as well as
/// random ones, so splits fall deep inside keys and not only near the top.
fn mixed_key(i: u64) -> H256 {
    let mut k = random_key(i);
    if i.is_multiple_of(3) {
        k.0[..20].copy_from_slice(&[0x03; 20]);
        k.0[20] = (i % 7) as u8;
    }
    k
}

/// The stored-prefix model the layout replaced: each internal node's prefix is the common
/// prefix of all keys below it, masked at its split. Checks that the derived prefix (first
/// `split` bits of `any_key`, of the walk's end key, and of the pruned hint on witnesses)
/// is that prefix at every node, with the keys below in the model's order.
fn check_derived_prefixes(node: &Link) -> Vec<H256> {
    match node {
        Link::Leaf(leaf) => vec![*leaf.key()],
        Link::Pruned(pruned) => vec![pruned.hint],
        Link::Internal(int) => {
            let mut keys = check_derived_prefixes(int.left());
            let right = check_derived_prefixes(int.right());
            keys.extend(right);
            let model = bits::masked(&keys[0], u16::from(int.split));
            for key in &keys {
                assert!(bits::agree(key, &model, u16::from(int.split)));
            }
            let split = u16::from(int.split);
            assert_eq!(bits::masked(node.any_key(), split), model);
            for key in &keys {
                assert_eq!(bits::masked(node.path_key(key, 256), split), model);
            }
            keys
        }
    }
}

#[test]
fn derived_prefixes_match_the_stored_prefix_model() {
    let mut tree: Tree = (0..600u64).map(|i| (mixed_key(i), vec![i as u8])).collect();
    for i in 0..200u64 {
        tree.delete(&mixed_key(i * 3)).unwrap();
    }
    check_derived_prefixes(tree.root.as_ref().unwrap());

    // On a witness, pruned nodes stand for their subtrees with a hint key.
    let mut work = tree.clone();
    work.start_recording();
    for i in 600..640u64 {
        work.set(&mixed_key(i), vec![1]).unwrap();
    }
    work.delete(&mixed_key(1)).unwrap();
    let witness = tree.pruned_to(&work.take_recording());
    check_derived_prefixes(witness.root.as_ref().unwrap());
    let decoded = Tree::from_witness_bytes(&witness.to_witness_bytes()).unwrap();
    check_derived_prefixes(decoded.root.as_ref().unwrap());
    assert_eq!(decoded.root(), tree.root());
    let mut replay = decoded;
    for i in 600..640u64 {
        replay.set(&mixed_key(i), vec![1]).unwrap();
    }
    replay.delete(&mixed_key(1)).unwrap();
    assert_eq!(replay.root(), work.root());
}

#[test]
fn values_of_every_capacity_class_round_trip_and_update_in_place() {
    let lengths = [
        0usize, 1, 32, 33, 48, 49, 64, 65, 80, 81, 96, 97, 128, 129, 1000,
    ];
    let mut tree = Tree::new();
    for (i, len) in lengths.iter().enumerate() {
        tree.set(&random_key(i as u64), vec![i as u8; *len])
            .unwrap();
    }
    let model: Tree = lengths
        .iter()
        .enumerate()
        .map(|(i, len)| (random_key(i as u64), vec![i as u8; *len]))
        .collect();
    assert_eq!(tree.root(), model.root());
    // Grow and shrink across classes (in place where the class allows, else a new leaf).
    for (i, len) in lengths.iter().rev().enumerate() {
        tree.set(&random_key(i as u64), vec![7; *len]).unwrap();
        assert_eq!(
            tree.get(&random_key(i as u64)).unwrap(),
            Some(vec![7; *len])
        );
    }
    let model: Tree = lengths
        .iter()
        .rev()
        .enumerate()
        .map(|(i, len)| (random_key(i as u64), vec![7; *len]))
        .collect();
    assert_eq!(tree.root(), model.root());
}

#[test]
fn node_layout_stays_compact() {
    // One tag and one pointer per link; an internal node holds no prefix (see `node`).
    let sizes: std::collections::BTreeMap<_, _> = node_sizes().into_iter().collect();
    assert_eq!(sizes["Link"], 16);
    assert!(sizes["Internal"] <= 80, "{sizes:?}");
    assert!(sizes["Leaf<32>"] <= 112, "{sizes:?}");
}

#[test]
fn a_tree_built_from_sorted_entries_equals_one_built_by_inserts() {
    for n in [0u64, 1, 2, 3, 50, 700] {
        let mut entries: Vec<(H256, Vec<u8>)> =
            (0..n).map(|i| (mixed_key(i), vec![i as u8; 40])).collect();
        entries.sort();
        entries.dedup_by(|a, b| a.0 == b.0);
        let inserted: Tree = entries.iter().cloned().collect();
        let built = Tree::from_sorted(entries.clone()).unwrap();
        assert_eq!(built.root(), inserted.root(), "{n} entries");
        assert_eq!(built.to_witness_bytes(), inserted.to_witness_bytes());
        if let Some(root) = built.root.as_ref() {
            check_derived_prefixes(root);
        }
        if entries.len() >= 2 {
            entries.swap(0, 1);
            assert!(Tree::from_sorted(entries).is_none(), "not ascending");
        }
    }
}

/// The one-walk lookups (`ops::get_unrecorded` and `ops::first_with_prefix_unrecorded`,
/// what an unrecorded `get` and `first_with_prefix` use) answer as the two-walk `ops::get`
/// and `ops::first_with_prefix` for present and absent keys and prefixes of 1 to 32 bytes,
/// on a full tree and on a witness, where they hand a walk that meets a pruned node back.
#[test]
fn the_one_walk_lookup_answers_as_get_on_full_trees_and_witnesses() {
    let mut tree: Tree = (0..600u64).map(|i| (mixed_key(i), vec![i as u8])).collect();
    for i in 0..200u64 {
        tree.delete(&mixed_key(i * 3)).unwrap();
    }
    let mut work = tree.clone();
    work.start_recording();
    for i in (1..80u64).step_by(7) {
        work.get(&mixed_key(i)).unwrap();
    }
    let witness = tree.pruned_to(&work.take_recording());
    let mut handed_back = 0;
    for t in [&tree, &witness] {
        let root = t.root.as_ref().unwrap();
        for i in 0..700u64 {
            let k = mixed_key(i);
            let two_walks = ops::get(root, &k, &mut node::Opener::new(None, k));
            match ops::get_unrecorded(root, &k) {
                Some(found) => assert_eq!(Ok(found), two_walks, "key {i}"),
                None => handed_back += 1,
            }
            assert_eq!(t.lookup(&k), two_walks, "key {i}");
            for len in [1usize, 2, 3, 32] {
                let (padded, bits) = bits::padded_prefix(&k.0[..len]).unwrap();
                let two_walks = ops::first_with_prefix(
                    root,
                    &padded,
                    bits,
                    &mut node::Opener::new(None, padded),
                )
                .map(|leaf| leaf.map(|l| *l.key()));
                match ops::first_with_prefix_unrecorded(root, &padded, bits) {
                    Some(found) => assert_eq!(
                        Ok(found.map(|l| *l.key())),
                        two_walks,
                        "key {i}, {len} bytes"
                    ),
                    None => handed_back += 1,
                }
            }
        }
    }
    assert!(
        handed_back > 0,
        "some walks on the witness meet a pruned node"
    );
}

/// The in-place writes (`ops::insert_unrecorded` and `ops::delete_unrecorded`, what an
/// unrecorded `set` and `delete` use, and undo) do what the recursive `ops::insert` and
/// `ops::delete` do, result and tree alike: on an unshared tree (updated in place), on one
/// whose nodes a clone still holds (a shared node hands the walk on), and on a witness
/// (a pruned node hands the whole write back, and both give the same error). The clone's
/// contents never change.
#[test]
fn the_in_place_writes_do_what_the_recursive_ones_do() {
    let base: Tree = (0..600u64).map(|i| (mixed_key(i), vec![i as u8])).collect();
    let mut recorder = base.clone();
    recorder.start_recording();
    for i in (1..90u64).step_by(5) {
        recorder.get(&mixed_key(i)).unwrap();
    }
    let witness = base.pruned_to(&recorder.take_recording());
    let held = base.clone();
    // Hashes cached on the shared nodes, so a hash not forgotten shows as a wrong root.
    let held_root = held.root();
    for (name, start) in [("shared", &base), ("witness", &witness)] {
        let mut fast = start.clone();
        // Every node starts shared (with `held` and `start`): the first writes copy their
        // paths, so later walks cross from owned nodes to shared ones.
        let mut slow = start.clone();
        for step in 0..1_500u64 {
            let k = mixed_key((step * 7) % 800);
            let (f, s) = (fast.root.as_mut().unwrap(), slow.root.as_mut().unwrap());
            if step % 3 == 2 {
                let got = ops::delete_unrecorded(f, &k);
                let want = ops::delete(s, &k, &mut node::Opener::new(None, k));
                assert_eq!(got, want, "{name}: delete at step {step}");
            } else {
                let value = vec![(step % 5) as u8; 1 + (step % 40) as usize];
                let got = ops::insert_unrecorded(f, &k, &value);
                let want = ops::insert(s, &k, &value, &mut node::Opener::new(None, k));
                assert_eq!(got, want, "{name}: insert at step {step}");
            }
            if step % 50 == 0 {
                assert_eq!(fast.root(), slow.root(), "{name}: root after step {step}");
            }
        }
        assert_eq!(fast.root(), slow.root(), "{name}: final root");
        if name == "shared" {
            let (a, b): (Vec<_>, Vec<_>) = (fast.iter().collect(), slow.iter().collect());
            assert_eq!(a, b, "same contents");
        }
    }
    assert_eq!(held.root(), held_root, "the clone is untouched");
}

/// The root one hash at a time (`Link::hash`), never through the lanes.
fn root_one_at_a_time(tree: &Tree) -> H256 {
    tree.root
        .as_ref()
        .map_or(EMPTY_ROOT, |root| root.hash(&tree.hashes))
}

/// Hashing in lanes gives the one-at-a-time root and counts the same hashes: two trees
/// take the same writes (values of every length, some over one keccak block; deletes that
/// re-join subtrees), one hashed through the planned rounds and one without, checked every
/// few writes so that both small and large changed sets are hashed; then on a witness.
/// Without AVX-512F the rounds are hashed one at a time, so the planning is checked on
/// every CPU and the lanes where there are some.
#[test]
fn hashing_in_lanes_gives_the_one_at_a_time_root() {
    let lanes = keccak_lanes::Lanes8::detect();
    let (mut laned, mut single) = (Tree::new(), Tree::new());
    for step in 0..3_000u64 {
        let k = mixed_key((step * 13) % 700);
        if step % 4 == 3 {
            laned.delete(&k).unwrap();
            single.delete(&k).unwrap();
        } else {
            let value = vec![(step % 251) as u8; (step * 7 % 170) as usize];
            laned.set(&k, value.clone()).unwrap();
            single.set(&k, value).unwrap();
        }
        if step % (1 + step % 37) == 0 {
            if let Some(root) = &laned.root {
                lanes::fill(root, &laned.hashes, lanes);
            }
            let want = root_one_at_a_time(&single);
            assert_eq!(root_one_at_a_time(&laned), want, "root after step {step}");
            assert_eq!(
                laned.hash_count(),
                single.hash_count(),
                "hashes counted, step {step}"
            );
        }
    }
    let mut recorder = single.clone();
    recorder.start_recording();
    for i in (0..700u64).step_by(9) {
        recorder.get(&mixed_key(i)).unwrap();
    }
    let witness = single.pruned_to(&recorder.take_recording());
    let (mut laned, mut single) = (witness.clone(), witness);
    for i in (0..700u64).step_by(9) {
        laned.set(&mixed_key(i), vec![7; 33]).unwrap();
        single.set(&mixed_key(i), vec![7; 33]).unwrap();
    }
    lanes::fill(laned.root.as_ref().unwrap(), &laned.hashes, lanes);
    assert_eq!(
        root_one_at_a_time(&laned),
        root_one_at_a_time(&single),
        "witness root"
    );
    assert_eq!(
        laned.hash_count(),
        single.hash_count(),
        "witness hashes counted"
    );
}
