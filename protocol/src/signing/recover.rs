//! Public-key recovery from a 65-byte `r ‖ s ‖ v` signature over a digest, and the
//! signature rules every node must apply identically (DESIGN §2):
//!
//! 1. `v` ∈ {27, 28} or {0, 1} (y parity of R); anything else → `InvalidV(v)`.
//! 2. `r` and `s` in [1, n−1] (n = the secp256k1 group order) → else `OutOfRange`.
//! 3. `s ≤ n/2` (low-S; EIP-2) → else `HighS`, so a signature has exactly one valid form.
//! 4. R = the curve point with x = r and the parity of `v` must exist, and the recovered key
//!    Q = r⁻¹(sR − zG) must not be the identity → else `Unrecoverable`.
//!
//! The checks are ours, in this order, on raw bytes, so the error a user sees does not
//! depend on library internals. Recovery is k256 0.14 / ecdsa 0.17's
//! `VerifyingKey::recover_from_prehash`, which in that version computes Q with one
//! variable-time double-scalar multiplication and does not re-verify the signature (the
//! recovered key verifies by construction), i.e. it is already the fast path DESIGN §10
//! calls `recover_from_prehash_noverify`; that name does not exist in k256 0.14.

use super::SignatureError;
use crate::action::Signature;
use crate::primitives::{Address, H256, keccak256};
use k256::ecdsa::{RecoveryId, Signature as EcdsaSignature, VerifyingKey};

/// n, the order of the secp256k1 group, big-endian.
pub const CURVE_ORDER: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
    0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
];

/// ⌊n/2⌋, big-endian: the largest `s` a canonical (low-S) signature may carry.
pub const HALF_CURVE_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

/// Recovers the address that signed `digest`, enforcing the rules in the module doc.
pub fn recover_signer(digest: &H256, signature: &Signature) -> Result<Address, SignatureError> {
    let key = recover_key(digest, signature)?;
    Ok(address_of_key(&key))
}

/// Recovers the public key that signed `digest`, enforcing the rules in the module doc.
pub fn recover_key(digest: &H256, signature: &Signature) -> Result<VerifyingKey, SignatureError> {
    let (ecdsa, recovery_id) = parse_signature(signature)?;
    // `recover_from_prehash` fails when x = r is not on the curve and when Q is the identity
    // (`VerifyingKey` cannot hold the identity), so the identity is refused here too.
    VerifyingKey::recover_from_prehash(&digest.0, &ecdsa, recovery_id)
        .map_err(|_| SignatureError::Unrecoverable)
}

/// The Ethereum address of a public key: the last 20 bytes of keccak256 of the 64-byte
/// uncompressed point `x ‖ y` (the SEC1 encoding without its 0x04 tag).
pub fn address_of_key(key: &VerifyingKey) -> Address {
    let point = key.to_sec1_point(false);
    let uncompressed = point.as_bytes();
    let hash = keccak256(&uncompressed[1..]);
    let mut address = [0u8; 20];
    address.copy_from_slice(&hash.0[12..]);
    Address(address)
}

/// A signature that passed rules 1–3: `r` and `s` in range, low-S, and the y parity of R
/// that `v` carries. Every recovery backend starts from this, so the rules (and the error a
/// user sees) are the same whichever library computes the point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedSignature {
    pub r: [u8; 32],
    pub s: [u8; 32],
    pub y_is_odd: bool,
}

/// Applies rules 1–3 on the raw bytes, in the documented order.
pub fn check_signature_rules(signature: &Signature) -> Result<CheckedSignature, SignatureError> {
    let bytes = &signature.0;
    let y_is_odd = match bytes[64] {
        0 | 27 => false,
        1 | 28 => true,
        v => return Err(SignatureError::InvalidV(v)),
    };
    let mut r = [0u8; 32];
    let mut s = [0u8; 32];
    r.copy_from_slice(&bytes[..32]);
    s.copy_from_slice(&bytes[32..64]);
    // Big-endian byte arrays of equal length compare like the integers they encode.
    let in_range = |x: &[u8; 32]| *x != [0u8; 32] && *x < CURVE_ORDER;
    if !in_range(&r) || !in_range(&s) {
        return Err(SignatureError::OutOfRange);
    }
    if s > HALF_CURVE_ORDER {
        return Err(SignatureError::HighS);
    }
    Ok(CheckedSignature { r, s, y_is_odd })
}

/// Applies rules 1–3 on the raw bytes and converts to k256 types.
fn parse_signature(signature: &Signature) -> Result<(EcdsaSignature, RecoveryId), SignatureError> {
    let CheckedSignature { r, s, y_is_odd } = check_signature_rules(signature)?;
    // Rule 2 already guarantees what `from_scalars` checks; keep its answer anyway rather
    // than assume.
    let ecdsa = EcdsaSignature::from_scalars(r, s).map_err(|_| SignatureError::OutOfRange)?;
    // Ethereum's v carries only the y parity: an R whose x exceeded n (probability ~2⁻¹²⁸)
    // is not expressible, exactly as in `ecrecover`.
    Ok((ecdsa, RecoveryId::new(y_is_odd, false)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use k256::Scalar;
    use k256::elliptic_curve::PrimeField;
    use k256::elliptic_curve::scalar::IsHigh;

    fn scalar(bytes: [u8; 32]) -> Option<Scalar> {
        Scalar::from_repr(bytes.into()).into_option()
    }

    #[test]
    fn order_constants_agree_with_k256() {
        // n itself is not a canonical scalar, n − 1 is.
        assert!(scalar(CURVE_ORDER).is_none());
        let mut n_minus_1 = CURVE_ORDER;
        n_minus_1[31] -= 1;
        assert!(scalar(n_minus_1).is_some());
        // ⌊n/2⌋ is the largest low scalar; ⌊n/2⌋ + 1 is high.
        let half = scalar(HALF_CURVE_ORDER).expect("n/2 < n");
        assert!(!bool::from(half.is_high()));
        assert!(bool::from((half + Scalar::ONE).is_high()));
    }

    #[test]
    fn checks_come_in_the_documented_order() {
        // v is checked before anything else, then range, then high-S.
        let mut sig = [0u8; 65];
        sig[64] = 5;
        assert_eq!(
            parse_signature(&Signature(sig)),
            Err(SignatureError::InvalidV(5))
        );
        sig[64] = 27;
        assert_eq!(
            parse_signature(&Signature(sig)),
            Err(SignatureError::OutOfRange)
        );
        sig[31] = 1;
        sig[32..64].copy_from_slice(&CURVE_ORDER);
        assert_eq!(
            parse_signature(&Signature(sig)),
            Err(SignatureError::OutOfRange)
        );
        sig[32] = 0x80;
        sig[33..64].fill(0);
        assert_eq!(parse_signature(&Signature(sig)), Err(SignatureError::HighS));
    }
}
