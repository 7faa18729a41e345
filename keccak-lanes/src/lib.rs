//! Keccak-256 of eight single-block messages at once: eight independent Keccak-f[1600]
//! states, each in one 64-bit lane of the same 25 AVX-512 registers, so every step of the
//! round function is one vector instruction for all eight (the layout of XKCP's
//! `KeccakP1600times8`). A single state does not vectorise; independent ones do, and
//! AVX-512's rotate and three-input logic (`vprolq`, `vpternlogq`) make a round about half
//! the instructions of AVX2's, with the whole state in registers.
//!
//! Why: the state tree's root is most of the sequencer's serial path, and it is made of
//! short, independent hashes (a leaf's value, a leaf, an internal node: one block each),
//! which the tree hashes level by level, eight at a time (`protocol::tree`). The scalar
//! assembly (`keccak-asm`) stays the hasher for everything else and wherever AVX-512 is
//! absent (`cargo bench -p keccak-lanes` compares them: one call of eight costs about as
//! much as two scalar hashes on a core with 512-bit units). The tests hold the lanes equal
//! to RustCrypto's `sha3` on every length.
//!
//! The one `unsafe` is calling the AVX-512 function, and it is only reachable through a
//! [`Lanes8`], which exists only once the CPU has been seen to support AVX-512F.

/// How many messages one call hashes.
pub const LANES: usize = 8;
/// Keccak-256's rate: the bytes one block absorbs.
pub const RATE_BYTES: usize = 136;
/// The longest message hashed in one block (the padding takes at least one byte).
pub const MAX_MESSAGE_BYTES: usize = RATE_BYTES - 1;

const RATE_LANES: usize = RATE_BYTES / 8;

/// The permission to hash eight messages at once: it exists only on a CPU with AVX-512F.
#[derive(Debug, Clone, Copy)]
pub struct Lanes8 {
    _cpu: Cpu,
}

/// Uninhabited where there is no AVX-512 path, so a [`Lanes8`] cannot exist there.
#[cfg(target_arch = "x86_64")]
type Cpu = ();
#[cfg(not(target_arch = "x86_64"))]
type Cpu = std::convert::Infallible;

impl Lanes8 {
    /// `Some` when this CPU has AVX-512F (checked at run time, once per call: the check is a
    /// cached load, and callers keep the value).
    pub fn detect() -> Option<Lanes8> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Some(Lanes8 { _cpu: () });
        }
        None
    }

    /// Keccak-256 (Ethereum's: padding `0x01 … 0x80`) of each of eight messages, each at
    /// most [`MAX_MESSAGE_BYTES`] long.
    ///
    /// # Panics
    /// If a message is longer: a caller hashes those one at a time.
    pub fn keccak256(self, messages: [&[u8]; LANES]) -> [[u8; 32]; LANES] {
        let blocks = messages.map(padded_block);
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: `avx512::hash` needs AVX-512F, and a `Lanes8` is only made by
            // `detect` after `is_x86_feature_detected!("avx512f")` returned true.
            #[allow(unsafe_code)]
            unsafe {
                avx512::hash(&blocks)
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        match self._cpu {}
    }
}

/// The message padded to one block (`0x01` after it, `0x80` in the last byte), as the
/// little-endian lanes that are XORed into the zero state.
fn padded_block(message: &[u8]) -> [u64; RATE_LANES] {
    assert!(
        message.len() <= MAX_MESSAGE_BYTES,
        "a {}-byte message is more than one keccak block ({MAX_MESSAGE_BYTES} bytes at most)",
        message.len()
    );
    let mut bytes = [0u8; RATE_BYTES];
    bytes[..message.len()].copy_from_slice(message);
    bytes[message.len()] ^= 0x01;
    bytes[RATE_BYTES - 1] ^= 0x80;
    let mut lanes = [0u64; RATE_LANES];
    for (lane, chunk) in lanes.iter_mut().zip(bytes.chunks_exact(8)) {
        *lane = u64::from_le_bytes(chunk.try_into().expect("8-byte chunks"));
    }
    lanes
}

/// Keccak-f[1600]'s round constants (FIPS 202, ι).
const ROUND_CONSTANTS: [u64; 24] = [
    0x0000_0000_0000_0001,
    0x0000_0000_0000_8082,
    0x8000_0000_0000_808a,
    0x8000_0000_8000_8000,
    0x0000_0000_0000_808b,
    0x0000_0000_8000_0001,
    0x8000_0000_8000_8081,
    0x8000_0000_0000_8009,
    0x0000_0000_0000_008a,
    0x0000_0000_0000_0088,
    0x0000_0000_8000_8009,
    0x0000_0000_8000_000a,
    0x0000_0000_8000_808b,
    0x8000_0000_0000_008b,
    0x8000_0000_0000_8089,
    0x8000_0000_0000_8003,
    0x8000_0000_0000_8002,
    0x8000_0000_0000_0080,
    0x0000_0000_0000_800a,
    0x8000_0000_8000_000a,
    0x8000_0000_8000_8081,
    0x8000_0000_0000_8080,
    0x0000_0000_8000_0001,
    0x8000_0000_8000_8008,
];

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{LANES, RATE_LANES, ROUND_CONSTANTS};
    use std::arch::x86_64::*;

    /// `a ^ b ^ c` in one instruction (`vpternlogq`'s truth table for it).
    const XOR3: i32 = 0x96;
    /// χ's `a ^ (!b & c)` in one instruction.
    const CHI: i32 = 0xd2;

    /// Absorbs one padded block per lane into a zero state, permutes, and squeezes the
    /// first 32 bytes of each lane's state.
    #[target_feature(enable = "avx512f")]
    pub(super) fn hash(blocks: &[[u64; RATE_LANES]; LANES]) -> [[u8; 32]; LANES] {
        let mut a = [_mm512_setzero_si512(); 25];
        for (i, lane) in a.iter_mut().take(RATE_LANES).enumerate() {
            let word = |m: usize| i64::from_ne_bytes(blocks[m][i].to_ne_bytes());
            *lane = _mm512_set_epi64(
                word(7),
                word(6),
                word(5),
                word(4),
                word(3),
                word(2),
                word(1),
                word(0),
            );
        }
        permute(&mut a);
        let mut out = [[0u8; 32]; LANES];
        for (i, lane) in a.iter().take(4).enumerate() {
            let (low, high) = (
                _mm512_extracti64x4_epi64::<0>(*lane),
                _mm512_extracti64x4_epi64::<1>(*lane),
            );
            let words = [
                _mm256_extract_epi64::<0>(low),
                _mm256_extract_epi64::<1>(low),
                _mm256_extract_epi64::<2>(low),
                _mm256_extract_epi64::<3>(low),
                _mm256_extract_epi64::<0>(high),
                _mm256_extract_epi64::<1>(high),
                _mm256_extract_epi64::<2>(high),
                _mm256_extract_epi64::<3>(high),
            ];
            for (digest, word) in out.iter_mut().zip(words) {
                digest[8 * i..8 * i + 8].copy_from_slice(&word.to_le_bytes());
            }
        }
        out
    }

    /// Keccak-f[1600] on eight states at once: θ, ρ and π (as one chain of 24 moves), χ, ι.
    /// The state is copied into locals so that it stays in the 32 vector registers.
    #[target_feature(enable = "avx512f")]
    fn permute(state: &mut [__m512i; 25]) {
        let mut a = *state;
        for rc in ROUND_CONSTANTS {
            let c0 = _mm512_ternarylogic_epi64::<XOR3>(a[0], a[5], a[10]);
            let c1 = _mm512_ternarylogic_epi64::<XOR3>(a[1], a[6], a[11]);
            let c2 = _mm512_ternarylogic_epi64::<XOR3>(a[2], a[7], a[12]);
            let c3 = _mm512_ternarylogic_epi64::<XOR3>(a[3], a[8], a[13]);
            let c4 = _mm512_ternarylogic_epi64::<XOR3>(a[4], a[9], a[14]);
            let c0 = _mm512_ternarylogic_epi64::<XOR3>(c0, a[15], a[20]);
            let c1 = _mm512_ternarylogic_epi64::<XOR3>(c1, a[16], a[21]);
            let c2 = _mm512_ternarylogic_epi64::<XOR3>(c2, a[17], a[22]);
            let c3 = _mm512_ternarylogic_epi64::<XOR3>(c3, a[18], a[23]);
            let c4 = _mm512_ternarylogic_epi64::<XOR3>(c4, a[19], a[24]);
            let d = [
                _mm512_xor_si512(c4, _mm512_rol_epi64::<1>(c1)),
                _mm512_xor_si512(c0, _mm512_rol_epi64::<1>(c2)),
                _mm512_xor_si512(c1, _mm512_rol_epi64::<1>(c3)),
                _mm512_xor_si512(c2, _mm512_rol_epi64::<1>(c4)),
                _mm512_xor_si512(c3, _mm512_rol_epi64::<1>(c0)),
            ];
            // θ's XOR, ρ's rotation and π's move, lane by lane: b[π(i)] = rol(a[i] ^ d, ρ).
            macro_rules! move_lanes {
                ($($from:literal to $to:literal by $n:literal),*) => {{
                    let mut b = a;
                    $( b[$to] = _mm512_rol_epi64::<$n>(_mm512_xor_si512(a[$from], d[$from % 5])); )*
                    b
                }};
            }
            let b = move_lanes!(1 to 10 by 1, 10 to 7 by 3, 7 to 11 by 6, 11 to 17 by 10,
                17 to 18 by 15, 18 to 3 by 21, 3 to 5 by 28, 5 to 16 by 36, 16 to 8 by 45,
                8 to 21 by 55, 21 to 24 by 2, 24 to 4 by 14, 4 to 15 by 27, 15 to 23 by 41,
                23 to 19 by 56, 19 to 13 by 8, 13 to 12 by 25, 12 to 2 by 43, 2 to 20 by 62,
                20 to 14 by 18, 14 to 22 by 39, 22 to 9 by 61, 9 to 6 by 20, 6 to 1 by 44);
            let b0 = _mm512_xor_si512(a[0], d[0]);
            macro_rules! chi_row {
                ($y:literal, $first:expr) => {
                    let row = [$first, b[$y + 1], b[$y + 2], b[$y + 3], b[$y + 4]];
                    a[$y] = _mm512_ternarylogic_epi64::<CHI>(row[0], row[1], row[2]);
                    a[$y + 1] = _mm512_ternarylogic_epi64::<CHI>(row[1], row[2], row[3]);
                    a[$y + 2] = _mm512_ternarylogic_epi64::<CHI>(row[2], row[3], row[4]);
                    a[$y + 3] = _mm512_ternarylogic_epi64::<CHI>(row[3], row[4], row[0]);
                    a[$y + 4] = _mm512_ternarylogic_epi64::<CHI>(row[4], row[0], row[1]);
                };
            }
            chi_row!(0, b0);
            chi_row!(5, b[5]);
            chi_row!(10, b[10]);
            chi_row!(15, b[15]);
            chi_row!(20, b[20]);
            a[0] = _mm512_xor_si512(
                a[0],
                _mm512_set1_epi64(i64::from_ne_bytes(rc.to_ne_bytes())),
            );
        }
        *state = a;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha3::{Digest, Keccak256};

    fn reference(message: &[u8]) -> [u8; 32] {
        Keccak256::digest(message).into()
    }

    /// Every length a block holds, each lane a different message (so a lane mix-up shows),
    /// against RustCrypto's sha3.
    #[test]
    fn eight_lanes_hash_as_sha3_does_at_every_length() {
        let Some(lanes) = Lanes8::detect() else {
            eprintln!("no AVX-512F on this CPU: the eight-lane path is never used here");
            return;
        };
        let bytes: Vec<u8> = (0..LANES as u32 * RATE_BYTES as u32)
            .map(|i| (i * 151 + 7) as u8)
            .collect();
        for len in 0..=MAX_MESSAGE_BYTES {
            let messages: [&[u8]; LANES] = std::array::from_fn(|m| {
                let start = m * RATE_BYTES;
                &bytes[start..start + len]
            });
            let got = lanes.keccak256(messages);
            for (m, message) in messages.iter().enumerate() {
                assert_eq!(got[m], reference(message), "lane {m}, {len} bytes");
            }
        }
        let mixed: [&[u8]; LANES] = [
            b"",
            &bytes[..98],
            &bytes[7..72],
            &bytes[..MAX_MESSAGE_BYTES],
            &bytes[1..2],
            &bytes[..65],
            &bytes[300..435],
            &bytes[..0],
        ];
        let got = lanes.keccak256(mixed);
        for (m, message) in mixed.iter().enumerate() {
            assert_eq!(got[m], reference(message), "mixed lengths, lane {m}");
        }
    }

    #[test]
    #[should_panic(expected = "more than one keccak block")]
    fn a_message_over_one_block_is_refused() {
        let long = [0u8; RATE_BYTES];
        padded_block(&long);
    }
}
