//! The signature rules, case by case: which `v` values pass, high-S, r/s range, points that
//! do not recover, and signer mismatches with their exact error text.

use super::{address, domain, key, key_from_hex};
use k256::ecdsa::{RecoveryId, Signature as EcdsaSignature, VerifyingKey};
use k256::elliptic_curve::PrimeField;
use k256::elliptic_curve::point::AffineCoordinates;
use k256::{ProjectivePoint, Scalar};
use protocol::action::{Action, CancelAll, Order, PriceUpdate, Signature, TimeInForce};
use protocol::signing::{
    CURVE_ORDER, HALF_CURVE_ORDER, InvalidSigningKey, SignatureError, domain_separator,
    recover_signer, sign_action, sign_digest, signing_key_from_bytes, verify_action,
};
use protocol::{Address, H256, keccak256};

/// Private key 1, whose address is well known.
const KEY_ONE: &str = "0x0000000000000000000000000000000000000000000000000000000000000001";
const KEY_ONE_ADDRESS: &str = "0x7e5f4552091a69125d5dfcb7b8c2659029395bdf";

fn digest() -> H256 {
    keccak256(b"vigil signature rules")
}

fn valid() -> [u8; 65] {
    sign_digest(&key(), &digest()).0
}

/// n − x for a big-endian x < n.
fn order_minus(x: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = i16::from(CURVE_ORDER[i]) - i16::from(x[i]) - borrow;
        borrow = i16::from(d < 0);
        out[i] = d.rem_euclid(256) as u8;
    }
    out
}

fn with(mut sig: [u8; 65], r: Option<[u8; 32]>, s: Option<[u8; 32]>, v: Option<u8>) -> [u8; 65] {
    if let Some(r) = r {
        sig[..32].copy_from_slice(&r);
    }
    if let Some(s) = s {
        sig[32..64].copy_from_slice(&s);
    }
    if let Some(v) = v {
        sig[64] = v;
    }
    sig
}

fn check(case: &str, sig: [u8; 65], expect: Result<Address, SignatureError>) {
    assert_eq!(recover_signer(&digest(), &Signature(sig)), expect, "{case}");
}

#[test]
fn v_values() {
    let sig = valid();
    let parity = sig[64] - 27;
    check("v as signed", sig, Ok(address()));
    check(
        "v in {0, 1}",
        with(sig, None, None, Some(parity)),
        Ok(address()),
    );
    for v in [2u8, 3, 4, 26, 29, 30, 35, 36, 255] {
        check(
            &format!("v = {v}"),
            with(sig, None, None, Some(v)),
            Err(SignatureError::InvalidV(v)),
        );
    }
    // The other parity names a different point R: some other key (or none) recovers.
    for v in [28 - parity, 1 - parity] {
        assert_ne!(
            recover_signer(&digest(), &Signature(with(sig, None, None, Some(v)))),
            Ok(address())
        );
    }
}

#[test]
fn high_s_is_rejected_although_mathematically_valid() {
    let sig = valid();
    let high_s = order_minus(&sig[32..64]);
    let flipped_v = 55 - sig[64]; // 27 ↔ 28
    check(
        "s' = n − s, v flipped",
        with(sig, None, Some(high_s), Some(flipped_v)),
        Err(SignatureError::HighS),
    );
    check(
        "same in {0, 1} form",
        with(sig, None, Some(high_s), Some(flipped_v - 27)),
        Err(SignatureError::HighS),
    );
    // Plain ECDSA recovery (k256, which does not police s) gets our key from that form:
    // refusing it is a malleability rule, not a failure to recover.
    let r: [u8; 32] = sig[..32].try_into().expect("32 bytes");
    let malleated = EcdsaSignature::from_scalars(r, high_s).expect("in range");
    let recovered = VerifyingKey::recover_from_prehash(
        &digest().0,
        &malleated,
        RecoveryId::new(flipped_v == 28, false),
    );
    assert_eq!(recovered.ok().as_ref(), Some(key().verifying_key()));
    // The boundary: ⌊n/2⌋ is low (recovers some key), ⌊n/2⌋ + 1 is high.
    let at_half = recover_signer(
        &digest(),
        &Signature(with(sig, None, Some(HALF_CURVE_ORDER), None)),
    );
    assert!(matches!(at_half, Ok(a) if a != address()), "{at_half:?}");
    let mut above_half = HALF_CURVE_ORDER;
    above_half[31] += 1;
    check(
        "s = n/2 + 1",
        with(sig, None, Some(above_half), None),
        Err(SignatureError::HighS),
    );
}

#[test]
fn r_and_s_out_of_range() {
    let sig = valid();
    let mut n_minus_1 = CURVE_ORDER;
    n_minus_1[31] -= 1;
    let cases = [
        ("r = 0", Some([0; 32]), None),
        ("s = 0", None, Some([0; 32])),
        ("r = n", Some(CURVE_ORDER), None),
        ("r = 2^256 − 1", Some([0xff; 32]), None),
        ("s = n", None, Some(CURVE_ORDER)),
        ("s = 2^256 − 1", None, Some([0xff; 32])),
        ("r = s = 0", Some([0; 32]), Some([0; 32])),
    ];
    for (case, r, s) in cases {
        check(case, with(sig, r, s, None), Err(SignatureError::OutOfRange));
    }
    // n − 1 is in range for s, but high.
    check(
        "s = n − 1",
        with(sig, None, Some(n_minus_1), None),
        Err(SignatureError::HighS),
    );
}

#[test]
fn unrecoverable_points() {
    // x = 5 is not on secp256k1 (5³ + 7 is not a square mod p).
    let mut r = [0u8; 32];
    r[31] = 5;
    check(
        "r = 5, off the curve",
        with(valid(), Some(r), None, None),
        Err(SignatureError::Unrecoverable),
    );

    // A signature crafted so the recovered key is the identity point: with s = 1 and
    // R = z·G, Q = r⁻¹(s·R − z·G) = 0. It must be refused, never mapped to an address.
    let z = Scalar::from_repr(digest().0.into())
        .into_option()
        .expect("digest below n");
    let big_r = (ProjectivePoint::GENERATOR * z).to_affine();
    let r_bytes: [u8; 32] = big_r.x().into();
    let mut s = [0u8; 32];
    s[31] = 1;
    let v = 27 + u8::from(bool::from(big_r.y_is_odd()));
    check(
        "Q = identity",
        with([0; 65], Some(r_bytes), Some(s), Some(v)),
        Err(SignatureError::Unrecoverable),
    );
}

fn order(account: Address) -> Action {
    let (tif, guard) = (TimeInForce::Gtc, (1, 1_700_000_060_000));
    Action::Order(Order::plain(
        account,
        1,
        (true, 50_000_000_000, 5_000),
        tif,
        guard,
    ))
}

#[test]
fn signer_mismatch_names_both_addresses() {
    let other = key_from_hex(KEY_ONE);
    let signed = sign_action(&other, order(address()), &domain());
    let err =
        verify_action(&signed, &domain(), &[Address::ZERO]).expect_err("signed by the wrong key");
    assert_eq!(
        err.to_string(),
        format!(
            "signer mismatch: recovered {KEY_ONE_ADDRESS}, message says {}",
            super::ADDRESS
        )
    );
    assert_eq!(
        err,
        SignatureError::SignerMismatch {
            recovered: KEY_ONE_ADDRESS.parse().expect("valid"),
            claimed: address()
        }
    );

    // Both v conventions verify when the signer is right.
    let mut signed = sign_action(&key(), order(address()), &domain());
    assert_eq!(
        verify_action(&signed, &domain(), &[Address::ZERO]),
        Ok(address())
    );
    signed.signature.0[64] -= 27;
    assert_eq!(
        verify_action(&signed, &domain(), &[Address::ZERO]),
        Ok(address())
    );
}

#[test]
fn price_updates_must_come_from_the_oracle() {
    let update = Action::PriceUpdate(PriceUpdate {
        market: 1,
        price: 50_000_000_000,
        timestamp_ms: 1_700_000_000_000,
    });
    let oracle = address();
    let signed = sign_action(&key(), update.clone(), &domain());
    assert_eq!(verify_action(&signed, &domain(), &[oracle]), Ok(oracle));
    let forged = sign_action(&key_from_hex(KEY_ONE), update, &domain());
    let err = verify_action(&forged, &domain(), &[oracle]).expect_err("not the oracle");
    assert_eq!(
        err.to_string(),
        format!(
            "signer mismatch: recovered {KEY_ONE_ADDRESS}, message says {}",
            super::ADDRESS
        )
    );
    // Any one of several signers passes, as itself.
    let other = KEY_ONE_ADDRESS.parse().expect("valid");
    assert_eq!(
        verify_action(&forged, &domain(), &[oracle, other]),
        Ok(other)
    );
    assert_eq!(
        verify_action(&signed, &domain(), &[other, oracle]),
        Ok(oracle)
    );
}

#[test]
fn signatures_do_not_replay_across_deployments_or_types() {
    let signed = sign_action(&key(), order(address()), &domain());
    let contract: Address = super::VERIFYING_CONTRACT.parse().expect("valid");
    for other_domain in [
        domain_separator(1, &contract),
        domain_separator(super::CHAIN_ID, &Address::ZERO),
    ] {
        let err = verify_action(&signed, &other_domain, &[Address::ZERO]);
        assert!(
            matches!(err, Err(SignatureError::SignerMismatch { claimed, .. }) if claimed == address()),
            "{err:?}"
        );
    }
    // Same signer, same nonce and expiry, another type: the type hash makes it a new digest.
    let cancel_all = Action::CancelAll(CancelAll {
        account: address(),
        nonce: 1,
        expires_at: 1_700_000_060_000,
    });
    let moved = protocol::action::SignedAction {
        action: cancel_all,
        signature: signed.signature,
    };
    assert!(verify_action(&moved, &domain(), &[Address::ZERO]).is_err());
}

#[test]
fn private_keys_must_be_valid_scalars() {
    assert_eq!(
        signing_key_from_bytes(&[0; 32]).err(),
        Some(InvalidSigningKey)
    );
    assert_eq!(
        signing_key_from_bytes(&CURVE_ORDER).err(),
        Some(InvalidSigningKey)
    );
    let mut n_minus_1 = CURVE_ORDER;
    n_minus_1[31] -= 1;
    assert!(signing_key_from_bytes(&n_minus_1).is_ok());
}
