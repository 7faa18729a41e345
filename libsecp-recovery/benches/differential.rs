//! The million-case differential run and the two backends' recovery rates, side by side
//! (`cargo bench -p libsecp-recovery --bench differential`). Exits non-zero on any mismatch.
//! `VIGIL_DIFF_FAMILIES` overrides the family count (20 cases each; default 50,000 =
//! 1,000,000 cases).

use libsecp_recovery::differential;
use protocol::signing::{recover_signer, sign_digest, signing_key_from_bytes};
use std::time::Instant;

fn main() {
    let families: u64 = std::env::var("VIGIL_DIFF_FAMILIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let started = Instant::now();
    let report = differential::run(0xd1ff_5eed, families);
    println!(
        "differential: {} cases ({} accepted) in {:.1} s, {} mismatches",
        report.cases,
        report.accepted,
        started.elapsed().as_secs_f64(),
        report.mismatches.len()
    );
    println!("  kinds: {:?}", report.by_kind);
    println!("  rejections: {:?}", report.by_error);
    let (k256, libsecp) = rates();
    println!(
        "recovery on one core: k256 {k256:.0}/s, libsecp {libsecp:.0}/s, ratio {:.2}x",
        libsecp / k256
    );
    if let Some(first) = report.mismatches.first() {
        eprintln!("first mismatch: {first:?}");
        std::process::exit(1);
    }
}

/// Valid-signature recoveries per second on one core, for each backend, same inputs.
fn rates() -> (f64, f64) {
    let key = signing_key_from_bytes(&[9; 32]).expect("valid key");
    let inputs: Vec<_> = (0u32..2_000)
        .map(|i| {
            let digest = protocol::primitives::keccak256(&i.to_be_bytes());
            (digest, sign_digest(&key, &digest))
        })
        .collect();
    let time = |f: fn(&_, &_) -> _| {
        let started = Instant::now();
        for (digest, sig) in &inputs {
            let _: Result<_, _> = std::hint::black_box(f(digest, sig));
        }
        inputs.len() as f64 / started.elapsed().as_secs_f64()
    };
    (time(recover_signer), time(libsecp_recovery::recover_signer))
}
