//! The schema-driven API fuzzer (issue #17): Schemathesis, from PyPI, generates requests
//! from each service's own `/openapi.json` (valid and invalid: every path, query and body
//! the document allows or nearly allows, then stateful sequences) and checks every answer:
//! never a 5xx, a status, content type and body the document declares. It runs against a
//! devnet on OS-picked ports with some trading done, so reads find data.
//!
//! It needs the fuzzer in the repo's own virtualenv, which `.ci/run` installs
//! (`.ci/api-fuzz-venv`); `VIGIL_SCHEMATHESIS` may point at another install. The number of
//! examples per operation and the seed are fixed, so a CI run is bounded and repeatable;
//! `VIGIL_API_FUZZ_EXAMPLES` and `VIGIL_API_FUZZ_SEED` widen or vary it.

use crate::support::{run_off_runtime, wait_for};
use std::path::PathBuf;
use std::time::Duration;
use tokio::process::Command;
use vigil_client::devnet::{Devnet, DevnetConfig};
use vigil_client::oracle::FeedConfig;

/// Where `.ci/api-fuzz-venv` installs the fuzzer, from the workspace root.
const VENV_BIN: &str = ".ci/venv/bin/schemathesis";
/// Examples per operation, and the seed, unless the environment says otherwise.
const EXAMPLES: u32 = 15;
const SEED: u64 = 1;
/// The longest one service's run may take before the test fails (a run takes 5–40 s).
const RUN_LIMIT: Duration = Duration::from_secs(600);
/// What is checked: no 5xx, and every answer as documented.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

fn schemathesis() -> PathBuf {
    let path = std::env::var_os("VIGIL_SCHEMATHESIS").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(VENV_BIN)
        },
        PathBuf::from,
    );
    assert!(
        path.exists(),
        "the API fuzzer test needs Schemathesis at {} and it is not there: install it with \
         `.ci/api-fuzz-venv` (a virtualenv inside the repo, from PyPI; .ci/run does this), or \
         point VIGIL_SCHEMATHESIS at a schemathesis binary",
        path.display()
    );
    path
}

fn setting<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs the fuzzer against one service; returns its report when it found anything.
async fn fuzz(service: &str, base_url: &str, report_dir: &std::path::Path) -> Option<String> {
    let (examples, seed) = (
        setting("VIGIL_API_FUZZ_EXAMPLES", EXAMPLES),
        setting("VIGIL_API_FUZZ_SEED", SEED),
    );
    let mut command = Command::new(schemathesis());
    command
        .arg("run")
        .arg(format!("{base_url}/openapi.json"))
        .args(["--checks", CHECKS, "--no-color", "--workers", "1"])
        .args(["--max-examples", &examples.to_string()])
        .args(["--seed", &seed.to_string(), "--generation-database", "none"])
        .args(["--request-timeout", "30"])
        .arg("--report-dir")
        .arg(report_dir.join(service))
        .env("NO_COLOR", "1")
        // It keeps a cache of what it found in its working directory: the temp dir, never
        // the repo.
        .current_dir(report_dir)
        .kill_on_drop(true);
    let output = tokio::time::timeout(RUN_LIMIT, command.output())
        .await
        .unwrap_or_else(|_| panic!("schemathesis on the {service} ran over {RUN_LIMIT:?}"))
        .expect("schemathesis starts");
    if output.status.success() {
        return None;
    }
    Some(format!(
        "== {service} ({base_url}): schemathesis exited {} (seed {seed}, {examples} examples)\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    ))
}

/// Some state for the reads to find: a trade between two dev accounts and a withdrawal
/// (`--name devN` finds the devnet's keys through `<home>/devnet/devnet.json`). The resting
/// ask is sent until the oracle feed's first price lets it in.
async fn trade(home: &std::path::Path, l1_url: &str) {
    let ask = [
        "order", "sell", "BTC-PERP", "0.1", "@", "50000", "--name", "dev0",
    ];
    wait_for(
        "the first oracle price (the resting ask accepted)",
        || async {
            let run = run_off_runtime(home, Some(l1_url), &ask).await;
            match run.code {
                0 => Some(()),
                _ if run.stderr.contains("no_price") => None,
                _ => panic!("{}", run.stderr),
            }
        },
    )
    .await;
    let steps: [&[&str]; 2] = [
        &["order", "buy", "BTC-PERP", "0.1", "--name", "dev1"],
        &["withdraw", "10", "--name", "dev0"],
    ];
    for args in steps {
        run_off_runtime(home, Some(l1_url), args).await.ok();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_services_openapi_document_survives_the_schema_driven_fuzzer() {
    schemathesis();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut config = DevnetConfig::fast(dir.path().join("devnet"));
    config.oracle = Some(FeedConfig {
        interval: Duration::from_millis(200),
        ..Default::default()
    });
    let net = Devnet::start(config).await.expect("devnet starts");
    let m = net.manifest().clone();
    trade(dir.path(), &m.l1_url).await;
    let services = [
        ("settlement layer", m.l1_url.as_str()),
        ("sequencer", m.sequencer_url.as_str()),
        ("verifier", m.verifier_urls[0].as_str()),
    ];
    let mut found = Vec::new();
    for (service, url) in services {
        found.extend(fuzz(service, url, dir.path()).await);
    }
    net.shutdown().await.expect("the devnet stops");
    assert!(found.is_empty(), "{}", found.join("\n"));
}
