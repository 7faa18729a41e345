//! `Node`: the real settlement layer in-process on 127.0.0.1:0 with a temporary data dir
//! and hand-mined blocks (the shared `test_support::SettlementLayer`), on the chain terms
//! of the verifier's end-to-end tests.

use contracts_mock::Config;
use protocol::api::settlement::{Event, EventKind};
use protocol::genesis::Genesis;
use protocol::primitives::H256;
use std::time::Duration;
use test_support::SettlementLayer;

/// W: a batch is challengeable for this many blocks after the one it was posted in.
pub const WINDOW: u64 = 12;
pub const MIN_SEQUENCER_BOND: u64 = 1_000;
/// The tests run with a challenger bond, so the verifiers' "bond first" path is exercised.
pub const MIN_CHALLENGER_BOND: u64 = 100;

/// The settlement layer under test; derefs to the shared harness for every call.
#[derive(Debug)]
pub struct Node(SettlementLayer);

impl Node {
    pub async fn start(genesis: &Genesis) -> Node {
        Node(SettlementLayer::start(genesis.clone(), chain_terms).await)
    }

    /// Waits (at most `wait` for each) for the batch with header `bad_hash` to be posted,
    /// then for a challenge upheld after it; the upheld event and the batch's deadline block.
    pub async fn wait_for_upheld(&self, bad_hash: H256, wait: Duration) -> (Event, u64) {
        let posted = self
            .wait_for_event(
                0,
                wait,
                |e| matches!(e, EventKind::BatchPosted { header_hash, .. } if *header_hash == bad_hash),
            )
            .await;
        let EventKind::BatchPosted { deadline_block, .. } = posted.event else {
            unreachable!("matched above")
        };
        let upheld = self
            .wait_for_event(posted.seq, wait, |e| {
                matches!(e, EventKind::ChallengeUpheld { .. })
            })
            .await;
        (upheld, deadline_block)
    }
}

fn chain_terms(config: &mut Config) {
    config.challenge_window_blocks = WINDOW;
    config.force_inclusion_deadline_blocks = 1_000;
    config.min_sequencer_bond = MIN_SEQUENCER_BOND;
    config.min_challenger_bond = MIN_CHALLENGER_BOND;
    config.slash_share_bps = 5_000;
    config.max_timestamp_drift_ms = 10_000;
}

test_support::deref_to_settlement_layer!(Node);
