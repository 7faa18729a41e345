//! `Node`: one settlement-layer server per test (the shared `test_support::SettlementLayer`:
//! in-process on 127.0.0.1:0, a temporary data dir, hand-mined blocks, a typed HTTP client)
//! on this suite's chain terms, with the supply accounting asserted after every POST.

use super::{addr, alice, bob, carol, expect_error, sequencer};
use contracts_mock::Config;
use k256::ecdsa::SigningKey;
use protocol::api::settlement::{
    AccountResponse, BondsResponse, EventKind, QueueResponse, StatusResponse,
};
use protocol::genesis::Genesis;
use test_support::SettlementLayer;

/// The test chain: the devnet genesis (with the devnet oracle key's address as oracle) and
/// K = 2, so small batches have several chunks.
pub fn test_genesis() -> Genesis {
    let oracle = protocol::signing::address_of(&protocol::genesis::devnet_oracle_key());
    let mut genesis = Genesis::devnet(31337, Config::default_rollup_address(), oracle);
    genesis.checkpoint_interval_txs = 2;
    genesis
}

/// The test chain on a data dir of its own.
pub fn test_config(dir: &std::path::Path) -> Config {
    let mut config = Config::new(dir.to_path_buf(), test_genesis());
    test_terms(&mut config);
    config
}

/// Small, exact numbers: W = 5 blocks, D = 4 blocks, bond 1000, half of a slash to the
/// challenger, 10 s drift; blocks mined by hand.
fn test_terms(config: &mut Config) {
    config.block_time_ms = None;
    config.challenge_window_blocks = 5;
    config.force_inclusion_deadline_blocks = 4;
    config.min_sequencer_bond = 1_000;
    config.min_challenger_bond = 0;
    config.slash_share_bps = 5_000;
    config.max_timestamp_drift_ms = 10_000;
    config.faucet_max_amount = 1_000_000_000;
}

/// Everything a refused call must leave untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub status: StatusResponse,
    pub accounts: Vec<AccountResponse>,
    pub bonds: BondsResponse,
    pub queue: QueueResponse,
}

/// The settlement layer under test; derefs to the shared harness for every call.
#[derive(Debug)]
pub struct Node(SettlementLayer);

impl Node {
    pub async fn start() -> Node {
        Node::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut Config)) -> Node {
        let layer = SettlementLayer::start(test_genesis(), |config| {
            test_terms(config);
            tweak(config);
        })
        .await;
        Node(layer.auditing_supply())
    }

    /// A client for a server run elsewhere (the real binary), configured as `config`.
    pub fn attach(url: String, config: Config) -> Node {
        Node(SettlementLayer::attach(url, config).auditing_supply())
    }

    /// Graceful shutdown, then a new server on the same data dir.
    pub async fn restart(self) -> Node {
        Node(self.0.restart().await)
    }

    /// Faucet + bond: `key` holds a bond of `amount` (and `amount` more as balance).
    pub async fn fund_and_bond(&self, key: &SigningKey, amount: u64) {
        self.0.fund_and_bond(key, amount, amount).await;
    }

    /// Every event's kind, oldest first (up to 1000).
    pub async fn event_kinds(&self) -> Vec<EventKind> {
        let events = self.events(0).await.events;
        events.into_iter().map(|e| e.event).collect()
    }

    /// Asserts that `answer` is the refusal `status` with `code`, its message saying
    /// `says`, and that the refused call left everything as it was at `before`.
    pub async fn expect_refused(
        &self,
        before: &Snapshot,
        answer: &(u16, serde_json::Value),
        status: u16,
        code: &str,
        says: &str,
    ) {
        expect_error(answer, status, code, says);
        assert_eq!(
            &self.snapshot().await,
            before,
            "a refused call changes nothing"
        );
    }

    pub async fn snapshot(&self) -> Snapshot {
        let mut accounts = Vec::new();
        for key in [sequencer(), alice(), bob(), carol()] {
            accounts.push(self.account(&addr(&key)).await);
        }
        Snapshot {
            status: self.status().await,
            accounts,
            bonds: self.get("/v1/bonds").await,
            queue: self.get("/v1/queue?limit=1000").await,
        }
    }
}

test_support::deref_to_settlement_layer!(Node);
