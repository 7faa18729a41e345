//! `GET /v1/stream`: the live feed (`protocol::api::stream`) over a WebSocket. Each
//! connection is one task that wakes when the writer publishes a new durable view, reads
//! what its subscriptions have not seen yet from the journal (trades and fills from the
//! history table, an account's order events from the ledger tables (`journal::order_feed`)
//! and its withdrawals' status changes from `journal::withdrawal_events`, batches from the
//! batch table) or from the view (the book, the markets, an account's view: sent again only
//! when it differs from what the session last sent), and sends it. What sessions share is read or computed once per view (`fanout.rs`): the
//! sessions at the same cursor of a channel send the same page, and a book's depth is
//! walked once.
//! Nothing is queued per client: a subscription is a cursor into durable data, so a slow
//! reader costs no memory, a reconnect with its last `seq` resumes without a gap or a
//! repeat, and a reader whose socket stays blocked for `ws_session::SEND_TIMEOUT` is closed
//! with the reason (and counted, `vigil_seq_feed_dropped_slow_total`). A session's memory
//! is thus bounded: at most `MAX_SUBSCRIPTIONS` cursors (more are refused with an `error`
//! message) and the one message being sent (each send waits for its flush). Pings every
//! `PING_EVERY` keep idle feeds inside the server's stall timeout. At most `MAX_SESSIONS`
//! sessions are open at once (more get 503). The session pieces it shares with the
//! streaming intake (and the verifier's feed) are in `service_shell::http::ws_session`.

mod fanout;

use super::AppState;
use crate::journal::{queries, withdrawal_events};
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket};
use axum::routing::{MethodRouter, get};
use fanout::{Channel, Fanout};
use protocol::api::sequencer::{AccountBody, BatchStatus, MarketInfo};
use protocol::api::stream::{HeadSub, StreamMessage, Subscribe};
use protocol::engine::view::BookDepth;
use protocol::primitives::{Address, H256};
use service_shell::http::feed::{self, Head, Subscriptions, serve_head};
use service_shell::http::ws_session::{self, End, SessionBudget, Sink, send_json};
use service_shell::http::{ApiWebSocket, StoredNumber};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Subscriptions one session may hold (the verifier's feed's too).
pub use service_shell::http::feed::MAX_SUBSCRIPTIONS;

/// Feed sessions open at once.
pub const MAX_SESSIONS: usize = 1_024;

/// The route, holding its own session budget and fan-out (one per router, so per service).
pub fn route() -> MethodRouter<AppState> {
    let sessions = SessionBudget::new(MAX_SESSIONS, "feed");
    let fanout = Arc::new(Fanout::default());
    get(
        move |State(s): State<AppState>, ApiWebSocket(ws): ApiWebSocket| {
            let (sessions, fanout) = (sessions.clone(), fanout.clone());
            async move {
                let feed = Feed { s, fanout };
                sessions.upgrade(ws, |socket| session(feed, socket))
            }
        },
    )
}

/// What a session reads from: the service, and what it shares with the other sessions.
struct Feed {
    s: AppState,
    fanout: Arc<Fanout>,
}

/// One subscription and how far it has been served.
#[derive(Debug)]
enum Sub {
    /// A `seq`-ordered channel, after the last `seq` sent.
    Seq { channel: Channel, after: u64 },
    Batches {
        after: Option<u64>,
        known: BTreeMap<u64, (BatchStatus, Option<H256>)>,
        /// The view's `batches_version` when the batches were last read (`None`: never).
        read_at: Option<u64>,
    },
    /// A book, the markets or an account's view, served from the newest view.
    Head(HeadSub),
}

impl feed::Feed for Feed {
    type Sub = Sub;

    /// Handles one subscription request: refuses a malformed one with an `error` message
    /// (`None`), else acknowledges it.
    async fn subscribe(&self, text: &str, tx: &mut Sink) -> Result<Option<Sub>, End> {
        let parsed = serde_json::from_str::<Subscribe>(text)
            .map_err(|e| {
                format!(
                    "not a subscription: {e}; e.g. {{\"subscribe\": \"trades\", \"market\": 1}}"
                )
            })
            .and_then(cursors_stored);
        let resolved = match parsed {
            Ok(request) => withdrawals_start(&self.s, request).await,
            Err(message) => Err(message),
        };
        let started = match resolved {
            Ok(request) => start(&self.s, &request).map(|sub| (request, sub)),
            Err(message) => Err(message),
        };
        let (request, sub) = match started {
            Ok(started) => started,
            Err(message) => {
                let code = "invalid_subscription".into();
                send_json(tx, &StreamMessage::Error { code, message }).await?;
                return Ok(None);
            }
        };
        let from = match &sub {
            Sub::Seq { after, .. } => Some(*after),
            Sub::Batches { after, .. } => *after,
            Sub::Head(_) => None,
        };
        send_json(
            tx,
            &StreamMessage::Subscribed {
                subscription: request,
                from,
            },
        )
        .await?;
        Ok(Some(sub))
    }

    /// Sends what `sub` has not seen yet, page by page until it is current.
    async fn serve(&self, sub: &mut Sub, tx: &mut Sink) -> Result<(), End> {
        match sub {
            Sub::Seq { channel, after } => follow(self, *channel, after, tx).await,
            Sub::Batches {
                after,
                known,
                read_at,
            } => {
                let version = self.s.views.borrow().batches_version;
                if *read_at == Some(version) {
                    return Ok(());
                }
                // Bounded: a subscriber far behind is served the rest at the next change.
                for _ in 0..BATCH_PAGES_PER_WAKE {
                    match serve_batches(&self.s, after, known, tx).await? {
                        Served::Current => {
                            *read_at = Some(version);
                            break;
                        }
                        Served::MorePages => continue,
                        Served::Unread => break,
                    }
                }
                Ok(())
            }
            Sub::Head(head) => serve_head(self, head, tx).await,
        }
    }

    fn dropped_slow(&self) -> &'static str {
        self.s
            .metrics
            .feed_dropped_slow
            .fetch_add(1, Ordering::Relaxed);
        "too slow: a send stayed blocked for 5 s; reconnect with since_seq"
    }
}

async fn session(feed: Feed, socket: WebSocket) {
    let (views, stop) = (feed.s.views.clone(), feed.s.stopping.clone());
    let shutting_down = "the sequencer is shutting down";
    let session = Subscriptions::new(feed);
    ws_session::run_feed(socket, session, views, stop, shutting_down).await;
}

/// The request, if every cursor it names could be stored (at most `i64::MAX`, the journal's
/// integers): a larger one names nothing and would fail the journal's read.
fn cursors_stored(request: Subscribe) -> Result<Subscribe, String> {
    let cursors = match &request {
        Subscribe::Trades { since_seq, .. }
        | Subscribe::Fills { since_seq, .. }
        | Subscribe::Orders { since_seq, .. } => vec![("since_seq", *since_seq)],
        Subscribe::Withdrawals {
            since_seq,
            since_event,
            ..
        } => vec![("since_seq", *since_seq), ("since_event", *since_event)],
        Subscribe::Batches {
            since_index,
            since_event: None,
        } => vec![("since_index", *since_index)],
        Subscribe::Batches { .. } => {
            return Err("since_event resumes a verifier's batches; the sequencer's resume from since_index (a batch index)".into());
        }
        Subscribe::Book { .. } | Subscribe::Markets | Subscribe::Account { .. } => Vec::new(),
    };
    for (name, value) in cursors {
        if let Some(value) = value {
            StoredNumber::try_from(value).map_err(|e| format!("{name}: {e}"))?;
        }
    }
    Ok(request)
}

/// A `withdrawals` subscription with its `since_event` filled in from `since_seq` (the
/// legacy start) or the newest event (neither given): its channel's cursor is the
/// withdrawal `event`, which only the journal knows. Other subscriptions pass unchanged.
async fn withdrawals_start(s: &AppState, request: Subscribe) -> Result<Subscribe, String> {
    let Subscribe::Withdrawals {
        account,
        since_seq,
        since_event: None,
    } = request
    else {
        return Ok(request);
    };
    let start =
        s.db.read(move |c| withdrawal_events::start_cursor(c, &account, since_seq))
            .await
            .map_err(|e| format!("the journal could not be read ({e}); subscribe again"))?;
    Ok(Subscribe::Withdrawals {
        account,
        since_seq,
        since_event: Some(start),
    })
}

/// A subscription at its starting cursor: `since_*`, or the newest data now.
fn start(s: &AppState, request: &Subscribe) -> Result<Sub, String> {
    let market_known = |market: u32| {
        s.genesis
            .market(market)
            .map(|_| ())
            .ok_or_else(|| format!("no market {market} in genesis (GET /v1/markets lists them)"))
    };
    let now = s.views.borrow().next_seq.saturating_sub(1);
    let seq = |channel, since_seq: &Option<u64>| Sub::Seq {
        channel,
        after: since_seq.unwrap_or(now),
    };
    Ok(match request {
        Subscribe::Trades { market, since_seq } => {
            market_known(*market)?;
            seq(Channel::Trades(*market), since_seq)
        }
        Subscribe::Fills { account, since_seq } => seq(Channel::Fills(*account), since_seq),
        Subscribe::Orders { account, since_seq } => seq(Channel::Orders(*account), since_seq),
        Subscribe::Withdrawals {
            account,
            since_event,
            ..
        } => Sub::Seq {
            channel: Channel::Withdrawals(*account),
            after: since_event.ok_or("the withdrawals start was not resolved; subscribe again")?,
        },
        Subscribe::Book { market, levels } => {
            market_known(*market)?;
            Sub::Head(HeadSub::book(*market, *levels))
        }
        Subscribe::Batches { since_index, .. } => {
            let after = match since_index {
                Some(i) => Some(*i),
                None => s.views.borrow().next_batch_index.checked_sub(1),
            };
            Sub::Batches {
                after,
                known: BTreeMap::new(),
                read_at: None,
            }
        }
        Subscribe::Markets => Sub::Head(HeadSub::markets()),
        Subscribe::Account { account } => Sub::Head(HeadSub::account(*account)),
    })
}

/// The one paging loop of the `seq`-ordered channels: each page (whole transactions, read
/// once for every session at the same cursor) goes out frame by frame, and `after` moves to
/// its last `seq` (a failed read leaves it, to be tried again at the next change).
async fn follow(feed: &Feed, channel: Channel, after: &mut u64, tx: &mut Sink) -> Result<(), End> {
    loop {
        let Some(page) = feed.fanout.page(&feed.s, channel, *after).await else {
            return Ok(());
        };
        for (_, frame) in &page.frames {
            ws_session::send(tx, Message::Text(frame.clone())).await?;
        }
        if let Some((last, _)) = page.frames.last() {
            *after = *last;
        }
        if !page.more {
            return Ok(());
        }
    }
}

/// The newest view's book, markets and account views, as the head subscriptions read them
/// (`feed::serve_head`, the verifier's feed's too). A book's depth and the markets are
/// computed once per view for every session (`Fanout`); an account's view is taken at the
/// state's own time, so that only a transaction changes it.
impl Head for Feed {
    async fn book(&self, market: u32, levels: u32) -> Option<(u64, Arc<BookDepth>)> {
        let view = self.s.views.borrow().clone();
        let depth = self.fanout.book(&view, market, levels).await?;
        Some((view.next_seq, depth))
    }

    async fn markets(&self) -> Option<(u64, Arc<Vec<MarketInfo>>)> {
        let view = self.s.views.borrow().clone();
        let now = self.fanout.markets(&self.s, &view).await?;
        Some((view.next_seq, now))
    }

    async fn account(&self, address: &Address) -> Option<(u64, AccountBody)> {
        let view = self.s.views.borrow().clone();
        // An unreadable state is tried again at the next view.
        let now = crate::view::account_body(&view, &self.s.genesis, address, view.timestamp_ms);
        Some((view.next_seq, now.ok()?))
    }
}

/// Batches read at once by the batches feed.
const BATCH_PAGE: u64 = 1_000;

/// Pages of batches one wake may send before the others' subscriptions get their turn.
const BATCH_PAGES_PER_WAKE: usize = 16;

/// How far one read of the batches got.
enum Served {
    /// Everything up to the newest batch was sent.
    Current,
    /// A full page was sent: there may be more.
    MorePages,
    /// The batches could not be read (tried again at the next change).
    Unread,
}

/// New batches and status changes since the last call; a vanished batch (or one whose
/// header changed) is a revert from that index on.
async fn serve_batches(
    s: &AppState,
    after: &mut Option<u64>,
    known: &mut BTreeMap<u64, (BatchStatus, Option<H256>)>,
    tx: &mut Sink,
) -> Result<Served, End> {
    let from = after.map_or(0, |a| a + 1);
    let first_known = known.keys().next().copied().unwrap_or(from).min(from);
    let Ok(live) =
        s.db.read(move |c| queries::batches(c, first_known, BATCH_PAGE))
            .await
    else {
        return Ok(Served::Unread);
    };
    let served = if live.len() as u64 == BATCH_PAGE {
        Served::MorePages
    } else {
        Served::Current
    };
    let reverted_from = known.iter().find_map(|(index, (_, hash))| {
        let now = live.iter().find(|b| b.index == *index);
        let gone =
            now.is_none_or(|b| b.header_hash.is_some() && hash.is_some() && b.header_hash != *hash);
        gone.then_some(*index)
    });
    if let Some(index) = reverted_from {
        known.retain(|i, _| *i < index);
        let reverted = StreamMessage::BatchReverted { index, event: None };
        send_json(tx, &reverted).await?;
    }
    for batch in live {
        if batch.index < from && !known.contains_key(&batch.index) {
            continue;
        }
        let state = (batch.status, batch.header_hash);
        if known.get(&batch.index) != Some(&state) {
            known.insert(batch.index, state);
            let message = StreamMessage::Batch {
                batch,
                event: None,
                verdict: None,
            };
            send_json(tx, &message).await?;
        }
    }
    // Old batches change no more: forget all but the newest few, and start there.
    while known.len() > 64 {
        known.pop_first();
    }
    if let Some(first) = known.keys().next() {
        *after = (*after).max(first.checked_sub(1));
    }
    Ok(served)
}
