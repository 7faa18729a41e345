//! The README as a test: every `vigil` command in the README's shell blocks, parsed from
//! README.md itself (so the two cannot drift), runs in order against the real `vigil
//! devnet` binary (started with the README's own `devnet` arguments) in a temp data dir,
//! and must exit 0; and the Quick start states the hardware, the build time and `cargo
//! install --path client`. The real `vigil` binary finds the
//! network through `<data-dir>/devnet/devnet.json`, with no URL flags. Between commands
//! the test only waits for what the README says happens by itself (a deposit credited
//! once sequenced, the oracle's first price) and checks each outcome with extra `--json`
//! reads; `vigil watch` is stopped with Ctrl-C (exit 0); the demos, which start their own
//! throwaway networks, run after SIGTERM stopped the devnet with exit 0.

use crate::rollup::int;
use crate::support::{DevnetProcess, Run, vigil};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use vigil_client::devnet::manifest::DevnetManifest;

const PATIENCE: Duration = Duration::from_secs(120);

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

/// The README, compiled in so that editing it rebuilds (and reruns) this test.
const README: &str = include_str!("../../../README.md");

/// Every `vigil` invocation in the README's `sh` blocks, in order, as arguments after
/// `vigil`: `vigil ARGS` lines and `cargo run … --bin vigil -- ARGS` lines, with the
/// trailing `# comment` removed.
fn readme_commands() -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut in_shell = false;
    for line in README.lines() {
        let line = line.trim();
        if line.starts_with("```") {
            in_shell = line == "```sh";
            continue;
        }
        let code = line.split(" #").next().unwrap_or_default().trim();
        let args = match (in_shell, code.split_once("--bin vigil -- ")) {
            (false, _) => continue,
            (true, Some((_, args))) => args,
            (true, None) => match code.strip_prefix("vigil ") {
                Some(args) => args,
                None => continue,
            },
        };
        commands.push(args.split_whitespace().map(str::to_string).collect());
    }
    commands
}

#[test]
fn the_readme_is_parsed_into_the_commands_it_shows() {
    let commands = readme_commands();
    let firsts: Vec<&str> = commands.iter().map(|c| c[0].as_str()).collect();
    for expected in [
        "devnet", "demo", "keys", "l1", "order", "fills", "trades", "candles", "withdraw", "force",
        "bench",
    ] {
        assert!(firsts.contains(&expected), "{expected} in {firsts:?}");
    }
    let buy = [
        "order", "buy", "BTC-PERP", "0.5", "@", "50000", "--name", "alice",
    ];
    assert!(commands.iter().any(|c| c == &buy), "{commands:?}");
}

/// What a new user needs before the first build, as the README says it (issue #18): the
/// hardware, how long a build takes, and how to get `vigil` on the PATH outside the repo.
#[test]
fn the_readme_states_what_a_first_build_needs() {
    let quick_start = README
        .split("## Quick start")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Quick start section");
    for (what, fragment) in [
        ("the toolchain", "Rust toolchain (1.89 or newer)"),
        ("the hardware", "Two cores and 4 GB of RAM are"),
        ("the CPU time of a release build", "7.7 CPU-minutes"),
        ("the wall clock of a release build", "13 min 35 s"),
        (
            "the install outside the repo",
            "cargo install --path client",
        ),
        ("where the alias works", "works only inside this repository"),
    ] {
        assert!(quick_start.contains(fragment), "{what}: {fragment:?}");
    }
    let manifest = include_str!("../../Cargo.toml");
    assert!(
        manifest.contains("[[bin]]\nname = \"vigil\""),
        "`cargo install --path client` installs `vigil`"
    );
}

#[test]
fn the_readme_walkthrough_runs_against_a_real_devnet() {
    let home_dir = tempfile::tempdir().expect("temp dir");
    let home: PathBuf = home_dir.path().to_path_buf();
    let h = home.as_path();
    let commands = readme_commands();
    // The README's own `vigil devnet` line (the harness adds only OS-picked ports and fast
    // blocks, and the test's data dir).
    let devnet_args: Vec<&str> = commands
        .iter()
        .find(|c| c[0] == "devnet")
        .expect("the README starts a devnet")[1..]
        .iter()
        .map(String::as_str)
        .collect();
    let (devnet, manifest) = DevnetProcess::start(h, &devnet_args);
    assert_eq!(
        DevnetManifest::load(&h.join("devnet")).expect("devnet.json in <data-dir>/devnet"),
        manifest
    );
    let (demos, walkthrough): (Vec<_>, Vec<_>) = commands
        .into_iter()
        .filter(|c| c[0] != "devnet")
        .partition(|c| c[0] == "demo");
    assert!(walkthrough.len() >= 10, "{walkthrough:?}");
    for command in &walkthrough {
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        run_step(h, &args);
    }
    assert_eq!(devnet.stop(), 0, "SIGTERM stops the devnet cleanly");
    for command in &demos {
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        cli(h, &args).ok();
    }
}

/// Runs one README command as written, with what it needs around it: a wait for its
/// precondition, the command (it must exit 0), and a check of its outcome.
fn run_step(h: &Path, args: &[&str]) {
    match args {
        ["order", "sell", ..] => {
            // The oracle's first tick may still be on its way: retry a refused order.
            wait_for("the resting sell", || {
                (cli(h, args).code == 0).then_some(())
            });
        }
        ["order", "buy", .., "--name", name] => {
            wait_for("the deposit credited on L2", || {
                (collateral(h, name) > 0).then_some(())
            });
            let text = cli(h, args).ok();
            assert!(text.contains("fill"), "the receipt shows the fill: {text}");
            let positions = json(h, &["positions", "--name", name]);
            let list = positions["positions"].as_array().expect("positions");
            assert_eq!(list.len(), 1, "{positions}");
        }
        ["fills", "--name", name] => {
            // After the crossing orders: the buyer's fill, as the taker.
            let text = cli(h, args).ok();
            assert!(text.contains("BTC-PERP  buy   taker"), "{text}");
            let fills = json(h, &["fills", "--name", name]);
            assert_eq!(fills["fills"][0]["role"], "taker", "{fills}");
        }
        ["trades", market] => {
            let tape = json(h, &["trades", market]);
            assert_eq!(tape["trades"][0]["taker_side"], "buy", "{tape}");
            cli(h, args).ok();
        }
        ["candles", market, ..] => {
            let candles = json(h, &["candles", market]);
            let list = candles["candles"].as_array().expect("candles");
            assert!(!list.is_empty(), "{candles}");
            cli(h, args).ok();
        }
        ["history", "orders", "--name", name] => {
            // After the crossing orders: the buyer's order, filled.
            let orders = json(h, &["history", "orders", "--name", name]);
            assert_eq!(orders["orders"][0]["status"], "filled", "{orders}");
            cli(h, args).ok();
        }
        ["history", "transfers", "--name", name] => {
            let transfers = json(h, &["history", "transfers", "--name", name]);
            assert_eq!(transfers["transfers"][0]["kind"], "deposit", "{transfers}");
            cli(h, args).ok();
        }
        ["markets"] => {
            let text = cli(h, args).ok();
            assert!(
                text.contains("state") && text.contains("BTC-PERP"),
                "{text}"
            );
            let markets = json(h, args);
            let state = &markets["markets"][0]["breaker"]["state"];
            assert!(state == "open" || state == "reduce_only", "{markets}");
        }
        ["watch"] => watch_then_interrupt(h),
        ["l1", "claim", "--withdrawal-id", _, "--name", name] => {
            let before = int(&json(h, &["l1", "balance", "--name", name])["balance"]);
            cli(h, args).ok();
            let after = int(&json(h, &["l1", "balance", "--name", name])["balance"]);
            assert!(
                after > before,
                "the claim paid out on L1: {before} → {after}"
            );
        }
        ["force", "withdraw", _, "--name", name, "--wait"] => {
            let before = collateral(h, name);
            let forced = json(h, args);
            assert!(int(&forced["deadline_block"]) > 0, "{forced}");
            assert!(int(&forced["deadline_eta_secs"]) >= 0, "{forced}");
            // --wait returns once executed, with the withdrawal id.
            assert!(int(&forced["withdrawal_id"]) >= 0, "{forced}");
            wait_for("the forced withdrawal to be included", || {
                (collateral(h, name) < before).then_some(())
            });
            let exit = json(h, &["exit", "status"]);
            assert_eq!(exit["phase"], "live", "{exit}");
        }
        ["bench", ..] => {
            let text = cli(h, args).ok();
            assert!(text.contains("signature"), "{text}");
        }
        _ => {
            cli(h, args).ok();
        }
    }
}

/// `vigil watch` prints at least one line while the devnet runs, and Ctrl-C (SIGINT)
/// ends it with exit code 0.
fn watch_then_interrupt(h: &Path) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .env_remove("VIGIL_HOME")
        .arg("--data-dir")
        .arg(h)
        .arg("watch")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start vigil watch");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let read = reader.read_line(&mut line);
        let _ = tx.send(read.map(|_| line));
        // Keep reading so the watch never blocks on a full pipe before the signal.
        let _ = reader.read_to_end(&mut Vec::new());
    });
    let first = rx.recv_timeout(PATIENCE).expect("a line from vigil watch");
    assert!(!first.expect("read a line").trim().is_empty());
    let pid = child.id().to_string();
    let signalled = Command::new("kill").args(["-INT", &pid]).status();
    assert!(signalled.expect("run kill").success());
    let status = child.wait().expect("vigil watch exits");
    assert_eq!(status.code(), Some(0), "Ctrl-C ends vigil watch with 0");
}
