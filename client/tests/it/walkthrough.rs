//! The README walkthrough as a test: the real `vigil devnet` binary runs in a temp data
//! dir, and the real `vigil` binary — finding the network through
//! `<data-dir>/devnet/devnet.json`, with no URL flags — deposits, trades two crossing
//! orders, reads account and positions, withdraws to claimable and claims, forces a
//! withdrawal through L1 that the sequencer must include, reads exit mode's status, runs `vigil bench` for a bounded
//! count, and `vigil demo fraud --json` exits 0. SIGTERM stops the devnet with exit 0.

use crate::rollup::int;
use crate::support::{Run, vigil};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use vigil_client::devnet::manifest::DevnetManifest;

const PATIENCE: Duration = Duration::from_secs(120);

/// The devnet child process; SIGTERM on drop if the test failed half-way.
struct DevnetProcess {
    child: Option<Child>,
}

impl DevnetProcess {
    /// `vigil --data-dir <home> devnet` on OS-picked ports with fast blocks and a short
    /// window; returns once its manifest line is printed.
    fn start(home: &Path) -> (DevnetProcess, DevnetManifest) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .env_remove("VIGIL_HOME")
            .env("VIGIL_LOG", "warn")
            .arg("--json")
            .arg("--data-dir")
            .arg(home)
            .args(["devnet", "--base-port", "0", "--block-time-ms", "100"])
            .args([
                "--challenge-window-blocks",
                "10",
                "--oracle-interval-ms",
                "200",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start vigil devnet");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            if let Some(Ok(line)) = BufReader::new(stdout).lines().next() {
                let _ = tx.send(line);
            }
        });
        let process = DevnetProcess { child: Some(child) };
        let line = rx
            .recv_timeout(PATIENCE)
            .expect("the devnet prints its manifest");
        let manifest: DevnetManifest = serde_json::from_str(&line).expect("a manifest line");
        (process, manifest)
    }

    fn stop(mut self) -> i32 {
        let mut child = self.child.take().expect("running");
        let killed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(killed.success());
        let status = child.wait().expect("the devnet exits");
        status.code().expect("exited by itself after SIGTERM")
    }
}

impl Drop for DevnetProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `vigil --data-dir <home> <args>` (no URL flags: devnet.json is found).
fn cli(home: &Path, args: &[&str]) -> Run {
    vigil(home, None, args)
}

fn json(home: &Path, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["--json"];
    full.extend_from_slice(args);
    cli(home, &full).json()
}

/// Polls `check` (bounded in attempts and time) until it yields a value.
fn wait_for<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    for _ in 0..10_000 {
        if let Some(value) = check() {
            return value;
        }
        assert!(started.elapsed() < PATIENCE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("gave up waiting for {what}");
}

fn collateral(home: &Path, name: &str) -> i128 {
    int(&json(home, &["account", "--name", name])["collateral"])
}

#[test]
fn the_readme_walkthrough_runs_against_a_real_devnet() {
    let home_dir = tempfile::tempdir().expect("temp dir");
    let home: PathBuf = home_dir.path().to_path_buf();
    let h = home.as_path();
    let (devnet, manifest) = DevnetProcess::start(h);
    assert_eq!(
        DevnetManifest::load(&h.join("devnet")).expect("devnet.json in <data-dir>/devnet"),
        manifest
    );

    // A new trader: key, L1 faucet, deposit, credited on L2.
    cli(h, &["keys", "new", "--name", "alice"]).ok();
    cli(
        h,
        &["l1", "faucet", "--name", "alice", "--amount", "10,000"],
    )
    .ok();
    cli(
        h,
        &["l1", "deposit", "--name", "alice", "--amount", "5,000"],
    )
    .ok();
    wait_for("alice's deposit on L2", || {
        (collateral(h, "alice") == 5_000_000_000).then_some(())
    });
    // Two crossing orders: dev0 rests a sell, alice buys into it.
    let sell = wait_for("dev0's resting sell", || {
        let run = cli(
            h,
            &[
                "--json", "order", "sell", "BTC-PERP", "0.1", "@", "50000", "--name", "dev0",
            ],
        );
        // The oracle's first tick may still be on its way: retry a refused order.
        (run.code == 0)
            .then(|| serde_json::from_str::<serde_json::Value>(&run.stdout).expect("JSON"))
    });
    assert_eq!(int(&sell["receipt"]["order"]["resting"]), 1_000, "{sell}");
    let buy = json(
        h,
        &[
            "order", "buy", "BTC-PERP", "0.1", "@", "50000", "--ioc", "--name", "alice",
        ],
    );
    let fills = buy["receipt"]["fills"].as_array().expect("fills");
    assert_eq!(fills.len(), 1, "{buy}");
    assert_eq!(int(&fills[0]["size"]), 1_000);
    assert_eq!(int(&fills[0]["price"]), 50_000_000_000);

    let account = json(h, &["account", "--name", "alice"]);
    assert!(int(&account["initial_margin"]) > 0, "{account}");
    let positions = json(h, &["positions", "--name", "alice"]);
    let list = positions["positions"].as_array().expect("positions");
    assert_eq!(list.len(), 1, "{positions}");
    assert_eq!(int(&list[0]["size"]), 1_000, "long 0.1 BTC");
    let text = cli(h, &["positions", "--name", "alice"]).ok();
    assert!(text.contains("BTC-PERP"), "{text}");

    // Withdraw → claimable (one status line, waited on) → claimed on L1.
    let l1_before = int(&json(h, &["l1", "balance", "--name", "alice"])["balance"]);
    let waited = json(
        h,
        &[
            "withdraw",
            "250",
            "--wait",
            "--timeout-secs",
            "120",
            "--name",
            "alice",
        ],
    );
    assert_eq!(waited["status"]["status"], "claimable", "{waited}");
    let id = waited["withdrawal_id"].to_string();
    let claimed = json(
        h,
        &["l1", "claim", "--withdrawal-id", &id, "--name", "alice"],
    );
    assert_eq!(int(&claimed["amount"]), 250_000_000, "{claimed}");
    let l1_after = int(&json(h, &["l1", "balance", "--name", "alice"])["balance"]);
    assert_eq!(l1_after - l1_before, 250_000_000);

    // A forced withdrawal through the L1 queue: the sequencer must include it.
    let before = collateral(h, "alice");
    let forced = json(h, &["force", "withdraw", "50", "--name", "alice"]);
    assert!(int(&forced["deadline_block"]) > 0, "{forced}");
    wait_for("the forced withdrawal to be included", || {
        (collateral(h, "alice") == before - 50_000_000).then_some(())
    });
    // With the deadline on a clock: an ETA beside the block.
    assert!(int(&forced["deadline_eta_secs"]) >= 0, "{forced}");
    // The escape hatch is armed but the rollup is live.
    let exit = json(h, &["exit", "status"]);
    assert_eq!(exit["phase"], "live", "{exit}");

    // The load generator, bounded, against this devnet.
    let bench = json(
        h,
        &[
            "bench",
            "--count",
            "200",
            "--accounts",
            "4",
            "--concurrency",
            "8",
        ],
    );
    assert!(int(&bench["accepted"]) > 0, "{bench}");
    assert!(int(&bench["recoveries_per_sec"]) > 0, "{bench}");
    let text = cli(h, &["bench", "--count", "100", "--accounts", "2"]).ok();
    assert!(text.contains("signature"), "{text}");

    assert_eq!(devnet.stop(), 0, "SIGTERM stops the devnet cleanly");

    // The fraud demo on its own throwaway devnet.
    let demo = json(h, &["demo", "fraud"]);
    assert_eq!(demo["ok"], true, "{demo}");
}
