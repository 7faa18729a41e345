//! The differential test of the two recovery backends: deterministic families of cases
//! (a fresh valid signature and every kind of mutation of it), each recovered by k256
//! (`protocol::signing::recover_signer`, the reference) and by libsecp256k1
//! ([`crate::recover_signer`]); any difference in outcome or address is a mismatch.
//!
//! One home for the case generator, used by the CI test (≥ 10,000 cases) and by the
//! million-case bench binary (`benches/differential.rs`).

use k256::elliptic_curve::PrimeField;
use k256::elliptic_curve::point::AffineCoordinates;
use k256::{ProjectivePoint, Scalar};
use protocol::action::Signature;
use protocol::primitives::{Address, H256};
use protocol::signing::{
    CURVE_ORDER, HALF_CURVE_ORDER, SignatureError, address_of, sign_digest, signing_key_from_bytes,
};
use protocol::workload::SplitMix64;
use std::collections::BTreeMap;

/// One input to both backends, named by the kind of mutation that made it.
#[derive(Debug, Clone)]
pub struct Case {
    pub kind: &'static str,
    pub digest: H256,
    pub signature: Signature,
}

/// A case where the backends disagree.
#[derive(Debug, Clone)]
pub struct Mismatch {
    pub case: Case,
    pub k256: Result<Address, SignatureError>,
    pub libsecp: Result<Address, SignatureError>,
}

/// What a run covered.
#[derive(Debug, Default)]
pub struct Report {
    pub cases: u64,
    /// Cases both backends accepted (with the same address).
    pub accepted: u64,
    /// Cases per kind, so a run shows it exercised every mutation.
    pub by_kind: BTreeMap<&'static str, u64>,
    /// Rejections per error name (both backends agreed on each).
    pub by_error: BTreeMap<String, u64>,
    pub mismatches: Vec<Mismatch>,
}

fn random_bytes(rng: &mut SplitMix64) -> [u8; 32] {
    let mut out = [0u8; 32];
    for chunk in out.chunks_mut(8) {
        chunk.copy_from_slice(&rng.next_u64().to_be_bytes());
    }
    out
}

/// A random valid secret key (retrying the ~2⁻¹²⁸ out-of-range draws).
fn random_scalar(rng: &mut SplitMix64) -> Scalar {
    loop {
        if let Some(s) = Scalar::from_repr(random_bytes(rng).into()).into_option()
            && s != Scalar::ZERO
        {
            return s;
        }
    }
}

fn with_r(sig: &Signature, r: [u8; 32]) -> Signature {
    let mut out = *sig;
    out.0[..32].copy_from_slice(&r);
    out
}

fn with_s(sig: &Signature, s: [u8; 32]) -> Signature {
    let mut out = *sig;
    out.0[32..64].copy_from_slice(&s);
    out
}

fn with_v(sig: &Signature, v: u8) -> Signature {
    let mut out = *sig;
    out.0[64] = v;
    out
}

fn flip_bit(sig: &Signature, rng: &mut SplitMix64, range: std::ops::Range<usize>) -> Signature {
    let mut out = *sig;
    let bit = rng.below((range.len() * 8) as u64) as usize;
    out.0[range.start + bit / 8] ^= 1 << (bit % 8);
    out
}

/// `n + delta` as 32 big-endian bytes (delta small: stays below 2²⁵⁶).
fn order_plus(delta: u8) -> [u8; 32] {
    let mut out = CURVE_ORDER;
    let (low, carry) = out[31].overflowing_add(delta);
    out[31] = low;
    if carry {
        out[30] += 1;
    }
    out
}

/// A signature whose recovered key would be the point at infinity: R = kG, z = s·k, so
/// sR − zG = 0. Both backends must refuse it.
fn infinity_case(rng: &mut SplitMix64) -> Option<Case> {
    let k = random_scalar(rng);
    let s = random_scalar(rng);
    let r_point = (ProjectivePoint::GENERATOR * k).to_affine();
    let r: [u8; 32] = r_point.x().into();
    if r >= CURVE_ORDER {
        return None; // x ≥ n has no Ethereum encoding (probability ~2⁻¹²⁸)
    }
    let s_low = if bool::from(k256::elliptic_curve::scalar::IsHigh::is_high(&s)) {
        -s
    } else {
        s
    };
    // Negating s keeps sR = zG only with R negated too; flip the parity with it.
    let y_is_odd = bool::from(r_point.y_is_odd()) ^ (s_low != s);
    let z = s_low * k;
    let z = if s_low != s { -z } else { z };
    let mut bytes = [0u8; 65];
    bytes[..32].copy_from_slice(&r);
    bytes[32..64].copy_from_slice(&s_low.to_repr());
    bytes[64] = 27 + u8::from(y_is_odd);
    Some(Case {
        kind: "point at infinity",
        digest: H256(z.to_repr().into()),
        signature: Signature(bytes),
    })
}

/// One family: a fresh signature by a random key over a random digest, and its mutations.
pub fn family(rng: &mut SplitMix64, out: &mut Vec<Case>) {
    let key = signing_key_from_bytes(&random_scalar(rng).to_repr().into()).expect("in range");
    let digest = H256(random_bytes(rng));
    let sig = sign_digest(&key, &digest);
    let r: [u8; 32] = sig.0[..32].try_into().expect("32 bytes");
    let s: [u8; 32] = sig.0[32..64].try_into().expect("32 bytes");
    let s_scalar = Scalar::from_repr(s.into()).into_option().expect("valid s");
    let mut wrong_digest = digest;
    wrong_digest.0[rng.below(32) as usize] ^= 1 << rng.below(8);
    let bad_v = [2u8, 26, 29, 30, 255][rng.below(5) as usize];
    let mut half_plus_one = HALF_CURVE_ORDER;
    half_plus_one[31] += 1;
    let mut random_sig = [0u8; 65];
    random_sig[..32].copy_from_slice(&random_bytes(rng));
    random_sig[32..64].copy_from_slice(&random_bytes(rng));
    random_sig[64] = 27 + rng.below(2) as u8;
    let cases: [(&'static str, H256, Signature); 19] = [
        ("valid", digest, sig),
        ("v as 0/1", digest, with_v(&sig, sig.0[64] - 27)),
        ("parity flipped", digest, with_v(&sig, sig.0[64] ^ 1)),
        ("invalid v", digest, with_v(&sig, bad_v)),
        ("r bit flipped", digest, flip_bit(&sig, rng, 0..32)),
        ("s bit flipped", digest, flip_bit(&sig, rng, 32..64)),
        ("wrong prehash", wrong_digest, sig),
        ("high s", digest, with_s(&sig, (-s_scalar).to_repr().into())),
        ("s = n/2", digest, with_s(&sig, HALF_CURVE_ORDER)),
        ("s = n/2 + 1", digest, with_s(&sig, half_plus_one)),
        ("r = 0", digest, with_r(&sig, [0; 32])),
        ("s = 0", digest, with_s(&sig, [0; 32])),
        ("r = n", digest, with_r(&sig, CURVE_ORDER)),
        ("s = n", digest, with_s(&sig, CURVE_ORDER)),
        (
            "r > n",
            digest,
            with_r(&sig, order_plus(1 + rng.below(200) as u8)),
        ),
        ("r = 2^256 - 1", digest, with_r(&sig, [0xff; 32])),
        ("r = s swapped", digest, with_s(&with_r(&sig, s), r)),
        ("random r and s", digest, Signature(random_sig)),
        ("zero digest", H256([0; 32]), sig),
    ];
    debug_assert_eq!(
        protocol::signing::recover_signer(&digest, &sig),
        Ok(address_of(&key))
    );
    out.extend(cases.into_iter().map(|(kind, digest, signature)| Case {
        kind,
        digest,
        signature,
    }));
    out.extend(infinity_case(rng));
}

/// Runs both backends over every case of `families` families from `seed`.
pub fn run(seed: u64, families: u64) -> Report {
    let mut rng = SplitMix64(seed);
    let mut report = Report::default();
    let mut cases = Vec::new();
    for _ in 0..families {
        cases.clear();
        family(&mut rng, &mut cases);
        cases.iter().for_each(|case| check(case, &mut report));
    }
    report
}

fn check(case: &Case, report: &mut Report) {
    let k256 = protocol::signing::recover_signer(&case.digest, &case.signature);
    let libsecp = crate::recover_signer(&case.digest, &case.signature);
    report.cases += 1;
    *report.by_kind.entry(case.kind).or_default() += 1;
    match (&k256, &libsecp) {
        (a, b) if a != b => report.mismatches.push(Mismatch {
            case: case.clone(),
            k256,
            libsecp,
        }),
        (Ok(_), _) => report.accepted += 1,
        (Err(e), _) => *report.by_error.entry(error_name(e)).or_default() += 1,
    }
}

fn error_name(e: &SignatureError) -> String {
    match e {
        SignatureError::InvalidV(_) => "invalid_v".into(),
        SignatureError::HighS => "high_s".into(),
        SignatureError::OutOfRange => "out_of_range".into(),
        SignatureError::Unrecoverable => "unrecoverable".into(),
        SignatureError::SignerMismatch { .. } => "signer_mismatch".into(),
    }
}
