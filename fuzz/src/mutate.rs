//! Byte-level mutations of an encoding, drawn from a seeded splitmix64: what a careless or
//! hostile sender does to a witness or a proof (bit flips, truncations, extensions, a byte
//! overwritten, two equal-length windows swapped, as sibling subtrees or hashes would be,
//! a window repeated). Shared by the decoders' smoke test and the scale bench's mutated
//! proofs, so both explore the same neighbourhood of a valid input.

use protocol::workload::SplitMix64;

/// The kinds of byte mutation, one per `Mutation::ALL` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    FlipBit,
    FlipBits,
    Truncate,
    Extend,
    Overwrite,
    SwapWindows,
    Repeat,
}

impl Mutation {
    pub const ALL: [Mutation; 7] = [
        Mutation::FlipBit,
        Mutation::FlipBits,
        Mutation::Truncate,
        Mutation::Extend,
        Mutation::Overwrite,
        Mutation::SwapWindows,
        Mutation::Repeat,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mutation::FlipBit => "flip one bit",
            Mutation::FlipBits => "flip 2-8 bits",
            Mutation::Truncate => "truncate",
            Mutation::Extend => "append bytes",
            Mutation::Overwrite => "overwrite a byte",
            Mutation::SwapWindows => "swap two windows",
            Mutation::Repeat => "repeat a window",
        }
    }

    /// `bytes` mutated this way (an empty input is only ever extended).
    pub fn apply(self, bytes: &[u8], rng: &mut SplitMix64) -> Vec<u8> {
        let mut out = bytes.to_vec();
        if out.is_empty() {
            out.push(rng.next_u64() as u8);
            return out;
        }
        let len = out.len() as u64;
        match self {
            Mutation::FlipBit => flip(&mut out, rng),
            Mutation::FlipBits => (0..2 + rng.below(7)).for_each(|_| flip(&mut out, rng)),
            Mutation::Truncate => out.truncate(rng.below(len) as usize),
            Mutation::Extend => (0..1 + rng.below(40)).for_each(|_| out.push(rng.next_u64() as u8)),
            Mutation::Overwrite => out[rng.below(len) as usize] = rng.next_u64() as u8,
            Mutation::SwapWindows => swap_windows(&mut out, rng),
            Mutation::Repeat => {
                let start = rng.below(len) as usize;
                let end = (start + 1 + rng.below(64) as usize).min(out.len());
                let window = out[start..end].to_vec();
                out.splice(end..end, window);
            }
        }
        out
    }
}

fn flip(bytes: &mut [u8], rng: &mut SplitMix64) {
    let bit = rng.below(bytes.len() as u64 * 8);
    bytes[(bit / 8) as usize] ^= 1 << (bit % 8);
}

/// Swaps two disjoint windows of one length (1 to 64 bytes; 32 half the time, a hash's).
fn swap_windows(bytes: &mut [u8], rng: &mut SplitMix64) {
    let width = if rng.chance(50) {
        32
    } else {
        1 + rng.below(64) as usize
    };
    if bytes.len() < 2 * width {
        bytes.reverse();
        return;
    }
    let a = rng.below((bytes.len() - 2 * width + 1) as u64) as usize;
    let b = a + width + rng.below((bytes.len() - a - 2 * width + 1) as u64) as usize;
    let (left, right) = bytes.split_at_mut(b);
    left[a..a + width].swap_with_slice(&mut right[..width]);
}

/// `count` mutants of `seed`, cycling through every kind.
pub fn mutants(seed: &[u8], count: usize, rng: &mut SplitMix64) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| Mutation::ALL[i % Mutation::ALL.len()].apply(seed, rng))
        .collect()
}
