//! `GET /v1/tx/ws`: the streaming intake (`protocol::api::intake_ws`) for traders that send
//! orders over one persistent connection instead of one `POST /v1/tx` each. Every frame
//! goes through the same steps as that POST (`submit`: parse, admission or 503, ordered
//! verification and execution) and gets the same answer, tagged with the client's request
//! id, only once the action is durable (group commit, fsync).
//!
//! Each frame is admitted and queued as it is read, so one connection's actions are
//! sequenced in the order sent; the answers are awaited concurrently. A connection has at
//! most `MAX_IN_FLIGHT` actions unanswered: beyond that the server stops reading (TCP
//! pushes back on the client) until an answer goes out. A reader whose socket stays blocked
//! for `ws_session::SEND_TIMEOUT` is closed with the reason (its actions still execute;
//! their hashes can be looked up). The intake keeps its own budget of `MAX_SESSIONS`
//! (more get 503). The session pieces it shares with the feed (and the verifier's) are in
//! `service_shell::http::ws_session`.

use super::{ApiError, AppState, error_codes, submit};
use crate::executor::Outcome;
use crate::intake::Client;
use axum::Extension;
use axum::extract::ws::{Message, WebSocket};
use axum::extract::{ConnectInfo, State};
use axum::routing::{MethodRouter, get};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use protocol::api::intake_ws::{WsAnswer, WsSubmit};
use protocol::api::settlement::ErrorBody;
use protocol::primitives::H256;
use service_shell::http::ApiWebSocket;
use service_shell::http::ws_session::{
    self, End, GOING_AWAY, PING_EVERY, POLICY_VIOLATION, SessionBudget, send_json,
};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Instant;
use tokio::sync::oneshot;

/// Intake sessions open at once.
pub const MAX_SESSIONS: usize = 1_024;
/// Unanswered actions per connection before the server stops reading from it.
pub const MAX_IN_FLIGHT: usize = 256;

/// The route, holding its own session budget (one per router, so per service).
pub fn route() -> MethodRouter<super::AppState> {
    let sessions = SessionBudget::new(MAX_SESSIONS, "intake");
    get(
        move |State(s): State<AppState>,
              peer: Option<Extension<ConnectInfo<SocketAddr>>>,
              ApiWebSocket(ws): ApiWebSocket| {
            let sessions = sessions.clone();
            let limit = s.limits.max_body_bytes;
            let ws = ws.max_message_size(limit).max_frame_size(limit);
            // The session's actions share the connection's fair share of the queue.
            let client = Client(peer.map(|Extension(ConnectInfo(peer))| peer));
            async move { sessions.upgrade(ws, move |socket| session(s, client, socket)) }
        },
    )
}

type Pending = Pin<Box<dyn Future<Output = WsAnswer> + Send>>;

async fn session(s: AppState, client: Client, socket: WebSocket) {
    let (mut tx, mut rx) = socket.split();
    let mut pending: FuturesUnordered<Pending> = FuturesUnordered::new();
    let mut stop = s.stopping.clone();
    let mut ping = tokio::time::interval(PING_EVERY);
    let ended = loop {
        let room = pending.len() < MAX_IN_FLIGHT;
        let step = tokio::select! {
            incoming = rx.next(), if room => match incoming {
                Some(Ok(Message::Text(text))) => {
                    pending.push(take(&s, client, text.as_str()));
                    Ok(())
                }
                Some(Ok(Message::Binary(_))) => {
                    let e = ApiError::new(error_codes::INVALID_JSON, "send each action as a JSON text frame");
                    send_json(&mut tx, &answer_of(None, Err(e))).await
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => Err(End::Gone),
                Some(Ok(_)) => Ok(()),
            },
            Some(answer) = pending.next() => send_json(&mut tx, &answer).await,
            _ = ping.tick() => ws_session::ping(&mut tx).await,
            _ = stop.changed() => break None,
        };
        if let Err(end) = step {
            break Some(end);
        }
    };
    let (code, reason) = match ended {
        None => (
            GOING_AWAY,
            "the sequencer is shutting down; unanswered actions may still be sequenced (GET /v1/txs/{hash})",
        ),
        Some(End::Slow) => (
            POLICY_VIOLATION,
            "too slow: a send stayed blocked for 5 s; unanswered actions may still be sequenced (GET /v1/txs/{hash})",
        ),
        Some(End::Gone) => return,
    };
    ws_session::close(&mut tx, code, reason).await;
}

/// Parses and queues one frame now (so frames are sequenced in arrival order); the returned
/// future is its durable answer (a frame refused before queueing: its refusal, ready).
fn take(s: &AppState, client: Client, text: &str) -> Pending {
    match queue(s, client, text) {
        Ok(answer) => answer,
        Err(refused) => Box::pin(std::future::ready(*refused)),
    }
}

fn queue(s: &AppState, client: Client, text: &str) -> Result<Pending, Box<WsAnswer>> {
    let started = Instant::now();
    let frame =
        submit::parse_json(text.as_bytes()).map_err(|e| Box::new(answer_of(None, Err(e))))?;
    let id = frame.get("id").and_then(serde_json::Value::as_u64);
    let request: WsSubmit<serde_json::Value> = serde_json::from_value(frame).map_err(|e| {
        let example = "{\"id\": 1, \"action\": {\"type\", \"message\", \"signature\"}}";
        let message = format!("not an intake frame: {e}; send {example}");
        Box::new(answer_of(
            id,
            Err(ApiError::new(error_codes::MALFORMED_BODY, message)),
        ))
    })?;
    let id = Some(request.id);
    let action =
        submit::parse_action(request.action, None).map_err(|e| Box::new(answer_of(id, Err(e))))?;
    let hash = submit::hash_of(&action);
    let answer =
        submit::enqueue(s, client, vec![action]).map_err(|e| Box::new(answer_of(id, Err(e))))?;
    let s = s.clone();
    Ok(Box::pin(async move {
        let result = wait(&s, answer, hash).await;
        s.metrics.submit_latency.observe(started.elapsed());
        answer_of(id, result)
    }))
}

async fn wait(
    s: &AppState,
    answer: oneshot::Receiver<Vec<Outcome>>,
    hash: H256,
) -> Result<protocol::api::sequencer::TxAccepted, ApiError> {
    submit::single(submit::outcomes(s, answer, hash).await?)
}

/// The frame's answer: what `POST /v1/tx` would have answered, with the request id.
fn answer_of(
    id: Option<u64>,
    result: Result<protocol::api::sequencer::TxAccepted, ApiError>,
) -> WsAnswer {
    match result {
        Ok(accepted) => WsAnswer {
            id,
            status: 200,
            accepted: Some(accepted),
            error: None,
        },
        Err(e) => {
            if e.status.is_server_error() && e.code == error_codes::INTERNAL.code {
                tracing::error!(error = %e, "intake frame failed");
            }
            WsAnswer {
                id,
                status: e.status.as_u16(),
                accepted: None,
                error: Some(ErrorBody {
                    code: e.code.to_string(),
                    message: e.message,
                    details: e.details,
                }),
            }
        }
    }
}
