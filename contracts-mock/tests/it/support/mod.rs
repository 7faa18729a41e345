//! Test support: a server per test (`Node`), deterministic keys, signed calls, state
//! snapshots for "nothing changed" assertions, and an honest test-side rollup (`Rollup`)
//! that builds real batches with `protocol`.

mod fraud;
mod node;
mod rollup;

pub use fraud::{Fraud, challenge, fraud_with_two_descendants, repost_honest_batch_1};
pub use node::{Node, Snapshot, test_config};
pub use rollup::{Rollup, deposit_tx, tamper, withdraw_tx};
pub use test_support::{assert_conserved, expect_ok};

use k256::ecdsa::SigningKey;
use protocol::primitives::{Address, keccak256};
use protocol::signing::{address_of, signing_key_from_bytes};

/// A deterministic test key.
pub fn key(seed: &str) -> SigningKey {
    signing_key_from_bytes(&keccak256(seed.as_bytes()).0)
        .expect("keccak outputs are valid keys with overwhelming probability")
}

pub fn addr(key: &SigningKey) -> Address {
    address_of(key)
}

/// The sequencer, challengers and users of the tests.
pub fn sequencer() -> SigningKey {
    key("sequencer")
}
pub fn alice() -> SigningKey {
    key("alice")
}
pub fn bob() -> SigningKey {
    key("bob")
}
pub fn carol() -> SigningKey {
    key("carol")
}

/// Asserts an error answer: status, stable code, and that the message says `says`.
#[track_caller]
pub fn expect_error(answer: &(u16, serde_json::Value), status: u16, code: &str, says: &str) {
    let (got, body) = answer;
    assert_eq!(*got, status, "status of {body}");
    assert_eq!(body["code"], code, "code of {body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(says),
        "message {message:?} should contain {says:?}"
    );
}
