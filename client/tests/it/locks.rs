//! One process per data dir, and one chain per verifier data dir, against the real
//! binaries (issue #18): for each of the three services and `vigil devnet`, a second
//! instance on the directory a running one holds exits 1 with one line naming the
//! directory and the holder (its pid and the address it serves on), prints no `listening`
//! line, and leaves the running one's `listen.addr` and `LOCK` as they were, while the
//! first keeps answering. A verifier whose data dir was built from one settlement layer
//! refuses to start against another with the same genesis, before announcing itself.

use crate::chaos::service_binaries;
use crate::support::vigil;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};
use test_support::ChildService;
use vigil_client::devnet::{Devnet, DevnetConfig};

/// How long a refused start may take (it should be immediate).
const REFUSAL_LIMIT: Duration = Duration::from_secs(60);
/// Any valid secp256k1 key: the sequencer runs unbonded here (`--no-auto-bond`).
const SEQUENCER_KEY: &str = "0x1111111111111111111111111111111111111111111111111111111111111111";

/// A service binary's command line on `dir`, with everything but the data dir fixed.
struct Service {
    binary: &'static str,
    /// The service's name in the refusal.
    name: &'static str,
    args: Vec<String>,
}

impl Service {
    fn command(&self, bins: &Path, dir: &Path) -> Command {
        let mut command = Command::new(bins.join(self.binary));
        command
            .arg("--data-dir")
            .arg(dir)
            .args(["--listen", "127.0.0.1:0", "--log", "warn"])
            .args(&self.args)
            .env("NO_COLOR", "1");
        command
    }
}

fn settlement_layer() -> Service {
    Service {
        binary: "vigil-contracts-mock",
        name: "settlement layer",
        args: vec!["--block-time-ms".into(), "100".into()],
    }
}

fn verifier(l1_url: &str) -> Service {
    Service {
        binary: "vigil-verifier",
        name: "verifier",
        args: vec!["--settlement-url".into(), l1_url.into()],
    }
}

fn sequencer(l1_url: &str) -> Service {
    let args = [
        "--settlement-url",
        l1_url,
        "--key",
        SEQUENCER_KEY,
        "--no-auto-bond",
    ];
    Service {
        binary: "vigil-sequencer",
        name: "sequencer",
        args: args.map(str::to_string).to_vec(),
    }
}

/// Runs `command` to its end, bounded: a start that is not refused is killed and fails
/// the test instead of hanging it.
fn run_bounded(command: &mut Command) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the second instance");
    let started = Instant::now();
    for _ in 0..100_000 {
        if child.try_wait().expect("poll the child").is_some() {
            return child.wait_with_output().expect("its output");
        }
        if started.elapsed() > REFUSAL_LIMIT {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let output = child.wait_with_output().expect("its output");
    panic!("still running after {REFUSAL_LIMIT:?}: {output:?}");
}

/// The bytes and modification time of the files a second instance must not touch.
fn holder_files(dir: &Path, names: &[&str]) -> Vec<(PathBuf, Vec<u8>, SystemTime)> {
    names
        .iter()
        .map(|name| {
            let path = dir.join(name);
            let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let modified = std::fs::metadata(&path)
                .and_then(|m| m.modified())
                .expect("mtime");
            (path, bytes, modified)
        })
        .collect()
}

/// The pid the holder recorded in its `LOCK`.
fn holder_pid(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("LOCK")).expect("LOCK");
    let pid = text.lines().find_map(|l| l.strip_prefix("pid "));
    pid.unwrap_or_else(|| panic!("no pid in LOCK: {text:?}"))
        .to_string()
}

/// The refusal: exit 1, nothing on stdout, one stderr line naming the dir and the holder.
fn assert_refused(output: &Output, dir: &Path, service: &str, serving: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{service}: {stderr}");
    assert!(
        output.stdout.is_empty(),
        "{service} announced itself: {output:?}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    let needles = [
        dir.display().to_string(),
        format!("in use by another {service}"),
        format!("(pid {}, serving {serving})", holder_pid(dir)),
        "--data-dir".to_string(),
    ];
    for needle in needles {
        assert!(stderr.contains(&needle), "{needle:?} in {stderr}");
    }
}

/// Starts `service` on `dir`, then a second one on the same dir, which must be refused
/// without touching the first's files; returns the first, still serving.
async fn first_holds_the_dir(bins: &Path, service: &Service, dir: &Path) -> ChildService {
    let first = ChildService::spawn(&mut service.command(bins, dir)).await;
    let before = holder_files(dir, &["listen.addr", "LOCK"]);
    let mut second = service.command(bins, dir);
    let output = tokio::task::spawn_blocking(move || run_bounded(&mut second))
        .await
        .expect("joined");
    let serving = first.url.trim_start_matches("http://");
    assert_refused(&output, dir, service.name, serving);
    assert_eq!(holder_files(dir, &["listen.addr", "LOCK"]), before);
    let status = reqwest::get(format!("{}/v1/status", first.url)).await;
    assert!(
        status.is_ok_and(|r| r.status().is_success()),
        "the first {} still answers",
        service.name
    );
    first
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_service_on_a_data_dir_in_use_is_refused() {
    let bins = tokio::task::spawn_blocking(service_binaries)
        .await
        .expect("the service binaries");
    let root = tempfile::tempdir().expect("temp dir");
    let l1 = first_holds_the_dir(&bins, &settlement_layer(), &root.path().join("l1")).await;
    let rows = [sequencer(&l1.url), verifier(&l1.url)];
    let mut running = Vec::new();
    for (i, service) in rows.iter().enumerate() {
        let dir = root.path().join(format!("service-{i}"));
        running.push(first_holds_the_dir(&bins, service, &dir).await);
    }
    for service in running {
        assert!(service.terminate().await.success());
    }
    assert!(l1.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_devnet_on_a_directory_in_use_is_refused() {
    let home = tempfile::tempdir().expect("temp dir");
    let dir = home.path().join("devnet");
    let net = Devnet::start(DevnetConfig::fast(dir.clone()))
        .await
        .expect("the first devnet starts");
    let before = holder_files(&dir, &["devnet.json", "LOCK", "l1/listen.addr"]);
    let h = home.path().to_path_buf();
    let run = tokio::task::spawn_blocking(move || vigil(&h, None, &["devnet", "--base-port", "0"]))
        .await
        .expect("joined");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.is_empty(), "{run:?}");
    let l1 = &net.manifest().l1_url;
    let holder = format!("(pid {}, serving {l1})", std::process::id());
    let needles = [
        dir.display().to_string(),
        "another vigil devnet".into(),
        holder,
    ];
    for needle in needles {
        assert!(run.stderr.contains(&needle), "{needle:?} in {}", run.stderr);
    }
    assert_eq!(
        holder_files(&dir, &["devnet.json", "LOCK", "l1/listen.addr"]),
        before
    );
    net.shutdown().await.expect("clean stop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verifier_data_dir_of_another_chain_is_refused() {
    let bins = tokio::task::spawn_blocking(service_binaries)
        .await
        .expect("the service binaries");
    let root = tempfile::tempdir().expect("temp dir");
    let spawn = |service: Service, dir: PathBuf| {
        let bins = bins.clone();
        async move { ChildService::spawn(&mut service.command(&bins, &dir)).await }
    };
    let ours = spawn(settlement_layer(), root.path().join("l1-a")).await;
    let other = spawn(settlement_layer(), root.path().join("l1-b")).await;
    let dir = root.path().join("verifier");
    // Bound to `ours` at its first start.
    let first = spawn(verifier(&ours.url), dir.clone()).await;
    assert!(first.terminate().await.success());

    let mut wrong = verifier(&other.url).command(&bins, &dir);
    let output = tokio::task::spawn_blocking(move || run_bounded(&mut wrong))
        .await
        .expect("joined");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty(), "never announced: {output:?}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    for needle in [
        other.url.as_str(),
        "but this data dir follows instance",
        "point --settlement-url",
    ] {
        assert!(stderr.contains(needle), "{needle:?} in {stderr}");
    }

    // Pointed back at its own chain, it starts.
    let again = spawn(verifier(&ours.url), dir).await;
    for service in [again, other, ours] {
        assert!(service.terminate().await.success());
    }
}
