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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::settlement::BondCall;
    use crate::signing::{
        StructHasher, eip712_domain_separator, recover_signer, signing_key_from_bytes,
        typed_data_digest,
    };

    fn hex(bytes: &[u8]) -> String {
        crate::primitives::to_hex(bytes)
    }

    /// The worked example of docs/spec/settlement.md §2.4: every number there is checked here.
    #[test]
    fn worked_example_bond_call() {
        let contract: Address = "0x0000000000000000000000000000000000007161"
            .parse()
            .expect("address");
        let domain = l1_domain_separator(31337, &contract);
        assert_eq!(
            domain.to_string(),
            "0x93c01ac79b6c0aea5059424d6b4d3042b19ace28c2845146f6cc19c0397c7db5"
        );

        let call = BondCall {
            amount: 1_000_000_000,
        };
        let mut preimage = Writer::new();
        preimage.bytes(BondCall::METHOD.as_bytes());
        call.encode_args(&mut preimage);
        assert_eq!(hex(&preimage.buf), "0x00000004626f6e64000000003b9aca00");
        assert_eq!(
            call.call_hash().to_string(),
            "0x0e344aaa351fbe77cce974801c8bd2e19f0858dd7293c9cebb67348b0d4f60d5"
        );

        let key = signing_key_from_bytes(&[0x11; 32]).expect("key");
        let signed = SignedCall::sign(&key, 0, call, &domain);
        assert_eq!(
            signed.from.to_string(),
            "0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a"
        );
        let digest = signed.digest(&domain);
        assert_eq!(
            digest.to_string(),
            "0xf8af4b6a574fd4ab49d428763ee73bd04536b7f62e9356a09c01be588a5cbfc6"
        );
        assert_eq!(
            hex(&signed.signature.0),
            "0x2c47ac1803a69786c852b272a31cffc62328a4850c16aee73d865b45dd9a594c\
             0923b27b49218c8ff0952f1d07a830f1297d6e0e8385a8fc94f56915899f42fb1c"
        );
        assert_eq!(recover_signer(&digest, &signed.signature), Ok(signed.from));
        assert_eq!(
            serde_json::to_string(&signed).expect("json"),
            r#"{"from":"0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a","nonce":0,"call":{"amount":1000000000},"signature":"0x2c47ac1803a69786c852b272a31cffc62328a4850c16aee73d865b45dd9a594c0923b27b49218c8ff0952f1d07a830f1297d6e0e8385a8fc94f56915899f42fb1c"}"#
        );
    }

    /// The same domain and digest through the signing module's general EIP-712 helpers, an
    /// independent path to the same bytes.
    #[test]
    fn domain_and_digest_agree_with_the_generic_eip712_helpers() {
        let contract = Address([0x42; 20]);
        let domain = l1_domain_separator(7, &contract);
        assert_eq!(
            domain,
            eip712_domain_separator(L1_DOMAIN_NAME, L1_DOMAIN_VERSION, 7, &contract)
        );
        assert_ne!(
            domain,
            crate::signing::domain_separator(7, &contract),
            "L1 calls and L2 actions never share a domain"
        );
        let from = Address([0x09; 20]);
        let call_hash = keccak256(b"any call");
        let struct_hash = StructHasher::new(&keccak256(L1_CALL_TYPE.as_bytes()))
            .address(&from)
            .uint(5)
            .word(&call_hash.0)
            .finish();
        assert_eq!(
            l1_call_digest(&domain, &from, 5, &call_hash),
            typed_data_digest(&domain, &struct_hash)
        );
    }
}
