//! The one HTTP/1 server loop every service runs, written out instead of `axum::serve` for
//! the protections a public endpoint needs against hostile connections:
//! - a header-read timeout (a client that trickles its headers, slowloris, is cut off);
//! - a stall timeout on every connection (`Stalling`): a response nobody reads, or a
//!   connection silent between requests, is closed after it, so neither memory nor
//!   connection slots can be held hostage;
//! - each request's extensions hold its connection's peer (`axum::extract::ConnectInfo`);
//! - a global connection cap and a per-peer cap (connections beyond either are closed at
//!   once), so one address cannot take every slot;
//! - request heads checked before hyper reads them (`HeadChecked`), so that a malformed one
//!   is answered with the JSON error body every other error has, not hyper's bare 400.
//!
//! Every connection task is owned by a `JoinSet`; on shutdown, in-flight requests finish
//! (bounded by a grace period) and the rest are aborted and joined.

use super::head_check::{HeadChecked, answer_refused_heads};
use super::stall::Stalling;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::collections::BTreeMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};

/// What one server tolerates from its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A client must send its request headers within this time.
    pub header_timeout: Duration,
    /// A read or write that makes no progress for this long closes the connection: a
    /// response the client does not read, or a connection idle between requests. Longer
    /// than the longest long-poll.
    pub stall_timeout: Duration,
    /// Open connections in all; beyond this new ones are closed at once.
    pub max_connections: usize,
    /// Open connections from one IP address; beyond this its new ones are closed at once.
    pub max_connections_per_peer: usize,
    /// How long in-flight requests may take to finish at shutdown.
    pub shutdown_grace: Duration,
}

/// The command-line flags for [`ConnectionLimits`] (flattened into a service's `Cli`;
/// the environment names are shared, `VIGIL_HTTP_*`).
#[derive(Debug, Clone, clap::Args)]
pub struct ConnectionArgs {
    /// Open connections in all before new ones are closed.
    #[arg(long, env = "VIGIL_HTTP_MAX_CONNECTIONS", default_value_t = ConnectionLimits::default().max_connections)]
    pub max_connections: usize,
    /// Open connections from one IP address before its new ones are closed.
    #[arg(long, env = "VIGIL_HTTP_MAX_CONNECTIONS_PER_PEER", default_value_t = ConnectionLimits::default().max_connections_per_peer)]
    pub max_connections_per_peer: usize,
    /// A client must send its request headers within this many ms.
    #[arg(long, env = "VIGIL_HTTP_HEADER_TIMEOUT_MS", default_value_t = 5_000)]
    pub header_timeout_ms: u64,
    /// A connection whose reads or writes make no progress this many ms is closed.
    #[arg(long, env = "VIGIL_HTTP_STALL_TIMEOUT_MS", default_value_t = 60_000)]
    pub stall_timeout_ms: u64,
}

impl ConnectionArgs {
    /// The limits these flags give.
    pub fn limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            header_timeout: Duration::from_millis(self.header_timeout_ms),
            stall_timeout: Duration::from_millis(self.stall_timeout_ms),
            max_connections: self.max_connections,
            max_connections_per_peer: self.max_connections_per_peer,
            ..ConnectionLimits::default()
        }
    }
}

impl ConnectionLimits {
    /// The limit that makes this unusable (a zero count or duration), if any.
    pub fn invalid(&self) -> Option<&'static str> {
        let zero_count = [
            ("max_connections", self.max_connections),
            ("max_connections_per_peer", self.max_connections_per_peer),
        ]
        .into_iter()
        .find(|(_, v)| *v == 0);
        let zero_time = [
            ("header_timeout", self.header_timeout),
            ("stall_timeout", self.stall_timeout),
        ]
        .into_iter()
        .find(|(_, v)| v.is_zero());
        zero_count.map(|(n, _)| n).or(zero_time.map(|(n, _)| n))
    }
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_timeout: Duration::from_secs(5),
            stall_timeout: Duration::from_secs(60),
            max_connections: 8_192,
            max_connections_per_peer: 256,
            shutdown_grace: Duration::from_secs(32),
        }
    }
}

/// Serves `router` on `listener` in a task of its own until `stopping` turns true (or its
/// sender is dropped), then drains: the server half of every service's `Running`.
pub fn spawn_server(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    mut stopping: watch::Receiver<bool>,
) -> JoinHandle<std::io::Result<()>> {
    tokio::spawn(async move {
        let stopped = async move {
            let _ = stopping.wait_for(|s| *s).await;
        };
        serve(listener, router, limits, stopped).await;
        Ok(())
    })
}

/// Serves until `shutdown` resolves, then drains in-flight requests within the grace.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    // Heads hyper would refuse with a bare 400 or 431 are answered in JSON (head_check.rs).
    let router = router.layer(axum::middleware::from_fn(answer_refused_heads));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    // Closing connections gracefully is this watch (hyper-util's GracefulShutdown does not
    // take connections with upgrades): each connection finishes its request and closes.
    let (closing, closing_rx) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let peers = PeerCounts::default();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        while connections.try_join_next().is_some() {}
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: back off briefly.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let Some(peer_slot) = peers.take(peer.ip(), limits.max_connections_per_peer) else {
                    continue; // dropping the stream closes it
                };
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let io = HeadChecked::new(Stalling::new(
                    stream,
                    limits.stall_timeout,
                    limits.stall_timeout,
                ));
                // Each request carries its connection's peer (`ConnectInfo`): the sequencer
                // shares its queue fairly between connections.
                let service = TowerToHyperService::new(router.clone());
                let service = hyper::service::service_fn(move |mut request: hyper::Request<_>| {
                    request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                    hyper::service::Service::call(&service, request)
                });
                // Upgrades on: the sequencer's `/v1/stream` is a WebSocket.
                let conn = http
                    .serve_connection(TokioIo::new(io), service)
                    .with_upgrades();
                let mut closing = closing_rx.clone();
                connections.spawn(async move {
                    let mut conn = std::pin::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        // It only ever turns true: any change is the close.
                        _ = closing.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                    drop((slot, peer_slot));
                });
            }
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let _ = closing.send(true);
    let drained = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(limits.shutdown_grace, drained)
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the grace period; closing them");
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

/// Open connections per peer address.
#[derive(Debug, Clone, Default)]
struct PeerCounts(Arc<Mutex<BTreeMap<IpAddr, usize>>>);

/// One connection's share of its peer's count, returned on drop.
#[derive(Debug)]
struct PeerSlot {
    counts: PeerCounts,
    peer: IpAddr,
}

impl PeerCounts {
    /// A slot for `peer` if it holds fewer than `max` connections.
    fn take(&self, peer: IpAddr, max: usize) -> Option<PeerSlot> {
        let mut counts = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let count = counts.entry(peer).or_insert(0);
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(PeerSlot {
            counts: self.clone(),
            peer,
        })
    }
}

impl Drop for PeerSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&self.peer) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.peer);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A peer gets at most `max` slots; a dropped slot frees one; peers do not share.
    #[test]
    fn peer_slots_are_counted_per_address() {
        let counts = PeerCounts::default();
        let a: IpAddr = "127.0.0.1".parse().expect("ip");
        let b: IpAddr = "127.0.0.2".parse().expect("ip");
        let first = counts.take(a, 2).expect("1 of 2");
        let second = counts.take(a, 2).expect("2 of 2");
        assert!(counts.take(a, 2).is_none(), "a third is refused");
        assert!(counts.take(b, 2).is_some(), "another peer has its own");
        drop(first);
        let third = counts.take(a, 2).expect("freed");
        drop((second, third));
        assert!(
            counts.0.lock().expect("lock").get(&a).is_none(),
            "no leftover entry"
        );
    }
}
