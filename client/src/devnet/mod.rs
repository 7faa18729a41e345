//! `vigil devnet`: the whole network in one process — settlement layer, sequencer, two
//! verifiers in challenge mode, an oracle price feed and the liquidation keeper — and the
//! `devnet.json` manifest that tells users and scripts where everything is.

pub mod manifest;
