//! The verifier's feed, `GET /v1/stream`, over a real WebSocket on 127.0.0.1:0, against the
//! real settlement layer and the test poster: a batch arrives verified, then finalized;
//! a client that reconnects with its last `event` gets exactly what it missed; a resume
//! point the log no longer retains (or never had) gets a `resnapshot` answer; a fraudulent
//! batch arrives challenged, then reverted; the markets arrive at the verified head; a
//! finalized batch's trades and fills arrive once, after it, and resume mid-way; a reverted
//! batch's never do; a subscriber that never reads is dropped while another keeps
//! receiving; a malformed or unservable subscription gets an error and the connection stays
//! usable; a book rebuilt from its snapshot and deltas is the poster's own state at each
//! `seq`, and an account's view follows its changes, never twice the same; an account's
//! order events of finalized batches arrive once and resume like its fills.

use crate::support::node::{Node, WINDOW};
use crate::support::poster::Poster;
use crate::support::service::{Verifier, verifier_key};
use futures_util::{SinkExt, StreamExt};
use protocol::action::{
    Action, BulkModify, Cancel, ClientOrder, ModifyItem, ModifyItems, ModifyOrder, Order,
    TimeInForce, Tx,
};
use protocol::api::history::{AccountFill, Role, Side, Trade};
use protocol::api::sequencer::{AccountBody, BatchStatus};
use protocol::api::stream::{BatchVerdict, OrderEvent, StreamMessage, Subscribe};
use protocol::engine::BlockContext;
use protocol::engine::view::{OpenOrderView, book_depth};
use protocol::fault::Fault;
use protocol::primitives::Address;
use protocol::signing::sign_action;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tempfile::TempDir;
use tokio_tungstenite::tungstenite::Message;

use test_support::feed_socket::{
    BookSide, FeedBook, Socket, connect_ws, next_message as next,
    read_messages_until as read_until, send_json, sides_of,
};

fn ws_url(url: &str) -> String {
    format!("{}/v1/stream", url.replacen("http", "ws", 1))
}

async fn connect(url: &str) -> Socket {
    connect_ws(url, "/v1/stream").await
}

async fn send_text(socket: &mut Socket, text: &str) {
    socket
        .send(Message::Text(text.to_string().into()))
        .await
        .expect("send");
}

async fn subscribe(socket: &mut Socket, request: &Subscribe) {
    send_json(socket, request).await;
}

fn batches(since_event: Option<u64>) -> Subscribe {
    Subscribe::Batches {
        since_index: None,
        since_event,
    }
}

/// `(index, verdict, finalized)` of a batch message.
fn batch_of(message: &StreamMessage) -> Option<(u64, Option<BatchVerdict>, bool)> {
    match message {
        StreamMessage::Batch { batch, verdict, .. } => Some((
            batch.index,
            *verdict,
            matches!(batch.status, BatchStatus::Finalized { .. }),
        )),
        _ => None,
    }
}

fn event_of(message: &StreamMessage) -> Option<u64> {
    match message {
        StreamMessage::Batch { event, .. } | StreamMessage::BatchReverted { event, .. } => *event,
        _ => None,
    }
}

fn finalized(index: u64) -> impl FnMut(&StreamMessage) -> bool {
    move |m| batch_of(m).is_some_and(|(i, _, f)| i == index && f)
}

/// Reads until batch `index` is finalized; the feed event of that message.
async fn finalized_event(socket: &mut Socket, index: u64) -> u64 {
    let seen = read_until(socket, finalized(index)).await;
    event_of(seen.last().expect("one")).expect("numbered")
}

/// The `from` of a `subscribed` answer.
async fn subscribed_from(socket: &mut Socket) -> u64 {
    match next(socket).await {
        StreamMessage::Subscribed {
            from: Some(from), ..
        } => from,
        other => panic!("expected subscribed, got {other:?}"),
    }
}

/// A chain and a watching verifier on it (keep the dir while it runs).
async fn watched_chain(
    seed: u64,
    tweak: impl FnOnce(&mut verifier::Config),
) -> (Node, Poster, Verifier, TempDir) {
    let (node, poster) = Poster::chain(seed, 4, 4).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut config = Verifier::config(&node, dir.path(), None);
    tweak(&mut config);
    let verifier = Verifier::start(config).await;
    verifier.client.wait_caught_up(&node).await;
    (node, poster, verifier, dir)
}

/// Batches arrive verified, then finalized, each with the next event number; a client that
/// reconnects with its last event gets exactly the rest; the markets arrive at the verified
/// head and again when it moves.
#[tokio::test]
async fn batches_stream_verified_then_finalized_and_resume_without_a_gap_or_a_repeat() {
    let (mut node, mut poster, verifier, _dir) = watched_chain(31, |_| {}).await;
    let url = verifier.client.url.clone();
    let mut steady = connect(&url).await;
    subscribe(&mut steady, &batches(None)).await;
    let start = subscribed_from(&mut steady).await;
    let mut markets = connect(&url).await;
    subscribe(&mut markets, &Subscribe::Markets).await;
    subscribed_from(&mut markets).await;
    let genesis_markets = node.genesis().markets.len();
    for _ in 0..genesis_markets {
        assert!(matches!(
            next(&mut markets).await,
            StreamMessage::Market { .. }
        ));
    }

    poster.post_next(&node, 8, None).await;
    node.mine(1).await;
    let first = read_until(&mut steady, |m| batch_of(m).is_some()).await;
    let first = first.last().expect("one");
    assert_eq!(
        batch_of(first),
        Some((0, Some(BatchVerdict::Verified), false))
    );
    let first_event = event_of(first).expect("numbered");
    assert_eq!(first_event, start + 1);
    // The batch's price updates moved the verified head's markets.
    let moved = read_until(
        &mut markets,
        |m| matches!(m, StreamMessage::Market { seq, .. } if *seq >= first_event),
    )
    .await;
    let Some(StreamMessage::Market { market, .. }) = moved.last() else {
        unreachable!("matched above")
    };
    assert!(market.price_timestamp_ms > 0, "{market:?}");

    // A client that saw the first batch goes away; more happens meanwhile.
    let mut resumer = connect(&url).await;
    subscribe(&mut resumer, &batches(Some(first_event - 1))).await;
    assert_eq!(subscribed_from(&mut resumer).await, first_event - 1);
    assert_eq!(event_of(&next(&mut resumer).await), Some(first_event));
    drop(resumer);
    for _ in 0..2 {
        poster.post_next(&node, 8, None).await;
        node.mine(1).await;
    }
    node.mine(WINDOW + 1).await;

    let mut steady_seen = vec![first.clone()];
    steady_seen.extend(read_until(&mut steady, finalized(2)).await);
    // Verified 0..=2, then finalized 0..=2, one event each; a finalized batch's trades and
    // fills (on the other channels) take the events after its own.
    let events: Vec<u64> = steady_seen.iter().filter_map(event_of).collect();
    assert_eq!(events.len(), 6, "{events:?}");
    assert_eq!(
        events[..4],
        [0, 1, 2, 3].map(|i| first_event + i),
        "{events:?}"
    );
    assert!(events.windows(2).all(|w| w[0] < w[1]), "{events:?}");
    for index in 0..3 {
        let states: Vec<_> = steady_seen
            .iter()
            .filter_map(batch_of)
            .filter(|(i, _, _)| *i == index)
            .collect();
        let verified = Some(BatchVerdict::Verified);
        assert_eq!(
            states,
            vec![(index, verified, false), (index, verified, true)]
        );
    }

    let mut resumed = connect(&url).await;
    subscribe(&mut resumed, &batches(Some(first_event))).await;
    assert_eq!(subscribed_from(&mut resumed).await, first_event);
    let rest = read_until(&mut resumed, finalized(2)).await;
    assert_eq!(rest, steady_seen[1..], "exactly what it missed, once");
    drop((steady, markets, resumed));
    verifier.shutdown().await;
    node.shutdown().await;
}

/// With 2 events retained, a resume from an older one (or from one the log never had) is
/// answered `resnapshot` and a snapshot of the live batches; one just inside is served.
#[tokio::test]
async fn a_resume_point_older_than_retained_gets_a_resnapshot() {
    let (mut node, mut poster, verifier, _dir) =
        watched_chain(32, |c| c.feed_retention_events = 2).await;
    for _ in 0..3 {
        poster.post_next(&node, 4, None).await;
        node.mine(1).await;
    }
    verifier.client.wait_caught_up(&node).await;
    let url = verifier.client.url.clone();

    let mut socket = connect(&url).await;
    for since in [0, 99] {
        subscribe(&mut socket, &batches(Some(since))).await;
        let StreamMessage::Resnapshot {
            oldest,
            from,
            reason,
            ..
        } = next(&mut socket).await
        else {
            panic!("expected resnapshot from {since}");
        };
        assert_eq!((oldest, from), (Some(2), 3), "{reason}");
        let snapshot: Vec<_> = [
            next(&mut socket).await,
            next(&mut socket).await,
            next(&mut socket).await,
        ]
        .iter()
        .map(|m| (batch_of(m), event_of(m)))
        .collect();
        let verified = Some(BatchVerdict::Verified);
        let live = |i| (Some((i, verified, false)), Some(3));
        assert_eq!(snapshot, vec![live(0), live(1), live(2)]);
    }
    subscribe(&mut socket, &batches(Some(1))).await;
    assert_eq!(subscribed_from(&mut socket).await, 1);
    let served: Vec<_> = [next(&mut socket).await, next(&mut socket).await]
        .iter()
        .map(event_of)
        .collect();
    assert_eq!(served, vec![Some(2), Some(3)]);
    drop(socket);
    verifier.shutdown().await;
    node.shutdown().await;
}

/// A fraudulent batch arrives challenged; once a proof is upheld it is reverted.
#[tokio::test]
async fn a_fraudulent_batch_streams_challenged_then_reverted() {
    let (mut node, mut poster) = Poster::chain(33, 4, 4).await;
    let (verifiers, _dirs) = Verifier::start_challengers(&node, &[verifier_key(7)], 1_000).await;
    let verifier = &verifiers[0];
    let mut socket = connect(&verifier.client.url).await;
    subscribe(&mut socket, &batches(None)).await;
    subscribed_from(&mut socket).await;

    poster.post_next(&node, 8, None).await;
    node.mine(1).await;
    let sealed = poster.post_next(&node, 8, Some(Fault::WrongRoot)).await;
    assert_eq!(sealed.fault_chunk, Some(0));
    node.mine(1).await;
    let seen = read_until(&mut socket, |m| {
        matches!(m, StreamMessage::BatchReverted { index: 1, .. })
    })
    .await;
    let verdicts: Vec<_> = seen.iter().filter_map(batch_of).collect();
    assert_eq!(
        verdicts,
        vec![
            (0, Some(BatchVerdict::Verified), false),
            (1, Some(BatchVerdict::Challenged), false)
        ]
    );
    let events: Vec<u64> = seen.iter().filter_map(event_of).collect();
    assert!(events.windows(2).all(|w| w[1] == w[0] + 1), "{events:?}");
    drop(socket);
    for v in verifiers {
        v.shutdown().await;
    }
    node.shutdown().await;
}

/// A feed client whose socket receives into a 4 KiB buffer and that never reads.
async fn connect_never_reading(url: &str) -> Socket {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4_096).expect("SO_RCVBUF");
    let addr = url.trim_start_matches("http://").parse().expect("addr");
    let stream = socket.connect(addr).await.expect("connect");
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    tokio_tungstenite::client_async(ws_url(url), stream)
        .await
        .expect("a WebSocket")
        .0
}

/// Batches posted (then finalized) before the slow reader subscribes: 64 replays of their
/// ~240 events (~500 bytes each) are far more than the sockets' buffers hold, so the
/// server must block on the reader.
const SLOW_BATCHES: u64 = 120;

/// A subscriber that never reads is closed and counted as too slow, while a reading
/// subscriber on the same verifier keeps getting batches.
#[tokio::test]
async fn a_subscriber_that_never_reads_is_dropped_while_another_keeps_receiving() {
    let (mut node, mut poster, verifier, _dir) = watched_chain(34, |_| {}).await;
    for _ in 0..SLOW_BATCHES {
        poster.post_next(&node, 1, None).await;
    }
    node.mine(WINDOW + 2).await;
    verifier.client.wait_caught_up(&node).await;
    let url = verifier.client.url.clone();

    let mut reader = connect(&url).await;
    subscribe(&mut reader, &batches(None)).await;
    subscribed_from(&mut reader).await;
    let mut slow = connect_never_reading(&url).await;
    for _ in 0..verifier::stream::MAX_SUBSCRIPTIONS {
        subscribe(&mut slow, &batches(Some(0))).await;
    }

    poster.post_next(&node, 1, None).await;
    node.mine(1).await;
    let seen = read_until(&mut reader, |m| batch_of(m).is_some()).await;
    let verified = Some(BatchVerdict::Verified);
    assert_eq!(
        batch_of(seen.last().expect("one")),
        Some((SLOW_BATCHES, verified, false))
    );

    let started = Instant::now();
    let mut dropped = false;
    for _ in 0..3_000 {
        let metrics = verifier.client.metrics().await;
        if metrics.contains("vigil_verifier_feed_dropped_slow_total 1") {
            dropped = true;
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{metrics}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(dropped, "the slow session was dropped");
    // What the slow client finds when it finally reads: what the buffers held, then the
    // close with the reason.
    let mut reason = None;
    for _ in 0..100_000 {
        match tokio::time::timeout(Duration::from_secs(10), slow.next()).await {
            Ok(Some(Ok(Message::Close(frame)))) => {
                reason = frame.map(|f| f.reason.to_string());
                break;
            }
            Ok(Some(Ok(_))) => {}
            Ok(Some(Err(_)) | None) => break,
            Err(_) => panic!("the dropped session's socket stayed open"),
        }
    }
    if let Some(reason) = reason {
        assert!(reason.contains("too slow"), "{reason}");
    }
    drop((reader, slow));
    verifier.shutdown().await;
    node.shutdown().await;
}

/// A malformed or unservable subscription is answered with an error naming what to do, and
/// the connection stays usable; a plain GET is refused with the JSON error.
#[tokio::test]
async fn a_malformed_subscription_gets_a_clear_error_and_the_connection_stays_open() {
    let (mut node, _poster, verifier, _dir) = watched_chain(35, |_| {}).await;
    let url = verifier.client.url.clone();
    let (status, body) = verifier.client.get_raw("/v1/stream").await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("websocket_upgrade_required"), "{body}");

    let mut socket = connect(&url).await;
    for (text, hint) in [
        (
            "{\"subscribe\": \"batches\", \"since_event\": -1}",
            "not a subscription",
        ),
        (
            "{\"subscribe\": \"batches\", \"since_event\": 18446744073709551615}",
            "since_event",
        ),
        (
            "{\"subscribe\": \"batches\", \"since_index\": 3}",
            "since_event",
        ),
        (
            "{\"subscribe\": \"withdrawals\", \"account\": \"0x00000000000000000000000000000000000000ff\"}",
            "sequencer",
        ),
        (
            "{\"subscribe\": \"trades\", \"market\": 99}",
            "market 99 does not exist; the markets are [",
        ),
        (
            "{\"subscribe\": \"fills\", \"account\": \"0x12\"}",
            "account \"0x12\" is not an address",
        ),
        (
            "{\"subscribe\": \"book\", \"market\": 99}",
            "market 99 does not exist; the markets are [",
        ),
        (
            "{\"subscribe\": \"account\", \"account\": \"0x12\"}",
            "account \"0x12\" is not an address",
        ),
        (
            "{\"subscribe\": \"fills\", \"account\": \"0x00000000000000000000000000000000000000ff\", \"since_seq\": 18446744073709551615}",
            "since_seq",
        ),
        ("not json", "e.g."),
    ] {
        send_text(&mut socket, text).await;
        match next(&mut socket).await {
            StreamMessage::Error { code, message } => {
                assert_eq!(code, "invalid_subscription", "{text}");
                assert!(message.contains(hint), "{text}: {message}");
            }
            other => panic!("{text}: expected an error, got {other:?}"),
        }
    }
    subscribe(&mut socket, &batches(None)).await;
    subscribed_from(&mut socket).await;
    drop(socket);
    verifier.shutdown().await;
    node.shutdown().await;
}

/// A resting sell of `size` by each of `makers` at `price` on the first market, then a buy
/// of all of it by `taker` at that price: one fill per maker. Each order with nonce
/// `nonce` of its trader.
fn crossing(
    poster: &Poster,
    makers: &[usize],
    taker: usize,
    price_ticks: u64,
    nonce: u64,
) -> Vec<Tx> {
    let market = poster.workload.genesis.markets[0].clone();
    let price = price_ticks * market.tick_size;
    let size = market.lot_size * 10u64.pow(u32::from(market.size_decimals.saturating_sub(2)));
    let order = |who: usize, is_buy: bool, size: u64, tif: TimeInForce| {
        let trader = &poster.workload.traders[who];
        let guard = (nonce, u64::MAX);
        let order = Order::plain(trader.address, market.id, (is_buy, price, size), tif, guard);
        Tx::User {
            action: sign_action(&trader.key, Action::Order(order), &poster.workload.domain()),
        }
    };
    let mut txs: Vec<Tx> = makers
        .iter()
        .map(|&m| order(m, false, size, TimeInForce::Gtc))
        .collect();
    txs.push(order(
        taker,
        true,
        size * makers.len() as u64,
        TimeInForce::Ioc,
    ));
    txs
}

/// The first market's price in ticks near its start (the workload's first oracle price).
fn near_mark(poster: &Poster) -> u64 {
    let market = &poster.workload.genesis.markets[0];
    50_000_000_000 / market.tick_size
}

fn trades(market: u32, since_seq: Option<u64>) -> Subscribe {
    Subscribe::Trades { market, since_seq }
}

fn fills(account: Address, since_seq: Option<u64>) -> Subscribe {
    Subscribe::Fills { account, since_seq }
}

fn trade_of(message: &StreamMessage) -> Option<&Trade> {
    match message {
        StreamMessage::Trade { trade, .. } => Some(trade),
        _ => None,
    }
}

fn fill_of(message: &StreamMessage) -> Option<&AccountFill> {
    match message {
        StreamMessage::Fill { fill, .. } => Some(fill),
        _ => None,
    }
}

/// A batch with two crossing fills is finalized: a `trades` subscriber gets exactly its two
/// trades and a `fills` subscriber for the taker exactly its two fills, with the price,
/// size and market, numbered right after the batch's finalization; a client resuming after
/// the first trade gets the rest (and the next batch's) exactly once.
#[tokio::test]
async fn trades_and_fills_of_a_finalized_batch_stream_once_and_resume_mid_way() {
    let (mut node, mut poster, verifier, _dir) = watched_chain(36, |_| {}).await;
    let url = verifier.client.url.clone();
    let market = poster.workload.genesis.markets[0].clone();
    let taker = poster.workload.traders[1].address;
    let mut tape = connect(&url).await;
    subscribe(&mut tape, &trades(market.id, None)).await;
    subscribed_from(&mut tape).await;
    let mut mine = connect(&url).await;
    subscribe(&mut mine, &fills(taker, None)).await;
    subscribed_from(&mut mine).await;
    let mut maker = connect(&url).await;
    subscribe(&mut maker, &fills(poster.workload.traders[0].address, None)).await;
    subscribed_from(&mut maker).await;
    let mut chain = connect(&url).await;
    subscribe(&mut chain, &batches(None)).await;
    subscribed_from(&mut chain).await;

    let price = near_mark(&poster);
    let txs = crossing(&poster, &[0, 2], 1, price, 1);
    poster.post(&node, txs, 0, None).await;
    node.mine(WINDOW + 2).await;
    let finalized_event = finalized_event(&mut chain, 0).await;

    let got = read_until(&mut tape, |m| {
        trade_of(m).is_some_and(|t| t.seq > finalized_event + 3)
    })
    .await;
    let tape_seen: Vec<Trade> = got.iter().filter_map(trade_of).cloned().collect();
    assert_eq!(got.len(), tape_seen.len(), "only trades: {got:?}");
    let size = market.lot_size * 10u64.pow(u32::from(market.size_decimals.saturating_sub(2)));
    let expected = |seq| Trade {
        seq,
        batch_index: 0,
        timestamp_ms: tape_seen[0].timestamp_ms,
        price: price * market.tick_size,
        size,
        taker_side: Side::Buy,
    };
    // Each fill: its trade, the maker's fill, the taker's fill, right after the batch.
    assert_eq!(
        tape_seen,
        vec![expected(finalized_event + 1), expected(finalized_event + 4)]
    );
    let got = read_until(&mut mine, |m| {
        fill_of(m).is_some_and(|f| f.seq > finalized_event + 3)
    })
    .await;
    let taker_fills: Vec<_> = got.iter().filter_map(fill_of).collect();
    assert_eq!(got.len(), 2, "only the taker's fills: {got:?}");
    let makers = [0, 2].map(|i| poster.workload.traders[i].address);
    for (fill, (seq, maker)) in taker_fills.iter().zip([(3, makers[0]), (6, makers[1])]) {
        assert_eq!(fill.seq, finalized_event + seq);
        assert_eq!(
            (fill.market, fill.price, fill.size),
            (market.id, price * market.tick_size, size)
        );
        assert_eq!(
            (fill.side, fill.role, fill.counterparty),
            (Side::Buy, Role::Taker, maker)
        );
        assert_eq!((fill.batch_index, fill.order_nonce), (0, 1));
    }

    let got = read_until(&mut maker, |m| fill_of(m).is_some()).await;
    let made = fill_of(&got[0]).expect("a fill");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(made.seq, finalized_event + 2);
    assert_eq!((made.side, made.role), (Side::Sell, Role::Maker));
    assert_eq!(
        (made.counterparty, made.price, made.size),
        (taker, price * market.tick_size, size)
    );

    // A client that saw the first trade resumes; a second batch trades once more.
    let mut resumed = connect(&url).await;
    subscribe(&mut resumed, &trades(market.id, Some(tape_seen[0].seq))).await;
    assert_eq!(subscribed_from(&mut resumed).await, tape_seen[0].seq);
    let txs = crossing(&poster, &[0], 1, price + 1, 2);
    poster.post(&node, txs, 0, None).await;
    node.mine(WINDOW + 2).await;
    let third = |m: &StreamMessage| trade_of(m).is_some_and(|t| t.batch_index == 1);
    let live_rest = read_until(&mut tape, third).await;
    let resumed_rest = read_until(&mut resumed, third).await;
    assert_eq!(
        resumed_rest.len(),
        2,
        "the second trade and the third: {resumed_rest:?}"
    );
    assert_eq!(resumed_rest[0], got_trade(&tape_seen[1], market.id));
    assert_eq!(resumed_rest[1..], live_rest[..], "exactly once, as live");
    drop((tape, mine, maker, chain, resumed));
    verifier.shutdown().await;
    node.shutdown().await;
}

fn got_trade(trade: &Trade, market: u32) -> StreamMessage {
    StreamMessage::Trade {
        market,
        trade: trade.clone(),
    }
}

/// A challenged batch with a crossing trade is reverted: its trade is never sent; the same
/// orders re-posted honestly and finalized send it once.
#[tokio::test]
async fn a_reverted_batch_never_streams_its_trades() {
    let (mut node, mut poster) = Poster::chain(37, 4, 4).await;
    let (verifiers, _dirs) = Verifier::start_challengers(&node, &[verifier_key(8)], 1_000).await;
    let url = verifiers[0].client.url.clone();
    let market = poster.workload.genesis.markets[0].clone();
    let mut tape = connect(&url).await;
    subscribe(&mut tape, &trades(market.id, None)).await;
    subscribed_from(&mut tape).await;
    let mut chain = connect(&url).await;
    subscribe(&mut chain, &batches(None)).await;
    subscribed_from(&mut chain).await;

    let txs = crossing(&poster, &[0], 1, near_mark(&poster), 1);
    poster.post(&node, txs, 0, Some(Fault::WrongRoot)).await;
    node.mine(1).await;
    let seen = read_until(&mut chain, |m| {
        matches!(m, StreamMessage::BatchReverted { index: 0, .. })
    })
    .await;
    assert_eq!(
        seen.iter().filter_map(batch_of).collect::<Vec<_>>(),
        vec![(0, Some(BatchVerdict::Challenged), false)]
    );
    let reverted_event = event_of(seen.last().expect("one")).expect("numbered");
    poster.repost_after_revert(&node, 0, 40).await;
    node.mine(WINDOW + 2).await;
    let finalized_event = finalized_event(&mut chain, 0).await;
    assert!(finalized_event > reverted_event);

    let live = read_until(&mut tape, |m| trade_of(m).is_some()).await;
    let replayed_socket = &mut connect(&url).await;
    subscribe(replayed_socket, &trades(market.id, Some(0))).await;
    assert_eq!(subscribed_from(replayed_socket).await, 0);
    let replayed = read_until(replayed_socket, |m| trade_of(m).is_some()).await;
    for seen in [&live, &replayed] {
        let trades: Vec<_> = seen.iter().filter_map(trade_of).collect();
        assert_eq!(seen.len(), 1, "one message, a trade: {seen:?}");
        assert_eq!(
            trades[0].seq,
            finalized_event + 1,
            "the re-posted batch's, after its finalization"
        );
    }
    drop((tape, chain));
    for v in verifiers {
        v.shutdown().await;
    }
    node.shutdown().await;
}

/// A batch verified before a restart and finalized after it streams its trade once: the
/// restored replica re-executes its live batches, so their fills survive the restart.
#[tokio::test]
async fn a_batch_verified_before_a_restart_streams_its_trade_once_when_finalized_after() {
    let (mut node, mut poster, verifier, dir) = watched_chain(38, |_| {}).await;
    let market = poster.workload.genesis.markets[0].clone();
    let price = near_mark(&poster);
    let txs = crossing(&poster, &[0], 1, price, 1);
    poster.post(&node, txs, 0, None).await;
    node.mine(1).await;
    verifier.client.wait_caught_up(&node).await;
    let config = verifier.config.clone();
    verifier.shutdown().await;

    node.mine(WINDOW + 2).await;
    let verifier = Verifier::start(config).await;
    let url = verifier.client.url.clone();
    let mut tape = connect(&url).await;
    subscribe(&mut tape, &trades(market.id, Some(0))).await;
    assert_eq!(subscribed_from(&mut tape).await, 0);
    let seen = read_until(&mut tape, |m| trade_of(m).is_some()).await;
    assert_eq!(seen.len(), 1, "one message, a trade: {seen:?}");
    let trade = trade_of(&seen[0]).expect("a trade");
    assert_eq!(
        (trade.batch_index, trade.price, trade.taker_side),
        (0, price * market.tick_size, Side::Buy)
    );
    // Nothing else was logged for the market: the next trade is the next batch's.
    let txs = crossing(&poster, &[0], 1, price + 1, 2);
    poster.post(&node, txs, 0, None).await;
    node.mine(WINDOW + 2).await;
    let next_one = read_until(&mut tape, |m| trade_of(m).is_some()).await;
    assert_eq!(next_one.len(), 1, "{next_one:?}");
    assert_eq!(trade_of(&next_one[0]).map(|t| t.batch_index), Some(1));
    drop((tape, dir));
    verifier.shutdown().await;
    node.shutdown().await;
}

/// What a view shows of an account whatever the time: collateral, open orders, and each
/// position's market, size and entry price.
type Holdings = (i128, Vec<OpenOrderView>, Vec<(u32, i128, u128)>);

fn holdings(body: &AccountBody) -> Holdings {
    let a = &body.account;
    let positions = a
        .positions
        .iter()
        .map(|p| (p.market, p.size, p.entry_price));
    (a.collateral, a.open_orders.clone(), positions.collect())
}

/// The poster's own state after its last batch (its independent execution): the book and
/// `account`'s holdings there, and its whole view at `timestamp_ms` (that batch's time).
fn expected_at(
    poster: &Poster,
    market: u32,
    account: &Address,
    timestamp_ms: u64,
) -> ((BookSide, BookSide), Holdings, AccountBody) {
    let mut tree = poster.seq.tip().state.clone();
    let depth = book_depth(&mut tree, market, 20).expect("a book");
    let ctx = BlockContext { timestamp_ms };
    let body = AccountBody::at(&mut tree, &poster.workload.genesis, &ctx, account).expect("a view");
    (sides_of(&depth), holdings(&body), body)
}

/// A market's book and two accounts (one trading, one never touched) at the verified head:
/// the book rebuilt from the snapshot and deltas equals the poster's own state at each
/// `seq` it names (the number of transactions verified); the trading account's view
/// follows its deposit, resting order and fill, never twice the same, each view whole as the
/// poster's state gives it at that batch's time; the untouched one comes once.
#[tokio::test]
async fn the_book_and_an_account_stream_at_the_verified_head() {
    let (mut node, mut poster, verifier, _dir) = watched_chain(37, |_| {}).await;
    let market = poster.workload.genesis.markets[0].id;
    let maker = poster.workload.traders[0].address;
    let untouched = Address([0x77; 20]);
    let mut socket = connect(&verifier.client.url).await;
    subscribe(&mut socket, &Subscribe::Account { account: untouched }).await;
    subscribe(&mut socket, &Subscribe::Account { account: maker }).await;
    let book = Subscribe::Book {
        market,
        levels: None,
    };
    subscribe(&mut socket, &book).await;
    let mut seen = read_until(&mut socket, |m| matches!(m, StreamMessage::Book { .. })).await;
    let mut expected = BTreeMap::from([(0, expected_at(&poster, market, &maker, 0))]);

    // Two resting asks (traders 0 and 2); then trader 1's bid taking trader 0's.
    let price = near_mark(&poster);
    let resting = crossing(&poster, &[0, 2], 1, price, 1)[..2].to_vec();
    let taking = vec![crossing(&poster, &[0], 1, price, 1).remove(1)];
    let mut verified = 0;
    for txs in [resting, taking] {
        let sealed = poster.post(&node, txs, 0, None).await;
        node.mine(1).await;
        verified += u64::from(sealed.batch.header.tx_count);
        let at_ms = sealed.batch.header.timestamp_ms;
        expected.insert(verified, expected_at(&poster, market, &maker, at_ms));
    }
    seen.extend(
        read_until(
            &mut socket,
            |m| matches!(m, StreamMessage::Book { seq, .. } if *seq == verified),
        )
        .await,
    );

    let mut rebuilt = FeedBook::default();
    let mut views: Vec<(Address, u64, Holdings, AccountBody)> = Vec::new();
    for message in &seen {
        match message {
            StreamMessage::Book { seq, .. } => {
                rebuilt.apply(message);
                let want = &expected.get(seq).expect("a verified seq").0;
                assert_eq!(&rebuilt.sides(), want, "the book at seq {seq}");
            }
            StreamMessage::Account { seq, account } => {
                let entry = (account.account.address, *seq, holdings(account));
                views.push((entry.0, entry.1, entry.2, account.clone()));
            }
            _ => {}
        }
    }
    assert!(!rebuilt.asks.is_empty(), "an ask rests: {rebuilt:?}");
    let of = |who: Address| views.iter().filter(move |v| v.0 == who);
    assert_eq!(of(untouched).count(), 1, "once: {views:?}");
    let mine: Vec<_> = of(maker).collect();
    assert!(
        mine.windows(2).all(|w| w[0].3 != w[1].3 && w[0].1 < w[1].1),
        "never the same view twice, seq rising: {mine:?}"
    );
    let last = mine.last().expect("a view");
    assert_eq!(
        last.2, expected[&verified].1,
        "the maker's holdings at the head"
    );
    assert!(!last.2.2.is_empty(), "the maker holds a position: {last:?}");
    for (_, seq, held, body) in &mine {
        assert_eq!(Some(held), expected.get(seq).map(|e| &e.1), "at seq {seq}");
        // Time-dependent figures too: taken at the verified head's batch time.
        assert_eq!(
            Some(body),
            expected.get(seq).map(|e| &e.2),
            "whole at seq {seq}"
        );
    }
    drop(socket);
    verifier.shutdown().await;
    node.shutdown().await;
}

/// `who`'s `action`, signed, as a transaction.
fn signed(poster: &Poster, who: usize, action: Action) -> Tx {
    let key = &poster.workload.traders[who].key;
    Tx::User {
        action: sign_action(key, action, &poster.workload.domain()),
    }
}

/// `(event, nonce, side, price, size, role, reason)` of each order event, and its `seq`.
type OrderSeen = (
    OrderEvent,
    u64,
    Option<Side>,
    u64,
    u64,
    Option<Role>,
    Option<String>,
);

fn orders_of(messages: &[StreamMessage], account: Address) -> Vec<(u64, OrderSeen)> {
    messages
        .iter()
        .filter_map(|m| match m {
            StreamMessage::Order {
                account: a,
                order: o,
            } if *a == account => Some((
                o.seq,
                (
                    o.event,
                    o.nonce,
                    o.side,
                    o.price,
                    o.size,
                    o.role,
                    o.reason.clone(),
                ),
            )),
            _ => None,
        })
        .collect()
}

/// A maker's order placed, filled and three others placed in one batch, then one modified by
/// its client id, one by a bulk modify and the other cancelled in the next (orders resting
/// from an earlier batch, read from the state before each transaction): once both are
/// final, its `orders` subscriber gets exactly those events (the modifies' new entries on
/// the order's side, the cancelled order's side and price),
/// each numbered with its feed event, and nothing of another account's; a client resuming
/// after the first gets the rest; a resume point newer than the log gets `resnapshot`.
#[tokio::test]
async fn an_accounts_orders_of_finalized_batches_stream_and_resume_like_fills() {
    let (mut node, mut poster, verifier, _dir) = watched_chain(38, |_| {}).await;
    let url = verifier.client.url.clone();
    let market = poster.workload.genesis.markets[0].clone();
    let maker = poster.workload.traders[0].address;
    let orders = |since_seq| Subscribe::Orders {
        account: maker,
        since_seq,
    };
    let mut live = connect(&url).await;
    subscribe(&mut live, &orders(None)).await;
    subscribed_from(&mut live).await;
    let mut chain = connect(&url).await;
    subscribe(&mut chain, &batches(None)).await;
    subscribed_from(&mut chain).await;

    let ticks = near_mark(&poster);
    let (price, far) = (ticks * market.tick_size, (ticks + 10) * market.tick_size);
    let mut txs = crossing(&poster, &[0], 1, ticks, 1);
    let size = match &txs[0] {
        Tx::User { action } => match &action.action {
            Action::Order(o) => o.size,
            _ => unreachable!("an order"),
        },
        Tx::L1 { .. } => unreachable!("a user's"),
    };
    let (ask, tif) = ((false, far, size), TimeInForce::Gtc);
    let resting = Order::plain(maker, market.id, ask, tif, (2, u64::MAX));
    let bulked = Order {
        nonce: 6,
        ..resting.clone()
    };
    txs.push(signed(&poster, 0, Action::Order(resting)));
    let tagged = ClientOrder::new(
        maker,
        Order::plain(maker, market.id, ask, tif, (4, u64::MAX)),
        55,
    );
    txs.push(signed(&poster, 0, Action::ClientOrder(tagged)));
    txs.push(signed(&poster, 0, Action::Order(bulked)));
    poster.post(&node, txs, 0, None).await;
    node.mine(1).await;
    let moved = (ticks + 12) * market.tick_size;
    let modify = ModifyOrder {
        signer: maker,
        account: maker,
        client_id: 55,
        price: moved,
        size,
        nonce: 5,
        expires_at: u64::MAX,
    };
    let cancel = Cancel {
        account: maker,
        market: market.id,
        order_nonce: 2,
        nonce: 3,
        expires_at: u64::MAX,
    };
    let cancel = signed(&poster, 0, Action::Cancel(cancel));
    let modify = signed(&poster, 0, Action::ModifyOrder(modify));
    // A bulk modify of order 6, placed in the batch before: read from the state before it.
    let bulk = BulkModify {
        signer: maker,
        account: maker,
        items: ModifyItems(vec![ModifyItem {
            market: market.id,
            order_nonce: 6,
            client_id: 0,
            price: moved,
            size,
        }]),
        nonce: 7,
        expires_at: u64::MAX,
    };
    let bulk = signed(&poster, 0, Action::BulkModify(bulk));
    poster
        .post(&node, vec![modify, bulk, cancel], 0, None)
        .await;
    node.mine(WINDOW + 2).await;
    finalized_event(&mut chain, 1).await;

    let got = read_until(
        &mut live,
        |m| matches!(m, StreamMessage::Order { order, .. } if order.event == OrderEvent::Cancelled),
    )
    .await;
    let seen = orders_of(&got, maker);
    assert_eq!(seen.len(), got.len(), "only the maker's events: {got:?}");
    let sell = Some(Side::Sell);
    let want: Vec<OrderSeen> = vec![
        (OrderEvent::Placed, 1, sell, price, size, None, None),
        (
            OrderEvent::Filled,
            1,
            sell,
            price,
            size,
            Some(Role::Maker),
            None,
        ),
        (OrderEvent::Placed, 2, sell, far, size, None, None),
        (OrderEvent::Placed, 4, sell, far, size, None, None),
        (OrderEvent::Placed, 6, sell, far, size, None, None),
        (OrderEvent::Placed, 4, sell, moved, size, None, None),
        (OrderEvent::Placed, 6, sell, moved, size, None, None),
        (
            OrderEvent::Cancelled,
            2,
            sell,
            far,
            size,
            None,
            Some("user".into()),
        ),
    ];
    assert_eq!(seen.iter().map(|s| s.1.clone()).collect::<Vec<_>>(), want);
    assert!(
        seen.windows(2).all(|w| w[0].0 < w[1].0),
        "numbered in order: {seen:?}"
    );

    // Resumed after the first event: the others, exactly.
    let mut resumed = connect(&url).await;
    subscribe(&mut resumed, &orders(Some(seen[0].0))).await;
    assert_eq!(subscribed_from(&mut resumed).await, seen[0].0);
    let again = read_until(
        &mut resumed,
        |m| matches!(m, StreamMessage::Order { order, .. } if order.event == OrderEvent::Cancelled),
    )
    .await;
    assert_eq!(orders_of(&again, maker), seen[1..]);
    // A resume point past the log's newest event is answered `resnapshot`.
    let mut lost = connect(&url).await;
    let past = seen.last().expect("events").0 + 1_000;
    subscribe(&mut lost, &orders(Some(past))).await;
    match next(&mut lost).await {
        StreamMessage::Resnapshot { subscription, .. } => {
            assert_eq!(subscription, orders(Some(past)));
        }
        other => panic!("expected resnapshot, got {other:?}"),
    }
    drop((live, chain, resumed, lost));
    verifier.shutdown().await;
    node.shutdown().await;
}
