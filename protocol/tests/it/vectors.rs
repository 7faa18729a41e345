//! Conformance vectors: the JSON files under `docs/vectors/` that an implementation written
//! from the docs alone runs against itself (docs/PROTOCOL.md, "Conformance vectors").
//!
//! Every value in them is computed here by the real code, so they cannot drift: with
//! `VIGIL_WRITE_VECTORS=1` the test (re)writes the files, otherwise it fails when a committed
//! file differs from what the code produces.
//!
//! This module holds the genesis, signing and batch vectors; `tree` the proofs and
//! `chunks` the chunk executions that cover every receipt status.

mod chunks;
mod tree;

use super::signing::vectors::VECTORS;
use protocol::action::{Action, Signature};
use protocol::batch::genesis_anchor;
use protocol::codec::Encode;
use protocol::genesis::{
    DEVNET_CHAIN_ID, DEVNET_ORACLE_KEY_PREIMAGE, DEVNET_VERIFYING_CONTRACT, Genesis,
    devnet_oracle_key, devnet_oracles,
};
use protocol::primitives::keccak256;
use protocol::signing::{
    DOMAIN_TYPE, DOMAIN_TYPEHASH, address_of, domain_separator, recover_signer, sign_action,
    signing_digest, struct_hash, type_hash,
};
use serde_json::{Value, json};
use std::path::PathBuf;

/// `0x`-prefixed lowercase hex, the docs' byte convention.
fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// `Enum::Variant` of an error, from its `Debug` form (`Variant`, `Variant(..)` or
/// `Variant { .. }`): the name the vectors print for a refusal.
fn variant_name(enum_name: &str, error: &impl std::fmt::Debug) -> String {
    let debug = format!("{error:?}");
    let end = debug.find([' ', '(', '{']).unwrap_or(debug.len());
    format!("{enum_name}::{}", &debug[..end])
}

/// Writes `docs/vectors/<name>` under `VIGIL_WRITE_VECTORS=1`, else checks it is `value`.
fn write_or_check(name: &str, value: &Value) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/vectors")
        .join(name);
    let text = serde_json::to_string_pretty(value).expect("vectors serialize") + "\n";
    if std::env::var_os("VIGIL_WRITE_VECTORS").is_some_and(|v| v == "1") {
        std::fs::write(&path, text).expect("write vector file");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "{} differs from what the code produces; regenerate with \
         `VIGIL_WRITE_VECTORS=1 cargo test -p protocol --test it vectors` and review the diff",
        path.display()
    );
}

/// The devnet genesis as every binary builds it, with its canonical bytes and hashes.
#[test]
fn genesis_vectors() {
    let oracles = devnet_oracles();
    let genesis = Genesis::devnet(DEVNET_CHAIN_ID, DEVNET_VERIFYING_CONTRACT, oracles[0])
        .with_oracles(oracles.clone());
    let encoded = genesis.encode();
    let signers: Vec<Value> = (0..oracles.len())
        .map(|i| {
            let preimage = match i {
                0 => DEVNET_ORACLE_KEY_PREIMAGE.to_vec(),
                i => format!("vigil devnet oracle {i}").into_bytes(),
            };
            json!({
                "key_preimage_ascii": String::from_utf8(preimage.clone()).expect("ASCII"),
                "key_preimage_hex": hex0x(&preimage),
                "secret_key": hex0x(&keccak256(&preimage).0),
                "address": hex0x(&oracles[i].0),
            })
        })
        .collect();
    let value = json!({
        "description": "Genesis::devnet(chain_id, verifying_contract, oracles[0]).with_oracles(oracles): the devnet genesis every binary builds (three oracle signers): parameters, canonical encoding, hash and batch-0 anchor",
        "oracle_signers": signers,
        "genesis": serde_json::to_value(&genesis).expect("genesis serializes"),
        "encoding_hex": hex0x(&encoded),
        "encoding_len": encoded.len(),
        "genesis_hash": hex0x(&genesis.hash().0),
        "anchor_prefix_hex": hex0x(b"vigil-genesis"),
        "genesis_anchor": hex0x(&genesis_anchor(&genesis).0),
    });
    write_or_check("genesis.json", &value);
}

/// Splits a 65-byte signature into the r, s and v the docs print.
fn rsv(signature: &Signature) -> Value {
    json!({
        "r": hex0x(&signature.0[..32]),
        "s": hex0x(&signature.0[32..64]),
        "v": signature.0[64],
        "bytes": hex0x(&signature.0),
    })
}

/// Every eth-account signing vector, printed in full: domain, type string and hash,
/// struct hash, digest, signature and signer.
#[test]
fn eip712_vectors() {
    let domain = domain_separator(DEVNET_CHAIN_ID, &DEVNET_VERIFYING_CONTRACT);
    let cases: Vec<Value> = VECTORS
        .iter()
        .map(|v| {
            let key = super::signing::key_from_hex(v.key);
            let action: Action = serde_json::from_str(v.action).expect("vector action");
            let message: Value = serde_json::from_str(v.action).expect("vector JSON");
            let type_string = action.kind().type_string();
            let digest = signing_digest(&action, &domain);
            let signature = sign_action(&key, action.clone(), &domain).signature;
            let mut case = json!({
                "action": message,
                "type_string": type_string,
                "type_hash": hex0x(&type_hash(&action).0),
                "struct_hash": hex0x(&struct_hash(&action).0),
                "digest": hex0x(&digest.0),
                "signature": rsv(&signature),
                "signer": hex0x(&recover_signer(&digest, &signature).expect("recovers").0),
            });
            // The agent kinds are signed by the agent's key, named where it differs.
            if v.key != super::signing::KEY {
                case["secret_key"] = json!(v.key);
            }
            case
        })
        .collect();
    let value = json!({
        "description": "EIP-712 vectors for every primary type, cross-checked against eth-account 0.14.0; a case with its own secret_key was signed with that key",
        "secret_key": super::signing::KEY,
        "domain": {
            "name": "Vigil",
            "version": "1",
            "chainId": DEVNET_CHAIN_ID,
            "verifyingContract": hex0x(&DEVNET_VERIFYING_CONTRACT.0),
            "type_string": DOMAIN_TYPE,
            "type_hash": hex0x(&DOMAIN_TYPEHASH.0),
            "separator": hex0x(&domain.0),
        },
        "cases": cases,
    });
    write_or_check("eip712.json", &value);
}

/// The first transactions of a seeded workload on the devnet genesis (deposits, the
/// oracle's prices, then orders and cancels), sealed as batch 0 at checkpoint interval
/// `BATCH_VECTOR_K` so it spans several chunks, one of them partial.
fn vector_batch() -> (
    Genesis,
    protocol::batch::Batch,
    Vec<protocol::engine::Receipt>,
) {
    use protocol::batch::{Batch, Draft, genesis_tree};
    use protocol::workload::Workload;
    let oracle_key = devnet_oracle_key();
    let mut genesis = Genesis::devnet(
        DEVNET_CHAIN_ID,
        DEVNET_VERIFYING_CONTRACT,
        address_of(&oracle_key),
    )
    .with_oracles(devnet_oracles());
    genesis.checkpoint_interval_txs = BATCH_VECTOR_K;
    let mut w = Workload::with_genesis(7, 4, genesis.clone(), oracle_key);
    let mut txs = w.deposits(10_000_000_000);
    txs.extend(w.price_updates(BATCH_VECTOR_TIME_MS));
    while txs.len() < BATCH_VECTOR_TXS {
        txs.push(w.next_tx(BATCH_VECTOR_TIME_MS));
    }
    let pre = genesis_tree(&genesis);
    let draft = Draft::first(&genesis, BATCH_VECTOR_TIME_MS);
    let (batch, receipts) =
        Batch::execute_and_seal(&mut pre.clone(), &genesis, draft, txs).expect("full tree");
    (genesis, batch, receipts)
}

const BATCH_VECTOR_K: u32 = 4;
const BATCH_VECTOR_TXS: usize = 14;
const BATCH_VECTOR_TIME_MS: u64 = 1_700_000_000_000;

/// One whole batch from genesis: every transaction (JSON, canonical bytes, hash, receipt
/// and receipt hash), every chunk (range, pre- and post-state root), the header (fields,
/// bytes, hash) and the whole posted encoding, so a second implementation can check its
/// codec, its STF and its chunking one transaction at a time.
#[test]
fn batch_vectors() {
    use protocol::batch::{domain_separator, execute_tx, genesis_tree};
    use protocol::engine::BlockContext;
    let (genesis, batch, receipts) = vector_batch();
    let ctx = BlockContext {
        timestamp_ms: BATCH_VECTOR_TIME_MS,
    };
    let domain = domain_separator(&genesis);
    let mut state = genesis_tree(&genesis);
    let genesis_root = state.root();
    let txs: Vec<Value> = batch
        .txs
        .iter()
        .zip(&receipts)
        .map(|(tx, receipt)| {
            let pre_root = state.root();
            let again = execute_tx(&mut state, &genesis, &domain, &ctx, tx).expect("full tree");
            assert_eq!(&again, receipt, "serial execution equals the batch's");
            json!({
                "tx": serde_json::to_value(tx).expect("tx serializes"),
                "encoding_hex": hex0x(&tx.encode()),
                "hash": hex0x(&tx.hash().0),
                "pre_state_root": hex0x(&pre_root.0),
                "post_state_root": hex0x(&state.root().0),
                "receipt": serde_json::to_value(receipt).expect("receipt serializes"),
                "receipt_encoding_hex": hex0x(&receipt.encode()),
                "receipt_hash": hex0x(&receipt.hash().0),
            })
        })
        .collect();
    let k = genesis.checkpoint_interval_txs;
    let chunks: Vec<Value> = (0..batch.checkpoints.len())
        .map(|j| {
            let range = protocol::batch::chunk_range(batch.txs.len(), k, j);
            json!({
                "chunk": j,
                "txs": [range.start, range.end],
                "pre_state_root": hex0x(&batch.chunk_pre_root(j).0),
                "checkpoint": hex0x(&batch.checkpoints[j].0),
                "receipts_root": hex0x(&batch.receipt_roots[j].0),
            })
        })
        .collect();
    let value = json!({
        "description": "batch 0 on the devnet genesis with checkpoint_interval_txs = 4: every transaction, receipt, chunk (checkpoint and receipts root) and the header, as the sequencer would post it",
        "genesis_hash": hex0x(&genesis.hash().0),
        "genesis_encoding_hex": hex0x(&genesis.encode()),
        "genesis_state_root": hex0x(&genesis_root.0),
        "checkpoint_interval_txs": k,
        "timestamp_ms": BATCH_VECTOR_TIME_MS,
        "txs": txs,
        "chunks": chunks,
        "header": serde_json::to_value(&batch.header).expect("header serializes"),
        "header_encoding_hex": hex0x(&batch.header.encode()),
        "header_hash": hex0x(&batch.header.hash().0),
        "batch_encoding_hex": hex0x(&batch.encode()),
    });
    write_or_check("batch.json", &value);
}
