//! A WebSocket client for the services' feed tests (the sequencer's `/v1/stream` and a
//! verifier's): connect, send a JSON request, and read JSON messages with every wait
//! bounded in time and count, so a test that misses a message fails saying so instead of
//! hanging; and a book rebuilt from `book` messages, to compare with a served one.

use futures_util::{SinkExt, StreamExt};
use protocol::api::stream::StreamMessage;
use protocol::engine::view::{BookDepth, BookLevel};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// A client's WebSocket.
pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Control frames skipped while waiting for one text message, at most.
const MAX_CONTROL_FRAMES: usize = 100;

/// Opens a WebSocket to `path` on the service at `http_url` (`http://…`).
pub async fn connect_ws(http_url: &str, path: &str) -> Socket {
    let url = format!("{}{path}", http_url.replacen("http", "ws", 1));
    tokio_tungstenite::connect_async(url)
        .await
        .expect("a WebSocket")
        .0
}

/// Sends `request` as one JSON text frame.
pub async fn send_json(socket: &mut Socket, request: &impl Serialize) {
    let text = serde_json::to_string(request).expect("json");
    socket.send(Message::Text(text.into())).await.expect("send");
}

/// The next text message as a `T` (control frames skipped), each frame within `within`.
pub async fn next_json<T: DeserializeOwned>(socket: &mut Socket, within: Duration) -> T {
    for _ in 0..MAX_CONTROL_FRAMES {
        let frame = tokio::time::timeout(within, socket.next())
            .await
            .unwrap_or_else(|_| panic!("a message within {within:?}"))
            .expect("the stream is open")
            .expect("a frame");
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).expect("a feed message");
        }
    }
    panic!("only control frames");
}

/// Reads messages until `want` holds for one, at most `max` of them; every message read.
pub async fn read_until_json<T: DeserializeOwned + Debug>(
    socket: &mut Socket,
    within: Duration,
    max: usize,
    mut want: impl FnMut(&T) -> bool,
) -> Vec<T> {
    let mut seen = Vec::new();
    for _ in 0..max {
        let message = next_json(socket, within).await;
        let done = want(&message);
        seen.push(message);
        if done {
            return seen;
        }
    }
    panic!("the awaited message never came: {seen:?}");
}

/// How long a feed test waits for one message.
pub const FEED_WAIT: Duration = Duration::from_secs(20);
/// Messages one wait for a wanted feed message reads, at most.
pub const FEED_MAX_MESSAGES: usize = 2_000;

/// The next feed message (control frames skipped), within [`FEED_WAIT`].
pub async fn next_message(socket: &mut Socket) -> protocol::api::stream::StreamMessage {
    next_json(socket, FEED_WAIT).await
}

/// Feed messages until `want` holds for one (at most [`FEED_MAX_MESSAGES`], each within
/// [`FEED_WAIT`]); every message read.
pub async fn read_messages_until(
    socket: &mut Socket,
    want: impl FnMut(&protocol::api::stream::StreamMessage) -> bool,
) -> Vec<protocol::api::stream::StreamMessage> {
    read_until_json(socket, FEED_WAIT, FEED_MAX_MESSAGES, want).await
}

/// One side of a book as a test compares it: price → (size, orders).
pub type BookSide = BTreeMap<u64, (u128, u32)>;

/// A book rebuilt from a feed's `book` messages (a snapshot, then the changed levels, size
/// 0: gone), with the `seq` of the last one applied.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct FeedBook {
    pub bids: BookSide,
    pub asks: BookSide,
    pub seq: u64,
}

impl FeedBook {
    /// Applies `message` if it is a `book` message; any other is ignored.
    pub fn apply(&mut self, message: &StreamMessage) {
        let StreamMessage::Book {
            seq,
            snapshot,
            bids,
            asks,
            ..
        } = message
        else {
            return;
        };
        if *snapshot {
            *self = FeedBook::default();
        }
        for (side, levels) in [(&mut self.bids, bids), (&mut self.asks, asks)] {
            for l in levels {
                if l.size == 0 {
                    side.remove(&l.price);
                } else {
                    side.insert(l.price, (l.size, l.orders));
                }
            }
        }
        self.seq = *seq;
    }

    /// Its bids and asks.
    pub fn sides(&self) -> (BookSide, BookSide) {
        (self.bids.clone(), self.asks.clone())
    }
}

/// A served book's bids and asks as maps, to compare with [`FeedBook::sides`].
pub fn sides_of(depth: &BookDepth) -> (BookSide, BookSide) {
    let side = |levels: &[BookLevel]| {
        levels
            .iter()
            .map(|l| (l.price, (l.size, l.orders)))
            .collect()
    };
    (side(&depth.bids), side(&depth.asks))
}
