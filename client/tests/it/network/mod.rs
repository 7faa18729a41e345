//! The whole system in one test process, over real HTTP on 127.0.0.1:0: the settlement
//! layer (`test_support::SettlementLayer`, hand-mined blocks so challenge windows are
//! deterministic), the real sequencer (`sequencer::start`, optionally with a fault plan)
//! and verifiers (`verifier::start`), each with a temporary data dir, talked to through the
//! client's own typed clients. Each verifier runs on a runtime of its own, so a test can kill it: the
//! runtime is shut down, which drops its tasks at their next await without running any
//! graceful-stop code (only a database write already handed to a blocking thread ends).

pub mod observe;
pub mod trading;

pub use crate::support::{PATIENCE, wait_for};
use k256::ecdsa::SigningKey;
use protocol::action::{Action, SignedAction};
use protocol::api::settlement::{Event, EventKind, FaucetRequest, MineRequest, StatusResponse};
use protocol::api::verifier::StatusResponse as VerifierStatus;
use protocol::primitives::Address;
use protocol::signing::{address_of, sign_action};
use protocol::workload::{Workload, dev_key};
use sequencer::FaultPlan;
use service_client::settlement::SettlementClient;
use std::time::Duration;
use tempfile::TempDir;
use test_support::{SettlementLayer, bind_loopback};
use vigil_client::sequencer::SequencerClient;
use vigil_client::verifier::VerifierClient;

/// W: a batch is challengeable while the head block is ≤ its posting block + W.
pub const WINDOW: u64 = 20;
pub const MIN_SEQUENCER_BOND: u64 = 1_000;
/// A challenger bond, so the verifiers' "bond first" path runs too.
pub const MIN_CHALLENGER_BOND: u64 = 100;
pub const SLASH_SHARE_BPS: u32 = 5_000;
/// L1 funds of the sequencer (it bonds again after a slash) and of each verifier.
pub const SEQUENCER_FUNDS: u64 = 1_000_000;
pub const VERIFIER_FUNDS: u64 = 1_000;
/// Every trader's L2 deposit: 100,000 USDC in micro-units.
pub const DEPOSIT: u64 = 100_000_000_000;

/// The settlement layer and the real sequencer, over the genesis of a seeded workload.
#[derive(Debug)]
pub struct Network {
    pub workload: Workload,
    pub l1: SettlementClient,
    pub seq: SequencerClient,
    pub sequencer_key: SigningKey,
    seq_running: Option<sequencer::Running>,
    _seq_dir: TempDir,
    /// Declared last: dropped after the sequencer that posts to it.
    l1_layer: SettlementLayer,
}

impl Network {
    /// Starts the settlement layer, deposits `DEPOSIT` for every trader of the workload
    /// (so the sequencer's first batch consumes them), then starts the sequencer with
    /// fast batching (64 transactions or 20 ms), no keeper, and `fault` if given; waits
    /// until the deposits are credited and posted.
    pub async fn start(workload: Workload, fault: Option<FaultPlan>) -> Network {
        Network::start_with(workload, fault, |_| {}).await
    }

    /// [`Network::start`] with the settlement layer's configuration changed by `tweak`.
    pub async fn start_with(
        mut workload: Workload,
        fault: Option<FaultPlan>,
        tweak: impl FnOnce(&mut contracts_mock::Config),
    ) -> Network {
        workload.genesis.checkpoint_interval_txs = 4;
        let genesis = workload.genesis.clone();
        let l1_layer = SettlementLayer::start(genesis.clone(), |config| {
            config.challenge_window_blocks = WINDOW;
            config.force_inclusion_deadline_blocks = 1_000;
            config.min_sequencer_bond = MIN_SEQUENCER_BOND;
            config.min_challenger_bond = MIN_CHALLENGER_BOND;
            config.slash_share_bps = SLASH_SHARE_BPS;
            // Batches carry the wall clock; the hand-mined L1 head may be far behind it.
            config.max_timestamp_drift_ms = 3_600_000;
            tweak(config);
        })
        .await;
        for trader in &workload.traders {
            l1_layer.deposit(&trader.key, DEPOSIT).await;
        }
        let l1_url = l1_layer.url.clone();
        let l1 = SettlementClient::new(&l1_url);

        let sequencer_key = dev_key("vigil-e2e-sequencer", 0, 0);
        fund(&l1, &address_of(&sequencer_key), SEQUENCER_FUNDS).await;
        let seq_dir = tempfile::tempdir().expect("temp dir");
        let mut config = sequencer::Config::new(
            seq_dir.path().to_path_buf(),
            l1_url,
            genesis,
            sequencer_key.clone(),
        );
        config.batch_max_txs = 64;
        config.batch_interval = Duration::from_millis(20);
        config.keeper_interval = None;
        config.inject_fault = fault;
        let (listener, seq_url) = bind_loopback().await;
        let seq_running = sequencer::start(config, listener)
            .await
            .expect("the sequencer starts");
        let network = Network {
            seq: SequencerClient::new(&seq_url),
            l1,
            workload,
            sequencer_key,
            seq_running: Some(seq_running),
            _seq_dir: seq_dir,
            l1_layer,
        };
        let traders = network.workload.traders.len() as u64;
        wait_for("the deposits to be posted", || async {
            let s = network.settled().await?;
            (s.tip.queue_end == traders).then_some(())
        })
        .await;
        network
    }

    /// Signs `action` with `key` for this chain.
    pub fn sign(&self, key: &SigningKey, action: Action) -> SignedAction {
        sign_action(key, action, &self.workload.domain())
    }

    pub async fn l1_status(&self) -> StatusResponse {
        self.l1.status().await.expect("settlement status")
    }

    /// The settlement layer's status once the sequencer has nothing unposted: no open
    /// batch, no posting error, every sealed batch live on L1 and the sequencer's root
    /// the tip's. `None` while that is not (yet) so.
    pub async fn settled(&self) -> Option<StatusResponse> {
        let s = self.seq.status().await.ok()?;
        let l1 = self.l1_status().await;
        let done = s.open_batch.is_none()
            && s.posting_error.is_none()
            && s.last_sealed.is_some()
            && s.last_posted == s.last_sealed
            && l1.tip.index == s.last_sealed
            && l1.tip.state_root == s.state_root;
        done.then_some(l1)
    }

    /// Waits until the sequencer has sealed its open batch, so the next action opens one.
    pub async fn batch_boundary(&self) {
        wait_for("the open batch to seal", || async {
            let s = self.seq.status().await.ok()?;
            s.open_batch.is_none().then_some(())
        })
        .await;
    }

    /// Mines `blocks` L1 blocks stamped with the wall clock.
    pub async fn mine(&self, blocks: u64) {
        let request = MineRequest {
            blocks,
            timestamp_ms: None,
        };
        self.l1.mine(&request).await.expect("mine");
    }

    /// Every settlement event so far, in order.
    pub async fn events(&self) -> Vec<Event> {
        let mut events: Vec<Event> = Vec::new();
        for _ in 0..10_000 {
            let after = events.last().map_or(0, |e| e.seq);
            let page = self
                .l1
                .events(after, 1_000, Duration::ZERO)
                .await
                .expect("events");
            if page.events.is_empty() {
                return events;
            }
            events.extend(page.events);
        }
        panic!("more than 10,000 pages of events");
    }

    /// The first event `wanted` picks, waiting for it.
    pub async fn wait_for_event<T>(&self, what: &str, wanted: impl Fn(&Event) -> Option<T>) -> T {
        wait_for(what, || async {
            self.events().await.iter().find_map(&wanted)
        })
        .await
    }

    /// Stops the sequencer for good (it goes silent); its URL stops answering.
    pub async fn stop_sequencer(&mut self) {
        if let Some(seq) = self.seq_running.take() {
            seq.shutdown().await;
        }
    }

    /// Graceful stop of the sequencer, then of the settlement layer; both must end `Ok`.
    pub async fn shutdown(mut self) {
        if let Some(seq) = self.seq_running.take() {
            seq.shutdown().await;
        }
        self.l1_layer.shutdown().await;
    }
}

/// Faucet: `amount` on `address`'s L1 balance.
pub async fn fund(l1: &SettlementClient, address: &Address, amount: u64) {
    let request = FaucetRequest {
        address: *address,
        amount,
    };
    l1.faucet(&request).await.expect("faucet");
}

/// Whether an event is part of a fraud proof's outcome (there is none in an honest run).
pub fn is_challenge_event(event: &EventKind) -> bool {
    matches!(
        event,
        EventKind::ChallengeUpheld { .. } | EventKind::Slashed { .. }
    )
}

/// The L1 key of test verifier `index`.
pub fn verifier_key(index: u64) -> SigningKey {
    dev_key("vigil-e2e-verifier", 0, index)
}

/// `verifier::start` on a runtime of its own (one worker), serving on 127.0.0.1:0.
#[derive(Debug)]
pub struct Verifier {
    pub client: VerifierClient,
    pub config: verifier::Config,
    runtime: Option<tokio::runtime::Runtime>,
    running: Option<verifier::Running>,
}

impl Verifier {
    /// A challenge-mode configuration signing with `key`, polling every 50 ms.
    pub fn config(network: &Network, dir: &TempDir, key: &SigningKey) -> verifier::Config {
        let mut config = verifier::Config::new(
            dir.path().to_path_buf(),
            network.l1.base_url().to_string(),
            network.workload.genesis.clone(),
        )
        .challenging(key.clone());
        config.poll_interval = Duration::from_millis(50);
        config
    }

    pub async fn start(config: verifier::Config) -> Verifier {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a verifier runtime");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener.set_nonblocking(true).expect("non-blocking");
        let url = format!("http://{}", listener.local_addr().expect("local addr"));
        let starting = config.clone();
        let running = runtime
            .spawn(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("tokio listener");
                verifier::start(starting, listener).await
            })
            .await
            .expect("verifier start task")
            .expect("the verifier starts");
        Verifier {
            client: VerifierClient::new(&url),
            config,
            runtime: Some(runtime),
            running: Some(running),
        }
    }

    pub async fn status(&self) -> VerifierStatus {
        self.client.status().await.expect("verifier status")
    }

    /// Graceful stop (on the verifier's own runtime): `shutdown` must return `Ok`.
    pub async fn shutdown(mut self) {
        if let (Some(running), Some(runtime)) = (self.running.take(), &self.runtime) {
            let result = runtime
                .spawn(running.shutdown())
                .await
                .expect("verifier task");
            result.expect("verifier stops cleanly");
        }
        self.drop_runtime().await;
    }

    /// Kill: its tasks are dropped where they stand, no stop code runs.
    pub async fn kill(mut self) {
        // `Running` outlives the runtime: dropping it first would start a graceful stop.
        let running = self.running.take();
        self.drop_runtime().await;
        drop(running);
    }

    async fn drop_runtime(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            tokio::task::spawn_blocking(move || runtime.shutdown_timeout(PATIENCE))
                .await
                .expect("runtime shutdown");
        }
    }

    /// Waits until this verifier has applied the whole settlement log and verified its tip.
    pub async fn wait_on_tip(&self, network: &Network) -> VerifierStatus {
        wait_for("a verifier to verify the settlement tip", || async {
            let l1 = network.l1_status().await;
            let s = self.client.status().await.ok()?;
            let on_tip = s.cursor >= l1.last_event_seq
                && s.verified_batch == l1.tip.index
                && s.verified_root == l1.tip.state_root;
            on_tip.then_some(s)
        })
        .await
    }
}

impl Drop for Verifier {
    fn drop(&mut self) {
        drop(self.running.take());
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
