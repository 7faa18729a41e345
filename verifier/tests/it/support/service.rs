//! Verifier services under test: `verifier::start` in-process on 127.0.0.1:0 (stoppable
//! gracefully, or abruptly by dropping its task), the real `vigil-verifier` binary as a
//! child process (SIGKILL-able), and a small client for their status API.

use super::node::Node;
use k256::ecdsa::SigningKey;
use protocol::api::verifier::{Mode, StatusResponse};
use protocol::primitives::{Address, to_hex};
use protocol::signing::address_of;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;
use test_support::{ChildService, bind_loopback, send_for_text};
use verifier::{Config, RunError};

/// Talks to a verifier's HTTP API.
#[derive(Debug, Clone)]
pub struct StatusClient {
    pub url: String,
    http: reqwest::Client,
}

impl StatusClient {
    pub fn new(url: String) -> StatusClient {
        StatusClient {
            url,
            http: reqwest::Client::new(),
        }
    }

    pub async fn get_raw(&self, path: &str) -> (u16, String) {
        send_for_text(self.http.get(format!("{}{path}", self.url))).await
    }

    pub async fn status(&self) -> StatusResponse {
        let (status, body) = self.get_raw("/v1/status").await;
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("a status")
    }

    pub async fn metrics(&self) -> String {
        let (status, body) = self.get_raw("/metrics").await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Waits (long polls, at most `timeout`) until the verifier has applied event `seq`
    /// and published the status after it (the challenges it then made included).
    pub async fn wait_for_cursor(&self, seq: u64, timeout: Duration) -> StatusResponse {
        let started = Instant::now();
        for _ in 0..1_000 {
            let (status, body) = self
                .get_raw(&format!("/v1/status?min_cursor={seq}&wait_ms=1000"))
                .await;
            assert_eq!(status, 200, "{body}");
            let s: StatusResponse = serde_json::from_str(&body).expect("a status");
            if s.cursor >= seq {
                return s;
            }
            assert!(
                started.elapsed() < timeout,
                "verifier at {} did not reach event {seq} within {timeout:?}: {s:?}",
                self.url
            );
        }
        panic!("verifier did not reach event {seq} after 1000 polls");
    }

    /// Waits until the verifier is caught up with the settlement layer's whole log.
    pub async fn wait_caught_up(&self, node: &Node) -> StatusResponse {
        let last = node.status().await.last_event_seq;
        self.wait_for_cursor(last, Duration::from_secs(60)).await
    }
}

/// The L1 key of test verifier `index` (the tests fund it so the verifier can bond).
pub fn verifier_key(index: u64) -> SigningKey {
    protocol::workload::dev_key("vigil-test-verifier", 0, index)
}

/// `verifier::start` in-process: the running service, or why it did not start.
#[derive(Debug)]
pub struct Verifier {
    pub client: StatusClient,
    pub config: Config,
    running: Option<Result<verifier::Running, RunError>>,
}

impl Verifier {
    pub fn config(node: &Node, data_dir: &Path, key: Option<SigningKey>) -> Config {
        let mut config = Config::new(
            data_dir.to_path_buf(),
            node.url.clone(),
            node.genesis().clone(),
        );
        if let Some(key) = key {
            config = config.challenging(key);
        }
        config.poll_interval = Duration::from_millis(200);
        config.request_timeout = Duration::from_secs(10);
        config
    }

    pub async fn start(config: Config) -> Verifier {
        let (listener, url) = bind_loopback().await;
        let running = verifier::start(config.clone(), listener).await;
        Verifier {
            client: StatusClient::new(url),
            config,
            running: Some(running),
        }
    }

    /// One verifier in challenge mode per key, in order: the key funded with `funds` on
    /// the settlement layer, then its verifier started on a fresh temporary data dir. The
    /// dirs are returned with them: keep them while the verifiers run.
    pub async fn start_challengers(
        node: &Node,
        keys: &[SigningKey],
        funds: u64,
    ) -> (Vec<Verifier>, Vec<TempDir>) {
        let mut verifiers = Vec::new();
        let mut dirs = Vec::new();
        for key in keys {
            let dir = tempfile::tempdir().expect("dir");
            node.faucet(&address(key), funds).await;
            let config = Verifier::config(node, dir.path(), Some(key.clone()));
            verifiers.push(Verifier::start(config).await);
            dirs.push(dir);
        }
        (verifiers, dirs)
    }

    /// Waits (at most 30 s) for the service to stop by itself (following failed for good,
    /// or it never started), without asking it to stop; its outcome.
    pub async fn finished(mut self) -> Result<(), RunError> {
        let mut running = self.running.take().expect("started")?;
        tokio::time::timeout(Duration::from_secs(30), running.following_ended())
            .await
            .expect("following ends within 30 s");
        running.shutdown().await
    }

    /// Graceful stop; `shutdown` must return `Ok`.
    pub async fn shutdown(mut self) {
        if let Some(running) = self.running.take() {
            running
                .expect("the verifier started")
                .shutdown()
                .await
                .expect("shutdown returns Ok");
        }
    }
}

/// The real binary as a child process on 127.0.0.1:0.
#[derive(Debug)]
pub struct Process {
    child: ChildService,
    pub client: StatusClient,
}

impl Process {
    /// Spawns `vigil-verifier` against `node`, storing in `data_dir`.
    pub async fn spawn(node: &Node, data_dir: &Path, mode: Mode, key: &SigningKey) -> Process {
        let genesis_file = data_dir.with_extension("genesis.json");
        std::fs::write(
            &genesis_file,
            serde_json::to_vec(node.genesis()).expect("json"),
        )
        .expect("write genesis");
        let mut command = Command::new(env!("CARGO_BIN_EXE_vigil-verifier"));
        command
            .args([
                "--listen",
                "127.0.0.1:0",
                "--log",
                "warn",
                "--poll-interval-ms",
                "200",
            ])
            .args(["--settlement-url", &node.url, "--mode", mode.name()])
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--genesis")
            .arg(&genesis_file)
            .env("VIGIL_VERIFIER_CHALLENGER_KEY", to_hex(&key.to_bytes()))
            .stdin(Stdio::null())
            .stderr(Stdio::null());
        let child = ChildService::spawn(&mut command).await;
        let client = StatusClient::new(child.url.clone());
        Process { child, client }
    }

    /// `kill -9`: no shutdown code runs.
    pub fn kill(self) {
        self.child.kill_9();
    }

    /// SIGTERM, then the exit status.
    pub async fn terminate(self) -> std::process::ExitStatus {
        self.child.terminate().await
    }
}

/// The address of `key`, for assertions.
pub fn address(key: &SigningKey) -> Address {
    address_of(key)
}
