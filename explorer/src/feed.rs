//! The explorer's one subscription to the sequencer's feed (`/v1/stream`): every market's
//! state, trades and book, and the batches. Each message updates the hub (books are kept
//! whole) and goes on to every browser. When the connection drops the browsers are told
//! ("disconnected"), and it reconnects with a growing pause, resuming trades from the last
//! `seq` it saw and batches from the last index, so a browser misses nothing the feed
//! carries.

use crate::api::AppState;
use crate::hub::BOOK_LEVELS;
use crate::upstream::Service;
use futures_util::{SinkExt as _, StreamExt as _};
use protocol::api::sequencer::MarketsResponse;
use protocol::api::stream::{StreamMessage, Subscribe};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;

const FIRST_PAUSE: Duration = Duration::from_millis(200);
const LONGEST_PAUSE: Duration = Duration::from_secs(5);

/// Where the subscription is, so a reconnection resumes instead of starting over.
#[derive(Debug, Default)]
struct Cursor {
    trades: BTreeMap<u32, u64>,
    batch: Option<u64>,
}

/// Follows the feed until `stopping` turns true.
pub async fn follow(state: AppState, mut stopping: watch::Receiver<bool>) {
    let mut cursor = Cursor::default();
    let mut pause = FIRST_PAUSE;
    loop {
        if *stopping.borrow() {
            return;
        }
        let why = tokio::select! {
            why = session(&state, &mut cursor, &mut pause) => why,
            _ = stopping.wait_for(|s| *s) => return,
        };
        tracing::debug!(reason = %why, "explorer: sequencer feed lost");
        state
            .hub
            .set_feed(false, Some(format!("sequencer feed: {why}")));
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

/// The subscriptions for `markets`, resuming from `cursor`.
fn subscriptions(markets: &[u32], cursor: &Cursor) -> Vec<Subscribe> {
    let mut subs = vec![
        Subscribe::Markets,
        Subscribe::Batches {
            since_index: cursor.batch,
            since_event: None,
        },
    ];
    for &market in markets {
        subs.push(Subscribe::Trades {
            market,
            since_seq: cursor.trades.get(&market).copied(),
        });
        subs.push(Subscribe::Book {
            market,
            levels: Some(BOOK_LEVELS),
        });
    }
    subs
}

/// One connection's life; returns why it ended.
async fn session(state: &AppState, cursor: &mut Cursor, pause: &mut Duration) -> String {
    let markets: MarketsResponse = match state
        .upstreams
        .get_json(Service::Sequencer, "/v1/markets")
        .await
    {
        Ok(m) => m,
        Err(e) => return e,
    };
    let ids: Vec<u32> = markets.markets.iter().map(|m| m.params.id).collect();
    let url = format!(
        "{}/v1/stream",
        state.upstreams.sequencer.replacen("http", "ws", 1)
    );
    let (mut socket, _) = match tokio_tungstenite::connect_async(&url).await {
        Ok(connected) => connected,
        Err(e) => return format!("cannot connect to {url}: {e}"),
    };
    for sub in subscriptions(&ids, cursor) {
        let text = serde_json::to_string(&sub).unwrap_or_default();
        if let Err(e) = socket.send(Message::text(text)).await {
            return format!("subscribing: {e}");
        }
    }
    state.hub.set_feed(true, None);
    *pause = FIRST_PAUSE;
    while let Some(frame) = socket.next().await {
        match frame {
            Ok(Message::Text(text)) => handle(state, cursor, text.as_str()),
            Ok(Message::Close(why)) => {
                return format!("closed by the sequencer: {why:?}");
            }
            Ok(_) => {}
            Err(e) => return e.to_string(),
        }
    }
    "the sequencer closed the feed".into()
}

/// Updates the hub and the cursor from one feed message, and passes it on.
fn handle(state: &AppState, cursor: &mut Cursor, text: &str) {
    let message: StreamMessage = match serde_json::from_str(text) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "explorer: unreadable feed message");
            return;
        }
    };
    match message {
        StreamMessage::Book {
            market,
            seq,
            snapshot,
            bids,
            asks,
        } => state.hub.apply_book(market, seq, snapshot, &bids, &asks),
        StreamMessage::Market { market, .. } => state.hub.set_market(market.params.id, text),
        StreamMessage::Trade { market, trade } => {
            cursor.trades.insert(market, trade.seq);
            state.hub.publish(text.to_string());
        }
        StreamMessage::Batch { batch, .. } => {
            cursor.batch = cursor.batch.max(Some(batch.index));
            state.hub.publish(text.to_string());
        }
        StreamMessage::BatchReverted { index, .. } => {
            // Re-sequenced successors of `index` come again under the same indices.
            cursor.batch = index.checked_sub(1);
            state.withdrawals().rewind(index);
            state.hub.publish(text.to_string());
        }
        StreamMessage::Error { code, message } => {
            tracing::warn!(%code, %message, "explorer: the feed refused a subscription");
        }
        StreamMessage::Subscribed { .. }
        | StreamMessage::Resnapshot { .. }
        | StreamMessage::Fill { .. }
        | StreamMessage::Order { .. }
        | StreamMessage::Withdrawal { .. }
        | StreamMessage::Account { .. } => {}
    }
}
