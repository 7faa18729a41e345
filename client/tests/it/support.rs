//! Running the real `vigil` binary: a temp data dir per test, no inherited VIGIL_* settings,
//! and the exit code, stdout and stderr of each run (off the async runtime, so in-process
//! services keep serving); importing a known key; bounded polling.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// One finished run of `vigil`.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts success and returns stdout.
    pub fn ok(self) -> String {
        assert_eq!(self.code, 0, "vigil failed: {}", self.stderr);
        self.stdout
    }

    /// Asserts success and parses stdout as JSON.
    pub fn json(self) -> serde_json::Value {
        let out = self.ok();
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    }
}

/// Runs `vigil --data-dir <home> [--l1-url <url>] <args>`.
pub fn vigil(home: &Path, l1_url: Option<&str>, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vigil"));
    for var in [
        "VIGIL_HOME",
        "VIGIL_L1_URL",
        "VIGIL_SEQUENCER_URL",
        "VIGIL_PRIVATE_KEY",
    ] {
        command.env_remove(var);
    }
    command.arg("--data-dir").arg(home);
    if let Some(url) = l1_url {
        command.args(["--l1-url", url]);
    }
    let output = command.args(args).output().expect("run the vigil binary");
    Run {
        code: output
            .status
            .code()
            .expect("vigil exited by itself, not by a signal"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// Runs the binary on a blocking thread, so the in-process services keep serving.
pub async fn run_off_runtime(home: &Path, l1_url: Option<&str>, args: &[&str]) -> Run {
    let home: PathBuf = home.to_path_buf();
    let l1_url = l1_url.map(str::to_string);
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        vigil(&home, l1_url.as_deref(), &args)
    })
    .await
    .expect("the vigil run completes")
}

/// Imports `secret` as the key `name` into `home` (no service is asked).
pub async fn import_key(home: &Path, name: &str, secret: &[u8; 32]) {
    let secret = protocol::primitives::to_hex(secret);
    let args = ["keys", "import", "--name", name, "--private-key", &secret];
    run_off_runtime(home, None, &args).await.ok();
}

/// How long any single condition may take to come true.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Polls `check` until it yields a value: bounded in attempts and by `PATIENCE`; panics
/// naming `what` otherwise.
pub async fn wait_for<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    for _ in 0..20_000 {
        if let Some(value) = check().await {
            return value;
        }
        if started.elapsed() > PATIENCE {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out after {PATIENCE:?} waiting for {what}");
}

/// `vigil --json ARGS` with no settlement-layer URL, which must succeed: its JSON.
pub fn vigil_json(home: &Path, args: &[&str]) -> serde_json::Value {
    let mut full = vec!["--json"];
    full.extend(args);
    vigil(home, None, &full).json()
}

/// `wait_for` for tests that drive a `vigil devnet` child from a plain thread: polls
/// `check` until it yields a value, bounded in attempts and by `patience`.
pub fn wait_blocking<T>(patience: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    for _ in 0..10_000 {
        if let Some(value) = check() {
            return value;
        }
        assert!(started.elapsed() < patience, "timed out");
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("gave up");
}

/// A `vigil devnet` child on OS-picked ports with fast blocks and a short window, for the
/// tests that run the real binary as a user would (the README walkthrough, the usability
/// table); SIGKILL on drop if a test failed half-way.
pub struct DevnetProcess {
    child: Option<std::process::Child>,
}

impl DevnetProcess {
    /// `vigil --json --data-dir <home> devnet <extra>` (a `--data-dir` in `extra` is
    /// dropped: `home` is the one used), returning once its manifest line is printed.
    pub fn start(
        home: &Path,
        extra: &[&str],
    ) -> (
        DevnetProcess,
        vigil_client::devnet::manifest::DevnetManifest,
    ) {
        use std::io::{BufRead, BufReader};
        use std::process::{Command, Stdio};
        let mut child = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .env_remove("VIGIL_HOME")
            .env("VIGIL_LOG", "warn")
            .args(["--json", "--data-dir"])
            .arg(home)
            .arg("devnet")
            .args(
                extra
                    .iter()
                    .filter(|a| **a != "--data-dir" && Path::new(a) != home),
            )
            .args(["--base-port", "0", "--block-time-ms", "100"])
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
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("the devnet prints its manifest");
        let manifest = serde_json::from_str(&line).expect("a manifest line");
        (process, manifest)
    }

    /// SIGTERM, then the exit code it stopped with by itself.
    pub fn stop(mut self) -> i32 {
        let mut child = self.child.take().expect("running");
        let killed = std::process::Command::new("kill")
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
