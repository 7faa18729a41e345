//! Keeps docs/PROTOCOL.md honest: every worked-example value that the spec prints is
//! recomputed here from the code, and the test fails if the document no longer shows it.
//! (The longer worked examples are also checked field by field by the tests the spec names.)

use protocol::action::ActionKind;
use protocol::batch::genesis_anchor;
use protocol::genesis::Genesis;
use protocol::merkle::merkle_root;
use protocol::primitives::{Address, H256, keccak256};
use protocol::signing;
use protocol::tree::Tree;

fn spec() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/PROTOCOL.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Asserts that the spec shows `value` (as lowercase 0x-hex) in the section about `what`.
fn check(spec: &str, what: &str, value: H256) {
    let hex = value.to_string();
    assert!(
        spec.to_lowercase().contains(&hex),
        "docs/PROTOCOL.md should show {what} = {hex}"
    );
}

#[test]
fn signing_constants_match_the_spec() {
    let spec = spec();
    check(&spec, "the domain type hash", signing::DOMAIN_TYPEHASH);
    for kind in [
        ActionKind::Order,
        ActionKind::Cancel,
        ActionKind::CancelAll,
        ActionKind::Withdraw,
        ActionKind::Liquidate,
        ActionKind::PriceUpdate,
    ] {
        check(&spec, kind.name(), kind.type_hash());
    }
}

#[test]
fn tree_worked_example_matches_the_spec() {
    let key = |b: u8| {
        let mut k = [0u8; 32];
        k[0] = b;
        H256(k)
    };
    let tree: Tree = [
        (key(0x10), vec![1]),
        (key(0x18), vec![2]),
        (key(0x80), vec![3]),
    ]
    .into_iter()
    .collect();
    check(&spec(), "the tree worked example root", tree.root());
}

#[test]
fn batch_worked_examples_match_the_spec() {
    let spec = spec();
    let items: Vec<H256> = (0u64..3).map(|i| keccak256(&i.to_be_bytes())).collect();
    check(&spec, "the Merkle root of three items", merkle_root(&items));
    let genesis = Genesis::devnet(31337, Address([0x11; 20]), Address([0x22; 20]));
    check(&spec, "the devnet genesis hash", genesis.hash());
    check(&spec, "the devnet genesis anchor", genesis_anchor(&genesis));
}
