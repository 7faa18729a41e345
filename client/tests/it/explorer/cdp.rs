//! A small Chrome DevTools Protocol driver for the explorer's browser test: it starts the
//! distribution's headless Chromium on a throwaway profile, attaches to one page over the
//! DevTools WebSocket (the same `tokio-tungstenite` client the other feed tests use), and
//! offers what the test needs — navigate, evaluate, wait for a condition (bounded), take a
//! PNG screenshot — while it records every console error and uncaught exception.

use base64::Engine as _;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Where the distribution's package puts the browser (override: `VIGIL_CHROMIUM`).
const CHROMIUM: &str = "/usr/bin/chromium";
/// The longest any one DevTools command may take.
const COMMAND_LIMIT: Duration = Duration::from_secs(20);
/// How often `wait_for` evaluates its condition (the resolution of a page's load time).
const POLL: Duration = Duration::from_millis(25);
/// Pixels of the browser window.
pub const WIDTH: u32 = 1440;
pub const HEIGHT: u32 = 1000;

/// The browser binary, or a failure that says how to install it (CI's `.ci/run` does).
pub fn chromium() -> PathBuf {
    let path =
        std::env::var_os("VIGIL_CHROMIUM").map_or_else(|| PathBuf::from(CHROMIUM), PathBuf::from);
    assert!(
        path.exists(),
        "the explorer's browser test needs Chromium at {} and it is not there: install it with \
         `sudo apt-get install -y chromium` (Debian's package; .ci/run installs it in CI), or \
         point VIGIL_CHROMIUM at a Chromium binary",
        path.display()
    );
    path
}

/// One headless Chromium with one page attached.
pub struct Browser {
    child: Child,
    _profile: tempfile::TempDir,
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
    /// Console errors and uncaught exceptions since the last `take_errors`.
    errors: Vec<String>,
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Browser")
            .field("session", &self.session)
            .finish()
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the browser's standard error until it names its DevTools WebSocket.
fn devtools_url(child: &mut Child) -> String {
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(at) = line.find("ws://") {
                let _ = tx.send(line[at..].trim().to_string());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(30))
        .expect("Chromium printed its DevTools address within 30 s")
}

impl Browser {
    /// Starts Chromium headless and attaches to a fresh page.
    pub async fn launch() -> Browser {
        let binary = chromium();
        let profile = tempfile::tempdir().expect("profile dir");
        let mut child = Command::new(&binary)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--disable-background-networking",
                "--hide-scrollbars",
                "--remote-debugging-port=0",
                &format!("--window-size={WIDTH},{HEIGHT}"),
                &format!("--user-data-dir={}", profile.path().display()),
                "about:blank",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let url = devtools_url(&mut child);
        let (socket, _) = tokio_tungstenite::connect_async(&url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to Chromium's DevTools at {url}: {e}"));
        let mut browser = Browser {
            child,
            _profile: profile,
            socket,
            session: String::new(),
            next_id: 0,
            errors: Vec::new(),
        };
        let target = browser
            .command("Target.createTarget", json!({"url": "about:blank"}))
            .await;
        let target_id = target["targetId"]
            .as_str()
            .expect("a target id")
            .to_string();
        let attached = browser
            .command(
                "Target.attachToTarget",
                json!({"targetId": target_id, "flatten": true}),
            )
            .await;
        browser.session = attached["sessionId"]
            .as_str()
            .expect("a session")
            .to_string();
        for method in ["Page.enable", "Runtime.enable", "Log.enable"] {
            browser.command(method, json!({})).await;
        }
        browser
            .command(
                "Emulation.setDeviceMetricsOverride",
                json!({"width": WIDTH, "height": HEIGHT, "deviceScaleFactor": 1, "mobile": false}),
            )
            .await;
        browser
    }

    /// Sends one command (on the page's session once attached) and returns its result;
    /// events that arrive meanwhile are recorded.
    pub async fn command(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        self.socket
            .send(Message::text(message.to_string()))
            .await
            .unwrap_or_else(|e| panic!("sending {method} to Chromium: {e}"));
        let deadline = Instant::now() + COMMAND_LIMIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let frame = tokio::time::timeout(left, self.socket.next())
                .await
                .unwrap_or_else(|_| {
                    panic!("Chromium did not answer {method} within {COMMAND_LIMIT:?}")
                })
                .unwrap_or_else(|| panic!("Chromium closed DevTools during {method}"))
                .unwrap_or_else(|e| panic!("reading Chromium's answer to {method}: {e}"));
            let Message::Text(text) = frame else { continue };
            let value: Value = serde_json::from_str(text.as_str()).expect("DevTools JSON");
            if value["id"].as_u64() == Some(id) {
                assert!(
                    value.get("error").is_none(),
                    "{method} failed: {}",
                    value["error"]
                );
                return value["result"].clone();
            }
            self.record(&value);
        }
    }

    /// Keeps console errors, uncaught exceptions and error log entries.
    fn record(&mut self, event: &Value) {
        let params = &event["params"];
        match event["method"].as_str() {
            Some("Runtime.consoleAPICalled") if params["type"] == "error" => {
                let args: Vec<String> = params["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| {
                        a["value"]
                            .as_str()
                            .map_or_else(|| a["description"].to_string(), str::to_string)
                    })
                    .collect();
                self.errors
                    .push(format!("console.error: {}", args.join(" ")));
            }
            Some("Runtime.exceptionThrown") => {
                let details = &params["exceptionDetails"];
                self.errors.push(format!(
                    "uncaught: {} {}",
                    details["text"], details["exception"]["description"]
                ));
            }
            Some("Log.entryAdded") if params["entry"]["level"] == "error" => {
                let entry = &params["entry"];
                self.errors
                    .push(format!("log: {} ({})", entry["text"], entry["url"]));
            }
            _ => {}
        }
    }

    /// The errors recorded since the last call.
    pub fn take_errors(&mut self) -> Vec<String> {
        std::mem::take(&mut self.errors)
    }

    pub async fn navigate(&mut self, url: &str) {
        self.command("Page.navigate", json!({"url": url})).await;
    }

    /// The value of a JavaScript expression (promises awaited).
    pub async fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .command(
                "Runtime.evaluate",
                json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
            )
            .await;
        if let Some(e) = result.get("exceptionDetails") {
            panic!("evaluating {expression}: {e}");
        }
        result["result"]["value"].clone()
    }

    /// Polls `condition` (a JavaScript expression) until it is true; fails after `limit`
    /// naming `what` and the page's text, so a failure shows what the page did show.
    pub async fn wait_for(&mut self, what: &str, condition: &str, limit: Duration) {
        let started = Instant::now();
        let expression = format!(
            "(() => {{ try {{ return !!({condition}); }} catch (e) {{ return false; }} }})()"
        );
        for _ in 0..10_000 {
            if self.eval(&expression).await == json!(true) {
                return;
            }
            if started.elapsed() > limit {
                break;
            }
            tokio::time::sleep(POLL).await;
        }
        let text = self
            .eval("document.body ? document.body.innerText : ''")
            .await;
        panic!(
            "the page never showed {what} within {limit:?}; it shows:\n{}",
            text.as_str().unwrap_or_default()
        );
    }

    /// Saves a PNG of the whole page (at most 4,000 px tall) to `path`.
    pub async fn screenshot(&mut self, path: &Path) {
        let height = self
            .eval("Math.min(4000, Math.max(document.documentElement.scrollHeight, 600))")
            .await
            .as_u64()
            .unwrap_or(u64::from(HEIGHT));
        let shot = self
            .command(
                "Page.captureScreenshot",
                json!({"format": "png", "captureBeyondViewport": true,
                       "clip": {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1}}),
            )
            .await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("base64 PNG");
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        std::fs::write(path, png).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}
