//! `GET /v1/stream`: the live feed (`protocol::api::stream`) over a WebSocket. Each
//! connection is one task that wakes when the writer publishes a new durable view, reads
//! what its subscriptions have not seen yet from the journal (trades and fills from the
//! history table, an account's order events and withdrawals from the ledger tables
//! (`journal::order_feed`), batches from the batch table) or from the view (the book), and
//! sends it.
//! Nothing is queued per client: a subscription is a cursor into durable data, so a slow
//! reader costs no memory, a reconnect with its last `seq` resumes without a gap or a
//! repeat, and a reader whose socket stays blocked for `ws_session::SEND_TIMEOUT` is closed
//! with the reason (and counted, `vigil_seq_feed_dropped_slow_total`). A session's memory
//! is thus bounded: at most `MAX_SUBSCRIPTIONS` cursors (more are refused with an `error`
//! message) and the one message being sent (each send waits for its flush). Pings every
//! `PING_EVERY` keep idle feeds inside the server's stall timeout. At most `MAX_SESSIONS`
//! sessions are open at once (more get 503). The session pieces it shares with the
//! streaming intake are in `ws_session.rs`.

use super::AppState;
use super::ws_session::{self, End, GOING_AWAY, PING_EVERY, SessionBudget, Sink, send_json};
use crate::journal::history::{self, Walk};
use crate::journal::{JournalError, order_feed, queries};
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::routing::{MethodRouter, get};
use futures_util::StreamExt;
use protocol::api::sequencer::{BatchStatus, MarketInfo};
use protocol::api::stream::{StreamMessage, Subscribe};
use protocol::engine::view::{self, BookLevel};
use protocol::primitives::{Address, H256};
use rusqlite::Connection;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

/// Rows read per query; a subscription behind by more reads again at once.
const PAGE: u64 = 500;
const MAX_LEVELS: u32 = 500;
/// Subscriptions one session may hold; a further one is refused (`too_many_subscriptions`).
pub const MAX_SUBSCRIPTIONS: usize = 64;

/// Feed sessions open at once.
pub const MAX_SESSIONS: usize = 1_024;

/// The route, holding its own session budget (one per router, so per service).
pub fn route() -> MethodRouter<AppState> {
    let sessions = SessionBudget::new(MAX_SESSIONS, "feed");
    get(move |State(s): State<AppState>, ws: WebSocketUpgrade| {
        let sessions = sessions.clone();
        async move { sessions.upgrade(ws, |socket| session(s, socket)) }
    })
}

/// One subscription and how far it has been served.
#[derive(Debug)]
enum Sub {
    Trades {
        market: u32,
        after: u64,
    },
    Fills {
        account: Address,
        after: u64,
    },
    Orders {
        account: Address,
        after: u64,
    },
    Withdrawals {
        account: Address,
        after: u64,
    },
    Book {
        market: u32,
        levels: u32,
        last: Option<(Vec<BookLevel>, Vec<BookLevel>)>,
    },
    Batches {
        after: Option<u64>,
        known: BTreeMap<u64, (BatchStatus, Option<H256>)>,
    },
    Markets {
        last: Vec<MarketInfo>,
    },
}

async fn session(s: AppState, socket: WebSocket) {
    let (mut tx, mut rx) = socket.split();
    let mut views = s.views.clone();
    let mut stop = s.stopping.clone();
    let mut subs: Vec<Sub> = Vec::new();
    let mut ping = tokio::time::interval(PING_EVERY);
    let ended = loop {
        let step = tokio::select! {
            incoming = rx.next() => match incoming {
                Some(Ok(Message::Text(text))) => subscribe(&s, &mut subs, &text, &mut tx).await,
                Some(Ok(Message::Close(_)) | Err(_)) | None => Err(End::Gone),
                Some(Ok(_)) => Ok(()),
            },
            changed = views.changed() => match changed {
                Ok(()) => serve_all(&s, &mut subs, &mut tx).await,
                Err(_) => Err(End::Gone),
            },
            _ = ping.tick() => ws_session::ping(&mut tx).await,
            _ = stop.changed() => break None,
        };
        if let Err(end) = step {
            break Some(end);
        }
    };
    let reason = match ended {
        None => "the sequencer is shutting down",
        Some(End::Slow) => {
            s.metrics.feed_dropped_slow.fetch_add(1, Ordering::Relaxed);
            "too slow: a send stayed blocked for 5 s; reconnect with since_seq"
        }
        Some(End::Gone) => return,
    };
    ws_session::close(&mut tx, GOING_AWAY, reason).await;
}

/// Handles one subscription request: refuses a malformed one with an `error` message, else
/// acknowledges it and serves what it already covers.
async fn subscribe(
    s: &AppState,
    subs: &mut Vec<Sub>,
    text: &str,
    tx: &mut Sink,
) -> Result<(), End> {
    if subs.len() >= MAX_SUBSCRIPTIONS {
        let code = "too_many_subscriptions".into();
        let message = format!(
            "a session holds at most {MAX_SUBSCRIPTIONS} subscriptions; open another connection"
        );
        return send_json(tx, &StreamMessage::Error { code, message }).await;
    }
    let parsed = serde_json::from_str::<Subscribe>(text).map_err(|e| {
        format!("not a subscription: {e}; e.g. {{\"subscribe\": \"trades\", \"market\": 1}}")
    });
    let started = match parsed {
        Ok(request) => start(s, &request).await.map(|sub| (request, sub)),
        Err(message) => Err(message),
    };
    let (request, sub) = match started {
        Ok(started) => started,
        Err(message) => {
            let code = "invalid_subscription".into();
            return send_json(tx, &StreamMessage::Error { code, message }).await;
        }
    };
    let from = match &sub {
        Sub::Trades { after, .. }
        | Sub::Fills { after, .. }
        | Sub::Orders { after, .. }
        | Sub::Withdrawals { after, .. } => Some(*after),
        Sub::Batches { after, .. } => *after,
        Sub::Book { .. } | Sub::Markets { .. } => None,
    };
    send_json(
        tx,
        &StreamMessage::Subscribed {
            subscription: request,
            from,
        },
    )
    .await?;
    subs.push(sub);
    let last = subs.len() - 1;
    serve(s, &mut subs[last], tx).await
}

/// A subscription at its starting cursor: `since_*`, or the newest data now.
async fn start(s: &AppState, request: &Subscribe) -> Result<Sub, String> {
    let market_known = |market: u32| {
        s.genesis
            .market(market)
            .map(|_| ())
            .ok_or_else(|| format!("no market {market} in genesis (GET /v1/markets lists them)"))
    };
    let now = s.views.borrow().next_seq.saturating_sub(1);
    Ok(match request {
        Subscribe::Trades { market, since_seq } => {
            market_known(*market)?;
            Sub::Trades {
                market: *market,
                after: since_seq.unwrap_or(now),
            }
        }
        Subscribe::Fills { account, since_seq } => Sub::Fills {
            account: *account,
            after: since_seq.unwrap_or(now),
        },
        Subscribe::Orders { account, since_seq } => Sub::Orders {
            account: *account,
            after: since_seq.unwrap_or(now),
        },
        Subscribe::Withdrawals { account, since_seq } => Sub::Withdrawals {
            account: *account,
            after: since_seq.unwrap_or(now),
        },
        Subscribe::Book { market, levels } => {
            market_known(*market)?;
            let levels = levels.unwrap_or(20).clamp(1, MAX_LEVELS);
            Sub::Book {
                market: *market,
                levels,
                last: None,
            }
        }
        Subscribe::Batches { since_index } => {
            let after = match since_index {
                Some(i) => Some(*i),
                None => s.views.borrow().next_batch_index.checked_sub(1),
            };
            Sub::Batches {
                after,
                known: BTreeMap::new(),
            }
        }
        Subscribe::Markets => Sub::Markets { last: Vec::new() },
    })
}

async fn serve_all(s: &AppState, subs: &mut [Sub], tx: &mut Sink) -> Result<(), End> {
    for sub in subs {
        serve(s, sub, tx).await?;
    }
    Ok(())
}

/// Sends what `sub` has not seen yet, page by page until it is current.
async fn serve(s: &AppState, sub: &mut Sub, tx: &mut Sink) -> Result<(), End> {
    // A page of fills or trades ends between whole transactions, so the cursor can move
    // to its last `seq` without losing the rest of a transaction.
    let sizes = (PAGE, super::history::rows_for(s, PAGE));
    match sub {
        Sub::Trades { market, after } => {
            let market = *market;
            let read = move |c: &Connection, after| {
                let trades = |c: &Connection, walk, n| history::market_trades(c, market, walk, n);
                history::whole_transactions(c, Walk::OldestAfter(after), sizes, trades, |t| t.seq)
            };
            let message = |trade| StreamMessage::Trade { market, trade };
            follow(s, after, tx, read, |t| t.seq, message).await
        }
        Sub::Fills { account, after } => {
            let account = *account;
            let read = move |c: &Connection, after| {
                let fills = |c: &Connection, walk, n| history::account_fills(c, &account, walk, n);
                history::whole_transactions(c, Walk::OldestAfter(after), sizes, fills, |f| f.seq)
            };
            let message = |fill| StreamMessage::Fill { account, fill };
            follow(s, after, tx, read, |f| f.seq, message).await
        }
        Sub::Orders { account, after } => {
            let account = *account;
            let read = move |c: &Connection, after| {
                order_feed::account_order_events(c, &account, after, PAGE)
            };
            let message = |order| StreamMessage::Order { account, order };
            follow(s, after, tx, read, |o| o.seq, message).await
        }
        Sub::Withdrawals { account, after } => {
            let account = *account;
            let read = move |c: &Connection, after| {
                order_feed::account_withdrawals(c, &account, after, PAGE)
            };
            let message = |withdrawal| StreamMessage::Withdrawal {
                account,
                withdrawal,
            };
            follow(s, after, tx, read, |w| w.seq, message).await
        }
        Sub::Book {
            market,
            levels,
            last,
        } => serve_book(s, *market, *levels, last, tx).await,
        Sub::Batches { after, known } => serve_batches(s, after, known, tx).await,
        Sub::Markets { last } => serve_markets(s, last, tx).await,
    }
}

/// The one paging loop of the `seq`-ordered channels: `read` gives the page of whole
/// transactions after a `seq` and the cursor when more follow; each row goes out as
/// `message`, and `after` moves to the page's last `seq` (a read error leaves it, to be
/// tried again at the next change).
async fn follow<T, R>(
    s: &AppState,
    after: &mut u64,
    tx: &mut Sink,
    read: R,
    seq: fn(&T) -> u64,
    message: impl Fn(T) -> StreamMessage,
) -> Result<(), End>
where
    T: Send + 'static,
    R: Fn(&Connection, u64) -> Result<(Vec<T>, Option<u64>), JournalError> + Clone + Send + 'static,
{
    loop {
        let (from, read) = (*after, read.clone());
        let Ok((rows, more)) = s.db.read(move |c| read(c, from)).await else {
            return Ok(());
        };
        let last = rows.last().map(seq);
        for row in rows {
            send_json(tx, &message(row)).await?;
        }
        if let Some(last) = last {
            *after = last;
        }
        if more.is_none() {
            return Ok(());
        }
    }
}

/// The book as of the newest view: a snapshot first, then the levels that changed.
async fn serve_book(
    s: &AppState,
    market: u32,
    levels: u32,
    last: &mut Option<(Vec<BookLevel>, Vec<BookLevel>)>,
    tx: &mut Sink,
) -> Result<(), End> {
    let view = s.views.borrow().clone();
    let mut tree = view.tree.clone();
    let Ok(depth) = view::book_depth(&mut tree, market, levels as usize) else {
        return Ok(());
    };
    let (bids, asks, snapshot) = match last.as_ref() {
        None => (depth.bids.clone(), depth.asks.clone(), true),
        Some((old_bids, old_asks)) => (
            changed_levels(old_bids, &depth.bids),
            changed_levels(old_asks, &depth.asks),
            false,
        ),
    };
    *last = Some((depth.bids, depth.asks));
    if !snapshot && bids.is_empty() && asks.is_empty() {
        return Ok(());
    }
    let seq = view.next_seq;
    send_json(
        tx,
        &StreamMessage::Book {
            market,
            seq,
            snapshot,
            bids,
            asks,
        },
    )
    .await
}

/// Each market whose state differs from what was last sent (all of them at first).
async fn serve_markets(s: &AppState, last: &mut Vec<MarketInfo>, tx: &mut Sink) -> Result<(), End> {
    let view = s.views.borrow().clone();
    let Ok(now) = super::reads::market_infos(s, &view) else {
        return Ok(());
    };
    for market in &now {
        if !last.contains(market) {
            let message = StreamMessage::Market {
                seq: view.next_seq,
                market: market.clone(),
            };
            send_json(tx, &message).await?;
        }
    }
    *last = now;
    Ok(())
}

/// The levels of `new` that differ from `old`, and those of `old` that are gone (size 0).
fn changed_levels(old: &[BookLevel], new: &[BookLevel]) -> Vec<BookLevel> {
    let before: BTreeMap<u64, &BookLevel> = old.iter().map(|l| (l.price, l)).collect();
    let after: BTreeMap<u64, &BookLevel> = new.iter().map(|l| (l.price, l)).collect();
    let mut changed: Vec<BookLevel> = new
        .iter()
        .filter(|l| before.get(&l.price) != Some(l))
        .cloned()
        .collect();
    changed.extend(
        old.iter()
            .filter(|l| !after.contains_key(&l.price))
            .map(|l| BookLevel {
                price: l.price,
                size: 0,
                orders: 0,
            }),
    );
    changed
}

/// New batches and status changes since the last call; a vanished batch (or one whose
/// header changed) is a revert from that index on.
async fn serve_batches(
    s: &AppState,
    after: &mut Option<u64>,
    known: &mut BTreeMap<u64, (BatchStatus, Option<H256>)>,
    tx: &mut Sink,
) -> Result<(), End> {
    let from = after.map_or(0, |a| a + 1);
    let first_known = known.keys().next().copied().unwrap_or(from).min(from);
    let Ok(live) =
        s.db.read(move |c| queries::batches(c, first_known, 1_000))
            .await
    else {
        return Ok(());
    };
    let reverted_from = known.iter().find_map(|(index, (_, hash))| {
        let now = live.iter().find(|b| b.index == *index);
        let gone =
            now.is_none_or(|b| b.header_hash.is_some() && hash.is_some() && b.header_hash != *hash);
        gone.then_some(*index)
    });
    if let Some(index) = reverted_from {
        known.retain(|i, _| *i < index);
        send_json(tx, &StreamMessage::BatchReverted { index }).await?;
    }
    for batch in live {
        if batch.index < from && !known.contains_key(&batch.index) {
            continue;
        }
        let state = (batch.status, batch.header_hash);
        if known.get(&batch.index) != Some(&state) {
            known.insert(batch.index, state);
            send_json(tx, &StreamMessage::Batch { batch }).await?;
        }
    }
    // Old batches change no more: forget all but the newest few, and start there.
    while known.len() > 64 {
        known.pop_first();
    }
    if let Some(first) = known.keys().next() {
        *after = (*after).max(first.checked_sub(1));
    }
    Ok(())
}
