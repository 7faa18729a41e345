//! The devnet's deterministic keys: the same `--dir`-independent keys on every machine, so
//! a restart resumes with the same accounts and docs can name them. These are public
//! throwaway keys; never use them for anything of value.
//!
//! The oracle signers' keys are keccak256("vigil devnet oracle"), keccak256("vigil devnet
//! oracle 1") and keccak256("vigil devnet oracle 2"), the default of every binary's
//! `--oracle` flag and of `vigil oracle --key`, so the one-process devnet and the docker
//! compose network agree on the genesis oracle signers without configuration.

use k256::ecdsa::SigningKey;
use protocol::primitives::to_hex;
use protocol::workload::dev_key;

/// The devnet's first oracle signer's key: keccak256("vigil devnet oracle")
/// (`protocol::genesis`). Alone it moves the index whenever the other signers are silent.
pub fn oracle_key() -> SigningKey {
    protocol::genesis::devnet_oracle_key()
}

/// Every devnet oracle signer's key, in genesis slot order (the devnet feed signs with all).
pub fn oracle_keys() -> Vec<SigningKey> {
    protocol::genesis::devnet_oracle_keys()
}

/// The sequencer's L1 and keeper key.
pub fn sequencer_key() -> SigningKey {
    dev_key("vigil devnet sequencer", 0, 0)
}

/// Verifier `i`'s challenger key (0-based).
pub fn verifier_key(i: u64) -> SigningKey {
    dev_key("vigil devnet verifier", 0, i)
}

/// Dev account `i`'s key (0-based); its name is `dev{i}`.
pub fn account_key(i: u64) -> SigningKey {
    dev_key("vigil devnet account", 0, i)
}

/// A key's secret as `0x` hex (for the manifest and the docs).
pub fn secret_hex(key: &SigningKey) -> String {
    to_hex(&key.to_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::signing::address_of;

    #[test]
    fn keys_are_distinct_and_stable() {
        let keys = [
            oracle_key(),
            sequencer_key(),
            verifier_key(0),
            verifier_key(1),
            account_key(0),
            account_key(1),
        ];
        let mut addresses: Vec<_> = keys.iter().map(address_of).collect();
        addresses.sort();
        addresses.dedup();
        assert_eq!(addresses.len(), keys.len());
        assert_eq!(
            address_of(&account_key(0)),
            address_of(&account_key(0)),
            "deterministic"
        );
        assert_eq!(secret_hex(&oracle_key()).len(), 66);
    }
}
