//! The streaming intake (`GET /v1/tx/ws`) over a real WebSocket on 127.0.0.1:0: each frame
//! gets what `POST /v1/tx` would have answered (status, receipt or error code), tagged with
//! its request id; accepted actions are durable when answered (the lookup finds them);
//! frames streamed without waiting are sequenced in the order sent; bad frames are refused
//! with a clear 400 and the connection stays usable; a session with many frames in flight
//! is held to its connection's fair share of the queue (503 naming it) while another
//! connection's order still gets in.

use crate::support::seq::Seq;
use crate::support::*;
use futures_util::{SinkExt, StreamExt};
use protocol::api::intake_ws::{WsAnswer, WsSubmit};
use protocol::api::sequencer::TxLookup;
use protocol::primitives::H256;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(seq: &Seq) -> Socket {
    let url = format!("{}/v1/tx/ws", seq.url.replacen("http", "ws", 1));
    tokio_tungstenite::connect_async(url)
        .await
        .expect("a WebSocket")
        .0
}

async fn send_text(socket: &mut Socket, text: String) {
    socket.send(Message::Text(text.into())).await.expect("send");
}

/// The next answer (pings skipped), bounded in time.
async fn next(socket: &mut Socket) -> WsAnswer {
    for _ in 0..100 {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("an answer within 10 s")
            .expect("the socket is open")
            .expect("a frame");
        if let Message::Text(text) = frame {
            return serde_json::from_str(&text).expect("an intake answer");
        }
    }
    panic!("only control frames");
}

/// What a case must be answered: the status and, for an error, its code.
struct Case {
    what: &'static str,
    frame: String,
    id: Option<u64>,
    status: u16,
    code: Option<&'static str>,
}

fn frame(id: u64, action: &protocol::action::SignedAction) -> String {
    serde_json::to_string(&WsSubmit {
        id,
        action: action.clone(),
    })
    .expect("json")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_frame_gets_the_post_answer_with_its_id_and_bad_frames_keep_the_socket() {
    let (_l1, seq) = funded_pair(|_| {}).await;
    let alice = alice();
    let ask = maker_ask(&alice, ONE_BTC / 10, 1);
    let cases = [
        Case {
            what: "a valid order",
            frame: frame(7, &ask),
            id: Some(7),
            status: 200,
            code: None,
        },
        Case {
            what: "the same order again (its nonce is used)",
            frame: frame(8, &ask),
            id: Some(8),
            status: 422,
            code: Some("nonce_already_used"),
        },
        Case {
            what: "an action without a signature",
            frame: r#"{"id": 9, "action": {"type": "order", "message": {}}}"#.into(),
            id: Some(9),
            status: 400,
            code: Some("malformed_action"),
        },
        Case {
            what: "a frame without an id",
            frame: serde_json::json!({ "action": ask }).to_string(),
            id: None,
            status: 400,
            code: Some("malformed_body"),
        },
        Case {
            what: "not JSON",
            frame: "{not json".into(),
            id: None,
            status: 400,
            code: Some("invalid_json"),
        },
    ];
    let mut socket = connect(&seq).await;
    for case in &cases {
        send_text(&mut socket, case.frame.clone()).await;
        let answer = next(&mut socket).await;
        assert_eq!(answer.id, case.id, "{}: {answer:?}", case.what);
        assert_eq!(answer.status, case.status, "{}: {answer:?}", case.what);
        let code = answer.error.as_ref().map(|e| e.code.as_str());
        assert_eq!(code, case.code, "{}: {answer:?}", case.what);
        if let Some(accepted) = answer.accepted {
            let lookup: TxLookup = seq.get(&format!("/v1/txs/{}", accepted.hash)).await;
            assert_eq!(lookup.receipt, accepted.receipt, "durable when answered");
        }
    }
    // The same order over POST gets the same refusal the socket gave.
    let (status, body) = seq.post("/v1/tx", &ask).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("nonce_already_used"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_frames_are_answered_once_each_and_sequenced_in_the_order_sent() {
    let (_l1, seq) = funded_pair(|_| {}).await;
    let alice = alice();
    let mut socket = connect(&seq).await;
    const N: u64 = 40;
    for i in 0..N {
        send_text(
            &mut socket,
            frame(100 + i, &maker_ask(&alice, ONE_BTC / 100, 10 + i)),
        )
        .await;
    }
    let mut answers: BTreeMap<u64, (u64, H256)> = BTreeMap::new();
    for _ in 0..N {
        let answer = next(&mut socket).await;
        let id = answer.id.expect("an id");
        let accepted = answer.into_result().expect("accepted");
        let first = answers.insert(id, (accepted.seq, accepted.hash));
        assert!(first.is_none(), "id {id} answered twice");
    }
    let ids: Vec<u64> = answers.keys().copied().collect();
    assert_eq!(ids, (100..100 + N).collect::<Vec<_>>(), "every id once");
    let seqs: Vec<u64> = answers.values().map(|(s, _)| *s).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "sequenced in the order sent: {seqs:?}"
    );
    // Durable: each is found by its hash.
    for (_, hash) in answers.values() {
        let (status, _) = seq.get_raw(&format!("/v1/txs/{hash}")).await;
        assert_eq!(status, 200, "{hash}");
    }
    // A binary frame is refused and the socket still takes orders.
    socket
        .send(Message::Binary(vec![1, 2, 3].into()))
        .await
        .expect("send");
    let refused = next(&mut socket).await;
    assert_eq!((refused.id, refused.status), (None, 400), "{refused:?}");
    send_text(&mut socket, frame(1, &maker_ask(&alice, ONE_BTC / 100, 99))).await;
    assert_eq!(next(&mut socket).await.status, 200);
}

/// A queue budget of 8 actions whatever the rate, so one session's burst passes its share.
fn tiny_queue(c: &mut sequencer::Config) {
    c.limits.max_queue_wait = Duration::from_millis(1);
    c.limits.min_queue_budget_actions = 8;
}

/// One burst of `n` frames (ids from `first_id`) on `socket`, then, on its own connection,
/// one POST of `other`; every frame's answer, and the POST's status.
async fn burst_beside_a_post(
    seq: &Seq,
    socket: &mut Socket,
    first_id: u64,
    n: u64,
    other: &protocol::action::SignedAction,
) -> (Vec<WsAnswer>, u16) {
    let alice = alice();
    for i in 0..n {
        let ask = maker_ask(&alice, ONE_BTC / 100, first_id + i);
        send_text(socket, frame(first_id + i, &ask)).await;
    }
    let (status, body) = seq.post("/v1/tx", other).await;
    assert_ne!(status, 503, "another connection keeps its share: {body}");
    let mut answers = Vec::new();
    for _ in 0..n {
        answers.push(next(socket).await);
    }
    (answers, status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_with_many_frames_in_flight_is_held_to_its_connection_share() {
    let (_l1, seq) = funded_pair(tiny_queue).await;
    let mut socket = connect(&seq).await;
    const BURST: u64 = 48;
    // Frames are read far faster than they become durable (a signature check each, then
    // an fsync), so a burst finds its own earlier frames queued. Bounded: five bursts.
    let mut share_refusals = 0;
    for round in 0..5u64 {
        let first_id = 1_000 + round * BURST;
        let other = maker_ask(&bob(), ONE_BTC / 100, 1 + round);
        let (answers, other_status) =
            burst_beside_a_post(&seq, &mut socket, first_id, BURST, &other).await;
        assert_eq!(
            other_status, 200,
            "round {round}: bob's order on its own connection"
        );
        let mut ids: Vec<u64> = answers.iter().filter_map(|a| a.id).collect();
        ids.sort_unstable();
        assert_eq!(
            ids,
            (first_id..first_id + BURST).collect::<Vec<_>>(),
            "each frame answered once"
        );
        for answer in &answers {
            match answer.status {
                200 => {}
                503 => {
                    let error = answer.error.as_ref().expect("an error body");
                    assert_eq!(error.code, "overloaded", "{answer:?}");
                    assert!(
                        error.message.contains("this connection already has")
                            && error.message.contains("fair share"),
                        "the refusal names the connection's share: {}",
                        error.message
                    );
                    share_refusals += 1;
                }
                other => panic!("frame answered {other}: {answer:?}"),
            }
        }
        if share_refusals > 0 {
            break;
        }
    }
    assert!(share_refusals > 0, "a burst beyond the share was refused");
    let (status, metrics) = seq.get_raw("/metrics").await;
    assert_eq!(status, 200);
    let metrics = metrics.as_str().expect("metrics are text");
    for family in [
        "vigil_seq_connection_queued_actions_bucket",
        "vigil_seq_top_connection_shed_requests{peer=",
        "vigil_seq_top_connection_admitted_actions{peer=",
    ] {
        assert!(metrics.contains(family), "/metrics has {family}");
    }
}
