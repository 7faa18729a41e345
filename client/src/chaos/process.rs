//! One service binary as a child process that the harness kills with SIGKILL and starts
//! again on the same port and data dir. The port is fixed for the whole run (chosen once
//! from the kernel's free ports), so the other services' `--settlement-url` stays right
//! across restarts; the first stdout line, `listening <addr>`, tells when the binary has
//! recovered and answers, and a `GET /v1/status` that succeeds confirms it serves.
//!
//! Every wait is bounded: the listen line within `STARTUP_LIMIT`, a taken port retried a
//! bounded number of times.

use super::ChaosError;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a binary may take to recover and print its listen line.
const STARTUP_LIMIT: Duration = Duration::from_secs(120);
/// Attempts at starting when the previous life's port is not free yet.
const START_ATTEMPTS: u32 = 20;
/// Pause between two such attempts, and between status probes.
const RETRY_PAUSE: Duration = Duration::from_millis(50);

/// Which service a process is (the kill schedule picks among these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Settlement,
    Sequencer,
    Verifier,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Settlement, Role::Sequencer, Role::Verifier];

    /// The binary's file name.
    pub fn binary(self) -> &'static str {
        match self {
            Role::Settlement => "vigil-contracts-mock",
            Role::Sequencer => "vigil-sequencer",
            Role::Verifier => "vigil-verifier",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::Settlement => "settlement layer",
            Role::Sequencer => "sequencer",
            Role::Verifier => "verifier",
        }
    }
}

/// Where the three binaries are; each is checked to exist before anything starts.
pub fn locate(bin_dir: &Path) -> Result<(), ChaosError> {
    for role in Role::ALL {
        let path = bin_dir.join(role.binary());
        if !path.is_file() {
            return Err(ChaosError::Config(format!(
                "{} not found; build the binaries (`cargo build --release --bins`) and pass their directory with --bin-dir (default: the directory `vigil` runs from)",
                path.display()
            )));
        }
    }
    Ok(())
}

/// A free loopback port, chosen by the kernel (bound, read, released).
pub fn free_port() -> Result<u16, ChaosError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| ChaosError::Config(format!("no free loopback port: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ChaosError::Config(format!("no free loopback port: {e}")))?;
    Ok(addr.port())
}

/// A service binary with its fixed arguments; `None` while it is down.
#[derive(Debug)]
pub struct ServiceProcess {
    pub role: Role,
    program: PathBuf,
    args: Vec<String>,
    /// Standard error of every life goes here (appended).
    log: PathBuf,
    pub addr: SocketAddr,
    child: Option<Child>,
    /// Lives started so far.
    pub lives: u64,
}

impl ServiceProcess {
    pub fn new(role: Role, bin_dir: &Path, args: Vec<String>, log: PathBuf, port: u16) -> Self {
        ServiceProcess {
            role,
            program: bin_dir.join(role.binary()),
            args,
            log,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            child: None,
            lives: 0,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Starts a life and returns once it printed its listen line; a start that fails
    /// because the port is still taken is retried.
    pub async fn start(&mut self) -> Result<(), ChaosError> {
        let mut last = String::new();
        for _ in 0..START_ATTEMPTS {
            match self.start_once().await? {
                None => return Ok(()),
                Some(why) => last = why,
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        }
        Err(ChaosError::Service(format!(
            "the {} did not start after {START_ATTEMPTS} attempts: {last} (its log: {})",
            self.role.name(),
            self.log.display()
        )))
    }

    /// One attempt: `None` when it is up, else why it exited.
    async fn start_once(&mut self) -> Result<Option<String>, ChaosError> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| ChaosError::Io(format!("opening {}: {e}", self.log.display())))?;
        let mut child = Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .map_err(|e| ChaosError::Io(format!("starting {}: {e}", self.program.display())))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        // A dead child closes its stdout, which ends the read too.
        let reading = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        });
        let line = match tokio::time::timeout(STARTUP_LIMIT, reading).await {
            Ok(Ok(Ok(line))) => line,
            _ => String::new(),
        };
        if line.trim().starts_with("listening ") {
            self.child = Some(child);
            self.lives += 1;
            return Ok(None);
        }
        let _ = child.kill();
        let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
        Ok(Some(format!("no listen line ({status})")))
    }

    /// SIGKILL, then reaped: no shutdown code runs in the child.
    pub fn kill_9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a new life and waits until `GET /v1/status` answers; the time from the
    /// spawn to that answer.
    pub async fn restart(&mut self, http: &reqwest::Client) -> Result<Duration, ChaosError> {
        let started = Instant::now();
        self.start().await?;
        let url = format!("{}/v1/status", self.url());
        let attempts = STARTUP_LIMIT.as_millis() / RETRY_PAUSE.as_millis();
        for _ in 0..attempts {
            let answer = http.get(&url).timeout(Duration::from_secs(5)).send().await;
            if answer.is_ok_and(|r| r.status().is_success()) {
                return Ok(started.elapsed());
            }
            tokio::time::sleep(RETRY_PAUSE).await;
        }
        Err(ChaosError::Service(format!(
            "the {} printed its listen line but /v1/status did not answer",
            self.role.name()
        )))
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        self.kill_9();
    }
}
