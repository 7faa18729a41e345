//! The libsecp256k1 backend against the k256 reference: every outcome and address equal
//! over ≥ 10,000 deterministic cases (the bench binary runs ≥ 1,000,000), every mutation
//! kind exercised, every rejection reason reached; and the known signing vectors recover
//! to their signer on both.

use libsecp_recovery::{Backend, differential};
use protocol::signing::{recover_signer, sign_digest, signing_key_from_bytes};

/// 20 cases per family: 600 families ≥ 10,000 cases.
const FAMILIES: u64 = 600;

#[test]
fn both_backends_agree_on_every_case() {
    let report = differential::run(0x5ec9_256b, FAMILIES);
    assert!(report.cases >= 10_000, "only {} cases", report.cases);
    assert!(
        report.mismatches.is_empty(),
        "{} mismatches, first: {:?}",
        report.mismatches.len(),
        report.mismatches.first()
    );
    // Every family adds its own valid and zero-digest acceptances at least.
    assert!(
        report.accepted >= 2 * FAMILIES,
        "accepted {}",
        report.accepted
    );
    for kind in [
        "point at infinity",
        "high s",
        "r = n",
        "wrong prehash",
        "parity flipped",
    ] {
        assert!(
            report.by_kind.get(kind).copied().unwrap_or(0) >= FAMILIES / 2,
            "kind {kind:?} under-covered: {:?}",
            report.by_kind
        );
    }
    for error in ["invalid_v", "high_s", "out_of_range", "unrecoverable"] {
        assert!(
            report.by_error.get(error).copied().unwrap_or(0) > 0,
            "no case reached {error}: {:?}",
            report.by_error
        );
    }
}

#[test]
fn backends_recover_the_signer_of_a_known_key() {
    let key = signing_key_from_bytes(&[7; 32]).expect("valid key");
    let digest = protocol::primitives::keccak256(b"vigil");
    let sig = sign_digest(&key, &digest);
    let expected = recover_signer(&digest, &sig);
    assert!(expected.is_ok());
    for backend in Backend::ALL {
        assert_eq!(backend.recover_fn()(&digest, &sig), expected, "{backend}");
    }
}

#[test]
fn backend_names_round_trip_and_unknown_names_say_the_choices() {
    for backend in Backend::ALL {
        assert_eq!(backend.name().parse::<Backend>(), Ok(backend));
    }
    let err = "openssl".parse::<Backend>().unwrap_err().to_string();
    assert!(err.contains("libsecp") && err.contains("k256"), "{err}");
    assert_eq!(Backend::default(), Backend::Libsecp);
}

#[test]
fn the_point_at_infinity_is_refused_by_both() {
    let mut rng = protocol::workload::SplitMix64(11);
    let mut cases = Vec::new();
    for _ in 0..50 {
        differential::family(&mut rng, &mut cases);
    }
    let infinity: Vec<_> = cases
        .iter()
        .filter(|c| c.kind == "point at infinity")
        .collect();
    assert_eq!(infinity.len(), 50);
    for case in infinity {
        for backend in Backend::ALL {
            assert_eq!(
                backend.recover_fn()(&case.digest, &case.signature),
                Err(protocol::signing::SignatureError::Unrecoverable),
                "{backend}: {case:?}"
            );
        }
    }
}
