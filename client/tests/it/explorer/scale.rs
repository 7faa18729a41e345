//! The explorer over a long chain, in headless Chromium: the state is built through the
//! production path (the real sequencer sealing a batch every 11 transactions, posting each
//! to the settlement layer; bulk-signed orders posted to `/v1/txs`, 10 fills per round),
//! then every page (markets, batches, a batch, disputes, verifiers, accounts, an account
//! with thousands of fills, a transaction) must load with no console error and with its
//! DOM under `DOM_BOUND` nodes, a bound that does not grow with the chain. Each page's load
//! time and node count are printed (a measurement for the README, never asserted).
//!
//! Then, on the same network: a withdrawal in the still-open batch is listed on its
//! account page as pending and follows to "in batch" once its batch is sealed;
//! and the live badge turns red and says "disconnected" when the explorer goes away, and
//! "live" again when it is back. Every wait is bounded.
//!
//! CI builds 2,000 trades in about 200 batches. `VIGIL_EXPLORER_TRADES=10000` runs the full
//! scale of the issue (about 1,000 batches): building it takes seconds, but posting and
//! verifying 1,000 batches can outlast the 60 s wait on a loaded 2-core machine, so CI keeps
//! the smaller chain with the same node bound (README, "The explorer at scale").

use super::cdp::Browser;
use super::page;
use crate::support::wait_for;
use k256::ecdsa::SigningKey;
use protocol::action::{Action, Order, SignedAction, TimeInForce, Tx, Withdraw};
use protocol::api::sequencer::BulkItem;
use protocol::genesis::MarketParams;
use protocol::primitives::H256;
use protocol::signing::{address_of, sign_action};
use protocol::workload::{Workload, dev_key};
use std::time::{Duration, Instant};
use test_support::{SettlementLayer, bind_loopback};
use vigil_client::sequencer::SequencerClient;

/// DOM nodes a page may hold, whatever the length of the chain.
const DOM_BOUND: u64 = 2_500;
/// Transactions per batch: one round (10 resting orders and the order that takes them).
const BATCH_TXS: usize = 11;
const FILLS_PER_ROUND: u64 = 10;
/// Rounds signed and posted per bulk request.
const ROUNDS_PER_REQUEST: u64 = 40;
/// Makers and takers, in pairs.
const TRADERS: usize = 8;
const DEPOSIT: u64 = 100_000_000_000;
/// A withdrawal of 1 USDC.
const WITHDRAWAL: u64 = 1_000_000;
/// How long one page may take to show what it must.
const PAGE_LIMIT: Duration = Duration::from_secs(20);

/// How many trades to build (≈ one batch per 10): `VIGIL_EXPLORER_TRADES`, else 2,000.
fn trades_wanted() -> u64 {
    std::env::var("VIGIL_EXPLORER_TRADES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

/// The network: settlement layer, sequencer, one verifier and the explorer.
struct ScaleNet {
    workload: Workload,
    seq: SequencerClient,
    seq_url: String,
    l1_url: String,
    verifier_url: String,
    nonces: Vec<u64>,
    filler: SigningKey,
    filler_nonce: u64,
    /// The oracle price last signed for the first market.
    mark: u64,
    _dirs: Vec<tempfile::TempDir>,
    sequencer: Option<sequencer::Running>,
    verifier: Option<verifier::Running>,
    l1_layer: SettlementLayer,
}

impl ScaleNet {
    async fn start() -> ScaleNet {
        let workload = Workload::new(19, TRADERS);
        let genesis = workload.genesis.clone();
        let l1_layer = SettlementLayer::start(genesis.clone(), |config| {
            config.max_timestamp_drift_ms = 3_600_000;
            config.force_inclusion_deadline_blocks = 1_000;
        })
        .await;
        let filler = dev_key("vigil-explorer-scale-filler", 0, 0);
        for key in workload.traders.iter().map(|t| &t.key).chain([&filler]) {
            l1_layer.deposit(key, DEPOSIT).await;
        }
        let seq_key = dev_key("vigil-explorer-scale-sequencer", 0, 0);
        l1_layer.faucet(&address_of(&seq_key), DEPOSIT).await;
        let (seq_dir, v_dir) = (
            tempfile::tempdir().expect("dir"),
            tempfile::tempdir().expect("dir"),
        );
        let mut config = sequencer::Config::new(
            seq_dir.path().to_path_buf(),
            l1_layer.url.clone(),
            genesis.clone(),
            seq_key,
        );
        // Batches seal by count only, so a lone withdrawal stays in the open batch.
        config.batch_max_txs = BATCH_TXS;
        config.batch_interval = Duration::from_secs(600);
        config.keeper_interval = None;
        config.limits.min_queue_budget_actions = config.limits.max_inflight_actions as u64;
        let (listener, seq_url) = bind_loopback().await;
        let sequencer = sequencer::start(config, listener).await.expect("sequencer");
        let mut v_config =
            verifier::Config::new(v_dir.path().to_path_buf(), l1_layer.url.clone(), genesis);
        v_config.poll_interval = Duration::from_millis(50);
        let (listener, verifier_url) = bind_loopback().await;
        let verifier = verifier::start(v_config, listener).await.expect("verifier");
        ScaleNet {
            seq: SequencerClient::new(&seq_url),
            seq_url,
            l1_url: l1_layer.url.clone(),
            verifier_url,
            nonces: vec![1; TRADERS],
            filler,
            filler_nonce: 1,
            mark: 0,
            workload,
            _dirs: vec![seq_dir, v_dir],
            sequencer: Some(sequencer),
            verifier: Some(verifier),
            l1_layer,
        }
    }

    fn market(&self) -> MarketParams {
        self.workload.genesis.markets[0].clone()
    }

    fn sign(&mut self, trader: usize, action: impl FnOnce(u64) -> Action) -> SignedAction {
        let nonce = self.nonces[trader];
        self.nonces[trader] += 1;
        let key = self.workload.traders[trader].key.clone();
        sign_action(&key, action(nonce), &self.workload.domain())
    }

    /// A fresh oracle price (when the clock moved) and `rounds` rounds: a maker rests 10
    /// orders at the mark and its taker takes them all with one IOC order; each pair's side
    /// alternates, so positions stay small.
    fn signed_rounds(&mut self, first: u64, rounds: u64) -> Vec<SignedAction> {
        let now_ms = contracts_mock::now_ms();
        let market = self.market();
        let market_id = market.id;
        let mut actions: Vec<SignedAction> = Vec::new();
        for tx in self.workload.price_updates(now_ms) {
            if let Tx::User { action } = tx {
                actions.push(action);
            }
        }
        let mark = actions
            .iter()
            .find_map(|a| match &a.action {
                Action::PriceUpdate(p) if p.market == market.id => Some(p.price),
                _ => None,
            })
            .expect("a price for the first market");
        self.mark = mark;
        let lot = market.lot_size * 10u64.pow(u32::from(market.size_decimals.saturating_sub(2)));
        let pairs = (TRADERS / 2) as u64;
        for round in first..first + rounds {
            let (maker, taker) = (
                (round % pairs) as usize * 2,
                (round % pairs) as usize * 2 + 1,
            );
            let maker_buys = (round / pairs).is_multiple_of(2);
            let order = |account, is_buy, size, tif| {
                move |nonce| {
                    Action::Order(Order {
                        account,
                        market: market_id,
                        is_buy,
                        price: mark,
                        size,
                        tif,
                        reduce_only: false,
                        nonce,
                        expires_at: now_ms + 600_000,
                    })
                }
            };
            let (maker_at, taker_at) = (
                self.workload.traders[maker].address,
                self.workload.traders[taker].address,
            );
            for _ in 0..FILLS_PER_ROUND {
                actions.push(self.sign(maker, order(maker_at, maker_buys, lot, TimeInForce::Gtc)));
            }
            let taken = lot * FILLS_PER_ROUND;
            actions.push(self.sign(taker, order(taker_at, !maker_buys, taken, TimeInForce::Ioc)));
        }
        actions
    }

    /// `count` buy orders that rest 5% below the mark: they fill up a batch so it seals.
    fn fillers(&mut self, count: usize) -> Vec<SignedAction> {
        let market = self.market();
        let lot = market.lot_size * 10u64.pow(u32::from(market.size_decimals.saturating_sub(2)));
        let price = self.mark / 100 * 95 / market.tick_size * market.tick_size;
        let now_ms = contracts_mock::now_ms();
        (0..count)
            .map(|_| {
                self.filler_nonce += 1;
                let order = Order {
                    account: address_of(&self.filler),
                    market: market.id,
                    is_buy: true,
                    price,
                    size: lot,
                    tif: TimeInForce::Gtc,
                    reduce_only: false,
                    nonce: self.filler_nonce,
                    expires_at: now_ms + 600_000,
                };
                sign_action(&self.filler, Action::Order(order), &self.workload.domain())
            })
            .collect()
    }

    /// Posts `actions` in one request; every one must be accepted. Returns the answers.
    async fn post(&self, actions: &[SignedAction]) -> Vec<BulkItem> {
        let answer = self.seq.submit_many(actions).await.expect("POST /v1/txs");
        assert_eq!(
            answer.rejected,
            0,
            "every action is accepted: {:?}",
            answer
                .results
                .iter()
                .find(|r| matches!(r, BulkItem::Rejected { .. }))
        );
        answer.results
    }

    /// Fills the open batch up so it seals (nothing when none is open).
    async fn seal_open_batch(&mut self) {
        let open = self.seq.status().await.expect("status").open_batch;
        if let Some(open) = open {
            let fillers = self.fillers(BATCH_TXS - open.tx_count as usize);
            self.post(&fillers).await;
        }
    }

    /// Builds the chain: returns (trades, a taker's transaction hash).
    async fn build(&mut self, trades: u64) -> (u64, H256) {
        let rounds = trades.div_ceil(FILLS_PER_ROUND);
        let mut taker_tx = None;
        let mut fills = 0;
        let mut round = 0;
        while round < rounds {
            let n = ROUNDS_PER_REQUEST.min(rounds - round);
            let actions = self.signed_rounds(round, n);
            for item in self.post(&actions).await {
                if let BulkItem::Accepted(tx) = item {
                    let filled = tx.receipt.fills.len() as u64;
                    fills += filled;
                    if filled == FILLS_PER_ROUND {
                        taker_tx.get_or_insert(tx.hash);
                    }
                }
            }
            round += n;
        }
        self.seal_open_batch().await;
        (fills, taker_tx.expect("a round filled"))
    }

    /// Waits until every sealed batch is posted and the verifier verified the tip.
    async fn settle(&self, explorer_url: &str) -> u64 {
        let l1 = service_client::settlement::SettlementClient::new(&self.l1_url);
        let verifier = vigil_client::verifier::VerifierClient::new(&self.verifier_url);
        let http = reqwest::Client::new();
        wait_for(
            "every batch posted, verified and indexed by the explorer",
            || async {
                let s = self.seq.status().await.ok()?;
                let tip = l1.status().await.ok()?.tip;
                let v = verifier.status().await.ok()?;
                let indexed: serde_json::Value = http
                    .get(format!("{explorer_url}/api/submissions?limit=1"))
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                let posted = s.last_sealed?;
                let done = s.open_batch.is_none()
                    && s.last_posted == Some(posted)
                    && tip.index == Some(posted)
                    && v.verified_batch == Some(posted)
                    && indexed["total"].as_u64()? > posted;
                done.then_some(posted + 1)
            },
        )
        .await
    }

    fn explorer_config(&self) -> explorer::Config {
        explorer::Config::new(
            &self.l1_url,
            &self.seq_url,
            std::slice::from_ref(&self.verifier_url),
        )
    }

    async fn shutdown(mut self) {
        if let Some(v) = self.verifier.take() {
            v.shutdown().await.expect("verifier stops");
        }
        if let Some(s) = self.sequencer.take() {
            s.shutdown().await;
        }
        self.l1_layer.shutdown().await;
    }
}

/// Opens `route` (as the browser test does: no console error, the live badge), then counts
/// its DOM nodes against the bound; returns (load time, nodes).
async fn bounded_page(
    b: &mut Browser,
    base: &str,
    route: &str,
    condition: &str,
    name: &str,
) -> (Duration, u64) {
    let took = page(b, base, route, condition, name).await;
    let nodes = b
        .eval("document.getElementsByTagName('*').length")
        .await
        .as_u64()
        .expect("a node count");
    assert!(
        nodes <= DOM_BOUND,
        "the {name} page holds {nodes} DOM nodes, above the bound of {DOM_BOUND}"
    );
    (took, nodes)
}

/// Every page at scale; prints each one's load time and DOM size.
async fn every_page(b: &mut Browser, base: &str, net: &ScaleNet, batches: u64, taker_tx: H256) {
    let maker = net.workload.traders[0].address;
    let middle = batches / 2;
    let pages = [
        (
            "markets",
            "markets".to_string(),
            "document.querySelector('#chart svg rect') && document.querySelectorAll('#trades tbody tr').length === 30",
        ),
        (
            "batches",
            "batches".to_string(),
            "document.querySelectorAll('#batch-table tbody tr').length === 25 && !document.querySelector('#batch-pager [data-go=older]').disabled",
        ),
        (
            "batch",
            format!("batches/{middle}"),
            "document.querySelectorAll('#page table').length >= 3 && document.body.innerText.includes('Postings on the settlement layer')",
        ),
        (
            "disputes",
            "disputes".to_string(),
            "document.body.innerText.includes('No fraud proof yet')",
        ),
        (
            "verifiers",
            "verifiers".to_string(),
            "document.body.innerText.includes('Findings') && document.body.innerText.includes('agrees with the L1 tip')",
        ),
        (
            "accounts",
            "accounts".to_string(),
            "document.querySelectorAll('#page tbody tr').length >= 8",
        ),
        (
            "account",
            format!("accounts/{maker}"),
            "document.querySelectorAll('#fills tbody tr').length >= 10 && !document.querySelector('#fill-pager [data-go=older]').disabled",
        ),
        (
            "tx",
            format!("tx/{taker_tx}"),
            "document.querySelectorAll('#page tbody tr').length === 10",
        ),
    ];
    for (name, route, condition) in pages {
        let (took, nodes) =
            bounded_page(b, base, &route, condition, &format!("scale-{name}")).await;
        println!(
            "explorer at {batches} batches: {name:<9} loaded in {:>5} ms, {nodes:>5} DOM nodes",
            took.as_millis()
        );
    }
}

/// A withdrawal in the open batch is listed as pending; once its batch is sealed the same
/// row moves on ("in batch", then "challenge window" once posted), without a reload.
async fn open_batch_withdrawal(b: &mut Browser, base: &str, net: &mut ScaleNet) {
    let account = net.workload.traders[1].address;
    let withdraw = net.sign(1, |nonce| {
        Action::Withdraw(Withdraw {
            account,
            amount: WITHDRAWAL,
            nonce,
            expires_at: contracts_mock::now_ms() + 600_000,
        })
    });
    let items = net.post(std::slice::from_ref(&withdraw)).await;
    let BulkItem::Accepted(tx) = &items[0] else {
        panic!("the withdrawal was refused: {items:?}")
    };
    let id = tx.receipt.withdrawal_id.expect("a withdrawal id");
    let row = |status: &str| {
        format!(
            "[...document.querySelectorAll('#withdrawals tbody tr')].some((tr) => tr.innerText.includes('#{id}') && tr.innerText.includes('{status}'))"
        )
    };
    page(
        b,
        base,
        &format!("accounts/{account}"),
        &row("batch still open"),
        "account-open-withdrawal",
    )
    .await;
    net.seal_open_batch().await;
    // Sealed, then posted: either later status shows without a reload.
    b.wait_for(
        "the withdrawal's status past pending",
        &format!(
            "{} || {}",
            row("waiting to be posted"),
            row("challenge window")
        ),
        PAGE_LIMIT,
    )
    .await;
}

/// The explorer goes away: the badge turns red and says "disconnected"; it comes back on
/// the same address: "live" again.
async fn disconnection(b: &mut Browser, base: &str, net: &ScaleNet, running: explorer::Running) {
    let addr = running.addr();
    b.wait_for(
        "the live badge",
        "document.querySelector('#live.on')",
        PAGE_LIMIT,
    )
    .await;
    running.shutdown().await.expect("the explorer stops");
    let badge = |class: &str, text: &str| {
        format!(
            "document.querySelector('#live.{class}') && document.querySelector('#live span').textContent === '{text}'"
        )
    };
    b.wait_for(
        "the red disconnected badge",
        &badge("off", "disconnected"),
        PAGE_LIMIT,
    )
    .await;
    let red = b
        .eval("getComputedStyle(document.querySelector('#live')).color")
        .await;
    b.screenshot(&super::screenshot_dir().join("disconnected.png"))
        .await;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .expect("the explorer's address again");
    let again = explorer::start(net.explorer_config(), listener)
        .await
        .expect("the explorer starts again");
    b.wait_for("the badge back to live", &badge("on", "live"), PAGE_LIMIT)
        .await;
    assert_eq!(
        red.as_str(),
        Some("rgb(244, 63, 94)"),
        "the disconnected badge is red ({base})"
    );
    // Only the browser's own reports of the refused reconnections are expected.
    let errors: Vec<String> = b
        .take_errors()
        .into_iter()
        .filter(|e| !e.contains("WebSocket connection"))
        .collect();
    assert!(errors.is_empty(), "errors while disconnected: {errors:#?}");
    again.shutdown().await.expect("the explorer stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_stays_bounded_at_scale_and_shows_disconnection() {
    super::cdp::chromium();
    let mut net = ScaleNet::start().await;
    let building = Instant::now();
    let (trades, taker_tx) = net.build(trades_wanted()).await;
    let (listener, _) = bind_loopback().await;
    let running = explorer::start(net.explorer_config(), listener)
        .await
        .expect("the explorer starts");
    let base = running.url();
    let batches = net.settle(&base).await;
    println!(
        "explorer at scale: built {batches} batches and {trades} trades in {:.1} s",
        building.elapsed().as_secs_f64()
    );
    assert!(trades >= trades_wanted() && batches >= trades_wanted() / FILLS_PER_ROUND);
    let mut b = Browser::launch().await;
    every_page(&mut b, &base, &net, batches, taker_tx).await;
    open_batch_withdrawal(&mut b, &base, &mut net).await;
    disconnection(&mut b, &base, &net, running).await;
    drop(b);
    net.shutdown().await;
}
