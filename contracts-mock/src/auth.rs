//! Authentication of L1 calls: the signature must recover to the call's `from` under the
//! settlement layer's EIP-712 domain (see `protocol::api::settlement` for the digest).
//! The nonce is checked later, inside the call's transaction.

use crate::error_codes;
use protocol::api::settlement::{L1CallData, SignedCall};
use protocol::primitives::{Address, H256};
use protocol::signing::recover_signer;
use service_shell::http::ApiError;

/// The authenticated caller of `call`.
pub fn authenticate<C: L1CallData>(
    call: &SignedCall<C>,
    domain_separator: &H256,
) -> Result<Address, ApiError> {
    let digest = call.digest(domain_separator);
    let signer = recover_signer(&digest, &call.signature).map_err(|e| {
        ApiError::new(
            error_codes::BAD_SIGNATURE,
            format!("the L1 call's signature is invalid: {e}"),
        )
    })?;
    if signer != call.from {
        return Err(ApiError::new(
            error_codes::SIGNER_MISMATCH,
            format!(
                "signer mismatch: the signature recovers {signer}, but the call is from {}",
                call.from
            ),
        ));
    }
    Ok(signer)
}
