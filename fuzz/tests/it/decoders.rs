//! Each decoder on its seeds and their mutants (`vigil_fuzz::mutate`).

use protocol::fraud::{self, Verdict};
use protocol::workload::SplitMix64;
use vigil_fuzz::mutate::mutants;
use vigil_fuzz::{Decoder, Fixture};

/// Mutants per seed: enough to reach past the first field of every format, few enough
/// for CI (the fraud-proof target re-executes a chunk only when a mutant still hashes).
const MUTANTS_PER_SEED: usize = 1_500;

#[test]
fn every_decoder_survives_its_seeds_and_their_mutants() {
    for decoder in Decoder::ALL {
        let seeds = decoder.seeds();
        assert!(!seeds.is_empty(), "{} has no seeds", decoder.name());
        let mut rng = SplitMix64(decoder as u64);
        for seed in &seeds {
            decoder.run(seed);
            for mutant in mutants(seed, MUTANTS_PER_SEED, &mut rng) {
                decoder.run(&mutant);
            }
        }
    }
}

#[test]
fn the_fixture_proof_is_upheld_with_the_honest_roots_and_refused_on_the_honest_batch() {
    let f = Fixture::get();
    let Verdict::Upheld(ruling) = fraud::adjudicate(&f.genesis, &f.bad_batch, &f.proof) else {
        panic!("the fixture's proof is not upheld");
    };
    assert_eq!(
        (ruling.computed_root, ruling.computed_receipts_root),
        f.honest_commitment(ruling.chunk)
    );
    assert!(matches!(
        fraud::adjudicate(&f.genesis, &f.honest_batch, &f.proof),
        Verdict::Rejected { .. }
    ));
}

#[test]
fn empty_and_tiny_inputs_are_refused_quietly() {
    for decoder in Decoder::ALL {
        for input in [&b""[..], b"\0", b"{", b"[]", b"null", &[0xFF; 64]] {
            decoder.run(input);
        }
    }
}
