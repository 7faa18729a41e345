//! Ethereum signature recovery on libsecp256k1 (Bitcoin Core's C library, through the
//! `secp256k1` crate), under exactly the rules of `protocol::signing::recover`.
//!
//! Why: signature recovery is the one cost of the sequencer's intake and the verifier's
//! re-execution that grows with load, and libsecp256k1 recovers about twice as many
//! signatures per core as k256. `protocol` keeps k256 as the consensus reference (pure Rust,
//! no C); a node may use this backend because it gives the same outcome on every input:
//!
//! - rules 1–3 (v, range, low-S) are not re-implemented: both backends run
//!   `protocol::signing::check_signature_rules` first, so those errors are identical by
//!   construction;
//! - rule 4 (R on the curve, Q not the identity) and the recovered key are the libraries'
//!   own, which is what [`differential`] checks, over ≥ 10,000 cases in CI and ≥ 1,000,000
//!   in `cargo bench -p libsecp-recovery --bench differential`.

pub mod differential;

use protocol::action::Signature;
use protocol::primitives::{Address, H256, keccak256};
use protocol::signing::{RecoverFn, SignatureError, check_signature_rules};
use secp256k1::ecdsa::{RecoverableSignature, RecoveryId};
use secp256k1::{Message, Secp256k1, VerifyOnly};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

/// One verification context for the process: building one precomputes tables, and it is
/// read-only afterwards, so every thread shares it.
fn context() -> &'static Secp256k1<VerifyOnly> {
    static CONTEXT: OnceLock<Secp256k1<VerifyOnly>> = OnceLock::new();
    CONTEXT.get_or_init(Secp256k1::verification_only)
}

/// Recovers the address that signed `digest`: `protocol::signing::recover_signer`'s
/// contract, computed by libsecp256k1.
pub fn recover_signer(digest: &H256, signature: &Signature) -> Result<Address, SignatureError> {
    let checked = check_signature_rules(signature)?;
    let mut compact = [0u8; 64];
    compact[..32].copy_from_slice(&checked.r);
    compact[32..].copy_from_slice(&checked.s);
    let parity = if checked.y_is_odd {
        RecoveryId::One
    } else {
        RecoveryId::Zero
    };
    let recoverable = RecoverableSignature::from_compact(&compact, parity)
        .map_err(|_| SignatureError::OutOfRange)?;
    // libsecp fails when no point has x = r and when Q would be the point at infinity:
    // rule 4, exactly as k256 refuses both.
    let key = context()
        .recover_ecdsa(Message::from_digest(digest.0), &recoverable)
        .map_err(|_| SignatureError::Unrecoverable)?;
    let uncompressed = key.serialize_uncompressed();
    let hash = keccak256(&uncompressed[1..]);
    let mut address = [0u8; 20];
    address.copy_from_slice(&hash.0[12..]);
    Ok(Address(address))
}

/// Which library computes signature recovery in a service (`--signature-backend`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// libsecp256k1: the default for the binaries.
    #[default]
    Libsecp,
    /// k256, the reference `protocol` itself uses.
    K256,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::Libsecp, Backend::K256];

    /// The recovery function to hand to `protocol::batch::verify_tx_with`.
    pub fn recover_fn(self) -> RecoverFn {
        match self {
            Backend::Libsecp => recover_signer,
            Backend::K256 => protocol::signing::recover_signer,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Libsecp => "libsecp",
            Backend::K256 => "k256",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown backend name; names the choices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown signature backend {0:?}: use libsecp (the default) or k256")]
pub struct UnknownBackend(pub String);

impl FromStr for Backend {
    type Err = UnknownBackend;

    fn from_str(s: &str) -> Result<Backend, UnknownBackend> {
        Backend::ALL
            .into_iter()
            .find(|b| b.name() == s)
            .ok_or_else(|| UnknownBackend(s.to_string()))
    }
}
