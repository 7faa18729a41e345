//! How the bench hands an order to the sequencer: one `POST /v1/tx` each (`http`), or a
//! frame on a persistent `GET /v1/tx/ws` connection (`ws`, the streaming intake), so both
//! paths are measured by the same closed and open loops. Over WebSocket the orders are
//! spread round-robin over a few connections (one per `PER_CONNECTION` allowed in flight);
//! each connection has a reader task that hands every answer to the order waiting for its
//! request id.

use super::BenchError;
use crate::sequencer::SequencerClient;
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use protocol::action::SignedAction;
use protocol::api::intake_ws::{WsAnswer, WsSubmit};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Which intake the bench submits through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Transport {
    /// One `POST /v1/tx` per order.
    #[default]
    Http,
    /// Frames on persistent `GET /v1/tx/ws` connections.
    Ws,
}

/// Orders in flight per WebSocket connection the bench opens.
const PER_CONNECTION: usize = 64;

/// A submitter for one bench run; cheap to clone.
#[derive(Debug, Clone)]
pub enum Submitter {
    Http(SequencerClient),
    Ws(Arc<WsPool>),
}

impl Submitter {
    /// Connects as `transport` says; `concurrency` sizes the WebSocket pool.
    pub async fn open(
        seq: &SequencerClient,
        transport: Transport,
        concurrency: usize,
    ) -> Result<Submitter, BenchError> {
        Ok(match transport {
            Transport::Http => Submitter::Http(seq.clone()),
            Transport::Ws => {
                let connections = concurrency.div_ceil(PER_CONNECTION).max(1);
                Submitter::Ws(Arc::new(
                    WsPool::connect(seq.base_url(), connections).await?,
                ))
            }
        })
    }

    /// Submits one order and waits for its durable answer; `Err` is the refusal's code.
    pub async fn submit(&self, order: &SignedAction) -> Result<(), String> {
        match self {
            Submitter::Http(seq) => seq
                .submit(order)
                .await
                .map(|_| ())
                .map_err(|e| e.code().unwrap_or("unreachable").to_string()),
            Submitter::Ws(pool) => pool.submit(order).await,
        }
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;
type Waiting = Arc<Mutex<HashMap<u64, oneshot::Sender<WsAnswer>>>>;

#[derive(Debug)]
struct Connection {
    sink: tokio::sync::Mutex<SplitSink<Socket, Message>>,
    waiting: Waiting,
}

/// Open WebSocket intake connections.
#[derive(Debug)]
pub struct WsPool {
    connections: Vec<Connection>,
    next_connection: AtomicUsize,
    next_id: AtomicU64,
}

impl WsPool {
    async fn connect(base_url: &str, connections: usize) -> Result<WsPool, BenchError> {
        let url = format!("{}/v1/tx/ws", base_url.replacen("http", "ws", 1));
        let mut pool = Vec::with_capacity(connections);
        for _ in 0..connections {
            let (socket, _) = tokio_tungstenite::connect_async(url.as_str())
                .await
                .map_err(|e| BenchError::Task(format!("cannot open {url}: {e}")))?;
            let (sink, mut stream) = socket.split();
            let waiting = Waiting::default();
            let answers = waiting.clone();
            // Ends with the socket; the senders still waiting are dropped (`unreachable`).
            tokio::spawn(async move {
                while let Some(Ok(frame)) = stream.next().await {
                    let Message::Text(text) = frame else { continue };
                    let Ok(answer) = serde_json::from_str::<WsAnswer>(&text) else {
                        continue;
                    };
                    let waiter = answer.id.and_then(|id| lock(&answers).remove(&id));
                    if let Some(waiter) = waiter {
                        let _ = waiter.send(answer);
                    }
                }
                lock(&answers).clear();
            });
            pool.push(Connection {
                sink: tokio::sync::Mutex::new(sink),
                waiting,
            });
        }
        Ok(WsPool {
            connections: pool,
            next_connection: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
        })
    }

    async fn submit(&self, order: &SignedAction) -> Result<(), String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let n = self.next_connection.fetch_add(1, Ordering::Relaxed) % self.connections.len();
        let connection = &self.connections[n];
        let frame = serde_json::to_string(&WsSubmit {
            id,
            action: order.clone(),
        })
        .map_err(|e| e.to_string())?;
        let (tell, answer) = oneshot::channel();
        lock(&connection.waiting).insert(id, tell);
        let sent = connection
            .sink
            .lock()
            .await
            .send(Message::Text(frame.into()))
            .await;
        if sent.is_err() {
            lock(&connection.waiting).remove(&id);
            return Err("unreachable".into());
        }
        match answer.await {
            Ok(answer) => answer.into_result().map(|_| ()).map_err(|e| e.code),
            Err(_) => Err("unreachable".into()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
