//! What every WebSocket session of the services shares (the sequencer's feed and streaming
//! intake, the verifier's feed): a budget of open sessions, a send that gives up on a
//! reader whose socket stays blocked for `SEND_TIMEOUT`, the close frame with a reason, and
//! a feed session's loop (`run_feed`: subscription requests, wakes on a new head, pings,
//! shutdown), each service supplying only what its subscriptions do (`FeedSession`).
//! One copy here, because the services may not depend on one another.
//!
//! An upgraded connection leaves the server loop's connection slots (hyper hands its
//! socket over), so each WebSocket route keeps a budget of its own; beyond it an upgrade
//! is answered 503.

use super::ApiError;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use futures_util::SinkExt;
use serde::Serialize;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// A reader blocked this long is dropped.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(5);
/// Pings keep an idle session inside the server's stall timeout.
pub const PING_EVERY: Duration = Duration::from_secs(20);
/// Close code 1001: the endpoint is going away.
pub const GOING_AWAY: u16 = 1001;
/// Close code 1008: the peer broke a policy (here, reading too slowly).
pub const POLICY_VIOLATION: u16 = 1008;

/// The sending half of a session's socket.
pub type Sink = futures_util::stream::SplitSink<WebSocket, Message>;

/// Why a session ended early.
#[derive(Debug)]
pub enum End {
    /// The peer closed, or its socket failed: there is nobody to tell.
    Gone,
    /// A send stayed blocked for `SEND_TIMEOUT`.
    Slow,
}

/// How many sessions of one kind may be open at once.
#[derive(Debug, Clone)]
pub struct SessionBudget {
    open: Arc<Semaphore>,
    max: usize,
    /// What the sessions are, for the 503's message ("feed", "intake").
    kind: &'static str,
}

impl SessionBudget {
    pub fn new(max: usize, kind: &'static str) -> SessionBudget {
        SessionBudget {
            open: Arc::new(Semaphore::new(max)),
            max,
            kind,
        }
    }

    /// Upgrades `ws` to a session that `session` runs, holding a place in the budget until
    /// it ends; 503 when every place is taken.
    pub fn upgrade<F, Run>(&self, ws: WebSocketUpgrade, session: F) -> Response
    where
        F: FnOnce(WebSocket) -> Run + Send + 'static,
        Run: Future<Output = ()> + Send + 'static,
    {
        let permit = match self.open.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                let (max, kind) = (self.max, self.kind);
                let message = format!("{max} {kind} sessions are open; retry shortly");
                return ApiError::overloaded(message).into_response();
            }
        };
        ws.on_upgrade(move |socket| async move {
            session(socket).await;
            drop(permit);
        })
    }
}

/// Sends `message`, or says why it could not: the socket failed, or stayed blocked.
pub async fn send(tx: &mut Sink, message: Message) -> Result<(), End> {
    match tokio::time::timeout(SEND_TIMEOUT, tx.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(End::Gone),
        Err(_) => Err(End::Slow),
    }
}

/// Sends `message` as one JSON text frame.
pub async fn send_json<T: Serialize>(tx: &mut Sink, message: &T) -> Result<(), End> {
    let text = serde_json::to_string(message).map_err(|_| End::Gone)?;
    send(tx, Message::Text(text.into())).await
}

/// A ping, so an idle session stays inside the server's stall timeout.
pub async fn ping(tx: &mut Sink) -> Result<(), End> {
    send(tx, Message::Ping(Vec::new().into())).await
}

/// Tells the peer why its session ends (waiting at most a second: it may not be reading).
pub async fn close(tx: &mut Sink, code: u16, reason: &str) {
    let close = CloseFrame {
        code,
        reason: reason.into(),
    };
    let _ =
        tokio::time::timeout(Duration::from_secs(1), tx.send(Message::Close(Some(close)))).await;
}

/// What one feed session does with what happens to it; [`run_feed`] is the loop around
/// it, the same for the sequencer's feed and a verifier's.
pub trait FeedSession: Send {
    /// A text frame from the client (a subscription request): answer it, serve what it
    /// already covers.
    fn on_text(
        &mut self,
        text: &str,
        tx: &mut Sink,
    ) -> impl Future<Output = Result<(), End>> + Send;
    /// The service's head moved: serve what the subscriptions have not seen yet.
    fn on_wake(&mut self, tx: &mut Sink) -> impl Future<Output = Result<(), End>> + Send;
    /// A slow reader is being closed: count it; the close frame's reason (how to resume).
    fn dropped_slow(&mut self) -> &'static str;
}

/// Runs a feed session until the peer leaves, a send stays blocked (the reader is closed
/// with `session`'s reason), or `stop` changes (closed with `shutting_down`). `wake` is
/// the service's head: each change is an `on_wake`. Pings keep an idle session alive.
pub async fn run_feed<W: Send + Sync, S: Send + Sync>(
    socket: WebSocket,
    mut session: impl FeedSession,
    mut wake: tokio::sync::watch::Receiver<W>,
    mut stop: tokio::sync::watch::Receiver<S>,
    shutting_down: &'static str,
) {
    use futures_util::StreamExt;
    let (mut tx, mut rx) = socket.split();
    let mut pings = tokio::time::interval(PING_EVERY);
    let ended = loop {
        let step = tokio::select! {
            incoming = rx.next() => match incoming {
                Some(Ok(Message::Text(text))) => session.on_text(&text, &mut tx).await,
                Some(Ok(Message::Close(_)) | Err(_)) | None => Err(End::Gone),
                Some(Ok(_)) => Ok(()),
            },
            changed = wake.changed() => match changed {
                Ok(()) => {
                    // The head moves when writes become durable, and the same moment
                    // releases their answers: let those requests' tasks run first, so a
                    // broadcast does not sit in front of an acknowledgement.
                    tokio::task::yield_now().await;
                    session.on_wake(&mut tx).await
                }
                Err(_) => Err(End::Gone),
            },
            _ = pings.tick() => ping(&mut tx).await,
            _ = stop.changed() => break None,
        };
        if let Err(end) = step {
            break Some(end);
        }
    };
    let reason = match ended {
        None => shutting_down,
        Some(End::Slow) => session.dropped_slow(),
        Some(End::Gone) => return,
    };
    close(&mut tx, GOING_AWAY, reason).await;
}
