//! A whole rollup in this process for the trading tests: the settlement layer
//! (`contracts-mock`) and the sequencer (`sequencer::start`), each on 127.0.0.1:0 with a temp
//! data dir, sharing a genesis whose oracle key the tests hold (so they can set prices).
//! The real `vigil` binary is then driven against both URLs.

pub use crate::support::{PATIENCE, wait_for};
use crate::support::{Run, run_off_runtime};
use k256::ecdsa::SigningKey;
use protocol::action::{Action, PriceUpdate};
use protocol::api::settlement::{FaucetRequest, MineRequest};
use protocol::batch::domain_separator;
use protocol::genesis::Genesis;
use protocol::signing::{address_of, sign_action, signing_key_from_bytes};
use service_client::settlement::SettlementClient;
use std::path::Path;
use std::time::Duration;
use test_support::{SettlementLayer, bind_loopback};
use vigil_client::sequencer::SequencerClient;

pub const BTC: u32 = 1;
/// 50,000 USD in micro-USDC.
pub const BTC_PRICE: u64 = 50_000_000_000;

/// The oracle key of the test genesis (`genesis()` names its address as oracle).
pub fn oracle_key() -> SigningKey {
    signing_key_from_bytes(&[0x0c; 32]).expect("a valid key")
}

pub fn genesis() -> Genesis {
    Genesis::devnet(
        31337,
        contracts_mock::Config::default_rollup_address(),
        address_of(&oracle_key()),
    )
}

/// Settlement layer + sequencer, stopped when dropped.
pub struct Rollup {
    pub l1_url: String,
    pub seq_url: String,
    pub l1: SettlementClient,
    pub seq: SequencerClient,
    /// Dropped in order: the sequencer first, then the settlement layer.
    _seq_running: sequencer::Running,
    _seq_dir: tempfile::TempDir,
    _l1_layer: SettlementLayer,
}

impl Rollup {
    /// Blocks mined by hand (`mine`), challenge window 3 blocks, forced deadline 4.
    pub async fn start() -> Rollup {
        Rollup::start_with(None).await
    }

    /// `block_time_ms`: `None` for hand-mined blocks, else blocks on a timer.
    pub async fn start_with(block_time_ms: Option<u64>) -> Rollup {
        let l1_layer = SettlementLayer::start(genesis(), |config| {
            config.block_time_ms = block_time_ms;
            config.challenge_window_blocks = 3;
            config.force_inclusion_deadline_blocks = 4;
            config.min_sequencer_bond = 1_000;
            config.max_timestamp_drift_ms = 3_600_000;
        })
        .await;
        let l1_url = l1_layer.url.clone();
        let l1 = SettlementClient::new(&l1_url);

        let key = signing_key_from_bytes(&[0x5e; 32]).expect("a valid key");
        l1.faucet(&FaucetRequest {
            address: address_of(&key),
            amount: 1_000_000,
        })
        .await
        .expect("fund the sequencer's bond");
        let seq_dir = tempfile::tempdir().expect("temp dir");
        let mut seq_config =
            sequencer::Config::new(seq_dir.path().to_path_buf(), l1_url.clone(), genesis(), key);
        seq_config.batch_max_txs = 64;
        seq_config.batch_interval = Duration::from_millis(20);
        seq_config.keeper_interval = None;
        let seq_running = sequencer::start(seq_config, bind_loopback().await.0)
            .await
            .expect("the sequencer starts");
        let seq_url = format!("http://{}", seq_running.addr());
        let seq = SequencerClient::new(&seq_url);
        let rollup = Rollup {
            l1_url,
            seq_url,
            l1,
            seq,
            _seq_running: seq_running,
            _seq_dir: seq_dir,
            _l1_layer: l1_layer,
        };
        wait_for("the sequencer to answer", || async {
            rollup.seq.status().await.ok()
        })
        .await;
        rollup
    }

    /// Sets `market`'s oracle price (signed by the genesis oracle, stamped now).
    pub async fn price(&self, market: u32, price: u64) {
        let now = u64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_millis(),
        )
        .expect("fits");
        let action = Action::PriceUpdate(PriceUpdate {
            market,
            price,
            timestamp_ms: now,
        });
        let signed = sign_action(&oracle_key(), action, &domain_separator(&genesis()));
        self.seq
            .submit(&signed)
            .await
            .expect("price update accepted");
    }

    pub async fn mine(&self, blocks: u64) {
        self.l1
            .mine(&MineRequest {
                blocks,
                timestamp_ms: None,
            })
            .await
            .expect("mine");
    }

    /// Runs `vigil --data-dir home --l1-url … --sequencer-url … args` off the runtime.
    pub async fn vigil(&self, home: &Path, args: &[&str]) -> Run {
        let mut full = vec!["--sequencer-url", self.seq_url.as_str()];
        full.extend_from_slice(args);
        run_off_runtime(home, Some(&self.l1_url), &full).await
    }

    /// Waits until `address` holds at least `collateral` micro-USDC on L2.
    pub async fn wait_collateral(&self, address: &protocol::primitives::Address, at_least: i128) {
        wait_for("a deposit to be credited", || async {
            let view = self.seq.account(address).await.ok()?;
            (view.collateral >= at_least).then_some(())
        })
        .await;
    }

    /// Imports `secret` as the key `name` into `home` and funds its L2 account through
    /// `vigil l1 faucet` and `vigil l1 deposit` with `usdc` (human units, e.g. "10,000"),
    /// waiting until `micro` is credited.
    pub async fn funded_key(
        &self,
        home: &Path,
        name: &str,
        secret: [u8; 32],
        usdc: &str,
        micro: i128,
    ) -> protocol::primitives::Address {
        crate::support::import_key(home, name, &secret).await;
        for step in ["faucet", "deposit"] {
            let args = ["l1", step, "--name", name, "--amount", usdc];
            self.vigil(home, &args).await.ok();
        }
        let address = address_of(&signing_key_from_bytes(&secret).expect("key"));
        self.wait_collateral(&address, micro).await;
        address
    }
}

/// A JSON field as i128, whether the server wrote a number or a decimal string.
pub fn int(value: &serde_json::Value) -> i128 {
    match value {
        serde_json::Value::Number(n) => n
            .as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
            .unwrap_or_else(|| panic!("not an integer: {n}")),
        serde_json::Value::String(s) => s.parse().unwrap_or_else(|_| panic!("not an integer: {s}")),
        other => panic!("not an integer: {other}"),
    }
}
