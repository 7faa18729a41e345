//! EIP-712 typed-data signing for the six Vigil actions (DESIGN §2, normative).
//!
//! (Skeleton: the hashing, recovery and signing functions are being filled in.)

use crate::primitives::Address;

/// Why a signature was refused. `SignerMismatch` names both addresses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("invalid signature v = {0}: must be 27, 28, 0 or 1")]
    InvalidV(u8),
    #[error("signature s is in the high half of the curve order (non-canonical); use low-S")]
    HighS,
    #[error("signature r or s is zero or not below the curve order")]
    OutOfRange,
    #[error("no public key recovers from this signature")]
    Unrecoverable,
    #[error("signer mismatch: recovered {recovered}, message says {claimed}")]
    SignerMismatch {
        recovered: Address,
        claimed: Address,
    },
}
