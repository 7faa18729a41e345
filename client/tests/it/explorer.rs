//! The web explorer in a real headless Chromium (Debian's package; `.ci/run` installs it),
//! against the fraud demo's devnet: the story runs (trades, a faulty batch, the proof, the
//! slash, the revert, honest re-sequencing), and with its network still up the test places
//! a fill of its own and opens every page. Each page must load with no console error; the
//! disputes page shows the proof with the settlement layer's batch, chunk, roots and slash;
//! the batches page shows the reverted submission and its re-sequenced successor; the
//! account page shows the test's fill. A PNG of each page goes to
//! `target/explorer-screenshots/` (the path is printed). Every wait is bounded.

mod cdp;
mod scale;

use cdp::Browser;
use k256::ecdsa::SigningKey;
use protocol::action::{Action, Order, TimeInForce};
use protocol::api::sequencer::BulkItem;
use protocol::api::settlement::EventKind;
use protocol::fault::Fault;
use protocol::primitives::{Address, H256};
use protocol::signing::{address_of, sign_action};
use service_client::settlement::SettlementClient;
use std::path::PathBuf;
use std::time::Duration;
use vigil_client::demo::actions::{BTC, BTC_PRICE, ONE_BTC, Signer};
use vigil_client::demo::{FraudDemoConfig, Timeline, run_fraud_demo_holding};
use vigil_client::devnet::{RunningDevnet, keys};
use vigil_client::sequencer::SequencerClient;

/// How long one page may take to show what it must.
const PAGE_LIMIT: Duration = Duration::from_secs(15);

/// What the settlement layer says the fraud proof did.
#[derive(Debug)]
struct Ruling {
    batch_index: u64,
    chunk: u32,
    claimed_root: H256,
    computed_root: H256,
    slashed: u64,
}

async fn ruling(l1: &SettlementClient) -> Ruling {
    let events = l1.events(0, 1_000, Duration::ZERO).await.expect("events");
    let mut ruling = None;
    let mut slashed = None;
    for e in events.events {
        match e.event {
            EventKind::ChallengeUpheld {
                batch_index,
                chunk,
                claimed_root,
                computed_root,
                ..
            } => ruling = Some((batch_index, chunk, claimed_root, computed_root)),
            EventKind::Slashed { amount, .. } => slashed = Some(amount),
            _ => {}
        }
    }
    let (batch_index, chunk, claimed_root, computed_root) = ruling.expect("an upheld proof");
    Ruling {
        batch_index,
        chunk,
        claimed_root,
        computed_root,
        slashed: slashed.expect("a slash"),
    }
}

/// Alice rests a sell, bob crosses it: returns bob's address and the fill's tx hash.
async fn place_a_fill(net: &RunningDevnet) -> (Address, H256) {
    let seq = SequencerClient::new(&net.manifest().sequencer_url);
    let signer = Signer {
        domain: protocol::batch::domain_separator(net.genesis()),
        now_ms: contracts_mock::now_ms(),
    };
    let (alice, bob) = (keys::account_key(0), keys::account_key(1));
    // Two more orders rest, 100 USDC either side, so the book has depth to show.
    let resting = |key: &SigningKey, is_buy: bool, price: u64, nonce: u64| {
        let order = Order {
            account: address_of(key),
            market: BTC,
            is_buy,
            price,
            size: ONE_BTC / 2,
            tif: TimeInForce::Gtc,
            reduce_only: false,
            nonce: signer.now_ms + nonce,
            expires_at: signer.now_ms + 3_600_000,
        };
        sign_action(key, Action::Order(order), &signer.domain)
    };
    let actions = [
        signer.price(&keys::oracle_key(), BTC_PRICE),
        signer.order(&alice, false, TimeInForce::Gtc, 101),
        signer.order(&bob, true, TimeInForce::Ioc, 102),
        resting(&alice, false, BTC_PRICE + 100_000_000, 103),
        resting(&bob, true, BTC_PRICE - 100_000_000, 104),
    ];
    let answer = seq.submit_many(&actions).await.expect("the test's trade");
    let BulkItem::Accepted(buy) = &answer.results[2] else {
        panic!("bob's buy was refused: {:?}", answer.results[2]);
    };
    assert!(!buy.receipt.fills.is_empty(), "bob's buy filled");
    for item in &answer.results[3..] {
        assert!(
            matches!(item, BulkItem::Accepted(_)),
            "a resting order: {item:?}"
        );
    }
    (address_of(&bob), buy.hash)
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    );
    let dir = target.join("explorer-screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// Opens `route`, waits for `condition`, checks the console stayed clean, saves a PNG;
/// returns how long the page took to show `condition` (to the wait's 25 ms poll).
async fn page(b: &mut Browser, base: &str, route: &str, condition: &str, name: &str) -> Duration {
    let started = std::time::Instant::now();
    b.navigate(&format!("{base}/#/{route}")).await;
    b.wait_for(&format!("the {name} page"), condition, PAGE_LIMIT)
        .await;
    let took = started.elapsed();
    b.wait_for(
        "the live feed",
        "document.querySelector('#live.on')",
        PAGE_LIMIT,
    )
    .await;
    let path = screenshot_dir().join(format!("{name}.png"));
    b.screenshot(&path).await;
    let errors = b.take_errors();
    assert!(
        errors.is_empty(),
        "the {name} page logged errors: {errors:#?}"
    );
    took
}

async fn look(timeline: &Timeline, net: &RunningDevnet) {
    assert!(timeline.has("resequenced"), "the story re-sequenced");
    let base = net
        .manifest()
        .explorer_url
        .clone()
        .expect("devnet.json names the explorer");
    let r = ruling(&SettlementClient::new(&net.manifest().l1_url)).await;
    let (bob, fill_tx) = place_a_fill(net).await;
    let mut b = Browser::launch().await;

    page(&mut b, &base, "markets", "document.querySelector('#chart svg rect') && document.querySelectorAll('#book tr.bid').length > 0 && document.querySelectorAll('#book tr.ask').length > 0 && document.querySelector('#trades table')", "markets").await;

    let disputed = format!(
        "(() => {{ const d = document.querySelector('#dispute-1'); if (!d) return false; const t = d.innerText;
          return t.includes('batch #{bad}') && t.includes('chunk {chunk}') && t.includes('{claimed}') && t.includes('{computed}')
            && d.querySelector('.slash').innerText.includes(usdc({slashed}) + ' USDC from') && /\\d bytes/.test(t); }})()",
        bad = r.batch_index,
        chunk = r.chunk,
        claimed = r.claimed_root,
        computed = r.computed_root,
        slashed = r.slashed,
    );
    page(&mut b, &base, "disputes", &disputed, "disputes").await;

    let reverted_and_resequenced = format!(
        "(() => {{ const rows = [...document.querySelectorAll('#batch-table tbody tr')]
            .filter((tr) => tr.cells[0].innerText.trim() === '#{bad}').map((tr) => tr.cells[2].innerText);
          return rows.some((s) => s.includes('reverted')) && rows.some((s) => s.includes('re-sequenced')); }})()",
        bad = r.batch_index
    );
    page(
        &mut b,
        &base,
        "batches",
        &reverted_and_resequenced,
        "batches",
    )
    .await;
    page(
        &mut b,
        &base,
        &format!("batches/{}", r.batch_index),
        "document.body.innerText.includes('Postings on the settlement layer') && document.querySelectorAll('#page table').length >= 3",
        "batch",
    )
    .await;
    page(&mut b, &base, "verifiers", "document.querySelectorAll('#page .panel').length >= 2 && document.body.innerText.includes('Findings')", "verifiers").await;
    page(
        &mut b,
        &base,
        "accounts",
        "document.querySelector('#page table')",
        "accounts",
    )
    .await;
    let alice = address_of(&keys::account_key(0));
    page(
        &mut b,
        &base,
        &format!("accounts/{alice}"),
        "document.body.innerText.includes('Withdrawals') && /claimed\\s+at block/.test(document.body.innerText)",
        "account-withdrawal",
    )
    .await;
    let filled = format!("document.querySelector('#fills a[href=\"#/tx/{fill_tx}\"]')");
    page(
        &mut b,
        &base,
        &format!("accounts/{bob}"),
        &filled,
        "account",
    )
    .await;
    page(
        &mut b,
        &base,
        &format!("tx/{fill_tx}"),
        "document.body.innerText.includes('Fills') && document.querySelector('#page table')",
        "tx",
    )
    .await;
    println!("explorer screenshots: {}", screenshot_dir().display());
}

/// `vigil demo fraud --keep-open`: the story is told, the network stays up with its
/// explorer serving the dispute, and SIGTERM stops it with exit 0.
#[tokio::test]
async fn the_fraud_demo_kept_open_serves_the_explorer_until_sigterm() {
    use std::io::BufRead as _;
    use std::process::{Command, Stdio};
    let home = tempfile::tempdir().expect("temp dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .env_remove("VIGIL_HOME")
        .env("VIGIL_LOG", "warn")
        .args(["--json", "--data-dir"])
        .arg(home.path())
        .args(["demo", "fraud", "--keep-open"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start vigil demo fraud --keep-open");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(120));
    let told: Option<serde_json::Value> = first
        .as_deref()
        .ok()
        .and_then(|line| serde_json::from_str(line).ok());
    let url = told
        .as_ref()
        .and_then(|t| t["kept_open"]["explorer_url"].as_str())
        .map(str::to_string);
    let disputes = match &url {
        Some(url) => reqwest::get(format!("{url}/api/disputes"))
            .await
            .ok()
            .map(|r| r.status().as_u16()),
        None => None,
    };
    // Stop it whatever happened, by its own pid.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    let status = child.wait().expect("the demo exits");
    assert!(killed.success());
    let told = told.unwrap_or_else(|| panic!("no JSON story line: {first:?}"));
    assert_eq!(told["ok"], true, "{told}");
    assert!(url.is_some(), "kept_open names the explorer: {told}");
    assert_eq!(
        disputes,
        Some(200),
        "the explorer answers while the demo is kept open"
    );
    assert!(
        status.success(),
        "SIGTERM stops the kept-open demo with exit 0: {status:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explorer_shows_the_fraud_story_in_a_real_browser() {
    cdp::chromium();
    let config = FraudDemoConfig::new(Fault::WrongRoot);
    run_fraud_demo_holding(&config, look)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", e.timeline.render_text()));
}
