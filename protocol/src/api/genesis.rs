//! `GET /v1/genesis`, served the same by the sequencer, every verifier and the settlement
//! layer: every parameter of the chain, its canonical bytes and the values derived from
//! them, so that an outside implementation can check its own genesis encoding against a
//! running network byte for byte (docs/PROTOCOL.md Part 4 §12, Part 5 §2).

use crate::batch::{genesis_anchor, genesis_tree};
use crate::codec::Encode;
use crate::fraud::hex_bytes;
use crate::genesis::Genesis;
use crate::primitives::H256;
use serde::{Deserialize, Serialize};

/// The genesis and what follows from it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisView {
    /// Every parameter, top-level and per market, as the JSON genesis file holds them.
    pub genesis: Genesis,
    /// The canonical encoding (Part 4 §12), `0x` hex.
    #[serde(with = "hex_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^0x([0-9a-fA-F]{2})*$"))]
    pub canonical: Vec<u8>,
    /// keccak256 of `canonical`: the `genesis_hash` of every batch header.
    pub hash: H256,
    /// keccak256("vigil-genesis" ‖ hash): the chain's anchor (Part 5 §2).
    pub anchor: H256,
    /// The state root right after genesis: batch 0's `prev_state_root`.
    pub state_root: H256,
}

impl GenesisView {
    /// Computes every derived value from `genesis`.
    pub fn of(genesis: &Genesis) -> GenesisView {
        let canonical = genesis.encode();
        let hash = genesis.hash();
        debug_assert_eq!(hash, crate::primitives::keccak256(&canonical));
        GenesisView {
            genesis: genesis.clone(),
            canonical,
            hash,
            anchor: genesis_anchor(genesis),
            state_root: genesis_tree(genesis).root(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::genesis::{DEVNET_CHAIN_ID, DEVNET_VERIFYING_CONTRACT};
    use crate::primitives::Address;

    /// The view's values are the ones the batch code derives, and its JSON reads back.
    #[test]
    fn view_matches_the_batch_code_and_round_trips() {
        let genesis = Genesis::devnet(DEVNET_CHAIN_ID, DEVNET_VERIFYING_CONTRACT, Address([7; 20]));
        let view = GenesisView::of(&genesis);
        assert_eq!(view.hash, crate::primitives::keccak256(&genesis.encode()));
        assert_eq!(view.anchor, genesis_anchor(&genesis));
        assert_eq!(view.state_root, genesis_tree(&genesis).root());
        let json = serde_json::to_value(&view).expect("json");
        assert!(json["canonical"].as_str().expect("hex").starts_with("0x"));
        assert_eq!(json["genesis"]["max_price_age_ms"], 60_000);
        let back: GenesisView = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, view);
    }
}
