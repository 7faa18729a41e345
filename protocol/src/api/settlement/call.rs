//! How an L1 call is authenticated: EIP-712 typed data over a domain of the settlement
//! layer's own, so a signature for the rollup (domain "Vigil") can never pass as an L1 call
//! and vice versa.
//!
//! ```text
//! domainSeparator = keccak256(typeHash(EIP712Domain) ‖ keccak256("Vigil Settlement") ‖ keccak256("1")
//!                             ‖ uint256(chainId) ‖ address(verifyingContract))
//! callHash        = keccak256(u32_be(len(method)) ‖ method ‖ canonical args)
//! structHash      = keccak256(keccak256("L1Call(address from,uint64 nonce,bytes32 callHash)")
//!                             ‖ address(from) ‖ uint256(nonce) ‖ callHash)
//! digest          = keccak256(0x19 ‖ 0x01 ‖ domainSeparator ‖ structHash)
//! ```
//! The method names and argument encodings are listed on each payload type (`requests`)
//! and in docs/spec/settlement.md. A wallet can sign `L1Call` with `eth_signTypedData_v4`
//! once it has the `callHash`.

use crate::action::{Signature, int};
use crate::codec::Writer;
use crate::primitives::{Address, H256, keccak256, keccak256_concat};
use crate::signing;
use k256::ecdsa::SigningKey;
use serde::{Deserialize, Serialize};

pub const EIP712_DOMAIN_TYPE: &str =
    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
pub const L1_DOMAIN_NAME: &str = "Vigil Settlement";
pub const L1_DOMAIN_VERSION: &str = "1";
pub const L1_CALL_TYPE: &str = "L1Call(address from,uint64 nonce,bytes32 callHash)";

/// A `uint256` ABI word holding `v`.
fn uint_word(v: u64) -> [u8; 32] {
    let mut word = [0u8; 32];
    word[24..].copy_from_slice(&v.to_be_bytes());
    word
}

/// The EIP-712 domain separator of L1 calls for this deployment.
pub fn l1_domain_separator(chain_id: u64, verifying_contract: &Address) -> H256 {
    keccak256_concat(&[
        &keccak256(EIP712_DOMAIN_TYPE.as_bytes()).0,
        &keccak256(L1_DOMAIN_NAME.as_bytes()).0,
        &keccak256(L1_DOMAIN_VERSION.as_bytes()).0,
        &uint_word(chain_id),
        &verifying_contract.to_word(),
    ])
}

/// The digest the L1 account signs for call `call_hash` at `nonce`.
pub fn l1_call_digest(
    domain_separator: &H256,
    from: &Address,
    nonce: u64,
    call_hash: &H256,
) -> H256 {
    let struct_hash = keccak256_concat(&[
        &keccak256(L1_CALL_TYPE.as_bytes()).0,
        &from.to_word(),
        &uint_word(nonce),
        &call_hash.0,
    ]);
    keccak256_concat(&[&[0x19, 0x01], &domain_separator.0, &struct_hash.0])
}

/// A call payload: a method name and its canonical argument encoding, hashed into the
/// `callHash` the signature covers.
pub trait L1CallData {
    /// The method name hashed into `callHash` (ASCII).
    const METHOD: &'static str;

    /// Appends the canonical encoding of the arguments (codec rules: big-endian integers,
    /// `u32`-length-prefixed byte strings).
    fn encode_args(&self, w: &mut Writer);

    /// keccak256(u32_be(len(METHOD)) ‖ METHOD ‖ args).
    fn call_hash(&self) -> H256 {
        let mut w = Writer::new();
        w.bytes(Self::METHOD.as_bytes());
        self.encode_args(&mut w);
        keccak256(&w.buf)
    }
}

/// The body of every state-changing call: who calls, with which L1 nonce (exactly the
/// account's next one), the payload, and the signature over [`l1_call_digest`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedCall<C> {
    pub from: Address,
    #[serde(with = "int")]
    pub nonce: u64,
    pub call: C,
    pub signature: Signature,
}

impl<C: L1CallData> SignedCall<C> {
    /// The digest this call's signature must cover under `domain_separator`.
    pub fn digest(&self, domain_separator: &H256) -> H256 {
        l1_call_digest(
            domain_separator,
            &self.from,
            self.nonce,
            &self.call.call_hash(),
        )
    }

    /// Signs `call` as the account of `key`, at `nonce`.
    pub fn sign(key: &SigningKey, nonce: u64, call: C, domain_separator: &H256) -> SignedCall<C> {
        let from = signing::address_of(key);
        let digest = l1_call_digest(domain_separator, &from, nonce, &call.call_hash());
        SignedCall {
            from,
            nonce,
            call,
            signature: signing::sign_digest(key, &digest),
        }
    }
}
