//! Properties over random keys and actions: struct hashes agree with the naive reference
//! encoder, signing then verifying returns the signer, and changing any one byte of a
//! signed field, or of r, s or v, makes verification fail (except rewriting v = 27/28 as
//! the equivalent 0/1).

use super::typed_data::Types;
use proptest::prelude::*;
use protocol::action::{Action, ActionKind, SignedAction};
use protocol::codec::{Decode, Encode};
use protocol::signing::{
    address_of, domain_separator, sign_action, signing_key_from_bytes, struct_hash, verify_action,
};
use protocol::{Address, H256};
use serde_json::{Value, json};

fn address() -> impl Strategy<Value = Address> {
    any::<[u8; 20]>().prop_map(Address)
}

/// Any action of any kind in `ActionKind::ALL`, every member drawn over its full range
/// from the kind's own EIP-712 type string, so a new kind is covered without a line here.
/// Small `uint8` members are enumerations (time in force, trigger kind): they draw 0..4.
fn action() -> impl Strategy<Value = Action> {
    let names = prop::collection::vec("[a-zA-Z0-9 ✓é]{0,10}", 4);
    (
        0..ActionKind::ALL.len(),
        prop::collection::vec(any::<u64>(), 64),
        names,
    )
        .prop_map(|(kind, words, names)| {
            let kind = ActionKind::ALL[kind];
            let types = Types::default().with(kind.type_string());
            let mut draw = Draw {
                words: words.iter().cycle(),
                names: names.iter().cycle(),
            };
            let message = draw.value(&types, kind.name());
            serde_json::from_value(json!({ "type": kind.name(), "message": message }))
                .unwrap_or_else(|e| panic!("a random {} parses: {e}", kind.name()))
        })
}

/// Turns random words into JSON members of the wire form, one type at a time.
struct Draw<'a, W: Iterator<Item = &'a u64>, N: Iterator<Item = &'a String>> {
    words: W,
    names: N,
}

impl<'a, W: Iterator<Item = &'a u64>, N: Iterator<Item = &'a String>> Draw<'a, W, N> {
    fn word(&mut self) -> u64 {
        *self.words.next().expect("the words cycle")
    }

    /// A JSON value of EIP-712 type `ty` (a struct, an array `T[]`, or an atom).
    fn value(&mut self, types: &Types, ty: &str) -> Value {
        if let Some(members) = types.members(ty) {
            let object = members
                .iter()
                .map(|(ty, name)| (name.clone(), self.value(types, ty)))
                .collect::<serde_json::Map<_, _>>();
            return Value::Object(object);
        }
        if let Some(item) = ty.strip_suffix("[]") {
            // Arrays are lists of items: one to four (none is refused at decoding).
            let len = 1 + self.word() % 4;
            return Value::Array((0..len).map(|_| self.value(types, item)).collect());
        }
        let w = self.word();
        match ty {
            "address" => {
                let bytes = [w, self.word(), self.word()].map(u64::to_be_bytes).concat();
                let address = Address(bytes[..20].try_into().expect("24 bytes hold 20"));
                serde_json::to_value(address).expect("addresses serialize")
            }
            "bool" => json!(w & 1 == 1),
            "uint8" => json!(w % 4),
            "uint32" => json!(w as u32),
            "uint64" => json!(w),
            "uint128" => json!((u128::from(w) << 64 | u128::from(self.word())).to_string()),
            "string" => json!(self.names.next().expect("the names cycle")),
            other => panic!("the generator has no rule for member type {other}"),
        }
    }
}

/// Makes `action` claim `signer` as its signer (the oracle's kinds have none): the first
/// address member whose replacement changes `claimed_signer` is the signer's member.
fn claimed_by(action: Action, signer: Address) -> Action {
    if action.claimed_signer().is_none() {
        return action;
    }
    let wire = serde_json::to_value(&action).expect("actions serialize");
    let members = wire["message"].as_object().expect("a message is an object");
    members
        .keys()
        .find_map(|member| {
            let mut claimed = wire.clone();
            claimed["message"][member] = serde_json::to_value(signer).ok()?;
            let claimed: Action = serde_json::from_value(claimed).ok()?;
            (claimed.claimed_signer() == Some(signer)).then_some(claimed)
        })
        .expect("a user action names its signer in an address member")
}

/// The action with byte `index` of its canonical field encoding (after the tag) xored with
/// `mask`. Bool and tif bytes only accept some values, so if the mask makes the encoding
/// invalid, the lowest bit alone is flipped instead (0↔1, 2↔3 stay valid). A name's length
/// prefix or a byte inside a multi-byte character may have no valid flip at all: then the
/// next byte is tried (the last byte, an expiry, always has one).
fn flip_field_byte(action: &Action, index: usize, mask: u8) -> Action {
    let bytes = action.encode();
    let first = 1 + index % (bytes.len() - 1);
    let flipped = |at: usize, m: u8| {
        let mut b = bytes.clone();
        b[at] ^= m;
        Action::decode(&b).ok()
    };
    (first..bytes.len())
        .find_map(|at| flipped(at, mask).or_else(|| flipped(at, 1)))
        .expect("flipping the lowest bit of the last byte keeps the encoding valid")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn struct_hash_matches_the_naive_reference(action in action()) {
        let type_string = action.kind().type_string();
        let wire = serde_json::to_value(&action).expect("actions serialize");
        let naive = Types::default().with(type_string).hash_struct(action.type_name(), &wire["message"]);
        prop_assert_eq!(struct_hash(&action), H256(naive));
    }

    #[test]
    fn sign_verify_and_any_single_byte_change_fails(
        secret in any::<[u8; 32]>().prop_filter_map("valid private key", |b| signing_key_from_bytes(&b).ok()),
        action in action(),
        chain_id in any::<u64>(),
        contract in address(),
        field_byte in any::<usize>(),
        sig_byte in 0usize..65,
        mask in 1u8..=255,
    ) {
        let signer = address_of(&secret);
        let domain = domain_separator(chain_id, &contract);
        let signed = sign_action(&secret, claimed_by(action, signer), &domain);
        prop_assert_eq!(verify_action(&signed, &domain, &[signer]), Ok(signer));

        let changed = flip_field_byte(&signed.action, field_byte, mask);
        prop_assert_ne!(&changed, &signed.action);
        let tampered = SignedAction { action: changed, signature: signed.signature };
        prop_assert!(verify_action(&tampered, &domain, &[signer]).is_err());

        let mut sig = signed.signature;
        sig.0[sig_byte] ^= mask;
        let tampered = SignedAction { action: signed.action.clone(), signature: sig };
        if sig.0[64] == signed.signature.0[64] - 27 {
            // 27 → 0 or 28 → 1: the other spelling of the same parity, equally valid.
            prop_assert_eq!(verify_action(&tampered, &domain, &[signer]), Ok(signer));
        } else {
            prop_assert!(verify_action(&tampered, &domain, &[signer]).is_err());
        }
    }
}
