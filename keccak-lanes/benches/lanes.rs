//! `cargo bench -p keccak-lanes`: nanoseconds per keccak256 of a tree node's preimage
//! (98 bytes, one block), eight at a time in AVX-512 lanes against one at a time in
//! `keccak-asm` (the scalar hasher), the median of several rounds of each in the same run:
//! the ratio is what carries over between machines.

// A measurement reads the clock and reports rates as floats.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use keccak_asm::Keccak256;
use keccak_lanes::{LANES, Lanes8};
use std::hint::black_box;
use std::time::Instant;

const HASHES: usize = 400_000;
const ROUNDS: usize = 7;

/// The median over `ROUNDS` of the nanoseconds per hash that `round` takes for `HASHES`.
fn median_ns(mut round: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            round();
            started.elapsed().as_nanos() as f64 / HASHES as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[ROUNDS / 2]
}

fn main() {
    let node = [0x5au8; 98];
    let scalar = median_ns(|| {
        for _ in 0..HASHES {
            black_box(Keccak256::digest(black_box(&node[..])));
        }
    });
    println!("keccak-asm, one at a time: {scalar:6.1} ns per 98-byte hash");
    let Some(lanes) = Lanes8::detect() else {
        println!("no AVX-512F on this CPU: nothing else to measure");
        return;
    };
    let four = median_ns(|| {
        for _ in 0..HASHES / LANES {
            black_box(lanes.keccak256(black_box([&node[..]; LANES])));
        }
    });
    println!(
        "keccak-lanes, eight at once: {four:6.1} ns per 98-byte hash = {:.2}× keccak-asm's rate",
        scalar / four
    );
}
