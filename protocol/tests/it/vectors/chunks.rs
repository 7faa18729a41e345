//! `docs/vectors/chunks.json`: chunk executions that together give every receipt status
//! (Part 4 §13). Each case is one chunk: its pre-state as a witness (the full pre-state
//! pruned to the nodes the chunk opens, Part 3 §6), the block time, the transactions, the
//! expected receipts, the chunk's receipts root (Part 5 §3) and its post-state root.
//!
//! The test builds each case on the full tree while recording the witness, then replays
//! the published bytes (decoded witness, decoded transactions) the way an adjudicator does
//! and requires the same receipts and roots. It also requires the cases to produce exactly
//! the statuses not listed as unreachable, and on the devnet genesis exactly those that
//! need no other genesis.

mod cases;
mod world;

use super::{hex0x, variant_name, write_or_check};
use cases::{Case, CaseTx, DEVNET};
use protocol::action::Tx;
use protocol::batch::{ChunkExecutor, domain_separator, execute_tx, receipts_root, verify_tx};
use protocol::codec::{Decode, Encode};
use protocol::engine::{BlockContext, Receipt, Status};
use protocol::genesis::Genesis;
use protocol::primitives::H256;
use protocol::tree::Tree;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use world::{TRADER_NAMES, TRADER_SEED, World};

/// Statuses no transaction can produce, with the reason (printed in the file). None:
/// `queue_index_mismatch` is reached by the chunk executor (a settlement layer never
/// accepts such a batch, see the `l1_queue` case), and the two below need another genesis.
const UNREACHABLE: &[(Status, &str)] = &[(
    Status::BulkModifyItemCount,
    "a BulkModify with no item or more than 16 does not decode (binary or JSON), so no \
     transaction of a chunk can carry one; the STF checks the count again for actions built \
     in memory",
)];

/// Statuses the devnet genesis cannot produce, with the reason; their cases run on a
/// variant of it (named in the file's `geneses`).
const NOT_ON_DEVNET: &[(Status, &str)] = &[
    (
        Status::TooManyPositions,
        "the devnet lists ten series an expiry beside two perps, fewer than the 16 position \
         slots of an account",
    ),
    (
        Status::InvalidLot,
        "every devnet market has lot_size 1, so every size is a multiple of the lot",
    ),
    (
        Status::ArithmeticOverflow,
        "the devnet's bounds (price band 10 %, fees ≤ 5 bps, open-interest caps 10^8 and \
         10^9) keep every product far inside i128; only parameters at the edges \
         Genesis::validate allows reach it",
    ),
];

/// What an adjudicator computes from the published bytes of one case.
struct Replay {
    receipts: Vec<Receipt>,
    /// The state root after each transaction.
    roots: Vec<H256>,
    receipts_root: H256,
    post_root: H256,
}

#[test]
fn chunk_vectors() {
    let cases = cases::all();
    let executed: Vec<Value> = cases.iter().map(executed_case).collect();
    assert_statuses_covered(&cases);
    let value = json!({
        "description": "one chunk per case, executed on its pre-state witness at its block \
                        time (Parts 3 §6, 4, 5 §3-4): together the cases produce every receipt \
                        status",
        "geneses": geneses(&cases),
        "traders": traders(),
        "statuses_covered": status_codes(cases.iter().flat_map(|c| c.txs.iter().map(|t| t.expect))),
        "statuses_unreachable": reasons(UNREACHABLE),
        "statuses_not_on_devnet": reasons(NOT_ON_DEVNET),
        "cases": executed,
    });
    write_or_check("chunks.json", &value);
}

/// The set of statuses the cases produce is every status but `UNREACHABLE`, and on the
/// devnet genesis every status but those and `NOT_ON_DEVNET`.
fn assert_statuses_covered(cases: &[Case]) {
    let covered = |devnet_only: bool| -> BTreeSet<Status> {
        let cases = cases
            .iter()
            .filter(|c| !devnet_only || c.genesis_name == DEVNET);
        cases.flat_map(|c| c.txs.iter().map(|t| t.expect)).collect()
    };
    let all_but = |lists: &[&[(Status, &str)]]| -> BTreeSet<Status> {
        let excluded: BTreeSet<Status> = lists.iter().flat_map(|l| l.iter().map(|e| e.0)).collect();
        Status::ALL
            .iter()
            .copied()
            .filter(|s| !excluded.contains(s))
            .collect()
    };
    assert_eq!(covered(false), all_but(&[UNREACHABLE]), "statuses covered");
    assert_eq!(
        covered(true),
        all_but(&[UNREACHABLE, NOT_ON_DEVNET]),
        "statuses covered on the devnet genesis"
    );
}

fn status_codes(statuses: impl Iterator<Item = Status>) -> Vec<&'static str> {
    let set: BTreeSet<Status> = statuses.collect();
    set.into_iter().map(Status::code).collect()
}

fn reasons(list: &[(Status, &str)]) -> Vec<Value> {
    list.iter()
        .map(|(status, reason)| {
            json!({ "status": status.code(), "number": status.number(), "reason": reason })
        })
        .collect()
}

/// Every genesis a case uses, by name: JSON, canonical bytes, hash and domain separator.
fn geneses(cases: &[Case]) -> BTreeMap<&'static str, Value> {
    cases
        .iter()
        .map(|case| {
            let g = &case.genesis;
            let value = json!({
                "genesis": serde_json::to_value(g).expect("genesis serializes"),
                "encoding_hex": hex0x(&g.encode()),
                "genesis_hash": hex0x(&g.hash().0),
                "domain_separator": hex0x(&domain_separator(g).0),
            });
            (case.genesis_name, value)
        })
        .collect()
}

/// The traders' names and addresses (keys: `workload::dev_key("vigil-trader", seed, index)`).
fn traders() -> Vec<Value> {
    let world = World::devnet();
    TRADER_NAMES
        .iter()
        .enumerate()
        .map(|(index, name)| {
            json!({
                "name": name,
                "workload_seed": TRADER_SEED,
                "index": index,
                "address": hex0x(&world.address(index).0),
            })
        })
        .collect()
}

/// Executes `case` on the full pre-state while recording, builds the witness, replays the
/// published bytes on it, and prints the case.
fn executed_case(case: &Case) -> Value {
    let txs: Vec<Tx> = case.txs.iter().map(|t| t.tx.clone()).collect();
    assert!(
        txs.len() <= case.genesis.checkpoint_interval_txs as usize,
        "{}: one chunk",
        case.name
    );
    let ctx = BlockContext {
        timestamp_ms: case.timestamp_ms,
    };
    let executor = ChunkExecutor::new(&case.genesis, &txs, ctx, None);
    let mut recorded = case.pre_state.clone();
    recorded.start_recording();
    let receipts = executor.execute(&mut recorded, 0).expect("full tree");
    let witness = case
        .pre_state
        .pruned_to(&recorded.take_recording())
        .to_witness_bytes();
    let encodings: Vec<Vec<u8>> = txs.iter().map(Encode::encode).collect();
    let replay = replay(case, &witness, &encodings);
    assert_eq!(replay.receipts, receipts, "{}: witness replay", case.name);
    assert_eq!(
        replay.post_root,
        recorded.root(),
        "{}: post-state root",
        case.name
    );
    for (tx, receipt) in case.txs.iter().zip(&receipts) {
        assert_eq!(
            receipt.status, tx.expect,
            "{}: {}: {receipt:?}",
            case.name, tx.why
        );
    }
    case_json(case, &witness, &replay)
}

/// Decodes the witness and the transactions and runs them as the adjudicator does (the
/// chunk executor), and one by one for the intermediate roots; both must agree.
fn replay(case: &Case, witness: &[u8], encodings: &[Vec<u8>]) -> Replay {
    let mut tree = Tree::from_witness_bytes(witness).expect("the witness decodes");
    assert_eq!(
        tree.root(),
        case.pre_state.root(),
        "{}: witness root",
        case.name
    );
    let txs: Vec<Tx> = encodings
        .iter()
        .map(|b| Tx::decode(b).expect("decodes"))
        .collect();
    let ctx = BlockContext {
        timestamp_ms: case.timestamp_ms,
    };
    let mut chunks = ChunkExecutor::new(&case.genesis, &txs, ctx, None).chunks(tree.clone());
    let chunk = chunks
        .next()
        .expect("one chunk")
        .expect("the witness is complete");
    assert!(chunks.next().is_none(), "{}: exactly one chunk", case.name);
    let domain = domain_separator(&case.genesis);
    let (receipts, roots): (Vec<Receipt>, Vec<H256>) = txs
        .iter()
        .map(|tx| {
            let receipt = execute_tx(&mut tree, &case.genesis, &domain, &ctx, tx);
            (receipt.expect("the witness is complete"), tree.root())
        })
        .unzip();
    assert_eq!((&chunk.receipts, chunk.post_root), (&receipts, tree.root()));
    assert_eq!(chunk.receipts_root, receipts_root(&receipts));
    Replay {
        receipts,
        roots,
        receipts_root: chunk.receipts_root,
        post_root: chunk.post_root,
    }
}

fn case_json(case: &Case, witness: &[u8], replay: &Replay) -> Value {
    let txs: Vec<Value> = (0..case.txs.len())
        .map(|i| tx_json(case, i, replay))
        .collect();
    json!({
        "name": case.name,
        "what": case.what,
        "genesis": case.genesis_name,
        "timestamp_ms": case.timestamp_ms,
        "pre_state_root": hex0x(&case.pre_state.root().0),
        "witness_hex": hex0x(witness),
        "witness_len": witness.len(),
        "txs": txs,
        "receipts_root": hex0x(&replay.receipts_root.0),
        "post_state_root": hex0x(&replay.post_root.0),
        "statuses": case.txs.iter().map(|t| t.expect.code()).collect::<Vec<_>>(),
    })
}

fn tx_json(case: &Case, index: usize, replay: &Replay) -> Value {
    let CaseTx { why, tx, .. } = &case.txs[index];
    let receipt = &replay.receipts[index];
    json!({
        "why": why,
        "tx": serde_json::to_value(tx).expect("tx serializes"),
        "encoding_hex": hex0x(&tx.encode()),
        "hash": hex0x(&tx.hash().0),
        "signature_outcome": signature_outcome(&case.genesis, tx),
        "receipt": serde_json::to_value(receipt).expect("receipt serializes"),
        "receipt_encoding_hex": hex0x(&receipt.encode()),
        "receipt_hash": hex0x(&receipt.hash().0),
        "post_state_root": hex0x(&replay.roots[index].0),
    })
}

/// What signature verification hands the engine (Part 5 §4 step 1): the verified signer,
/// or the error; `null` for deposits, which carry no signature.
fn signature_outcome(genesis: &Genesis, tx: &Tx) -> Value {
    if let Tx::L1 {
        message: protocol::action::L1Message::Deposit { .. },
        ..
    } = tx
    {
        return Value::Null;
    }
    match verify_tx(tx, &domain_separator(genesis), &genesis.oracles) {
        Ok(signer) => json!({ "signer": hex0x(&signer.0) }),
        Err(e) => json!({
            "error": variant_name("SignatureError", &e),
            "message": e.to_string(),
        }),
    }
}
