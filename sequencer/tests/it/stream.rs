//! The live feed over a real WebSocket on 127.0.0.1:0: trades and an account's fills arrive
//! in `seq` order as they happen; a book rebuilt from the snapshot and its deltas equals
//! `GET /v1/markets/{id}/book`; a client that disconnects and resumes with its last `seq`
//! gets exactly what it missed; an account's order events (placed, filled, cancelled with
//! the reason) and withdrawals arrive with their `seq` and resume from one (that a
//! verifier's feed gives the same events is the client's `order_feeds` test, which runs
//! both services); batches arrive with their status changes; a malformed
//! subscription is answered with an error and the connection stays usable; a subscriber
//! that never reads is dropped and holds no backlog, and a session's subscriptions are
//! bounded; an account's view comes on subscribe and again on each change (and only then).

use crate::support::seq::Seq;
use crate::support::*;
use futures_util::{SinkExt, StreamExt};
use protocol::action::{Action, Cancel, TimeInForce};
use protocol::api::history::Role;
use protocol::api::stream::{OrderEvent, StreamMessage, Subscribe};
use protocol::engine::view::BookDepth;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

use test_support::feed_socket::{FeedBook, sides_of};
pub(crate) use test_support::feed_socket::{
    Socket, next_message as next, read_messages_until as read_until,
};
use test_support::feed_socket::{connect_ws, send_json};

pub(crate) async fn connect(seq: &Seq) -> Socket {
    connect_ws(&seq.url, "/v1/stream").await
}

pub(crate) async fn subscribe(socket: &mut Socket, request: &Subscribe) {
    send_json(socket, request).await;
}

fn trade_seqs(messages: &[StreamMessage]) -> Vec<u64> {
    messages
        .iter()
        .filter_map(|m| match m {
            StreamMessage::Trade { trade, .. } => Some(trade.seq),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trades_fills_and_the_book_stream_live_and_resume_without_a_gap() {
    let (_l1, seq) = funded_pair(|_| {}).await;
    let (alice, bob) = (alice(), bob());

    let mut socket = connect(&seq).await;
    subscribe(
        &mut socket,
        &Subscribe::Trades {
            market: BTC,
            since_seq: Some(0),
        },
    )
    .await;
    subscribe(
        &mut socket,
        &Subscribe::Fills {
            account: addr(&alice),
            since_seq: None,
        },
    )
    .await;
    subscribe(
        &mut socket,
        &Subscribe::Book {
            market: BTC,
            levels: None,
        },
    )
    .await;
    let acks = read_until(&mut socket, |m| {
        matches!(m, StreamMessage::Book { snapshot: true, .. })
    })
    .await;
    let subscribed = acks
        .iter()
        .filter(|m| matches!(m, StreamMessage::Subscribed { .. }))
        .count();
    assert_eq!(subscribed, 3, "{acks:?}");

    // Three crossing pairs: three trades, Alice's three maker fills, a moving book.
    let mut book = FeedBook::default();
    acks.iter().for_each(|m| book.apply(m));
    let mut seen = Vec::new();
    for n in 1..=3 {
        seq.submit(&maker_ask(&alice, ONE_BTC / 10, n)).await;
        seq.submit(&taker_bid(&bob, ONE_BTC / 20, n)).await;
    }
    // Every message is applied until the rebuilt book is the served one and the three
    // trades are in (the feed reads the same durable views the book endpoint does).
    let served: BookDepth = seq.get(&format!("/v1/markets/{BTC}/book")).await;
    let target = sides_of(&served);
    for _ in 0..1_000 {
        let book_done = book.sides() == target;
        if book_done && trade_seqs(&seen).len() >= 3 {
            break;
        }
        let message = next(&mut socket).await;
        book.apply(&message);
        seen.push(message);
    }
    assert_eq!(book.sides(), target, "snapshot + deltas = the book");
    assert!(!book.asks.is_empty(), "the resting asks are in it");
    let trades = trade_seqs(&seen);
    assert_eq!(trades.len(), 3, "{seen:?}");
    assert!(
        trades.windows(2).all(|w| w[0] < w[1]),
        "in seq order: {trades:?}"
    );
    let fills = seen
        .iter()
        .filter(|m| matches!(m, StreamMessage::Fill { .. }))
        .count();
    assert_eq!(fills, 3, "alice's maker fills");

    // Disconnect; two more trades happen; resume from the last seq seen.
    drop(socket);
    for n in 4..=5 {
        seq.submit(&maker_ask(&alice, ONE_BTC / 10, n)).await;
        seq.submit(&taker_bid(&bob, ONE_BTC / 20, n)).await;
    }
    let last = *trades.last().expect("a trade");
    let mut socket = connect(&seq).await;
    subscribe(
        &mut socket,
        &Subscribe::Trades {
            market: BTC,
            since_seq: Some(last),
        },
    )
    .await;
    let mut resumed = Vec::new();
    let got = read_until(&mut socket, |m| {
        resumed.extend(trade_seqs(std::slice::from_ref(m)));
        resumed.len() >= 2
    })
    .await;
    assert!(matches!(got[0], StreamMessage::Subscribed { from: Some(f), .. } if f == last));
    let tape: protocol::api::history::TradesResponse =
        seq.get(&format!("/v1/markets/{BTC}/trades?limit=2")).await;
    let mut newest: Vec<u64> = tape.trades.iter().map(|t| t.seq).collect();
    newest.reverse();
    assert_eq!(resumed, newest, "exactly the missed trades, in order");

    // A malformed subscription is refused and the connection stays usable.
    socket
        .send(Message::Text("{\"subscribe\": \"candles\"}".into()))
        .await
        .expect("send");
    let refused = next(&mut socket).await;
    assert!(
        matches!(&refused, StreamMessage::Error { code, .. } if code == "invalid_subscription"),
        "{refused:?}"
    );
    subscribe(
        &mut socket,
        &Subscribe::Trades {
            market: 99,
            since_seq: None,
        },
    )
    .await;
    let unknown = next(&mut socket).await;
    assert!(
        matches!(&unknown, StreamMessage::Error { message, .. } if message.contains("no market 99")),
        "{unknown:?}"
    );
    // A cursor past the journal's largest integer names nothing: refused with the bound.
    let past = 1u64 << 63;
    for (request, field) in [
        (
            Subscribe::Trades {
                market: BTC,
                since_seq: Some(past),
            },
            "since_seq",
        ),
        (
            Subscribe::Batches {
                since_index: Some(past),
                since_event: None,
            },
            "since_index",
        ),
    ] {
        subscribe(&mut socket, &request).await;
        let refused = next(&mut socket).await;
        assert!(
            matches!(&refused, StreamMessage::Error { code, message }
                if code == "invalid_subscription"
                    && message.starts_with(&format!("{field}: {past} is above {}", i64::MAX))),
            "{refused:?}"
        );
    }
    subscribe(
        &mut socket,
        &Subscribe::Batches {
            since_index: None,
            since_event: None,
        },
    )
    .await;
    assert!(matches!(
        next(&mut socket).await,
        StreamMessage::Subscribed { .. }
    ));
    seq.submit(&maker_ask(&alice, ONE_BTC / 10, 6)).await;
    let batches = read_until(&mut socket, |m| matches!(m, StreamMessage::Batch { .. })).await;
    let Some(StreamMessage::Batch { batch, .. }) = batches.last() else {
        panic!("{batches:?}");
    };
    let status = seq.status().await;
    assert!(
        Some(batch.index) <= status.last_sealed.map(|i| i + 1),
        "{batch:?}"
    );
    drop(socket);
    seq.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markets_stream_their_state_and_each_change() {
    let (_l1, seq) = funded_pair(|_| {}).await;
    let mut socket = connect(&seq).await;
    subscribe(&mut socket, &Subscribe::Markets).await;
    assert!(matches!(
        next(&mut socket).await,
        StreamMessage::Subscribed { .. }
    ));
    let count = genesis().markets.len();
    let mut first = Vec::new();
    for _ in 0..count {
        match next(&mut socket).await {
            StreamMessage::Market { market, .. } => first.push(market),
            other => panic!("{other:?}"),
        }
    }
    let listed: protocol::api::sequencer::MarketsResponse = seq.get("/v1/markets").await;
    assert_eq!(
        first, listed.markets,
        "every market, as /v1/markets lists it"
    );
    // A new price moves BTC's mark: that market comes again, with it.
    seq.submit(&price(BTC, BTC_PRICE + 1_000_000)).await;
    let moved = read_until(&mut socket, |m| {
        matches!(m, StreamMessage::Market { market, .. } if market.mark_price == BTC_PRICE + 1_000_000)
    })
    .await;
    let Some(StreamMessage::Market { market, .. }) = moved.last() else {
        panic!("{moved:?}");
    };
    assert_eq!(market.params.id, BTC);
    seq.stop().await;
}

/// Trades on the tape before the slow reader subscribes: 64 replays of them are far more
/// than the sockets' buffers hold (a trade message is ~170 bytes; loopback send buffers
/// grow to a few MB at most), so the server must block on the reader.
const SLOW_TRADES: u64 = 600;

/// A feed client whose socket receives into a 4 KiB buffer and that never reads.
async fn connect_never_reading(seq: &Seq) -> Socket {
    let url = format!("{}/v1/stream", seq.url.replacen("http", "ws", 1));
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4_096).expect("SO_RCVBUF");
    let addr = seq.url.trim_start_matches("http://").parse().expect("addr");
    let stream = socket.connect(addr).await.expect("connect");
    let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
    tokio_tungstenite::client_async(url, stream)
        .await
        .expect("a WebSocket")
        .0
}

/// `SLOW_TRADES` one-unit trades, submitted in bulk (maker ask, then the taker's bid).
async fn tape_of_small_trades(seq: &Seq) {
    let (alice, bob) = (alice(), bob());
    for chunk in (1..=SLOW_TRADES).collect::<Vec<_>>().chunks(200) {
        let mut actions = Vec::new();
        for &n in chunk {
            actions.push(maker_ask(&alice, 1, n));
            actions.push(taker_bid(&bob, 1, n));
        }
        let (status, body) = seq.post("/v1/txs", &actions).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["rejected"], 0, "{body}");
    }
}

/// A subscriber that never reads is closed and counted as too slow, and the server keeps
/// no backlog for it (what reaches it is the sockets' buffers, not the 64 replays it asked
/// for), while a reading subscriber on the same feed keeps getting trades.
#[tokio::test]
async fn a_subscriber_that_never_reads_is_dropped_and_holds_no_backlog() {
    let (_l1, seq) = funded_pair(|_| {}).await;
    tape_of_small_trades(&seq).await;

    let mut reader = connect(&seq).await;
    let live = Subscribe::Trades {
        market: BTC,
        since_seq: None,
    };
    subscribe(&mut reader, &live).await;
    read_until(&mut reader, |m| {
        matches!(m, StreamMessage::Subscribed { .. })
    })
    .await;

    let bound = sequencer::http::MAX_STREAM_SUBSCRIPTIONS;
    let mut slow = connect_never_reading(&seq).await;
    let replay = Subscribe::Trades {
        market: BTC,
        since_seq: Some(0),
    };
    for _ in 0..bound {
        subscribe(&mut slow, &replay).await;
    }

    // The reader keeps up with the live tape while the slow session is stuck.
    seq.submit(&maker_ask(&alice(), 1, SLOW_TRADES + 1)).await;
    let taken = seq.submit(&taker_bid(&bob(), 1, SLOW_TRADES + 1)).await;
    let seen = read_until(&mut reader, |m| matches!(m, StreamMessage::Trade { .. })).await;
    assert_eq!(trade_seqs(&seen), vec![taken.seq]);

    wait_for(
        "the slow session to be dropped",
        Duration::from_secs(30),
        || async {
            let (_, body) = seq.get_raw("/metrics").await;
            let text = body.as_str().unwrap_or_default().to_string();
            text.contains("vigil_seq_feed_dropped_slow_total 1")
                .then_some(())
        },
    )
    .await;

    // What the slow client finds when it finally reads: whatever the buffers held, then
    // the end of the connection, never the whole replay it asked for.
    let asked = bound as u64 * (SLOW_TRADES + 1);
    let mut trades = 0u64;
    for _ in 0..=asked {
        match tokio::time::timeout(Duration::from_secs(10), slow.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                let message: StreamMessage = serde_json::from_str(&text).expect("a message");
                trades += u64::from(matches!(message, StreamMessage::Trade { .. }));
            }
            Ok(Some(Ok(Message::Close(_)) | Err(_)) | None) => break,
            Ok(Some(Ok(_))) => {}
            Err(_) => panic!("the dropped session's socket stayed open"),
        }
    }
    assert!(
        trades < asked / 2,
        "{trades} of {asked} trades were buffered for a reader that never read"
    );
    drop((reader, slow));
    seq.stop().await;
}

/// A session holds at most `MAX_STREAM_SUBSCRIPTIONS` subscriptions; one more is refused
/// with a reason and the connection stays usable.
#[tokio::test]
async fn a_session_holds_a_bounded_number_of_subscriptions() {
    let (_l1, seq) = funded_pair(|_| {}).await;
    let bound = sequencer::http::MAX_STREAM_SUBSCRIPTIONS;
    let mut greedy = connect(&seq).await;
    for _ in 0..=bound {
        subscribe(
            &mut greedy,
            &Subscribe::Trades {
                market: BTC,
                since_seq: None,
            },
        )
        .await;
    }
    let seen = read_until(&mut greedy, |m| matches!(m, StreamMessage::Error { .. })).await;
    let subscribed = seen
        .iter()
        .filter(|m| matches!(m, StreamMessage::Subscribed { .. }))
        .count();
    assert_eq!(subscribed, bound, "{seen:?}");
    assert!(
        matches!(seen.last(), Some(StreamMessage::Error { code, .. }) if code == "too_many_subscriptions"),
        "{seen:?}"
    );
    drop(greedy);
    seq.stop().await;
}

/// The order events in `messages`: (seq, nonce, event, size, reason).
fn order_events(messages: &[StreamMessage]) -> Vec<(u64, u64, OrderEvent, u64, Option<String>)> {
    messages
        .iter()
        .filter_map(|m| match m {
            StreamMessage::Order { order: o, .. } => {
                Some((o.seq, o.nonce, o.event, o.size, o.reason.clone()))
            }
            _ => None,
        })
        .collect()
}

/// Subscribes `account`'s orders from `since_seq` on a fresh connection and reads until
/// `count` order events came; returns them.
async fn orders_from(
    seq: &Seq,
    account: protocol::primitives::Address,
    since_seq: Option<u64>,
    count: usize,
) -> Vec<(u64, u64, OrderEvent, u64, Option<String>)> {
    let mut socket = connect(seq).await;
    let request = Subscribe::Orders { account, since_seq };
    subscribe(&mut socket, &request).await;
    let mut seen = Vec::new();
    for _ in 0..1_000 {
        if order_events(&seen).len() >= count {
            break;
        }
        seen.push(next(&mut socket).await);
    }
    order_events(&seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accounts_orders_and_withdrawals_stream_and_resume_by_seq() {
    let (_l1, seq) = funded_pair(|_| {}).await;
    let (alice, bob) = (alice(), bob());
    let a = addr(&alice);
    let mut socket = connect(&seq).await;
    subscribe(
        &mut socket,
        &Subscribe::Orders {
            account: a,
            since_seq: None,
        },
    )
    .await;
    subscribe(
        &mut socket,
        &Subscribe::Withdrawals {
            account: a,
            since_seq: None,
            since_event: None,
        },
    )
    .await;
    let acks = read_until(&mut socket, |m| {
        matches!(
            m,
            StreamMessage::Subscribed {
                subscription: Subscribe::Withdrawals { .. },
                ..
            }
        )
    })
    .await;
    assert_eq!(acks.len(), 2, "{acks:?}");

    // Alice rests an ask, Bob takes half, Alice cancels the rest, then withdraws.
    seq.submit(&maker_ask(&alice, ONE_BTC / 10, 1)).await;
    seq.submit(&taker_bid(&bob, ONE_BTC / 20, 1)).await;
    let cancel = Cancel {
        account: a,
        market: BTC,
        order_nonce: 1,
        nonce: 2,
        expires_at: FAR,
    };
    seq.submit(&sign(&alice, Action::Cancel(cancel))).await;
    seq.submit(&withdraw(&alice, 1_000_000, 3)).await;
    let seen = read_until(&mut socket, |m| {
        matches!(m, StreamMessage::Withdrawal { .. })
    })
    .await;

    let events = order_events(&seen);
    let kinds: Vec<(u64, OrderEvent, u64, Option<String>)> = events
        .iter()
        .map(|(_, nonce, event, size, reason)| (*nonce, *event, *size, reason.clone()))
        .collect();
    assert_eq!(
        kinds,
        [
            (1, OrderEvent::Placed, ONE_BTC / 10, None),
            (1, OrderEvent::Filled, ONE_BTC / 20, None),
            (
                1,
                OrderEvent::Cancelled,
                ONE_BTC / 20,
                Some("user".to_string())
            ),
        ],
        "{seen:?}"
    );
    assert!(
        events.windows(2).all(|w| w[0].0 < w[1].0),
        "one seq each, in order: {events:?}"
    );
    let filled_as_maker = seen.iter().any(
        |m| matches!(m, StreamMessage::Order { order, .. } if order.role == Some(Role::Maker)),
    );
    assert!(filled_as_maker, "{seen:?}");
    let withdrawal = seen.iter().find_map(|m| match m {
        StreamMessage::Withdrawal { withdrawal, .. } => Some(withdrawal.clone()),
        _ => None,
    });
    let withdrawal = withdrawal.expect("the withdrawal");
    assert_eq!(withdrawal.amount, 1_000_000);
    assert!(
        withdrawal.seq > events[2].0,
        "after the cancel: {withdrawal:?}"
    );

    // From the start, every event once; resumed after the placement, the rest only.
    assert_eq!(orders_from(&seq, a, Some(0), 3).await, events);
    assert_eq!(
        orders_from(&seq, a, Some(events[0].0), 2).await,
        events[1..]
    );
    // Bob's feed carries his own order, not Alice's.
    let bobs = orders_from(&seq, addr(&bob), Some(0), 2).await;
    assert_eq!(
        bobs.iter().map(|e| (e.1, e.2)).collect::<Vec<_>>(),
        [(1, OrderEvent::Placed), (1, OrderEvent::Filled)]
    );
}

/// The `account` messages among `messages`: (`seq`, view).
fn account_views(messages: &[StreamMessage]) -> Vec<(u64, protocol::api::sequencer::AccountBody)> {
    messages
        .iter()
        .filter_map(|m| match m {
            StreamMessage::Account { seq, account } => Some((*seq, account.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accounts_view_streams_on_each_change_and_only_then() {
    let (l1, seq) = funded_pair(|_| {}).await;
    let (alice, bob) = (alice(), bob());
    let a = addr(&alice);
    let mut socket = connect(&seq).await;
    subscribe(&mut socket, &Subscribe::Account { account: a }).await;
    let first = read_until(&mut socket, |m| matches!(m, StreamMessage::Account { .. })).await;
    assert!(
        matches!(first[0], StreamMessage::Subscribed { from: None, .. }),
        "{first:?}"
    );
    let mut views = account_views(&first);
    let served: protocol::api::sequencer::AccountBody = seq.get(&format!("/v1/accounts/{a}")).await;
    assert_eq!(views[0].1.account.address, a);
    assert_eq!(views[0].1.account.collateral, served.account.collateral);
    assert_eq!(views[0].1.account.collateral, i128::from(DEPOSIT));

    // Bob's bid far below the market leaves Alice's view alone; her own ask changes it:
    // one message, after both.
    let far_bid = order(
        &bob,
        true,
        BTC_PRICE / 100 * 95,
        ONE_BTC / 10,
        TimeInForce::Gtc,
        1,
    );
    let bobs = seq.submit(&far_bid).await;
    let alices = seq.submit(&maker_ask(&alice, ONE_BTC / 10, 1)).await;
    let got = read_until(&mut socket, |m| matches!(m, StreamMessage::Account { .. })).await;
    let resting = account_views(&got);
    assert_eq!(resting.len(), 1, "{got:?}");
    assert!(
        resting[0].0 > alices.seq && alices.seq > bobs.seq,
        "{resting:?}"
    );
    assert_eq!(resting[0].1.account.open_orders.len(), 1);
    views.extend(resting);

    // A fill (a position) and a deposit (more collateral) each come as a change.
    seq.submit(&taker_bid(&bob, ONE_BTC / 20, 2)).await;
    let got = read_until(&mut socket, |m| {
        matches!(m, StreamMessage::Account { account, .. } if !account.account.positions.is_empty())
    })
    .await;
    views.extend(account_views(&got));
    let before = views.last().expect("a view").1.account.collateral;
    l1.deposit(&alice, 5_000_000).await;
    let got = read_until(&mut socket, |m| {
        matches!(m, StreamMessage::Account { account, .. }
            if account.account.collateral == before + 5_000_000)
    })
    .await;
    views.extend(account_views(&got));
    let served: protocol::api::sequencer::AccountBody = seq.get(&format!("/v1/accounts/{a}")).await;
    let last = &views.last().expect("a view").1.account;
    assert_eq!(
        (last.collateral, &last.positions, &last.open_orders),
        (
            served.account.collateral,
            &served.account.positions,
            &served.account.open_orders
        ),
        "the last view is the served one"
    );
    assert!(
        views
            .windows(2)
            .all(|w| w[0].1 != w[1].1 && w[0].0 < w[1].0),
        "never the same view twice in a row, seq rising: {views:?}"
    );
    seq.stop().await;
}
