//! EIP-712 typed-data signing for the Vigil actions (DESIGN §2, normative: external
//! wallets depend on every byte of it). The byte-level spec is docs/PROTOCOL.md Part 2.
//!
//! - `eip712`: domain separator, `struct_hash`, `signing_digest` (the actions' type strings
//!   and hashes are generated from their declarations in `action/mod.rs`).
//! - `recover`: the signature rules (v, range, low-S) and address recovery.
//! - `sign`: deterministic signing for clients, the oracle feed and tests.
//!
//! `verify_action` ties them together: it is what the sequencer and every verifier run on
//! each incoming action. Nonce replay protection is not here; the engine owns it.

mod eip712;
mod recover;
mod sign;

pub(crate) use eip712::h256;
pub use eip712::{
    DOMAIN_NAME, DOMAIN_TYPE, DOMAIN_TYPEHASH, DOMAIN_VERSION, StructHasher, domain_separator,
    eip712_domain_separator, signing_digest, struct_hash, type_hash, typed_data_digest,
};
pub use recover::{
    CURVE_ORDER, CheckedSignature, HALF_CURVE_ORDER, address_of_key, check_signature_rules,
    recover_key, recover_signer,
};
pub use sign::{InvalidSigningKey, address_of, sign_action, sign_digest, signing_key_from_bytes};

use crate::action::SignedAction;
use crate::primitives::{Address, H256};

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

/// A signature-recovery backend: the signer of a digest under rules 1–4 of `recover`.
/// `recover_signer` (k256) is the reference; a faster backend must give the same outcome on
/// every input (the services' differential test checks one against the other).
pub type RecoverFn = fn(&H256, &crate::action::Signature) -> Result<Address, SignatureError>;

/// Checks a signed action under a domain and returns its signer.
///
/// User actions must be signed by the address they name (`account`, `liquidator` for
/// `Liquidate`, `agent` for the agent kinds); a `PriceUpdate` must be signed by one of the
/// genesis `oracles`. Otherwise the error is `SignerMismatch { recovered, claimed }`
/// (`claimed` is the first oracle signer for a `PriceUpdate`).
pub fn verify_action(
    signed: &SignedAction,
    domain_separator: &H256,
    oracles: &[Address],
) -> Result<Address, SignatureError> {
    verify_action_with(signed, domain_separator, oracles, recover_signer)
}

/// [`verify_action`] with the recovery done by `recover`.
pub fn verify_action_with(
    signed: &SignedAction,
    domain_separator: &H256,
    oracles: &[Address],
    recover: RecoverFn,
) -> Result<Address, SignatureError> {
    let digest = signing_digest(&signed.action, domain_separator);
    let recovered = recover(&digest, &signed.signature)?;
    let accepted = match signed.action.claimed_signer() {
        Some(claimed) => (recovered == claimed).then_some(claimed),
        None => oracles.contains(&recovered).then_some(recovered),
    };
    accepted.ok_or_else(|| SignatureError::SignerMismatch {
        recovered,
        claimed: signed
            .action
            .claimed_signer()
            .or_else(|| oracles.first().copied())
            .unwrap_or(Address::ZERO),
    })
}
