//! `docs/vectors/tree.json`: proofs against the state root after `batch.json`'s batch
//! (docs/PROTOCOL.md Part 3 §5). Key proofs (inclusion and exclusion), first-with-prefix
//! proofs (prefixes with a first key and prefixes with none), and mutated proofs that the
//! verifier must reject, each with the exact error the reference verifier returns.

mod rejected;

use super::{hex0x, variant_name, vector_batch, write_or_check};
use protocol::batch::{execute_batch, genesis_tree};
use protocol::codec::Encode;
use protocol::engine::keys::{account_key, book_side_prefix, market_key};
use protocol::primitives::{Address, H256, keccak256};
use protocol::state::State;
use protocol::tree::{Proof, Terminal, Tree};
use serde_json::{Value, json};

/// The state after the vector batch, with the batch's pre-state root (another root a
/// proof can be misapplied to) and the first depositor (whose account leaf is proven).
struct ProvenState {
    tree: Tree,
    root: H256,
    other_root: H256,
    trader: Address,
}

fn proven_state() -> ProvenState {
    let (genesis, batch, _) = vector_batch();
    let mut tree = genesis_tree(&genesis);
    execute_batch(&mut tree, &genesis, &batch).expect("full tree");
    let root = tree.root();
    assert_eq!(root, batch.header.post_state_root);
    let trader = match &batch.txs[0] {
        protocol::action::Tx::L1 {
            message: protocol::action::L1Message::Deposit { account, .. },
            ..
        } => *account,
        other => panic!("the vector batch opens with a deposit, not {other:?}"),
    };
    ProvenState {
        tree,
        root,
        other_root: batch.header.prev_state_root,
        trader,
    }
}

/// Inclusion, exclusion, first-with-prefix and rejected proofs, all against one root.
#[test]
fn tree_proof_vectors() {
    let state = proven_state();
    let value = json!({
        "description": "proofs against the state root after batch.json's batch (Part 3 §5): \
                        inclusion of two leaves and exclusion of one key (cases), \
                        first-with-prefix proofs (first_with_prefix), and mutated proofs every \
                        verifier must reject (rejected)",
        "state_root": hex0x(&state.root.0),
        "cases": key_cases(&state),
        "first_with_prefix": prefix_cases(&state),
        "rejected": rejected::cases(&state),
    });
    write_or_check("tree.json", &value);
}

/// The name of the terminal's kind, as the vectors print it.
fn terminal_kind(proof: &Proof) -> &'static str {
    match proof.terminal {
        Terminal::Empty => "empty",
        Terminal::Leaf { .. } => "leaf",
        Terminal::Internal { .. } => "internal",
    }
}

fn key_cases(state: &ProvenState) -> Vec<Value> {
    let absent = H256([0xee; 32]);
    [
        ("account of the first depositor", account_key(&state.trader)),
        ("market 1 (BTC-PERP)", market_key(1)),
        ("an absent key", absent),
    ]
    .into_iter()
    .map(|(what, key)| key_case(state, what, key))
    .collect()
}

fn key_case(state: &ProvenState, what: &str, key: H256) -> Value {
    let proof = state.tree.prove(&key).expect("full tree");
    let value = state.tree.lookup(&key).expect("full tree").map(hex0x);
    let verdict = proof
        .verify(&state.root, &key)
        .expect("a proof of our own verifies");
    assert_eq!(verdict.is_some(), value.is_some(), "{what}");
    json!({
        "what": what,
        "key": hex0x(&key.0),
        "value_hex": value,
        "value_hash": verdict.map(|h| hex0x(&h.0)),
        "proof_encoding_hex": hex0x(&proof.encode()),
        "proof_steps": proof.steps.len(),
    })
}

/// The first order-book side (market, side) with at least `min` resting orders, or with
/// none when `min` is 0; markets 1 and 2, bids (0) before asks (1).
fn book_side_with(state: &ProvenState, min: usize) -> (String, Vec<u8>) {
    let sides = [(1u32, 0u8), (1, 1), (2, 0), (2, 1)];
    let count = |prefix: &[u8]| {
        state
            .tree
            .iter()
            .filter(|(k, _)| k.0.starts_with(prefix))
            .count()
    };
    let (market, side, prefix) = sides
        .into_iter()
        .map(|(m, s)| (m, s, book_side_prefix(m, s).to_vec()))
        .find(|(_, _, p)| {
            if min == 0 {
                count(p) == 0
            } else {
                count(p) >= min
            }
        })
        .expect("the vector batch leaves such a book side");
    let side_name = ["bids", "asks"][usize::from(side)];
    let what = format!("order book of market {market}, {side_name} (0x03 ‖ market u32 ‖ side)");
    (what, prefix)
}

/// The prefixes proven: the empty prefix, the account kind, a book side with orders, a
/// whole key, and three prefixes that no key starts with.
fn prefix_claims(state: &ProvenState) -> Vec<(String, Vec<u8>)> {
    let (book_what, book) = book_side_with(state, 2);
    let (empty_what, empty_book) = book_side_with(state, 0);
    let trader_key = account_key(&state.trader).0.to_vec();
    vec![
        ("the empty prefix: the smallest key".into(), vec![]),
        ("accounts (kind 0x01)".into(), vec![0x01]),
        (book_what, book),
        (
            "a whole 32-byte key: the first depositor's account".into(),
            trader_key,
        ),
        (format!("{empty_what}: no resting order"), empty_book),
        ("kind 0x09: no such record kind".into(), vec![0x09]),
        ("a 32-byte key that is absent".into(), vec![0xee; 32]),
    ]
}

fn prefix_cases(state: &ProvenState) -> Vec<Value> {
    prefix_claims(state)
        .into_iter()
        .map(|(what, prefix)| prefix_case(state, &what, &prefix))
        .collect()
}

fn prefix_case(state: &ProvenState, what: &str, prefix: &[u8]) -> Value {
    let proof = state
        .tree
        .prove_first_with_prefix(prefix)
        .expect("full tree");
    let verdict = proof
        .verify_first_with_prefix(&state.root, prefix)
        .expect("a proof of our own verifies");
    let expected = State::first_with_prefix(&mut state.tree.clone(), prefix).expect("full tree");
    let expected_hashed = expected.as_ref().map(|(k, v)| (*k, keccak256(v)));
    assert_eq!(verdict, expected_hashed, "{what}");
    let result = expected.map(|(key, value)| {
        json!({
            "key": hex0x(&key.0),
            "value_hex": hex0x(&value),
            "value_hash": hex0x(&keccak256(&value).0),
        })
    });
    json!({
        "what": what,
        "prefix_hex": hex0x(prefix),
        "proof_encoding_hex": hex0x(&proof.encode()),
        "proof_steps": proof.steps.len(),
        "terminal": terminal_kind(&proof),
        "result": result,
    })
}
