//! `L1`: the settlement layer (`contracts-mock`) in-process on 127.0.0.1:0 with a temporary
//! data dir and hand-mined blocks: the shared `test_support::SettlementLayer` on this
//! suite's chain terms. Blocks are stamped with the wall clock (`mine_stamped_now`), as the
//! sequencer stamps its batches.

use contracts_mock::Config;
use test_support::SettlementLayer;

/// Challenge window W of the test chain, in blocks.
pub const WINDOW: u64 = 3;

/// The settlement layer under test; derefs to the shared harness for every call.
#[derive(Debug)]
pub struct L1(SettlementLayer);

impl L1 {
    /// A chain with our genesis, manual blocks, W = 3, D = 4, bond 1000, and a drift bound
    /// wide enough that wall-clock batch timestamps always pass.
    pub async fn start() -> L1 {
        L1(SettlementLayer::start(super::genesis(), chain_terms).await)
    }
}

fn chain_terms(config: &mut Config) {
    config.challenge_window_blocks = WINDOW;
    config.force_inclusion_deadline_blocks = 4;
    config.min_sequencer_bond = 1_000;
    config.max_timestamp_drift_ms = 3_600_000;
}

test_support::deref_to_settlement_layer!(L1);
