//! Issue #18's operator points against the real service binaries (`vigil-contracts-mock`,
//! `vigil-sequencer`, `vigil-verifier`), one check per point:
//! - every flag in each binary's `--help` has a help text;
//! - logs written to a file or a pipe hold no ANSI colour codes (the services run at
//!   `debug` without `NO_COLOR`, so only the terminal check keeps them plain);
//! - each service's `GET /metrics` is Prometheus text in the one shared writer's format,
//!   the settlement layer's included, counting what it did;
//! - the verifier at `info` logs nothing per batch: its log does not grow while it
//!   verifies batch after batch, nor while the chain is idle.

use crate::chaos::service_binaries;
use crate::support::{run_off_runtime, wait_for};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use test_support::ChildService;
use vigil_client::devnet::config::SEQUENCER_FUNDS;
use vigil_client::devnet::funding::{Funded, fund_service};
use vigil_client::devnet::keys;
use vigil_client::verifier::VerifierClient;

const SERVICES: [&str; 3] = ["vigil-contracts-mock", "vigil-sequencer", "vigil-verifier"];

/// The options of a `--help` page with the text each has, its `[env: …]`, `[default: …]`
/// and `[possible values: …]` notes left out (clap prints those for a flag without help).
fn help_entries(help: &str) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = Vec::new();
    for line in help.lines() {
        let text = line.trim_start();
        let indent = line.len() - text.len();
        if text.starts_with('-') && (1..=6).contains(&indent) {
            let (flag, rest) = text.split_once("  ").unwrap_or((text, ""));
            entries.push((flag.to_string(), rest.to_string()));
        } else if let (true, Some((_, help))) = (indent > 6, entries.last_mut()) {
            help.push(' ');
            help.push_str(text);
        }
    }
    for (_, help) in &mut entries {
        *help = without_notes(help);
    }
    entries
}

/// `text` without clap's bracketed notes.
fn without_notes(text: &str) -> String {
    let mut out = text.to_string();
    for note in ["[env: ", "[default: ", "[possible values: ", "[aliases: "] {
        for _ in 0..8 {
            let Some(start) = out.find(note) else { break };
            let end = out[start..].find(']').map_or(out.len(), |e| start + e + 1);
            out.replace_range(start..end, "");
        }
    }
    out.trim().to_string()
}

/// The parser finds a flag without help (a wrapped one keeps its text).
#[test]
fn the_help_parser_finds_a_bare_flag() {
    let help = "Options:\n      --a <A>\n          Does a\n          over two lines [env: A=]\n      --b <B>\n          [env: B=] [default: 1]\n  -h, --help\n          Print help\n";
    let entries = help_entries(help);
    let bare: Vec<&str> = entries
        .iter()
        .filter(|(_, h)| h.is_empty())
        .map(|(f, _)| f.as_str())
        .collect();
    assert_eq!(entries.len(), 3, "{entries:?}");
    assert_eq!(bare, ["--b <B>"], "{entries:?}");
}

/// `vigil-sequencer --help` had nine flags without a word of help: now every flag of the
/// three binaries says what it does.
#[test]
fn every_flag_of_every_service_has_help_text() {
    let bins = service_binaries();
    for binary in SERVICES {
        let out = Command::new(bins.join(binary))
            .arg("--help")
            .output()
            .expect("run --help");
        assert!(out.status.success(), "{binary} --help: {out:?}");
        let help = String::from_utf8(out.stdout).expect("utf-8 help");
        let entries = help_entries(&help);
        assert!(entries.len() >= 15, "{binary}: {entries:?}\n{help}");
        let bare: Vec<&str> = entries
            .iter()
            .filter(|(_, text)| !text.chars().any(char::is_alphabetic))
            .map(|(flag, _)| flag.as_str())
            .collect();
        assert!(
            bare.is_empty(),
            "{binary}: flags without help {bare:?}\n{help}"
        );
    }
}

/// The three binaries on one chain, their logs kept where an operator's would go: the
/// settlement layer's and the verifier's in files, the sequencer's through a pipe.
struct Network {
    dir: tempfile::TempDir,
    l1: ChildService,
    sequencer: ChildService,
    verifier: ChildService,
    sequencer_log: Arc<Mutex<Vec<u8>>>,
}

impl Network {
    async fn start() -> Network {
        let bins = service_binaries();
        let dir = tempfile::tempdir().expect("temp dir");
        let d = dir.path();
        let l1_args = ["--block-time-ms", "100", "--log", "debug"];
        let l1 = spawn(
            &bins,
            d,
            "vigil-contracts-mock",
            &l1_args,
            log_file(d, "l1"),
        )
        .await;
        let l1_client = service_client::settlement::SettlementClient::new(&l1.url);
        let sequencer_address = protocol::signing::address_of(&keys::sequencer_key());
        fund_service(
            &l1_client,
            sequencer_address,
            SEQUENCER_FUNDS,
            &mut Funded::default(),
        )
        .await
        .expect("the sequencer's bond money");
        let (reader, writer) = std::io::pipe().expect("a pipe");
        let sequencer_log = drain(reader);
        let key = keys::secret_hex(&keys::sequencer_key());
        let seq_args = [
            "--settlement-url",
            &l1.url,
            "--key",
            &key,
            "--batch-interval-ms",
            "100",
            "--keeper-interval-ms",
            "0",
            "--log",
            "debug",
        ];
        let sequencer = spawn(&bins, d, "vigil-sequencer", &seq_args, writer.into()).await;
        let verifier_args = [
            "--settlement-url",
            &l1.url,
            "--poll-interval-ms",
            "100",
            "--log",
            "info",
        ];
        let verifier_log = log_file(d, "verifier");
        let verifier = spawn(&bins, d, "vigil-verifier", &verifier_args, verifier_log).await;
        Network {
            dir,
            l1,
            sequencer,
            verifier,
            sequencer_log,
        }
    }

    fn log(&self, name: &str) -> String {
        let path = self.dir.path().join(format!("{name}.log"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn sequencer_log(&self) -> String {
        let bytes = self.sequencer_log.lock().expect("the sequencer's log");
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The verifier's newest verified batch, once it has one.
    async fn verified_batch(&self) -> Option<u64> {
        let status = VerifierClient::new(&self.verifier.url)
            .status()
            .await
            .ok()?;
        status.verified_batch
    }

    /// Waits (bounded) until the verifier has verified batch `index` or a later one.
    async fn verified_at_least(&self, index: u64) -> u64 {
        wait_for(&format!("the verifier to verify batch {index}"), || async {
            self.verified_batch().await.filter(|b| *b >= index)
        })
        .await
    }

    /// Waits (bounded) until the settlement layer's head is `blocks` past where it is.
    async fn blocks_pass(&self, blocks: u64) {
        let l1 = service_client::settlement::SettlementClient::new(&self.l1.url);
        let head = async || l1.status().await.ok().map(|s| s.block.number);
        let start = wait_for("the L1 head", head).await;
        wait_for(&format!("{blocks} L1 blocks"), || async {
            head().await.filter(|n| *n >= start + blocks)
        })
        .await;
    }
}

/// Spawns `binary` on `dir/<binary>` at 127.0.0.1:0, its stderr to `stderr`, without
/// `NO_COLOR` (only the terminal check may keep its logs plain).
async fn spawn(
    bins: &Path,
    dir: &Path,
    binary: &str,
    args: &[&str],
    stderr: Stdio,
) -> ChildService {
    let mut command = Command::new(bins.join(binary));
    command
        .arg("--data-dir")
        .arg(dir.join(binary))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .stderr(stderr);
    // The command drops here, with its copy of a pipe's writing end.
    ChildService::spawn(&mut command).await
}

fn log_file(dir: &Path, name: &str) -> Stdio {
    let path: PathBuf = dir.join(format!("{name}.log"));
    Stdio::from(std::fs::File::create(&path).expect("a log file"))
}

/// Reads `pipe` to its end on a thread, into the buffer returned.
fn drain(mut pipe: std::io::PipeReader) -> Arc<Mutex<Vec<u8>>> {
    let buffer = Arc::new(Mutex::new(Vec::new()));
    let sink = buffer.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 8192];
        while let Ok(n @ 1..) = pipe.read(&mut chunk) {
            sink.lock()
                .expect("the buffer")
                .extend_from_slice(&chunk[..n]);
        }
    });
    buffer
}

/// The three operator points that need the services running, on one network: the
/// verifier's quiet log while batches flow and while idle, plain-text logs, `/metrics`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_log_plain_text_serve_metrics_and_log_no_line_per_batch() {
    let net = Network::start().await;
    wait_for("the verifier to say it follows", || async {
        net.log("verifier")
            .contains("following the settlement layer")
            .then_some(())
    })
    .await;
    let before = net.log("verifier");
    // Prices from the devnet's oracle signers: a batch every 100 ms for a while.
    let home = tempfile::tempdir().expect("temp dir");
    let oracle = [
        "oracle",
        "--sequencer-url",
        &net.sequencer.url,
        "--ticks",
        "20",
        "--interval-ms",
        "50",
    ];
    run_off_runtime(home.path(), None, &oracle).await.ok();
    // Batches 0 to 4 at least (an idle sequencer posts none: these carry the prices).
    net.verified_at_least(4).await;
    net.blocks_pass(20).await;
    the_verifier_logs_no_line_per_batch(&before, &net.log("verifier"));
    logs_hold_no_colour_codes(&net);
    every_service_serves_prometheus_text(&net).await;
}

/// The verifier logged a line per batch every second, even idle: at `info` its log is
/// what it said when it started, however many batches it verified since.
fn the_verifier_logs_no_line_per_batch(before: &str, after: &str) {
    let new = after.strip_prefix(before).expect("the log only grows");
    let shown: Vec<&str> = new.lines().take(5).collect();
    assert!(new.is_empty(), "new verifier log lines: {shown:#?}");
    assert!(before.lines().count() <= 6, "{before}");
}

/// Logs to a file or a pipe are plain text, also at `debug` (a line per block and batch).
fn logs_hold_no_colour_codes(net: &Network) {
    let logs = [
        (
            "settlement layer (file)",
            net.log("l1"),
            "settlement layer serving",
        ),
        ("sequencer (pipe)", net.sequencer_log(), "sequencer serving"),
        ("verifier (file)", net.log("verifier"), "verifier serving"),
    ];
    for (what, log, serving) in logs {
        assert!(log.contains(serving), "{what}: {log}");
        assert!(!log.contains("\u{1b}["), "{what} has ANSI codes: {log:?}");
    }
    let debug_lines = net
        .log("l1")
        .lines()
        .filter(|l| l.contains("DEBUG"))
        .count();
    assert!(debug_lines >= 10, "the settlement layer logged at debug");
}

/// `GET /metrics` on each service: the shared writer's content type and text format (a
/// `# HELP` and a `# TYPE` before each family, every sample of a declared family); the
/// settlement layer's counts its blocks and batches.
async fn every_service_serves_prometheus_text(net: &Network) {
    for (service, prefix) in [
        (&net.l1, "vigil_l1_"),
        (&net.sequencer, "vigil_seq_"),
        (&net.verifier, "vigil_verifier_"),
    ] {
        let answer = reqwest::get(format!("{}/metrics", service.url))
            .await
            .expect("GET /metrics");
        assert_eq!(answer.status(), 200, "{}", service.url);
        let content_type = answer.headers()["content-type"].to_str().unwrap_or("");
        assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
        let text = answer.text().await.expect("the exposition");
        let samples = exposition_samples(&text);
        assert!(
            samples.keys().any(|name| name.starts_with(prefix)),
            "{prefix}: {text}"
        );
    }
    let text = reqwest::get(format!("{}/metrics", net.l1.url))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("text");
    let samples = exposition_samples(&text);
    assert!(samples["vigil_l1_block"] >= 20.0, "{text}");
    assert!(samples["vigil_l1_tip_batch"] >= 5.0, "{text}");
}

/// The first value of each sample name in Prometheus text, checking the format on the way:
/// every family has `# HELP` then `# TYPE`, and every sample belongs to a declared family.
fn exposition_samples(text: &str) -> std::collections::BTreeMap<String, f64> {
    let mut helped: Option<&str> = None;
    let mut families = Vec::new();
    let mut samples = std::collections::BTreeMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            helped = rest.split(' ').next();
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().expect("a family name");
            assert_eq!(
                helped,
                Some(name),
                "# TYPE {name} without its # HELP: {text}"
            );
            families.push(name);
        } else {
            let (name, value) = line.rsplit_once(' ').expect("a sample line");
            let family = name.split('{').next().unwrap_or(name);
            let declared = families.iter().any(|f| {
                family == *f
                    || ["_bucket", "_sum", "_count"]
                        .iter()
                        .any(|s| family.strip_suffix(s) == Some(f))
            });
            assert!(declared, "{family} has no # TYPE: {text}");
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("{line}"));
            samples.entry(family.to_string()).or_insert(value);
        }
    }
    assert!(samples.len() >= 5, "{text}");
    samples
}
