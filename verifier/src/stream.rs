//! `GET /v1/stream` on the verifier: a WebSocket feed of what this verifier re-executed and
//! checked itself, in the sequencer's message shapes (`protocol::api::stream`). Its
//! channels: `batches` (every batch as this verifier sees it: verified, challenged or on a
//! bad parent when it appears, then finalized or reverted, each message with its feed
//! `event` number and `verdict`); `trades` of a market, and `fills` and `orders` of an
//! account (those of finalized batches only, from this verifier's own receipts, each with
//! its feed event as its `seq`); and at the verified head: `markets` (mark, index, funding,
//! open interest and breaker), a market's `book` (a snapshot, then the changed levels, as
//! the sequencer's `GET /v1/markets/{id}/book` computes them) and an `account`'s view (as
//! the sequencer's `GET /v1/accounts/{address}` computes it, sent again when it changes),
//! each with the `seq` after the verified head. The sequencer's `withdrawals` are refused.
//!
//! A `batches`, `trades`, `fills` or `orders` subscription is a cursor into the store's
//! durable feed table (`store::FeedReader`), which it reads filtered to its own messages:
//! with `since_event` (batches) or `since_seq` (trades, fills, orders: the same feed event)
//! it resumes exactly after that event; a batches subscription without one starts from a
//! snapshot of the live batches at the head, the others from the head. A resume point no
//! longer retained (or newer than the log) is answered `resnapshot` (and, for batches, the
//! snapshot). Nothing is queued per session: each wake (a new head) reads what the
//! cursor has not seen, page by page, or computes the book or view at the verified head
//! and sends what differs from what the session last sent; a reader whose socket stays
//! blocked for `ws_session::SEND_TIMEOUT` is closed with the reason (and counted,
//! `vigil_verifier_feed_dropped_slow_total`). The session budget, the timed send and the
//! close are the sequencer's too (`service_shell::http::ws_session`).

use crate::state::{AppState, FeedView};
use crate::store::FeedReader;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket};
use axum::routing::{MethodRouter, get};
use protocol::api::sequencer::{AccountBody, MarketInfo};
use protocol::api::stream::{HeadSub, StreamMessage, Subscribe};
use protocol::engine::BlockContext;
use protocol::engine::view::{BookDepth, book_depth};
use protocol::primitives::Address;
use service_shell::http::feed::{self, Head, Subscriptions, serve_head};
use service_shell::http::ws_session::{self, End, SessionBudget, Sink, send_json};
use service_shell::http::{ApiWebSocket, StoredNumber};
use std::sync::Arc;

/// Subscriptions one session may hold (the sequencer's feed's too).
pub use service_shell::http::feed::MAX_SUBSCRIPTIONS;
/// Feed sessions open at once (more get 503).
pub const MAX_SESSIONS: usize = 256;
/// Feed events read per query.
const PAGE: u64 = 500;

/// The route, holding its own session budget.
pub fn route() -> MethodRouter<AppState> {
    let sessions = SessionBudget::new(MAX_SESSIONS, "feed");
    get(
        move |State(s): State<AppState>, ApiWebSocket(ws): ApiWebSocket| {
            let sessions = sessions.clone();
            async move { sessions.upgrade(ws, |socket| session(s, socket)) }
        },
    )
}

/// One subscription and how far it has been served.
#[derive(Debug)]
enum Sub {
    /// Feed events after `after` that `request` covers (`batches`, `trades`, `fills`);
    /// `request` also for a `resnapshot` answer.
    Log { after: u64, request: Subscribe },
    /// The markets, a market's book or an account's view at the verified head.
    Head(HeadSub),
}

/// What a session reads from: the service (wrapped, so that the subscriptions' type stays
/// this module's own).
struct Feed {
    s: AppState,
}

impl feed::Feed for Feed {
    type Sub = Sub;

    /// Refuses a malformed or unservable request with an `error` message (the connection
    /// stays open: `None`), else acknowledges it.
    async fn subscribe(&self, text: &str, tx: &mut Sink) -> Result<Option<Sub>, End> {
        let markets: Vec<u32> = self.s.genesis().markets.iter().map(|m| m.id).collect();
        let request = match serde_json::from_str::<Subscribe>(text)
            .map_err(|e| not_a_subscription(text, e))
            .and_then(|r| servable(r, &markets))
        {
            Ok(request) => request,
            Err(message) => {
                let code = "invalid_subscription".into();
                send_json(tx, &StreamMessage::Error { code, message }).await?;
                return Ok(None);
            }
        };
        let view = self.s.watch_feed().borrow().clone();
        let sub = match log_since(&request) {
            Some(since) => {
                let after = start_log(&self.s, &view, request.clone(), since, tx).await?;
                Sub::Log { after, request }
            }
            None => {
                // `servable` lets through no other request without a log.
                let sub = Sub::Head(HeadSub::of(&request).unwrap_or_else(HeadSub::markets));
                let subscribed = StreamMessage::Subscribed {
                    subscription: request,
                    from: Some(view.head),
                };
                send_json(tx, &subscribed).await?;
                sub
            }
        };
        Ok(Some(sub))
    }

    async fn serve(&self, sub: &mut Sub, tx: &mut Sink) -> Result<(), End> {
        match sub {
            Sub::Log { after, request } => follow(&self.s, after, request, tx).await,
            Sub::Head(head) => serve_head(self, head, tx).await,
        }
    }

    fn dropped_slow(&self) -> &'static str {
        self.s.metrics().feed_dropped_slow += 1;
        "too slow: a send stayed blocked for 5 s; reconnect with since_event"
    }
}

async fn session(s: AppState, socket: WebSocket) {
    let (feed, stop) = (s.watch_feed(), s.stopping());
    let shutting_down = "the verifier is shutting down";
    ws_session::run_feed(
        socket,
        Subscriptions::new(Feed { s }),
        feed,
        stop,
        shutting_down,
    )
    .await;
}

/// Why `since_index` is refused, and what to send instead.
const NOT_SINCE_INDEX: &str = "since_index is the sequencer's batch cursor; a verifier's \
    batches resume from since_event (the `event` of the last message received), or start \
    from a snapshot with neither";

/// Why the sequencer's other channels are refused, and where to find them.
const NOT_SERVED: &str = "a verifier streams only what it re-executed: \
    {\"subscribe\": \"batches\"}, {\"subscribe\": \"trades\", \"market\": M}, \
    {\"subscribe\": \"fills\" or \"orders\", \"account\": \"0x…\"} (finalized batches only), \
    {\"subscribe\": \"markets\"}, {\"subscribe\": \"book\", \"market\": M} and \
    {\"subscribe\": \"account\", \"account\": \"0x…\"} (at the verified head); \
    withdrawals are on the sequencer's GET /v1/stream";

/// Why `text` is not a subscription; a malformed `account` is named as such.
fn not_a_subscription(text: &str, e: serde_json::Error) -> String {
    let value = serde_json::from_str::<serde_json::Value>(text).ok();
    if let Some(account) = value.as_ref().and_then(|v| v.get("account")) {
        let why = match account.as_str().map(str::parse::<Address>) {
            Some(Ok(_)) => None,
            Some(Err(e)) => Some(e.to_string()),
            None => Some("not a string".to_string()),
        };
        if let Some(why) = why {
            return format!("account {account} is not an address ({why}): 0x and 40 hex digits");
        }
    }
    format!("not a subscription: {e}; e.g. {{\"subscribe\": \"batches\"}}")
}

/// The request, if this verifier serves it: `batches` (resumed by `since_event`), `trades`
/// of one of `markets`, `fills` and `orders` (resumed by `since_seq`), each cursor a stored
/// number; `markets`, `book` of one of `markets` and `account`.
fn servable(request: Subscribe, markets: &[u32]) -> Result<Subscribe, String> {
    match &request {
        Subscribe::Batches {
            since_index: Some(_),
            ..
        } => return Err(NOT_SINCE_INDEX.into()),
        Subscribe::Trades { market, .. } | Subscribe::Book { market, .. }
            if !markets.contains(market) =>
        {
            return Err(format!(
                "market {market} does not exist; the markets are {markets:?}"
            ));
        }
        Subscribe::Markets | Subscribe::Book { .. } | Subscribe::Account { .. } => {
            return Ok(request);
        }
        Subscribe::Batches { .. }
        | Subscribe::Trades { .. }
        | Subscribe::Fills { .. }
        | Subscribe::Orders { .. } => {}
        _ => return Err(NOT_SERVED.into()),
    }
    let (field, since) = match &request {
        Subscribe::Batches { since_event, .. } => ("since_event", *since_event),
        _ => ("since_seq", log_since(&request).flatten()),
    };
    match since.map(StoredNumber::try_from) {
        Some(Err(e)) => Err(format!("{field}: {e}")),
        _ => Ok(request),
    }
}

/// A subscription read from the feed log, with its resume point (`None`: not one).
fn log_since(request: &Subscribe) -> Option<Option<u64>> {
    match request {
        Subscribe::Batches { since_event, .. } => Some(*since_event),
        Subscribe::Trades { since_seq, .. }
        | Subscribe::Fills { since_seq, .. }
        | Subscribe::Orders { since_seq, .. } => Some(*since_seq),
        _ => None,
    }
}

/// Whether the feed message `text` belongs to `request`'s channel.
fn covers(request: &Subscribe, text: &str) -> bool {
    let Ok(message) = serde_json::from_str::<StreamMessage>(text) else {
        return false;
    };
    match (request, &message) {
        (Subscribe::Batches { .. }, StreamMessage::Batch { .. })
        | (Subscribe::Batches { .. }, StreamMessage::BatchReverted { .. }) => true,
        (Subscribe::Trades { market, .. }, StreamMessage::Trade { market: m, .. }) => m == market,
        (Subscribe::Fills { account, .. }, StreamMessage::Fill { account: a, .. }) => a == account,
        (Subscribe::Orders { account, .. }, StreamMessage::Order { account: a, .. }) => {
            a == account
        }
        _ => false,
    }
}

/// Starts a log subscription: after `since` when the log still holds what follows it, else
/// from the head (a batches subscription with the snapshot of the live batches;
/// `resnapshot` when a resume point was given). Returns the cursor to follow from.
async fn start_log(
    s: &AppState,
    view: &FeedView,
    request: Subscribe,
    since_event: Option<u64>,
    tx: &mut Sink,
) -> Result<u64, End> {
    let Some(after) = since_event else {
        let subscribed = StreamMessage::Subscribed {
            subscription: request.clone(),
            from: Some(view.head),
        };
        send_json(tx, &subscribed).await?;
        return snapshot(view, &request, tx).await;
    };
    let retained = match read_page(s, after, 0).await {
        Some(page) => page,
        None => {
            return resnapshot(view, request, "the feed could not be read".into(), None, tx).await;
        }
    };
    let newest = retained.newest.unwrap_or(0);
    let oldest = retained.oldest;
    if after > newest {
        let reason = format!(
            "event {after} is newer than this verifier's newest event {newest} (another verifier or data dir?)"
        );
        return resnapshot(view, request, reason, oldest, tx).await;
    }
    if oldest.is_some_and(|o| after + 1 < o) {
        let reason = format!(
            "event {after} is no longer retained (the oldest is {})",
            oldest.unwrap_or(0)
        );
        return resnapshot(view, request, reason, oldest, tx).await;
    }
    let subscribed = StreamMessage::Subscribed {
        subscription: request,
        from: Some(after),
    };
    send_json(tx, &subscribed).await?;
    Ok(after)
}

/// The `resnapshot` answer, then the snapshot; the head to follow from.
async fn resnapshot(
    view: &FeedView,
    subscription: Subscribe,
    reason: String,
    oldest: Option<u64>,
    tx: &mut Sink,
) -> Result<u64, End> {
    let answer = StreamMessage::Resnapshot {
        subscription: subscription.clone(),
        reason,
        oldest,
        from: view.head,
    };
    send_json(tx, &answer).await?;
    snapshot(view, &subscription, tx).await
}

/// Sends every live batch as of the head (a batches subscription; trades, fills and orders
/// have no snapshot: they start from the head); the head.
async fn snapshot(view: &FeedView, request: &Subscribe, tx: &mut Sink) -> Result<u64, End> {
    if !matches!(request, Subscribe::Batches { .. }) {
        return Ok(view.head);
    }
    for message in view.batches.iter() {
        send_json(tx, message).await?;
    }
    Ok(view.head)
}

/// Sends the events after `after`, page by page until current; a cursor the retention
/// passed meanwhile gets a `resnapshot` (never a silent gap).
async fn follow(
    s: &AppState,
    after: &mut u64,
    request: &Subscribe,
    tx: &mut Sink,
) -> Result<(), End> {
    for _ in 0..1_000 {
        let Some(page) = read_page(s, *after, PAGE).await else {
            return Ok(());
        };
        if page.oldest.is_some_and(|o| *after + 1 < o) {
            let view = s.watch_feed().borrow().clone();
            let reason = format!(
                "events after {after} were dropped from the log before this session read them (the oldest is {})",
                page.oldest.unwrap_or(0)
            );
            *after = resnapshot(&view, request.clone(), reason, page.oldest, tx).await?;
            continue;
        }
        let full = page.events.len() as u64 == PAGE;
        for (event, text) in page.events {
            if covers(request, &text) {
                ws_session::send(tx, Message::Text(text.into())).await?;
            }
            *after = event;
        }
        if !full {
            break;
        }
    }
    Ok(())
}

/// A page of the feed after `after` (`limit` 0: only the retained range); `None` when the
/// read failed (tried again at the next head).
async fn read_page(s: &AppState, after: u64, limit: u64) -> Option<crate::store::FeedPage> {
    let reader: Arc<FeedReader> = s.feed_reader()?;
    let read = tokio::task::spawn_blocking(move || reader.page(after, limit)).await;
    match read {
        Ok(Ok(page)) => Some(page),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "reading the feed failed");
            None
        }
        Err(_) => None,
    }
}

/// The verified head's markets, book and account views, as the head subscriptions read
/// them (`feed::serve_head`, the sequencer's feed's too): the markets with the head's
/// `seq`; a book as the sequencer's `GET /v1/markets/{id}/book` computes it
/// (`view::book_depth`) and an account's view (`GET /v1/accounts/{address}`'s body), each
/// with the `seq` after the head. Nothing before the first verified state is published; an
/// unreadable state is tried again at the next head.
impl Head for Feed {
    async fn book(&self, market: u32, levels: u32) -> Option<(u64, Arc<BookDepth>)> {
        let view = self.s.watch_feed().borrow().clone();
        let mut tree = view.verified?;
        let depth = book_depth(&mut tree, market, levels as usize).ok()?;
        Some((view.next_seq, Arc::new(depth)))
    }

    async fn markets(&self) -> Option<(u64, Arc<Vec<MarketInfo>>)> {
        let view = self.s.watch_feed().borrow().clone();
        Some((view.head, view.markets))
    }

    async fn account(&self, address: &Address) -> Option<(u64, AccountBody)> {
        let view = self.s.watch_feed().borrow().clone();
        let mut tree = view.verified?;
        let ctx = BlockContext {
            timestamp_ms: view.at_ms,
        };
        let now = AccountBody::at(&mut tree, &self.s.genesis(), &ctx, address).ok()?;
        Some((view.next_seq, now))
    }
}
