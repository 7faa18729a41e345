//! Producing signatures, for clients, the oracle feed and tests: the exact bytes a wallet
//! would produce, so what we sign verifies anywhere else and vice versa.
//!
//! Signing is deterministic (RFC 6979 nonces with HMAC-SHA256, the scheme eth-account,
//! ethers and libsecp256k1 use), so it needs no randomness and the same key and digest
//! always give the same signature. Signatures are low-S with `v` ∈ {27, 28}.

use super::eip712::signing_digest;
use super::recover::address_of_key;
use crate::action::{Action, Signature, SignedAction};
use crate::primitives::{Address, H256};
use k256::ecdsa::SigningKey;

/// The 32 bytes are not a valid secp256k1 private key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid private key: must be a nonzero integer below the secp256k1 group order")]
pub struct InvalidSigningKey;

/// Parses a raw 32-byte big-endian private key (zero and values ≥ n are refused).
pub fn signing_key_from_bytes(bytes: &[u8; 32]) -> Result<SigningKey, InvalidSigningKey> {
    SigningKey::from_slice(bytes).map_err(|_| InvalidSigningKey)
}

/// The Ethereum address of a private key.
pub fn address_of(key: &SigningKey) -> Address {
    address_of_key(key.verifying_key())
}

/// Signs a 32-byte digest: `r ‖ s ‖ v`, low-S, `v = 27 + y parity of R`.
pub fn sign_digest(key: &SigningKey, digest: &H256) -> Signature {
    // k256 normalizes s to the low half and flips the recovery id to match. The
    // "x reduced" recovery bit (R.x ≥ n, probability ~2⁻¹²⁸) has no place in Ethereum's v.
    let (signature, recovery_id) = key.sign_prehash_recoverable(&digest.0);
    let mut bytes = [0u8; 65];
    bytes[..64].copy_from_slice(&signature.to_bytes());
    bytes[64] = 27 + u8::from(recovery_id.is_y_odd());
    Signature(bytes)
}

/// Signs an action under a domain, ready for `POST /v1/tx`.
pub fn sign_action(key: &SigningKey, action: Action, domain_separator: &H256) -> SignedAction {
    let signature = sign_digest(key, &signing_digest(&action, domain_separator));
    SignedAction { action, signature }
}
