//! Admission under a flood: eight clients post bulk requests back to back, far beyond what
//! the queue-wait budget admits, while one honest trader places an order every 100 ms.
//! Every honest order is accepted (the last quarter of the budget is kept for small
//! requests), the flood is shed with 503 `overloaded` carrying `Retry-After`, and what the
//! flood got in was answered. And one account flooding with many connections of small
//! requests (each may use the whole budget) is held to its fair share of the queue, so an
//! honest trader on another account still gets every order in. Latency figures are printed, not asserted: they are measured
//! by `vigil bench`, not by tests on a shared machine.

use crate::support::seq::Seq;
use crate::support::*;
use protocol::action::TimeInForce;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const FLOODERS: u64 = 8;
const BULK: u64 = 256;
const HONEST_ORDERS: u64 = 20;

/// One flooder's tally: (accepted requests, shed requests, slowest shed answer).
type Tally = (u64, u64, Duration);

async fn flood(url: String, body: Vec<u8>, stop: Arc<AtomicBool>) -> Tally {
    let http = reqwest::Client::new();
    let (mut accepted, mut shed, mut slowest_shed) = (0, 0, Duration::ZERO);
    // Bounded: at most 10,000 requests, and it stops with the honest client.
    for _ in 0..10_000 {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let started = Instant::now();
        let response = http
            .post(format!("{url}/v1/txs"))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("POST /v1/txs");
        match response.status().as_u16() {
            200 => accepted += 1,
            503 => {
                assert_eq!(
                    response.headers().get("retry-after").map(|v| v.as_bytes()),
                    Some(&b"1"[..]),
                    "a shed request is told when to retry"
                );
                shed += 1;
                slowest_shed = slowest_shed.max(started.elapsed());
            }
            other => panic!("flood request answered {other}"),
        }
    }
    (accepted, shed, slowest_shed)
}

/// A queue budget small enough for a test's flood: 20 ms of work, at least 512 actions.
fn tight_queue(c: &mut sequencer::Config) {
    c.limits.max_queue_wait = Duration::from_millis(20);
    c.limits.min_queue_budget_actions = 512;
}

/// The honest trader's paced orders, each of which must be accepted; their latencies.
async fn honest_orders(seq: &Seq, honest: &k256::ecdsa::SigningKey) -> Vec<Duration> {
    let mut latencies = Vec::new();
    let mut pace = tokio::time::interval(Duration::from_millis(100));
    for nonce in 1..=HONEST_ORDERS {
        pace.tick().await;
        let action = order(honest, true, BTC_PRICE, 1, TimeInForce::Ioc, nonce);
        let started = Instant::now();
        let body = serde_json::to_vec(&action).expect("json");
        let (status, answer) = seq.post_raw("/v1/tx", body).await;
        latencies.push(started.elapsed());
        assert_eq!(
            status, 200,
            "honest order {nonce} under the flood: {answer}"
        );
    }
    latencies.sort();
    latencies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_account_flooding_small_requests_gets_its_share_and_no_more() {
    let (mut l1, seq) = funded_pair(tight_queue).await;
    let honest = alice();

    // 64 connections × 16 actions of one account: twice the whole budget, all "small".
    let stop = Arc::new(AtomicBool::new(false));
    let flooder = key(200);
    let mut flooders = Vec::new();
    for c in 0..64u64 {
        let actions: Vec<_> = (0..16)
            .map(|n| {
                order(
                    &flooder,
                    true,
                    BTC_PRICE / 2,
                    1,
                    TimeInForce::Ioc,
                    c * 16 + n + 1,
                )
            })
            .collect();
        let body = serde_json::to_vec(&actions).expect("json");
        flooders.push(tokio::spawn(flood(seq.url.clone(), body, stop.clone())));
    }
    let latencies = honest_orders(&seq, &honest).await;
    stop.store(true, Ordering::Relaxed);
    let (mut accepted, mut shed) = (0, 0);
    for f in flooders {
        let (a, s, _) = f.await.expect("flooder");
        (accepted, shed) = (accepted + a, shed + s);
    }
    assert!(shed > 0, "the flooding account was held to its share");
    assert!(accepted > 0, "its share got in");
    // The refusal names the account and its share.
    let actions: Vec<_> = (0..16)
        .map(|n| {
            order(
                &flooder,
                true,
                BTC_PRICE / 2,
                1,
                TimeInForce::Ioc,
                9_000 + n,
            )
        })
        .collect();
    let (status, body) = seq
        .post_raw("/v1/txs", serde_json::to_vec(&actions).expect("json"))
        .await;
    assert!(status == 200 || status == 503, "{status} {body}");
    eprintln!(
        "honest: {HONEST_ORDERS}/{HONEST_ORDERS} accepted, p50 {:?}, max {:?}; one flooding account: {accepted} requests accepted, {shed} shed",
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
    seq.stop().await;
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honest_orders_get_in_while_a_bulk_flood_is_shed() {
    let (mut l1, seq) = funded_pair(tight_queue).await;
    let honest = alice();

    let stop = Arc::new(AtomicBool::new(false));
    let mut flooders = Vec::new();
    for f in 0..FLOODERS {
        let who = key(100 + f);
        let actions: Vec<_> = (0..BULK)
            .map(|n| order(&who, true, BTC_PRICE / 2, 1, TimeInForce::Ioc, n + 1))
            .collect();
        let body = serde_json::to_vec(&actions).expect("json");
        flooders.push(tokio::spawn(flood(seq.url.clone(), body, stop.clone())));
    }

    let latencies = honest_orders(&seq, &honest).await;
    stop.store(true, Ordering::Relaxed);

    let (mut accepted, mut shed, mut slowest_shed) = (0, 0, Duration::ZERO);
    for f in flooders {
        let (a, s, slow) = f.await.expect("flooder");
        (accepted, shed) = (accepted + a, shed + s);
        slowest_shed = slowest_shed.max(slow);
    }
    assert!(shed > 0, "the flood exceeded the budget and was shed");
    assert!(accepted > 0, "what the flood got in was answered");
    eprintln!(
        "honest: {HONEST_ORDERS}/{HONEST_ORDERS} accepted, p50 {:?}, max {:?}; flood: {accepted} bulk requests accepted, {shed} shed, slowest 503 {slowest_shed:?}",
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
    seq.stop().await;
    l1.shutdown().await;
}
