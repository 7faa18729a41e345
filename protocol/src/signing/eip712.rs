//! EIP-712 hashing: the Vigil domain, `hashStruct` for each action, and the final
//! `0x19 0x01` signing digest.
//!
//! The primary types' type strings are normative (DESIGN §2): wallets (MetaMask, ethers,
//! eth-account) hash exactly these, so a change silently invalidates every signature in the
//! wild. They and their hardcoded type hashes are generated from each kind's declaration in
//! `action/mod.rs` (`ActionKind::type_string`, `ActionKind::type_hash`); a test recomputes
//! every hash from its string.
//!
//! `StructHasher` streams `typeHash ‖ enc(field₁) ‖ … ‖ enc(fieldₙ)` into keccak256 one
//! 32-byte word at a time, with no allocation, because hashing runs once per action on the
//! sequencer's hot path. It is public so other typed data (the EIP-712 spec's own "Mail"
//! example in our tests) runs through the very same word encoders.

use crate::action::Action;
use crate::primitives::{Address, H256, keccak256, keccak256_concat};
use crate::primitives::{Digest, Keccak256};

/// The domain's name field.
pub const DOMAIN_NAME: &str = "Vigil";
/// The domain's version field.
pub const DOMAIN_VERSION: &str = "1";

pub const DOMAIN_TYPE: &str =
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
/// keccak256(DOMAIN_TYPE)
pub const DOMAIN_TYPEHASH: H256 =
    h256("0x8b73c3c69bb8fe3d512ecc4cf759cc79239f7b179b0ffacaa9a75d522b39400f");

/// The Vigil domain separator for a deployment (`chainId` and the rollup contract's address
/// come from genesis).
pub fn domain_separator(chain_id: u64, verifying_contract: &Address) -> H256 {
    eip712_domain_separator(DOMAIN_NAME, DOMAIN_VERSION, chain_id, verifying_contract)
}

/// `hashStruct(EIP712Domain{name, version, chainId, verifyingContract})` for any domain of
/// that four-field shape. Vigil uses it through `domain_separator`; tests use it for the
/// EIP-712 spec's example domain.
pub fn eip712_domain_separator(
    name: &str,
    version: &str,
    chain_id: u64,
    verifying_contract: &Address,
) -> H256 {
    StructHasher::new(&DOMAIN_TYPEHASH)
        .string(name)
        .string(version)
        .uint(chain_id.into())
        .address(verifying_contract)
        .finish()
}

/// The type hash of an action's primary type.
pub fn type_hash(action: &Action) -> H256 {
    action.kind().type_hash()
}

/// `hashStruct(action)`: keccak256 of the type hash followed by every member, in
/// type-string order, as one 32-byte ABI word each (generated from the kind's declaration
/// in `action/mod.rs`).
pub fn struct_hash(action: &Action) -> H256 {
    action.hash_struct()
}

/// The digest a wallet signs for `action`: keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ hashStruct).
pub fn signing_digest(action: &Action, domain_separator: &H256) -> H256 {
    typed_data_digest(domain_separator, &struct_hash(action))
}

/// keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ structHash): the EIP-191 version-1 envelope
/// shared by all EIP-712 typed data.
pub fn typed_data_digest(domain_separator: &H256, struct_hash: &H256) -> H256 {
    keccak256_concat(&[&[0x19, 0x01], &domain_separator.0, &struct_hash.0])
}

/// Streams one struct's `typeHash ‖ encodeData` into keccak256. Each method appends exactly
/// one 32-byte word, following EIP-712's `encodeData` rules for that member type.
#[derive(Debug, Clone)]
pub struct StructHasher(Keccak256);

impl StructHasher {
    /// Starts a struct with its type hash (keccak256 of its `encodeType` string).
    pub fn new(type_hash: &H256) -> Self {
        let mut hasher = Keccak256::new();
        hasher.update(type_hash.0);
        StructHasher(hasher)
    }

    /// A raw 32-byte word: `bytes32`, or the `hashStruct` of a nested struct member.
    pub fn word(mut self, word: &[u8; 32]) -> Self {
        self.0.update(word);
        self
    }

    /// `address`: the 20 bytes left-padded with zeros to 32.
    pub fn address(self, address: &Address) -> Self {
        self.word(&address.to_word())
    }

    /// `uint8` … `uint256` (for values up to 128 bits): big-endian, left-padded with zeros.
    pub fn uint(self, value: u128) -> Self {
        let mut word = [0u8; 32];
        word[16..].copy_from_slice(&value.to_be_bytes());
        self.word(&word)
    }

    /// `bool`: the `uint256` 0 or 1.
    pub fn bool(self, value: bool) -> Self {
        self.uint(u128::from(value))
    }

    /// `string`: keccak256 of the UTF-8 bytes (no length prefix, no padding).
    pub fn string(self, value: &str) -> Self {
        self.word(&keccak256(value.as_bytes()).0)
    }

    /// The struct hash.
    pub fn finish(self) -> H256 {
        H256(self.0.finalize().into())
    }
}

/// Parses a `0x` + 64 hex digit literal at compile time (the type-hash constants). A bad
/// literal fails the build, never a running node.
pub(crate) const fn h256(literal: &str) -> H256 {
    let bytes = literal.as_bytes();
    assert!(
        bytes.len() == 66 && bytes[0] == b'0' && bytes[1] == b'x',
        "expected 0x + 64 hex digits"
    );
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(bytes[2 + 2 * i]) << 4) | nibble(bytes[3 + 2 * i]);
        i += 1;
    }
    H256(out)
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("type-hash literals must be lowercase hex"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_domain_type_hash_is_keccak_of_its_type_string() {
        // The primary types are checked by enumerating `ActionKind::TABLE` (tests/it).
        assert_eq!(DOMAIN_TYPEHASH, keccak256(DOMAIN_TYPE.as_bytes()));
    }

    #[test]
    fn words_are_abi_encoded() {
        // hashStruct over one word equals keccak(typeHash ‖ word): check each encoder's word.
        let t = H256([7; 32]);
        let check = |hasher: StructHasher, word: [u8; 32]| {
            assert_eq!(hasher.finish(), keccak256_concat(&[&t.0, &word]));
        };
        let mut w = [0u8; 32];
        w[31] = 1;
        check(StructHasher::new(&t).bool(true), w);
        check(StructHasher::new(&t).bool(false), [0; 32]);
        let mut w = [0u8; 32];
        w[24..].copy_from_slice(&u64::MAX.to_be_bytes());
        check(StructHasher::new(&t).uint(u64::MAX.into()), w);
        let mut w = [0u8; 32];
        w[12..].copy_from_slice(&[0xab; 20]);
        check(StructHasher::new(&t).address(&Address([0xab; 20])), w);
        check(StructHasher::new(&t).string("Vigil"), keccak256(b"Vigil").0);
    }

    #[test]
    fn const_hex_parser_matches_runtime_parser() {
        let s = "0x00ff10a0b1c2d3e4f5968778695a4b3c2d1e0f00112233445566778899aabbcc";
        assert_eq!(h256(s), s.parse::<H256>().expect("valid literal"));
    }
}
