//! `ChildService`: a service binary run as a child process on 127.0.0.1:0. The services
//! print `listening <addr>` as their first stdout line, so the harness learns the URL from
//! it (bounded in time) instead of guessing a port; tests then kill it with SIGKILL, stop
//! it with SIGTERM, or let `Drop` kill and reap it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

/// How long a binary may take to print its listen line, and to exit after SIGTERM.
const PATIENCE: Duration = Duration::from_secs(60);

/// A running service binary and the URL it announced.
#[derive(Debug)]
pub struct ChildService {
    /// `None` once killed or waited for.
    child: Option<Child>,
    pub url: String,
}

impl ChildService {
    /// Spawns `command` with stdout piped and waits for its `listening <addr>` line; if
    /// none comes (it died, or took longer than a minute), kills it and panics naming it.
    pub async fn spawn(command: &mut Command) -> ChildService {
        let program = command.get_program().to_string_lossy().into_owned();
        let mut child = command
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {program}: {e}"));
        let stdout = child.stdout.take().expect("stdout");
        // EOF (the child died) ends the read too.
        let reading = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        });
        let line = match tokio::time::timeout(PATIENCE, reading).await {
            Ok(Ok(Ok(line))) => line,
            other => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("no listen line from {program}: {other:?}");
            }
        };
        let Some(addr) = line.trim().strip_prefix("listening ") else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("unexpected first line from {program}: {line:?}");
        };
        ChildService {
            url: format!("http://{addr}"),
            child: Some(child),
        }
    }

    /// The child's process id (for reading its `/proc` entries).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGKILL, then reaped: no shutdown code runs.
    pub fn kill_9(mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
    }

    /// SIGTERM, then the exit status (within a minute).
    pub async fn terminate(mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        send_sigterm(&child);
        let waiting = tokio::task::spawn_blocking(move || child.wait());
        match tokio::time::timeout(PATIENCE, waiting).await {
            Ok(Ok(Ok(status))) => status,
            other => panic!("the binary did not exit after SIGTERM: {other:?}"),
        }
    }
}

impl Drop for ChildService {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `kill -TERM <pid>`: the graceful stop a service manager sends.
pub fn send_sigterm(child: &Child) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(sent.success(), "kill -TERM {} failed", child.id());
}
