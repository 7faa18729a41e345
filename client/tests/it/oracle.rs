//! The oracle feed: the library feed prices every market for a fixed number of ticks and
//! the sequencer shows exactly the last prices (each of the three devnet oracle signers
//! posts every price, so the median is that price); the real `vigil oracle` binary does the
//! same with its defaults (the devnet oracle signers' keys and domain); and the docker compose
//! `oracle` service sets only variables `vigil oracle` reads; a bounded feed without a
//! sequencer fails in seconds naming the URL.

use std::time::Duration;
use vigil_client::devnet::{Devnet, DevnetConfig, RunningDevnet, keys};
use vigil_client::oracle::{FeedConfig, run_feed};
use vigil_client::sequencer::SequencerClient;

async fn devnet(dir: &std::path::Path) -> RunningDevnet {
    let mut config = DevnetConfig::fast(dir.to_path_buf());
    config.accounts = 0;
    Devnet::start(config).await.expect("devnet starts")
}

/// (market, mark price) of every market on the sequencer.
async fn marks(seq: &SequencerClient) -> Vec<(u32, u64)> {
    let markets = seq.markets().await.expect("markets").markets;
    markets
        .iter()
        .map(|m| (m.params.id, m.mark_price))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_prices_every_market_each_tick() {
    let dir = tempfile::tempdir().expect("temp dir");
    let net = devnet(dir.path()).await;
    let seq = SequencerClient::new(&net.manifest().sequencer_url);
    assert!(
        marks(&seq).await.iter().all(|(_, p)| *p == 0),
        "no price before the feed"
    );
    let config = FeedConfig {
        interval: Duration::from_millis(20),
        seed: 9,
        ticks: Some(5),
        ..Default::default()
    };
    let domain = protocol::batch::domain_separator(net.genesis());
    let report = run_feed(
        &seq,
        &keys::oracle_keys(),
        domain,
        &config,
        std::future::pending(),
    )
    .await
    .expect("the feed runs");
    assert_eq!(report.ticks, 5);
    assert_eq!(
        (report.accepted, report.rejected),
        (30, 0),
        "2 markets × 3 signers × 5 ticks"
    );
    let sent: Vec<(u32, u64)> = report.prices.iter().map(|(id, _, p)| (*id, *p)).collect();
    assert_eq!(
        marks(&seq).await,
        sent,
        "the sequencer holds the last prices sent"
    );
    net.shutdown().await.expect("clean shutdown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_oracle_binary_moves_prices_with_its_defaults() {
    let dir = tempfile::tempdir().expect("temp dir");
    let net = devnet(dir.path()).await;
    let url = net.manifest().sequencer_url.clone();
    let home = dir.path().to_path_buf();
    let run = tokio::task::spawn_blocking(move || {
        crate::support::vigil(
            &home,
            None,
            &[
                "--json",
                "oracle",
                "--sequencer-url",
                &url,
                "--ticks",
                "3",
                "--interval-ms",
                "20",
                "--seed",
                "4",
            ],
        )
    })
    .await
    .expect("the run completes");
    let value = run.json();
    assert_eq!(value["accepted"], 18, "2 markets × 3 signers × 3 ticks");
    assert_eq!(value["oracles"].as_array().map(Vec::len), Some(3));
    assert_eq!(value["rejected"], 0);
    let seq = SequencerClient::new(&net.manifest().sequencer_url);
    let sent: Vec<(u32, u64)> = value["prices"]
        .as_array()
        .expect("prices")
        .iter()
        .map(|p| {
            (
                p["market"].as_u64().unwrap() as u32,
                p["price"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(marks(&seq).await, sent);
    net.shutdown().await.expect("clean shutdown");
}

#[test]
fn compose_oracle_variables_are_read_by_vigil_oracle() {
    let read = |relative: &str| {
        let path = format!("{}/../{relative}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
    };
    let compose = read("docker/compose.yaml");
    // The variables `vigil oracle` reads: its own flags' and the global ones' env names.
    let cli = <vigil_client::cli::Cli as clap::CommandFactory>::command();
    let oracle = cli.find_subcommand("oracle").expect("an oracle subcommand");
    let read_vars: Vec<String> = cli
        .get_arguments()
        .filter(|a| a.is_global_set())
        .chain(oracle.get_arguments())
        .filter_map(|a| a.get_env())
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    let reads = |var: &str| read_vars.iter().any(|v| v == var);
    let service = compose
        .split("\n  oracle:\n")
        .nth(1)
        .expect("an oracle service")
        .split("\nvolumes:")
        .next()
        .unwrap_or_default();
    assert!(
        service.contains(r#"command: ["vigil", "oracle"]"#),
        "{service}"
    );
    assert!(
        service.contains("<<: *chain"),
        "the oracle signs for the chain's domain"
    );
    let vars: Vec<&str> = service
        .lines()
        .filter_map(|l| l.trim().split_once(':').map(|(k, _)| k))
        .filter(|k| k.starts_with("VIGIL_"))
        .collect();
    assert!(vars.len() >= 2, "{vars:?}");
    for var in vars {
        assert!(
            reads(var),
            "vigil oracle reads no {var} (it reads {read_vars:?})"
        );
    }
    for var in [
        "VIGIL_CHAIN_ID",
        "VIGIL_ROLLUP_ADDRESS",
        "VIGIL_SEQUENCER_URL",
    ] {
        assert!(
            reads(var),
            "vigil oracle reads no {var} (it reads {read_vars:?})"
        );
    }
}

/// With no sequencer listening, `vigil oracle --ticks N` gives up after a few bounded
/// attempts (seconds, not the service's minute) with one error naming the URL and the way
/// to start a network, and exits 1.
#[test]
fn a_bounded_feed_without_a_sequencer_fails_fast_and_says_why() {
    let home = tempfile::tempdir().expect("temp dir");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("address"));
    drop(closed);
    let started = std::time::Instant::now();
    let args = ["--sequencer-url", &url, "oracle", "--ticks", "2"];
    let run = crate::support::vigil(home.path(), None, &args);
    assert_eq!(run.code, 1, "{run:?}");
    let last = run.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("error: cannot reach the sequencer at "),
        "{run:?}"
    );
    for part in [
        url.as_str(),
        "6 attempts",
        "`vigil devnet`",
        "--sequencer-url",
    ] {
        assert!(last.contains(part), "{part} in {last}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "bounded: {:?}",
        started.elapsed()
    );
}
