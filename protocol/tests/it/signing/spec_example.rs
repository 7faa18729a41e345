//! The EIP-712 specification's own worked example ("Mail" from "Cow" to "Bob",
//! eips.ethereum.org/EIPS/eip-712, assets/eip-712/Example.js and Example.sol), run through
//! our domain, struct-hasher, digest, signing and recovery functions, and through the
//! naive reference encoder, against the numbers the spec publishes.

use super::h256;
use super::typed_data::{self, Types};
use protocol::action::Signature;
use protocol::keccak256;
use protocol::signing::{
    StructHasher, address_of, eip712_domain_separator, recover_signer, sign_digest,
    signing_key_from_bytes, typed_data_digest,
};
use protocol::{Address, H256};
use serde_json::json;

const PERSON: &str = "Person(string name,address wallet)";
const MAIL: &str = "Mail(Person from,Person to,string contents)";

// The spec's published values.
const MAIL_ENCODE_TYPE: &str =
    "Mail(Person from,Person to,string contents)Person(string name,address wallet)";
const MAIL_TYPEHASH: &str = "0xa0cedeb2dc280ba39b857546d74f5549c3a1d7bdc2dd96bf881f76108e23dac2";
const DOMAIN_SEPARATOR: &str = "0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f";
const MAIL_STRUCT_HASH: &str = "0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e";
const DIGEST: &str = "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2";
// Signed by keccak256("cow"), whose address is the sender's wallet.
const SIGNATURE: &str = "0x4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b915621c";

fn cow() -> Address {
    "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"
        .parse()
        .expect("valid address")
}

fn bob() -> Address {
    "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"
        .parse()
        .expect("valid address")
}

fn person_hash(name: &str, wallet: &Address) -> H256 {
    StructHasher::new(&keccak256(PERSON.as_bytes()))
        .string(name)
        .address(wallet)
        .finish()
}

#[test]
fn mail_example_through_our_hashing_functions() {
    let mail_typehash = keccak256(MAIL_ENCODE_TYPE.as_bytes());
    assert_eq!(mail_typehash, h256(MAIL_TYPEHASH));

    let contract: Address = "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"
        .parse()
        .expect("valid address");
    let domain = eip712_domain_separator("Ether Mail", "1", 1, &contract);
    assert_eq!(domain, h256(DOMAIN_SEPARATOR));

    let mail = StructHasher::new(&mail_typehash)
        .word(&person_hash("Cow", &cow()).0)
        .word(&person_hash("Bob", &bob()).0)
        .string("Hello, Bob!")
        .finish();
    assert_eq!(mail, h256(MAIL_STRUCT_HASH));

    let digest = typed_data_digest(&domain, &mail);
    assert_eq!(digest, h256(DIGEST));

    // The spec's signature recovers to Cow, and our deterministic signer reproduces it.
    let sig = super::signature(SIGNATURE);
    assert_eq!(recover_signer(&digest, &sig), Ok(cow()));
    let cow_key = signing_key_from_bytes(&keccak256(b"cow").0).expect("valid key");
    assert_eq!(address_of(&cow_key), cow());
    assert_eq!(sign_digest(&cow_key, &digest), sig);
    // The {0, 1} convention for v recovers the same signer.
    let mut v01 = sig.0;
    v01[64] -= 27;
    assert_eq!(recover_signer(&digest, &Signature(v01)), Ok(cow()));
}

#[test]
fn mail_example_through_the_naive_reference_encoder() {
    let types = Types::default().with(MAIL).with(PERSON);
    assert_eq!(types.encode_type("Mail"), MAIL_ENCODE_TYPE);
    assert_eq!(H256(types.type_hash("Mail")), h256(MAIL_TYPEHASH));
    let message = json!({
        "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
        "to": {"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},
        "contents": "Hello, Bob!",
    });
    assert_eq!(
        H256(types.hash_struct("Mail", &message)),
        h256(MAIL_STRUCT_HASH)
    );
    let domain = json!({
        "name": "Ether Mail", "version": "1", "chainId": 1,
        "verifyingContract": "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC",
    });
    assert_eq!(
        H256(typed_data::domain_types().hash_struct("EIP712Domain", &domain)),
        h256(DOMAIN_SEPARATOR)
    );
    assert_eq!(
        H256(typed_data::digest(&types, &domain, "Mail", &message)),
        h256(DIGEST)
    );
}
