//! The `rejected` cases of `tree.json`: honest proofs with one thing changed (a sibling bit,
//! the step list, the encoding's length or tag, the value, the key, the root, the claim),
//! each with the stage that refuses it (`decode` or `verify`) and the reference verifier's
//! exact error (`ProofError::…` / `DecodeError::…`). The test asserts every one is refused.

use super::{ProvenState, book_side_with, hex0x, variant_name};
use protocol::codec::{Decode, Encode};
use protocol::engine::keys::account_key;
use protocol::primitives::H256;
use protocol::tree::{Proof, Terminal};
use serde_json::{Value, json};

/// What a proof is offered as evidence for.
enum Claim {
    /// `verify_inclusion(root, key, value)`.
    Inclusion { key: H256, value: Vec<u8> },
    /// `verify_first_with_prefix(root, prefix)`.
    FirstWithPrefix { prefix: Vec<u8> },
}

/// One proof that must be refused: the bytes, the claim and the root they are checked against.
struct Mutant {
    what: &'static str,
    claim: Claim,
    root: H256,
    encoding: Vec<u8>,
}

/// Why the reference code refused a mutant: stage, error variant and its message.
struct Refusal {
    stage: &'static str,
    error: String,
    message: String,
}

pub(super) fn cases(state: &ProvenState) -> Vec<Value> {
    let honest = Honest::of(state);
    let mut mutants = proof_edits(&honest);
    mutants.extend(byte_edits(&honest));
    mutants.extend(claim_edits(state, &honest));
    mutants.extend(prefix_mutants(state));
    mutants.iter().map(|m| case(state, m)).collect()
}

fn case(state: &ProvenState, mutant: &Mutant) -> Value {
    let refusal = refusal(mutant).unwrap_or_else(|| panic!("{} was accepted", mutant.what));
    let root_name = if mutant.root == state.root {
        "state_root"
    } else {
        "other_root"
    };
    json!({
        "what": mutant.what,
        "claim": claim_json(&mutant.claim),
        "root": hex0x(&mutant.root.0),
        "root_is": root_name,
        "proof_encoding_hex": hex0x(&mutant.encoding),
        "rejected_at": refusal.stage,
        "error": refusal.error,
        "error_message": refusal.message,
    })
}

fn claim_json(claim: &Claim) -> Value {
    match claim {
        Claim::Inclusion { key, value } => json!({
            "kind": "inclusion",
            "key": hex0x(&key.0),
            "value_hex": hex0x(value),
        }),
        Claim::FirstWithPrefix { prefix } => json!({
            "kind": "first_with_prefix",
            "prefix_hex": hex0x(prefix),
        }),
    }
}

/// Decodes and verifies the mutant as the reference verifier does; `None` if it passes.
fn refusal(mutant: &Mutant) -> Option<Refusal> {
    let proof = match Proof::decode(&mutant.encoding) {
        Ok(proof) => proof,
        Err(e) => {
            return Some(Refusal {
                stage: "decode",
                error: variant_name("DecodeError", &e),
                message: e.to_string(),
            });
        }
    };
    let verdict = match &mutant.claim {
        Claim::Inclusion { key, value } => proof.verify_inclusion(&mutant.root, key, value),
        Claim::FirstWithPrefix { prefix } => proof
            .verify_first_with_prefix(&mutant.root, prefix)
            .map(|_| ()),
    };
    verdict.err().map(|e| Refusal {
        stage: "verify",
        error: variant_name("ProofError", &e),
        message: e.to_string(),
    })
}

/// The honest inclusion proof of the first depositor's account, with its claim.
struct Honest {
    key: H256,
    value: Vec<u8>,
    root: H256,
    proof: Proof,
}

impl Honest {
    fn of(state: &ProvenState) -> Honest {
        let key = account_key(&state.trader);
        let value = state.tree.lookup(&key).expect("full tree");
        let proof = state.tree.prove(&key).expect("full tree");
        assert!(
            proof.steps.len() >= 2,
            "the account's path has several steps"
        );
        Honest {
            key,
            value: value.expect("the first depositor has an account").to_vec(),
            root: state.root,
            proof,
        }
    }

    /// The honest claim (key, value, root) with other proof bytes.
    fn with_bytes(&self, what: &'static str, encoding: Vec<u8>) -> Mutant {
        let claim = Claim::Inclusion {
            key: self.key,
            value: self.value.clone(),
        };
        Mutant {
            what,
            claim,
            root: self.root,
            encoding,
        }
    }

    /// The honest claim with the proof edited by `edit`, re-encoded canonically.
    fn edited(&self, what: &'static str, edit: impl FnOnce(&mut Proof)) -> Mutant {
        let mut proof = self.proof.clone();
        edit(&mut proof);
        self.with_bytes(what, proof.encode())
    }
}

/// The key and value hash of a leaf terminal.
fn leaf_of(proof: &mut Proof) -> (&mut H256, &mut H256) {
    match &mut proof.terminal {
        Terminal::Leaf { key, value_hash } => (key, value_hash),
        other => panic!("an inclusion proof ends at a leaf, not {other:?}"),
    }
}

/// Structural edits of the honest proof.
fn proof_edits(honest: &Honest) -> Vec<Mutant> {
    vec![
        honest.edited(
            "inclusion proof, lowest bit of the first step's sibling hash flipped",
            |p| p.steps[0].sibling.0[31] ^= 0x01,
        ),
        honest.edited(
            "inclusion proof, step list truncated: last step removed (count − 1)",
            |p| p.steps.truncate(p.steps.len() - 1),
        ),
        honest.edited("inclusion proof, first step removed (count − 1)", |p| {
            p.steps = p.steps[1..].to_vec()
        }),
        honest.edited(
            "inclusion proof, first two steps swapped (splits no longer increase)",
            |p| p.steps.swap(0, 1),
        ),
        honest.edited(
            "inclusion proof, top bit of the terminal's value hash flipped",
            |p| leaf_of(p).1.0[0] ^= 0x80,
        ),
        honest.edited(
            "inclusion proof, lowest bit of the terminal leaf's key flipped",
            |p| leaf_of(p).0.0[31] ^= 0x01,
        ),
    ]
}

/// Edits of the honest proof's bytes that no longer decode.
fn byte_edits(honest: &Honest) -> Vec<Mutant> {
    let bytes = honest.proof.encode();
    let mut trailing = bytes.clone();
    trailing.push(0x00);
    let mut bad_tag = bytes.clone();
    bad_tag[4 + 33 * honest.proof.steps.len()] = 0x03;
    vec![
        honest.with_bytes(
            "inclusion proof, encoding cut short by its last byte",
            bytes[..bytes.len() - 1].to_vec(),
        ),
        honest.with_bytes("inclusion proof, one zero byte appended", trailing),
        honest.with_bytes(
            "inclusion proof, terminal tag 0x01 replaced by the unknown tag 0x03",
            bad_tag,
        ),
    ]
}

/// Honest proof bytes offered for something they do not prove.
fn claim_edits(state: &ProvenState, honest: &Honest) -> Vec<Mutant> {
    let encoding = honest.proof.encode();
    let reclaimed = |what, edit: &dyn Fn(&mut Mutant)| {
        let mut mutant = honest.with_bytes(what, encoding.clone());
        edit(&mut mutant);
        mutant
    };
    let absent = H256([0xee; 32]);
    let absent_proof = state.tree.prove(&absent).expect("full tree").encode();
    vec![
        reclaimed(
            "inclusion proof, value changed (first byte's lowest bit flipped)",
            &|m| claimed(m).1[0] ^= 0x01,
        ),
        reclaimed(
            "inclusion proof offered for another key (the proven key's lowest bit flipped): \
             it proves that key absent",
            &|m| claimed(m).0.0[31] ^= 0x01,
        ),
        reclaimed(
            "inclusion proof checked against another root (the batch's pre-state root)",
            &|m| m.root = state.other_root,
        ),
        reclaimed(
            "exclusion proof of the absent key 0xee…ee offered as its inclusion proof",
            &|m| {
                *claimed(m).0 = absent;
                m.encoding = absent_proof.clone();
            },
        ),
    ]
}

/// The key and value of an inclusion claim.
fn claimed(mutant: &mut Mutant) -> (&mut H256, &mut Vec<u8>) {
    match &mut mutant.claim {
        Claim::Inclusion { key, value } => (key, value),
        Claim::FirstWithPrefix { .. } => panic!("not an inclusion claim"),
    }
}

/// A first-with-prefix claim for `prefix` against the state root.
fn first_claim(
    state: &ProvenState,
    what: &'static str,
    prefix: &[u8],
    encoding: Vec<u8>,
) -> Mutant {
    Mutant {
        what,
        claim: Claim::FirstWithPrefix {
            prefix: prefix.to_vec(),
        },
        root: state.root,
        encoding,
    }
}

/// First-with-prefix claims for a book side with two orders, with proofs of other things.
fn prefix_mutants(state: &ProvenState) -> Vec<Mutant> {
    let (_, book) = book_side_with(state, 2);
    let prove = |key: &H256| state.tree.prove(key).expect("full tree").encode();
    let no_0x09 = state
        .tree
        .prove_first_with_prefix(&[0x09])
        .expect("full tree");
    let mut mutants = vec![
        first_claim(
            state,
            "first-with-prefix claim for the book side, with the inclusion proof of its second \
             order",
            &book,
            prove(&second_key_with(state, &book)),
        ),
        first_claim(
            state,
            "first-with-prefix claim for the book side, with the key proof of the zero-padded \
             prefix",
            &book,
            prove(&zero_padded(&book)),
        ),
        first_claim(
            state,
            "first-with-prefix claim for the book side, with the proof that no key starts with \
             0x09",
            &book,
            no_0x09.encode(),
        ),
    ];
    mutants.extend(misapplied_prefix_proofs(state, &book));
    mutants
}

/// The honest first-with-prefix proof of `book` for a 33-byte prefix and for another root.
fn misapplied_prefix_proofs(state: &ProvenState, book: &[u8]) -> Vec<Mutant> {
    let honest = state.tree.prove_first_with_prefix(book).expect("full tree");
    let too_long = [zero_padded(book).0.as_slice(), &[0x00]].concat();
    let mut other_root = first_claim(
        state,
        "first-with-prefix proof of the book side checked against another root (the batch's \
         pre-state root)",
        book,
        honest.encode(),
    );
    other_root.root = state.other_root;
    let too_long = first_claim(
        state,
        "first-with-prefix claim for a 33-byte prefix (the padded book prefix and one more \
         zero byte)",
        &too_long,
        honest.encode(),
    );
    vec![too_long, other_root]
}

/// `prefix` padded with zero bytes to 32.
fn zero_padded(prefix: &[u8]) -> H256 {
    let mut padded = H256::ZERO;
    padded.0[..prefix.len()].copy_from_slice(prefix);
    padded
}

/// The second smallest key starting with `prefix`.
fn second_key_with(state: &ProvenState, prefix: &[u8]) -> H256 {
    let mut keys = state.tree.iter().map(|(k, _)| *k);
    let mut with_prefix = keys.by_ref().filter(|k| k.0.starts_with(prefix));
    with_prefix.nth(1).expect("two keys with the prefix")
}
