//! Every single-byte mutation of an encoded proof is rejected, for one proof of each kind
//! (key/prefix claim × present/absent × terminal kind, plus the empty tree): the mutated
//! bytes either fail to decode or fail to verify for the same claim.

use super::proofs::fixed_tree;
use super::single_byte_mutations;
use protocol::codec::{Decode, Encode};
use protocol::primitives::H256;
use protocol::tree::{EMPTY_ROOT, Proof, Terminal, Tree};

/// What a proof is offered as evidence for.
#[derive(Debug, Clone)]
enum Claim {
    Key(H256),
    Prefix(Vec<u8>),
}

fn accepted(proof: &Proof, root: &H256, claim: &Claim) -> bool {
    match claim {
        Claim::Key(key) => proof.verify(root, key).is_ok(),
        Claim::Prefix(prefix) => proof.verify_first_with_prefix(root, prefix).is_ok(),
    }
}

fn terminal_kind(proof: &Proof) -> &'static str {
    match proof.terminal {
        Terminal::Empty => "empty",
        Terminal::Leaf { .. } => "leaf",
        Terminal::Internal { .. } => "internal",
    }
}

/// For each kind of proof (key/prefix × present/absent × terminal kind), the claim with the
/// longest path among candidates derived from the fixed tree's keys.
fn representative_claims(tree: &Tree) -> Vec<(Claim, Proof)> {
    let root = tree.root();
    let mut candidates = Vec::new();
    for (key, _) in tree.iter() {
        for flip in [0usize, 5, 9, 47, 100, 175, 255] {
            let mut other = *key;
            other.0[flip / 8] ^= 0x80 >> (flip % 8);
            candidates.push(Claim::Key(*key));
            candidates.push(Claim::Key(other));
            candidates.push(Claim::Prefix(other.0[..flip / 8 + 1].to_vec()));
            candidates.push(Claim::Prefix(key.0[..flip / 8].to_vec()));
        }
    }
    let mut best: std::collections::BTreeMap<String, (Claim, Proof)> = Default::default();
    for claim in candidates {
        let (proof, present) = match &claim {
            Claim::Key(k) => {
                let proof = tree.prove(k).unwrap();
                let present = proof.verify(&root, k).unwrap().is_some();
                (proof, present)
            }
            Claim::Prefix(p) => {
                let proof = tree.prove_first_with_prefix(p).unwrap();
                let present = proof.verify_first_with_prefix(&root, p).unwrap().is_some();
                (proof, present)
            }
        };
        let label = format!(
            "{} {present} {}",
            matches!(claim, Claim::Key(_)),
            terminal_kind(&proof)
        );
        let longer = best
            .get(&label)
            .is_none_or(|(_, p)| p.steps.len() < proof.steps.len());
        if longer {
            best.insert(label, (claim, proof));
        }
    }
    let labels: Vec<_> = best.keys().cloned().collect();
    assert_eq!(
        labels,
        [
            "false false internal",
            "false false leaf",
            "false true leaf",
            "true false internal",
            "true false leaf",
            "true true leaf"
        ]
    );
    best.into_values().collect()
}

#[test]
fn every_single_byte_mutation_of_a_proof_is_rejected() {
    let tree = fixed_tree();
    let root = tree.root();
    let mut claims = representative_claims(&tree);
    claims.push((
        Claim::Key(H256::ZERO),
        Tree::new().prove(&H256::ZERO).unwrap(),
    ));
    for (claim, proof) in claims {
        let root = if proof.terminal == Terminal::Empty {
            EMPTY_ROOT
        } else {
            root
        };
        let bytes = proof.encode();
        assert!(
            accepted(&proof, &root, &claim),
            "{claim:?} is valid unmutated"
        );
        for (at, byte, mutated) in single_byte_mutations(&bytes) {
            let fooled = Proof::decode(&mutated).is_ok_and(|p| accepted(&p, &root, &claim));
            assert!(
                !fooled,
                "{claim:?}: byte {at} set to {byte:#04x} was accepted"
            );
        }
        // Truncations and extensions are rejected too.
        for len in 0..bytes.len() {
            assert!(Proof::decode(&bytes[..len]).is_err());
        }
        assert!(Proof::decode(&[bytes.as_slice(), &[0]].concat()).is_err());
    }
}
