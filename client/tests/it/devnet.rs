//! `vigil devnet`: the one-process network on OS-picked ports in a temp dir. It writes a
//! complete `devnet.json`, credits every dev account on L2, bonds the sequencer and the
//! verifiers; a restart on the same directory resumes (same accounts, balances kept,
//! nothing funded twice); and the real binary prints the manifest and stops cleanly on
//! SIGTERM.

use protocol::signing::address_of;
use service_client::settlement::SettlementClient;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;
use vigil_client::devnet::config::{ACCOUNT_FUNDS, DEPOSIT, VERIFIER_BOND};
use vigil_client::devnet::manifest::DevnetManifest;
use vigil_client::devnet::poll::{Poll, poll_until};
use vigil_client::devnet::{Devnet, DevnetConfig, keys};
use vigil_client::keystore::parse_private_key;
use vigil_client::sequencer::SequencerClient;
use vigil_client::verifier::VerifierClient;

/// What a devnet's accounts hold: (L2 collateral, L1 balance, L1 nonce) per dev account.
async fn holdings(m: &DevnetManifest) -> Vec<(i128, u64, u64)> {
    let seq = SequencerClient::new(&m.sequencer_url);
    let l1 = SettlementClient::new(&m.l1_url);
    let mut out = Vec::new();
    for a in &m.accounts {
        let l2 = seq.account(&a.address).await.expect("L2 account");
        let on_l1 = l1.account(&a.address).await.expect("L1 account");
        out.push((l2.collateral, on_l1.balance, on_l1.nonce));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_devnet_starts_funded_and_resumes_without_funding_twice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = DevnetConfig::fast(dir.path().to_path_buf());
    config.accounts = 2;
    let net = Devnet::start(config.clone()).await.expect("devnet starts");
    let m = net.manifest().clone();

    // devnet.json: every field, equal to what `manifest()` returns.
    assert_eq!(DevnetManifest::load(dir.path()).expect("devnet.json"), m);
    for url in [
        &m.l1_url,
        &m.sequencer_url,
        &m.verifier_urls[0],
        &m.verifier_urls[1],
    ] {
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    }
    assert_eq!(m.verifier_urls.len(), 2);
    assert_eq!(m.chain_id, 31337);
    assert_eq!(
        m.verifying_contract,
        contracts_mock::Config::default_rollup_address()
    );
    assert_eq!(m.markets, Devnet::genesis(31337).markets);
    // GET /v1/genesis: the same view from every service, equal to devnet.json's, and its
    // hash is the one the settlement layer pins.
    let view = m.genesis.clone().expect("devnet.json has the genesis");
    assert_eq!(view.genesis, Devnet::genesis(31337));
    let l1 = SettlementClient::new(&m.l1_url);
    assert_eq!(l1.genesis().await.expect("L1 genesis"), view);
    let seq = SequencerClient::new(&m.sequencer_url);
    assert_eq!(seq.genesis().await.expect("sequencer genesis"), view);
    for url in &m.verifier_urls {
        let verifier = VerifierClient::new(url).genesis().await;
        assert_eq!(verifier.expect("verifier genesis"), view, "{url}");
    }
    assert_eq!(
        l1.status().await.expect("L1 status").params.genesis_hash,
        view.hash
    );
    let names: Vec<_> = m.accounts.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["dev0", "dev1"]);
    for a in &m.accounts {
        let key = parse_private_key(&a.private_key).expect("a valid key");
        assert_eq!(address_of(&key), a.address, "{}", a.name);
    }

    // Funded: deposits credited on L2, the rest on L1; sequencer and verifiers bonded.
    let funded = holdings(&m).await;
    for (collateral, balance, nonce) in &funded {
        assert_eq!(*collateral, i128::from(DEPOSIT));
        assert_eq!(*balance, ACCOUNT_FUNDS - DEPOSIT);
        assert_eq!(*nonce, 1, "one signed L1 call: the deposit");
    }
    assert_eq!(
        net.funded().minted.len(),
        5,
        "sequencer, 2 verifiers, 2 accounts"
    );
    assert_eq!(net.funded().deposited.len(), 2);
    let l1 = SettlementClient::new(&m.l1_url);
    let status = l1.status().await.expect("L1 status");
    let bond = |key| {
        let l1 = &l1;
        async move { l1.account(&address_of(&key)).await.expect("account").bond }
    };
    assert!(bond(keys::sequencer_key()).await >= status.params.min_sequencer_bond);
    for i in 0..2 {
        let url = &m.verifier_urls[i as usize];
        let verifier = VerifierClient::new(url)
            .status()
            .await
            .expect("verifier status");
        assert_eq!(
            verifier.challenger,
            Some(address_of(&keys::verifier_key(i)))
        );
        assert_eq!(bond(keys::verifier_key(i)).await, VERIFIER_BOND);
    }
    let minted = status.supply.minted;
    net.shutdown().await.expect("clean shutdown");

    // Restart on the same directory: same accounts and balances, nothing minted.
    let net = Devnet::start(config).await.expect("devnet resumes");
    let again = net.manifest().clone();
    assert_eq!(again.accounts, m.accounts);
    assert!(net.funded().minted.is_empty() && net.funded().deposited.is_empty());
    assert_eq!(holdings(&again).await, funded);
    let status = SettlementClient::new(&again.l1_url)
        .status()
        .await
        .expect("status");
    assert_eq!(status.supply.minted, minted, "no double funding");
    assert!(status.supply.conserved);
    net.shutdown().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_devnet_oracle_moves_prices() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = DevnetConfig::fast(dir.path().to_path_buf());
    config.accounts = 1;
    // Prices need no verifier: this devnet runs none (`--verifiers 0`).
    config.verifiers = 0;
    config.oracle = Some(vigil_client::oracle::FeedConfig {
        interval: Duration::from_millis(50),
        seed: 3,
        ticks: None,
        ..Default::default()
    });
    let net = Devnet::start(config).await.expect("devnet starts");
    assert_eq!(net.manifest().verifier_urls, Vec::<String>::new());
    assert!(!dir.path().join("verifier-1").exists(), "no verifier ran");
    let seq = SequencerClient::new(&net.manifest().sequencer_url);
    let seen = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let moved = poll_until(
        "every market's price to change twice",
        Duration::from_secs(60),
        Duration::from_millis(50),
        || {
            let (seq, seen) = (&seq, &seen);
            async move {
                match seq.markets().await {
                    Ok(m) => {
                        let prices: Vec<u64> = m.markets.iter().map(|m| m.mark_price).collect();
                        let mut seen = seen.borrow_mut();
                        if prices.iter().all(|p| *p > 0) {
                            seen.insert(prices);
                        }
                        if seen.len() >= 3 {
                            Poll::Ready(seen.len())
                        } else {
                            Poll::Pending(format!("{seen:?}"))
                        }
                    }
                    Err(e) => Poll::Pending(e.to_string()),
                }
            }
        },
    )
    .await;
    assert!(moved.is_ok(), "{moved:?}");
    net.shutdown().await.expect("clean shutdown");
}

#[test]
fn the_binary_prints_its_manifest_and_stops_on_sigterm() {
    let home = tempfile::tempdir().expect("temp dir");
    let dir = home.path().join("net");
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .env_remove("VIGIL_HOME")
        .env("VIGIL_LOG", "warn")
        .args(["--json", "--data-dir"])
        .arg(home.path())
        .args([
            "devnet",
            "--base-port",
            "0",
            "--block-time-ms",
            "100",
            "--accounts",
            "1",
        ])
        .args(["--no-oracle", "--dir"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vigil devnet");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = rx.recv_timeout(Duration::from_secs(60));
    let manifest: Option<DevnetManifest> = first
        .as_deref()
        .ok()
        .and_then(|line| serde_json::from_str(line).ok());
    // Stop it whatever happened, by its own pid.
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill -TERM");
    let status = child.wait().expect("vigil devnet exits");
    // The rest of stdout (the pipe closed at exit): the pretty-printed final answer.
    let rest: Vec<String> = rx.iter().collect();
    reader.join().expect("reader thread");
    let manifest = manifest.unwrap_or_else(|| panic!("no manifest line: {first:?}"));
    assert!(killed.success());
    assert_eq!(manifest, DevnetManifest::load(&dir).expect("devnet.json"));
    assert_eq!(manifest.accounts.len(), 1);
    assert_eq!(status.code(), Some(0), "a clean stop exits 0");
    let last: serde_json::Value = serde_json::from_str(&rest.join("\n")).expect("a JSON answer");
    assert_eq!(last["stopped"], true, "{last}");
}

#[tokio::test]
async fn an_impossible_configuration_is_refused_before_anything_starts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = DevnetConfig::fast(dir.path().join("net"));
    config.deposit = config.account_funds + 1;
    let err = Devnet::start(config.clone()).await.expect_err("refused");
    assert!(err.to_string().contains("funded with only"), "{err}");
    config.deposit = config.account_funds;
    config.verifiers = 3;
    let err = Devnet::start(config).await.expect_err("refused");
    assert!(
        err.to_string().contains("at most 2 verifiers, not 3"),
        "{err}"
    );
    assert!(!dir.path().join("net").exists(), "nothing was created");
}

#[test]
fn bad_devnet_flags_are_usage_errors() {
    let home = tempfile::tempdir().expect("temp dir");
    let check = |args: &[&str], needle: &str| {
        let run = crate::support::vigil(home.path(), None, args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    };
    check(
        &["devnet", "--inject-fault", "steal@batch=1"],
        "unknown fault",
    );
    check(
        &["devnet", "--inject-fault", "mint"],
        "expected KIND@batch=N",
    );
    check(&["devnet", "--oracle-interval-ms", "1"], "at least 10");
    check(&["devnet", "--verifiers", "3"], "3 is not in 0..=2");
    check(&["demo", "fraud", "--fault", "steal"], "unknown fault");
}
