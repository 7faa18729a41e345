//! Fixed-size byte types (`H256`, `Address`) and keccak256, shared by every other module.
//!
//! Both types print and parse as `0x`-prefixed lowercase hex, which is what wallets,
//! explorers and our JSON API use.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// The keccak256 hasher: assembly where `keccak-asm` is built (see protocol/Cargo.toml),
/// RustCrypto's `sha3` elsewhere; `keccak_backends_agree` in the tests holds them equal.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub(crate) use keccak_asm::{Digest, Keccak256};
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub(crate) use sha3::{Digest, Keccak256};

/// A 32-byte hash or key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct H256(pub [u8; 32]);

/// A 20-byte Ethereum address: the last 20 bytes of keccak256 of the uncompressed public key.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Address(pub [u8; 20]);

/// Hex parsing failure, naming what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    #[error("expected 0x-prefixed hex")]
    MissingPrefix,
    #[error("invalid hex: {0}")]
    Invalid(String),
    #[error("expected {expected} bytes, got {got}")]
    Length { expected: usize, got: usize },
}

/// keccak256 of one byte string.
pub fn keccak256(data: &[u8]) -> H256 {
    H256(Keccak256::digest(data).into())
}

/// The longest concatenation [`keccak256_concat`] copies into one buffer: keccak256's rate,
/// so every short preimage (an EIP-712 digest's 66 bytes, a key derivation's) is one
/// contiguous block.
const CONCAT_INLINE_BYTES: usize = 136;

/// keccak256 of the concatenation of several byte strings, without allocating. Short ones
/// are copied together and hashed in one call: an update per part costs the sponge's
/// buffering each time (98 bytes in 4 parts: 300 ns, copied and hashed at once: 275 ns),
/// and the engine's key derivations and the signing digests are all short.
pub fn keccak256_concat(parts: &[&[u8]]) -> H256 {
    let total: usize = parts.iter().map(|part| part.len()).sum();
    if total <= CONCAT_INLINE_BYTES {
        let mut bytes = [0u8; CONCAT_INLINE_BYTES];
        let mut at = 0;
        for part in parts {
            bytes[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        }
        return keccak256(&bytes[..total]);
    }
    let mut hasher = Keccak256::new();
    for part in parts {
        hasher.update(part);
    }
    H256(hasher.finalize().into())
}

/// keccak256 of each message, in groups of eight on a CPU with AVX-512 (`keccak-lanes`:
/// one call of eight costs about two scalar hashes), one at a time elsewhere and for a
/// group of one. The same hashes as [`keccak256`] of each: only
/// independent hashes can go together, so callers hash in rounds (a Merkle level, the
/// tree's changed nodes).
pub fn keccak256_many<M: AsRef<[u8]>>(messages: &[M]) -> Vec<H256> {
    let mut hashes = Vec::with_capacity(messages.len());
    let lanes = keccak_lanes::Lanes8::detect();
    for group in messages.chunks(keccak_lanes::LANES) {
        let group_hashes = keccak256_group(lanes, group.len(), |i| group[i].as_ref());
        hashes.extend_from_slice(&group_hashes[..group.len()]);
    }
    hashes
}

/// keccak256 of `message(0..count)` (`count` at most eight), in lanes when `lanes` is
/// given and there are at least two; the array's tail past `count` is unspecified.
pub(crate) fn keccak256_group<'m>(
    lanes: Option<keccak_lanes::Lanes8>,
    count: usize,
    message: impl Fn(usize) -> &'m [u8],
) -> [H256; keccak_lanes::LANES] {
    match lanes {
        Some(lanes) if count > 1 => lanes
            .keccak256(std::array::from_fn(|i| {
                if i < count { message(i) } else { &[] }
            }))
            .map(H256),
        _ => std::array::from_fn(|i| {
            if i < count {
                keccak256(message(i))
            } else {
                H256::ZERO
            }
        }),
    }
}

/// Parses `0x`-prefixed hex into exactly `N` bytes.
pub fn parse_hex_fixed<const N: usize>(s: &str) -> Result<[u8; N], HexError> {
    let bytes = parse_hex(s)?;
    bytes.try_into().map_err(|b: Vec<u8>| HexError::Length {
        expected: N,
        got: b.len(),
    })
}

/// Parses `0x`-prefixed hex of any length.
pub fn parse_hex(s: &str) -> Result<Vec<u8>, HexError> {
    let body = s
        .strip_prefix("0x")
        .or_else(|| s.strip_prefix("0X"))
        .ok_or(HexError::MissingPrefix)?;
    hex::decode(body).map_err(|e| HexError::Invalid(e.to_string()))
}

/// Formats bytes as `0x`-prefixed lowercase hex.
pub fn to_hex(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

impl H256 {
    pub const ZERO: H256 = H256([0; 32]);

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl Address {
    pub const ZERO: Address = Address([0; 20]);

    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// The address as a left-padded 32-byte ABI word (EIP-712 `address` encoding).
    pub fn to_word(&self) -> [u8; 32] {
        let mut word = [0u8; 32];
        word[12..].copy_from_slice(&self.0);
        word
    }
}

macro_rules! hex_type {
    ($ty:ident, $len:expr) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&to_hex(&self.0))
            }
        }
        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&to_hex(&self.0))
            }
        }
        impl FromStr for $ty {
            type Err = HexError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                parse_hex_fixed::<$len>(s).map($ty)
            }
        }
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&to_hex(&self.0))
            }
        }
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
hex_type!(H256, 32);
hex_type!(Address, 20);

#[cfg(test)]
mod tests {
    use super::*;

    /// The hasher in use (assembly on x86_64 and aarch64) equals RustCrypto's `sha3`, the
    /// reference, on every length from 0 to 700 bytes (five keccak blocks, every boundary
    /// of the 136-byte rate) and on the same bytes fed in uneven parts.
    #[test]
    fn keccak_backends_agree() {
        use sha3::Digest as _;
        let mut byte = 0x9eu8;
        let data: Vec<u8> = (0..700)
            .map(|i: u32| {
                byte = byte.wrapping_mul(31).wrapping_add(i as u8) ^ (i >> 3) as u8;
                byte
            })
            .collect();
        for len in 0..=data.len() {
            let bytes = &data[..len];
            let reference = H256(sha3::Keccak256::digest(bytes).into());
            assert_eq!(keccak256(bytes), reference, "{len} bytes");
            let (a, rest) = bytes.split_at(len / 3);
            let (b, c) = rest.split_at(rest.len() / 2);
            assert_eq!(
                keccak256_concat(&[a, b, c]),
                reference,
                "{len} bytes in parts"
            );
        }
    }

    /// `keccak256_many` hashes as `keccak256` does, whatever the group: every count from
    /// 0 to 19 (full groups of eight, a group of one, a partial one), messages of lengths
    /// around one block, some groups mixing short ones with ones over a block.
    #[test]
    fn hashing_many_at_once_gives_each_hash() {
        let data: Vec<u8> = (0..400u32).map(|i| (i * 73 + 11) as u8).collect();
        for count in 0..20usize {
            for shift in [0usize, 60, 120, 131] {
                let messages: Vec<&[u8]> = (0..count)
                    .map(|i| &data[i..i + (shift + i * 5) % 180])
                    .collect();
                let each: Vec<H256> = messages.iter().map(|m| keccak256(m)).collect();
                assert_eq!(
                    keccak256_many(&messages),
                    each,
                    "{count} messages, shift {shift}"
                );
                // The one-at-a-time fallback (a CPU without AVX-512F) hashes the same.
                let lanes = keccak_lanes::LANES;
                for (g, group) in messages.chunks(lanes).enumerate() {
                    let alone = keccak256_group(None, group.len(), |i| group[i]);
                    let want = &each[g * lanes..g * lanes + group.len()];
                    assert_eq!(&alone[..group.len()], want, "fallback, {count} messages");
                }
            }
        }
    }

    #[test]
    fn keccak_of_empty_string_is_the_well_known_constant() {
        assert_eq!(
            keccak256(b"").to_string(),
            "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
        assert_eq!(keccak256_concat(&[b"ab", b"c"]), keccak256(b"abc"));
    }

    #[test]
    fn hex_round_trip_and_errors_name_the_problem() {
        let a: Address = "0x00000000000000000000000000000000000000ff"
            .parse()
            .unwrap();
        assert_eq!(a.0[19], 0xff);
        assert_eq!(a.to_string(), "0x00000000000000000000000000000000000000ff");
        assert_eq!("ff".parse::<Address>(), Err(HexError::MissingPrefix));
        assert_eq!(
            "0xff".parse::<Address>(),
            Err(HexError::Length {
                expected: 20,
                got: 1
            })
        );
        assert!(matches!(
            "0xzz".parse::<Address>(),
            Err(HexError::Invalid(_))
        ));
    }
}
