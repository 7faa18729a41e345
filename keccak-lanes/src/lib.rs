//! Keccak-256 of eight messages at once: eight independent Keccak-f[1600]
//! states, each in one 64-bit lane of the same 25 AVX-512 registers, so every step of the
//! round function is one vector instruction for all eight (the layout of XKCP's
//! `KeccakP1600times8`). A single state does not vectorise; independent ones do, and
//! AVX-512's rotate and three-input logic (`vprolq`, `vpternlogq`) make a round about half
//! the instructions of AVX2's, with the whole state in registers.
//!
//! Why: the state tree's root is most of the sequencer's serial path, and it is made of
//! short, independent hashes (a leaf's value, a leaf, an internal node: mostly one block),
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
    /// `Some` when this CPU has AVX-512F, checked at run time on every call (std caches
    /// the CPU's features, so a call is one load).
    pub fn detect() -> Option<Lanes8> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Some(Lanes8 { _cpu: () });
        }
        None
    }

    /// Keccak-256 (Ethereum's: padding `0x01 … 0x80`) of each of eight messages of any
    /// length. The lanes absorb block by block together; a lane whose message ends sooner
    /// has its digest taken then and absorbs zeros after (so eight messages cost as many
    /// permutations as the longest needs).
    pub fn keccak256(self, messages: [&[u8]; LANES]) -> [[u8; 32]; LANES] {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: `avx512::hash` needs AVX-512F, and a `Lanes8` is only made by
            // `detect` after `is_x86_feature_detected!("avx512f")` returned true.
            #[allow(unsafe_code)]
            unsafe {
                avx512::hash(&messages)
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        match self._cpu {}
    }
}

/// How many blocks `message` takes once padded (the padding needs at least one byte).
fn block_count(message: &[u8]) -> usize {
    message.len() / RATE_BYTES + 1
}

/// Block `index` of `message` padded (`0x01` after the message, `0x80` in the last byte
/// of the last block), as the little-endian lanes XORed into the state; zeros past the
/// message's last block.
fn block_words(message: &[u8], index: usize) -> [u64; RATE_LANES] {
    let mut bytes = [0u8; RATE_BYTES];
    let start = index * RATE_BYTES;
    if index + 1 < block_count(message) {
        bytes.copy_from_slice(&message[start..start + RATE_BYTES]);
    } else if index + 1 == block_count(message) {
        let tail = &message[start..];
        bytes[..tail.len()].copy_from_slice(tail);
        bytes[tail.len()] ^= 0x01;
        bytes[RATE_BYTES - 1] ^= 0x80;
    }
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
    use super::{LANES, RATE_LANES, ROUND_CONSTANTS, block_count, block_words};
    use std::arch::x86_64::*;

    /// `a ^ b ^ c` in one instruction (`vpternlogq`'s truth table for it).
    const XOR3: i32 = 0x96;
    /// χ's `a ^ (!b & c)` in one instruction.
    const CHI: i32 = 0xd2;

    /// Absorbs each lane's message block by block into its zero state, permuting after
    /// each block, and squeezes the first 32 bytes of a lane's state after its last block.
    #[target_feature(enable = "avx512f")]
    pub(super) fn hash(messages: &[&[u8]; LANES]) -> [[u8; 32]; LANES] {
        let blocks = messages.map(block_count);
        let most = blocks.iter().copied().max().unwrap_or(1);
        let mut a = [_mm512_setzero_si512(); 25];
        let mut out = [[0u8; 32]; LANES];
        for index in 0..most {
            let words = messages.map(|message| block_words(message, index));
            for (i, lane) in a.iter_mut().take(RATE_LANES).enumerate() {
                let word = |m: usize| i64::from_ne_bytes(words[m][i].to_ne_bytes());
                let block = _mm512_set_epi64(
                    word(7),
                    word(6),
                    word(5),
                    word(4),
                    word(3),
                    word(2),
                    word(1),
                    word(0),
                );
                *lane = _mm512_xor_si512(*lane, block);
            }
            permute(&mut a);
            if blocks.contains(&(index + 1)) {
                let digests = squeeze(&a);
                for m in 0..LANES {
                    if blocks[m] == index + 1 {
                        out[m] = digests[m];
                    }
                }
            }
        }
        out
    }

    /// The first 32 bytes of every lane's state.
    #[target_feature(enable = "avx512f")]
    fn squeeze(a: &[__m512i; 25]) -> [[u8; 32]; LANES] {
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

    /// Every length up to four blocks, each lane a different message (so a lane mix-up
    /// shows), then lanes of different lengths together (short ones finish while long
    /// ones still absorb), against RustCrypto's sha3.
    #[test]
    fn eight_lanes_hash_as_sha3_does_at_every_length() {
        let Some(lanes) = Lanes8::detect() else {
            eprintln!("no AVX-512F on this CPU: the eight-lane path is never used here");
            return;
        };
        let span = 4 * RATE_BYTES;
        let bytes: Vec<u8> = (0..(LANES * span) as u32)
            .map(|i| (i * 151 + 7) as u8)
            .collect();
        for len in 0..=span {
            let messages: [&[u8]; LANES] =
                std::array::from_fn(|m| &bytes[m * span..m * span + len]);
            let got = lanes.keccak256(messages);
            for (m, message) in messages.iter().enumerate() {
                assert_eq!(got[m], reference(message), "lane {m}, {len} bytes");
            }
        }
        for shift in 0..40 {
            let messages: [&[u8]; LANES] = std::array::from_fn(|m| {
                let len = (m * 97 + shift * 31) % (3 * RATE_BYTES);
                &bytes[m * span..m * span + len]
            });
            let got = lanes.keccak256(messages);
            for (m, message) in messages.iter().enumerate() {
                assert_eq!(
                    got[m],
                    reference(message),
                    "mixed lengths {shift}, lane {m}"
                );
            }
        }
    }

    /// The blocks a message is cut into: full blocks, then the padded tail (0x01 … 0x80,
    /// both in one byte when the tail is one short of a block), then zeros.
    #[test]
    fn messages_are_cut_and_padded_as_keccak_pads() {
        let check = |len: usize, index: usize, first: u64, last: u64| {
            let message = vec![0u8; len];
            let words = block_words(&message, index);
            assert_eq!(
                (words[0], words[RATE_LANES - 1]),
                (first, last),
                "{len} bytes, block {index}"
            );
        };
        check(0, 0, 0x01, 0x80 << 56);
        check(135, 0, 0, (0x81u64) << 56);
        check(136, 0, 0, 0);
        check(136, 1, 0x01, 0x80 << 56);
        check(136, 2, 0, 0);
        assert_eq!(
            [0, 135, 136, 271, 272].map(|n| block_count(&vec![0; n])),
            [1, 1, 2, 2, 3]
        );
    }
}
