//! What the explorer knows right now, and the fan-out to browsers. The feed and the pollers
//! write here; every browser's WebSocket gets the current picture when it connects (each
//! market's whole book and state, the L1 head, the verifiers, which upstreams answer) and
//! then every change, as `{"channel": …, "data": …}` text frames.
//!
//! A book is kept whole (snapshot plus the deltas applied) so a browser that connects late
//! still starts from a full book, and each change is sent as the whole top of the book: at
//! most `BOOK_LEVELS` per side, so a slow browser that skips a message loses nothing.

use protocol::engine::view::BookLevel;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// Price levels per side the explorer follows and shows.
pub const BOOK_LEVELS: u32 = 20;
/// Messages a browser may fall behind by before it skips (and refetches what it shows).
const BACKLOG: usize = 1024;

/// One market's aggregated book.
#[derive(Debug, Default, Clone)]
struct Book {
    seq: u64,
    bids: BTreeMap<u64, BookLevel>,
    asks: BTreeMap<u64, BookLevel>,
}

impl Book {
    fn apply(&mut self, side: &[BookLevel], bids: bool) {
        let levels = if bids { &mut self.bids } else { &mut self.asks };
        for level in side {
            if level.size == 0 {
                levels.remove(&level.price);
            } else {
                levels.insert(level.price, level.clone());
            }
        }
    }

    /// The top of the book as a `book` message: bids best (highest) first, asks lowest first.
    fn message(&self, market: u32) -> String {
        let bids: Vec<&BookLevel> = self
            .bids
            .values()
            .rev()
            .take(BOOK_LEVELS as usize)
            .collect();
        let asks: Vec<&BookLevel> = self.asks.values().take(BOOK_LEVELS as usize).collect();
        message(
            "book",
            &BookData {
                market,
                seq: self.seq,
                bids,
                asks,
            },
        )
    }
}

/// Which upstreams answer, as the pages show it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Links {
    /// The sequencer's feed is subscribed.
    pub sequencer_feed: bool,
    /// The settlement layer answered the last read.
    pub l1: bool,
    /// Why the last one that failed did, for the banner.
    pub last_error: Option<String>,
}

#[derive(Debug, Default)]
struct Now {
    links: Links,
    books: BTreeMap<u32, Book>,
    /// The raw `market` messages of the feed, by market.
    markets: BTreeMap<u32, String>,
    l1_head: Option<Value>,
    verifiers: Option<Value>,
}

/// The shared picture and the broadcast channel every browser feed reads.
#[derive(Debug)]
pub struct Hub {
    sender: broadcast::Sender<Arc<str>>,
    now: Mutex<Now>,
}

/// A book frame's data (typed: book sizes are `u128`, which `serde_json::Value` cannot hold).
#[derive(Serialize)]
struct BookData<'a> {
    market: u32,
    seq: u64,
    bids: Vec<&'a BookLevel>,
    asks: Vec<&'a BookLevel>,
}

#[derive(Serialize)]
struct Frame<'a, T: Serialize> {
    channel: &'a str,
    data: &'a T,
}

/// A `{"channel", "data"}` frame.
pub fn message(channel: &str, data: &impl Serialize) -> String {
    serde_json::to_string(&Frame { channel, data }).unwrap_or_else(|e| {
        json!({"channel": "error", "data": {"message": format!("unencodable {channel} frame: {e}")}})
            .to_string()
    })
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            sender: broadcast::channel(BACKLOG).0,
            now: Mutex::new(Now::default()),
        }
    }
}

impl Hub {
    fn now(&self) -> std::sync::MutexGuard<'_, Now> {
        self.now.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends `text` to every connected browser (none connected is fine).
    pub fn publish(&self, text: String) {
        let _ = self.sender.send(Arc::from(text));
    }

    /// A receiver of everything published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.sender.subscribe()
    }

    /// The frames a new browser starts from: links, L1 head, verifiers, markets, books.
    pub fn picture(&self) -> Vec<String> {
        let now = self.now();
        let mut frames = vec![message("links", &now.links)];
        frames.extend(now.l1_head.iter().map(|h| message("l1_head", h)));
        frames.extend(now.verifiers.iter().map(|v| message("verifiers", v)));
        frames.extend(now.markets.values().cloned());
        frames.extend(now.books.iter().map(|(m, b)| b.message(*m)));
        frames
    }

    pub fn links(&self) -> Links {
        self.now().links.clone()
    }

    /// Records whether the feed is up (and why not); tells the browsers when that or the
    /// reason changes.
    pub fn set_feed(&self, up: bool, why: Option<String>) {
        self.set_link(|links| &mut links.sequencer_feed, up, why);
    }

    /// Records whether the settlement layer answers; tells the browsers when it changes.
    pub fn set_l1(&self, up: bool, why: Option<String>) {
        self.set_link(|links| &mut links.l1, up, why);
    }

    fn set_link(&self, which: impl Fn(&mut Links) -> &mut bool, up: bool, why: Option<String>) {
        let frame = {
            let mut now = self.now();
            let changed =
                *which(&mut now.links) != up || (why.is_some() && why != now.links.last_error);
            *which(&mut now.links) = up;
            if why.is_some() {
                now.links.last_error = why;
            }
            changed.then(|| message("links", &now.links))
        };
        if let Some(frame) = frame {
            self.publish(frame);
        }
    }

    /// Applies a book snapshot or delta and publishes the market's whole top of book.
    pub fn apply_book(
        &self,
        market: u32,
        seq: u64,
        snapshot: bool,
        bids: &[BookLevel],
        asks: &[BookLevel],
    ) {
        let frame = {
            let mut now = self.now();
            let book = now.books.entry(market).or_default();
            if snapshot {
                *book = Book::default();
            }
            book.seq = seq;
            book.apply(bids, true);
            book.apply(asks, false);
            book.message(market)
        };
        self.publish(frame);
    }

    /// Keeps a market's latest `market` frame (sent to browsers that connect later).
    pub fn set_market(&self, market: u32, frame: &str) {
        self.now().markets.insert(market, frame.to_string());
        self.publish(frame.to_string());
    }

    /// The L1 head (block, tip, window) as last read; published when it changed.
    pub fn set_l1_head(&self, head: Value) {
        let changed = {
            let mut now = self.now();
            let changed = now.l1_head.as_ref() != Some(&head);
            now.l1_head = Some(head.clone());
            changed
        };
        if changed {
            self.publish(message("l1_head", &head));
        }
    }

    pub fn l1_head(&self) -> Option<Value> {
        self.now().l1_head.clone()
    }

    /// Every verifier's summary as last read; published when it changed.
    pub fn set_verifiers(&self, verifiers: Value) {
        let changed = {
            let mut now = self.now();
            let changed = now.verifiers.as_ref() != Some(&verifiers);
            now.verifiers = Some(verifiers.clone());
            changed
        };
        if changed {
            self.publish(message("verifiers", &verifiers));
        }
    }

    pub fn verifiers(&self) -> Option<Value> {
        self.now().verifiers.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(price: u64, size: u128) -> BookLevel {
        BookLevel {
            price,
            size,
            orders: 1,
        }
    }

    #[test]
    fn deltas_apply_to_the_snapshot_and_zero_removes_a_level() {
        let hub = Hub::default();
        hub.apply_book(1, 5, true, &[level(10, 3), level(9, 1)], &[level(11, 2)]);
        hub.apply_book(1, 6, false, &[level(10, 0)], &[level(12, 4)]);
        let frames = hub.picture();
        let book: Value = serde_json::from_str(frames.last().expect("a book")).expect("json");
        assert_eq!(book["channel"], "book");
        assert_eq!(book["data"]["seq"], 6);
        let prices = |side: &str| -> Vec<u64> {
            book["data"][side]
                .as_array()
                .expect("levels")
                .iter()
                .map(|l| l["price"].as_u64().expect("price"))
                .collect()
        };
        assert_eq!(prices("bids"), [9]);
        assert_eq!(prices("asks"), [11, 12]);
    }

    #[test]
    fn a_link_change_is_published_once() {
        let hub = Hub::default();
        let mut rx = hub.subscribe();
        hub.set_feed(true, None);
        hub.set_feed(true, None);
        hub.set_feed(false, Some("refused".into()));
        let first: Value = serde_json::from_str(&rx.try_recv().expect("up")).expect("json");
        assert_eq!(first["data"]["sequencer_feed"], true);
        let second: Value = serde_json::from_str(&rx.try_recv().expect("down")).expect("json");
        assert_eq!(second["data"]["last_error"], "refused");
        assert!(rx.try_recv().is_err(), "no frame for a non-change");
    }
}
