//! `explorer`: Vigil's web explorer. It serves hand-written pages (embedded in the binary:
//! no CDN, no build step, nothing fetched at run time) that show the rollup live — the
//! markets' books, trades and candles; every batch with its challenge window; every fraud
//! proof with its ruling, slash and reverted range; each verifier's lag and agreement with
//! the L1 tip; and any account — over the sequencer's, the settlement layer's and the
//! verifiers' own APIs.
//!
//! The browser talks only to the explorer's origin. The explorer holds ONE subscription per
//! upstream (the sequencer's WebSocket feed, the settlement layer's long-polled event log,
//! a once-a-second status read of the L1 and each verifier) and fans what it learns out to
//! every browser over its own WebSocket (`/api/stream`); page reads go through a short-lived
//! cache with one read in flight per URL, so a thousand open tabs cost the upstreams what
//! one does (ARCHITECTURE.md).
//!
//! - `assets`: the embedded HTML, CSS and JavaScript.
//! - `upstream`: the read-only pass-through to the three services, with its cache.
//! - `hub`: what the explorer knows now (books, markets, heads, verifiers) and the fan-out.
//! - `feed`: the sequencer feed subscription (reconnecting, resuming from its cursors).
//! - `chain`: the settlement layer's event log, indexed into submissions and disputes, and
//!   the status poll of the L1 and the verifiers.
//! - `withdrawals`: every sequenced withdrawal by id (the open batch's too), for the
//!   account pages.
//! - `api`: the explorer's own JSON endpoints and the browsers' WebSocket.

mod api;
mod assets;
mod chain;
pub mod error_codes;
mod feed;
mod hub;
mod upstream;
mod withdrawals;

use axum::Router;
use service_shell::http::ConnectionLimits;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use api::AppState;

/// Where the explorer reads from and how it serves.
#[derive(Debug, Clone)]
pub struct Config {
    pub l1_url: String,
    pub sequencer_url: String,
    pub verifier_urls: Vec<String>,
    pub connections: ConnectionLimits,
    /// How long one upstream answer is served to every browser that asks for it again.
    pub cache_ttl: Duration,
    /// How often the L1 head and each verifier's status are read.
    pub poll_interval: Duration,
}

impl Config {
    /// Defaults: 500 ms cache, a status read every second.
    pub fn new(l1_url: &str, sequencer_url: &str, verifier_urls: &[String]) -> Config {
        Config {
            l1_url: l1_url.trim_end_matches('/').to_string(),
            sequencer_url: sequencer_url.trim_end_matches('/').to_string(),
            verifier_urls: verifier_urls
                .iter()
                .map(|u| u.trim_end_matches('/').to_string())
                .collect(),
            connections: ConnectionLimits::default(),
            cache_ttl: Duration::from_millis(500),
            poll_interval: Duration::from_secs(1),
        }
    }

    /// The setting that makes this unusable, if any.
    pub fn invalid(&self) -> Option<String> {
        let urls = [&self.l1_url, &self.sequencer_url]
            .into_iter()
            .chain(&self.verifier_urls);
        for url in urls {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Some(format!(
                    "{url:?} is not an http:// URL (e.g. http://127.0.0.1:9550)"
                ));
            }
        }
        if self.poll_interval.is_zero() {
            return Some("the poll interval must be above 0".into());
        }
        self.connections
            .invalid()
            .map(|limit| format!("connection limit {limit} must be above 0"))
    }
}

/// Why the explorer could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum ExplorerError {
    #[error("invalid explorer configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Io(#[from] service_shell::IoStepError),
    #[error("explorer task ended abnormally: {0}")]
    Task(String),
}

/// A started explorer: its address; stop it with `shutdown`.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    server: JoinHandle<std::io::Result<()>>,
}

/// Starts following the upstreams and serving the pages on `listener`; returns once
/// requests are answered. Upstreams that are down are retried: the pages say so.
pub async fn start(config: Config, listener: TcpListener) -> Result<Running, ExplorerError> {
    if let Some(why) = config.invalid() {
        return Err(ExplorerError::Config(why));
    }
    let addr = service_shell::bound_addr(&listener)?;
    let (stop, stopping) = watch::channel(false);
    let state = AppState::new(&config, stopping.clone());
    let tasks = vec![
        tokio::spawn(feed::follow(state.clone(), stopping.clone())),
        tokio::spawn(chain::follow_events(state.clone(), stopping.clone())),
        tokio::spawn(chain::poll_heads(
            state.clone(),
            config.poll_interval,
            stopping.clone(),
        )),
    ];
    let server =
        service_shell::http::spawn_server(listener, app(state), config.connections, stopping);
    tracing::info!(%addr, "explorer serving");
    Ok(Running {
        addr,
        stop,
        tasks,
        server,
    })
}

/// The explorer's routes over `state`: the pages, their assets and the `/api` endpoints.
pub fn app(state: AppState) -> Router {
    api::router(Arc::new(state))
}

impl Running {
    /// The address pages are served on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves until `shutdown` resolves, then shuts down.
    pub async fn serve_until(
        self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), ExplorerError> {
        shutdown.await;
        self.shutdown().await
    }

    /// Stops the subscriptions, closes the browsers' feeds, drains requests and joins
    /// every task.
    pub async fn shutdown(self) -> Result<(), ExplorerError> {
        self.stop.send_replace(true);
        let mut failure = None;
        for task in self.tasks {
            if let Err(e) = task.await {
                failure.get_or_insert(e.to_string());
            }
        }
        match self.server.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                failure.get_or_insert(e.to_string());
            }
            Err(e) => {
                failure.get_or_insert(e.to_string());
            }
        }
        failure.map_or(Ok(()), |why| Err(ExplorerError::Task(why)))
    }
}
