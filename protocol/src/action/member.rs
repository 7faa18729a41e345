//! The member types an action message may have, each with its four representations: the
//! Solidity type in the EIP-712 type string, the canonical binary encoding (its
//! `codec::Field` impl; docs/PROTOCOL.md Part 1), the EIP-712 `encodeData` word (Part 2)
//! and the JSON form.
//!
//! Why a trait: `declare_actions!` (see `declare.rs`) writes every message's encoder,
//! decoder, `hashStruct` and serde attributes from its member list, one call per member,
//! and the *type* of the member picks the representation. So a new action kind made of
//! these types needs no hand-written encoding at all, and the macro checks at compile time
//! that the Solidity type it is declared with is the one its Rust type encodes as.
//!
//! The representations are exactly the ones the hand-written code used before (vectors in
//! docs/PROTOCOL.md pin them): integers are big-endian and JSON numbers or decimal strings
//! (`int`), `uint128` is a decimal string in JSON (`int::wide`), enums are one `uint8`.

use super::{MAX_AGENT_NAME_BYTES, TimeInForce, TriggerKind, int};
use crate::codec::{DecodeError, Field, Reader, Writer};
use crate::primitives::Address;
use crate::signing::StructHasher;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A type that can be a member of an action message. Its canonical encoding is its
/// [`Field`] impl (read under the member's EIP-712 name).
pub trait Member: Field {
    /// Its Solidity type in the EIP-712 type string (`uint64`, `address`, …).
    const SOLIDITY: &'static str;
    /// Appends its one 32-byte `encodeData` word.
    fn hash(&self, h: StructHasher) -> StructHasher;
    /// Writes its JSON form.
    fn to_json<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
    /// Reads its JSON form.
    fn from_json<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

/// `#[serde(with = "crate::action::member")]`: the JSON form of any [`Member`].
pub fn serialize<T: Member, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    v.to_json(s)
}

/// See [`serialize`].
pub fn deserialize<'de, T: Member, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    T::from_json(d)
}

impl Member for Address {
    const SOLIDITY: &'static str = "address";
    fn hash(&self, h: StructHasher) -> StructHasher {
        h.address(self)
    }
    fn to_json<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize(s)
    }
    fn from_json<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Address::deserialize(d)
    }
}

impl Member for bool {
    const SOLIDITY: &'static str = "bool";
    fn hash(&self, h: StructHasher) -> StructHasher {
        h.bool(*self)
    }
    fn to_json<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bool(*self)
    }
    fn from_json<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        bool::deserialize(d)
    }
}

/// `uint32` / `uint64`: big-endian; JSON a number, read from a number or a decimal string.
macro_rules! unsigned_member {
    ($ty:ty, $solidity:literal) => {
        impl Member for $ty {
            const SOLIDITY: &'static str = $solidity;
            fn hash(&self, h: StructHasher) -> StructHasher {
                h.uint((*self).into())
            }
            fn to_json<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                int::serialize(self, s)
            }
            fn from_json<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                int::deserialize(d)
            }
        }
    };
}

unsigned_member!(u32, "uint32");
unsigned_member!(u64, "uint64");

/// `uint128` (`clientId`): a decimal string in JSON, because JavaScript numbers lose
/// precision past 2^53.
impl Member for u128 {
    const SOLIDITY: &'static str = "uint128";
    fn hash(&self, h: StructHasher) -> StructHasher {
        h.uint(*self)
    }
    fn to_json<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        int::wide::serialize(self, s)
    }
    fn from_json<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        int::wide::deserialize(d)
    }
}

/// `string`: a `u32` length and the UTF-8 bytes; hashed as keccak256 of the bytes. The one
/// string is the agent name (`ApproveAgent.name`, and the `AgentApproval` leaf that stores
/// it), so its bound is [`MAX_AGENT_NAME_BYTES`] and the JSON error says so; a string with
/// another bound would need a type of its own.
impl Field for String {
    fn write(&self, w: &mut Writer) {
        w.bytes(self.as_bytes());
    }
    fn read(r: &mut Reader<'_>, field: &'static str) -> Result<Self, DecodeError> {
        let bytes = r.bytes(field, MAX_AGENT_NAME_BYTES)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| DecodeError::Invalid {
            field,
            reason: "not UTF-8".into(),
        })
    }
}

impl Member for String {
    const SOLIDITY: &'static str = "string";
    fn hash(&self, h: StructHasher) -> StructHasher {
        h.string(self)
    }
    fn to_json<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
    fn from_json<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        if name.len() > MAX_AGENT_NAME_BYTES {
            return Err(serde::de::Error::custom(format!(
                "name is {} bytes; an agent name is at most {MAX_AGENT_NAME_BYTES} bytes of UTF-8",
                name.len()
            )));
        }
        Ok(name)
    }
}

/// A `uint8` enum member (`tif`, a trigger's `kind`): one byte whose value must name a
/// variant. Its JSON form is the enum's own `Serialize`/`Deserialize` (a number).
macro_rules! u8_enum_member {
    ($ty:ty) => {
        impl Field for $ty {
            fn write(&self, w: &mut Writer) {
                w.u8(*self as u8);
            }
            fn read(r: &mut Reader<'_>, field: &'static str) -> Result<Self, DecodeError> {
                let v = r.u8(field)?;
                <$ty>::from_u8(v).ok_or(DecodeError::Invalid {
                    field,
                    reason: format!("{v} is not 0..=3"),
                })
            }
        }

        impl Member for $ty {
            const SOLIDITY: &'static str = "uint8";
            fn hash(&self, h: StructHasher) -> StructHasher {
                h.uint(u128::from(*self as u8))
            }
            fn to_json<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.serialize(s)
            }
            fn from_json<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                <$ty>::deserialize(d)
            }
        }
    };
}

u8_enum_member!(TimeInForce);
u8_enum_member!(TriggerKind);

/// Compile-time string equality (the macro's check of a declared Solidity type).
pub const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `camel` is serde's `camelCase` of the Rust field name `snake` (`expires_at` →
/// `expiresAt`): the macro checks that the JSON name is the declared EIP-712 name.
pub const fn is_camel_case_of(snake: &str, camel: &str) -> bool {
    let (s, c) = (snake.as_bytes(), camel.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < s.len() {
        let mut want = s[i];
        if want == b'_' {
            i += 1;
            if i == s.len() {
                return false;
            }
            want = s[i].to_ascii_uppercase();
        }
        if j >= c.len() || c[j] != want {
            return false;
        }
        i += 1;
        j += 1;
    }
    j == c.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_check_matches_serde_rename_all() {
        assert!(is_camel_case_of("expires_at", "expiresAt"));
        assert!(is_camel_case_of("timestamp_ms", "timestampMs"));
        assert!(is_camel_case_of("account", "account"));
        assert!(!is_camel_case_of("expires_at", "expires_at"));
        assert!(!is_camel_case_of("is_buy", "isBuyer"));
        assert!(!is_camel_case_of("is_buy_", "isBuy"));
        assert!(same_str("uint64", "uint64"));
        assert!(!same_str("uint64", "uint32"));
    }
}
