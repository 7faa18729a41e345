//! Admission under a flood: clients post bulk requests back to back, far beyond what the
//! queue-wait budget admits, while one honest trader places an order every 100 ms. Every
//! honest order is accepted (a bulk beyond its connection's fair share may fill only the
//! first budget; the reserve behind it is for requests within their share, such as a single
//! order), the flood is shed with 503 `overloaded` carrying `Retry-After`, and what the
//! flood got in was answered; so with 8 flooding connections and with 32. And one account
//! flooding with many connections of small requests is held to its fair share of the
//! queue, so an honest trader on another account still gets every order in; and many
//! accounts each sending small requests (within their share) are all served in turn, none
//! shed and none starved. Latency
//! figures are printed, not asserted: they are measured by `cargo bench -p client --bench
//! pipeline` (its flood row) and `vigil bench`, not by tests on a shared machine.

use crate::support::seq::Seq;
use crate::support::*;
use protocol::action::TimeInForce;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const HONEST_ORDERS: u64 = 20;

/// One flooder's tally.
#[derive(Debug, Default)]
struct Tally {
    accepted: u64,
    shed: u64,
    slowest_shed: Duration,
    /// The message of the last 503: why the flood was shed.
    why: String,
}

impl Tally {
    fn add(mut self, other: Tally) -> Tally {
        self.accepted += other.accepted;
        self.shed += other.shed;
        self.slowest_shed = self.slowest_shed.max(other.slowest_shed);
        if !other.why.is_empty() {
            self.why = other.why;
        }
        self
    }
}

/// A bulk request of `n` one-lot IOC bids by `key`, nonces from `first_nonce`.
fn bulk(key: &k256::ecdsa::SigningKey, first_nonce: u64, n: u64) -> Vec<u8> {
    let actions: Vec<_> = (0..n)
        .map(|i| {
            order(
                key,
                true,
                BTC_PRICE / 2,
                1,
                TimeInForce::Ioc,
                first_nonce + i,
            )
        })
        .collect();
    serde_json::to_vec(&actions).expect("json")
}

/// Posts `body` to `/v1/txs` back to back until `stop`; counts the answers.
async fn flood(url: String, body: Vec<u8>, stop: Arc<AtomicBool>) -> Tally {
    let http = reqwest::Client::new();
    let mut tally = Tally::default();
    // Bounded: at most 10,000 requests, and it stops with the honest client.
    for _ in 0..10_000 {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let started = Instant::now();
        let response = test_support::json_post(&http, format!("{url}/v1/txs"), body.clone())
            .send()
            .await
            .expect("POST /v1/txs");
        match response.status().as_u16() {
            200 => tally.accepted += 1,
            503 => {
                assert_eq!(
                    response.headers().get("retry-after").map(|v| v.as_bytes()),
                    Some(&b"1"[..]),
                    "a shed request is told when to retry"
                );
                tally.shed += 1;
                tally.slowest_shed = tally.slowest_shed.max(started.elapsed());
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                tally.why = body["message"].as_str().unwrap_or_default().to_string();
            }
            other => panic!("flood request answered {other}"),
        }
    }
    tally
}

/// Joins the flooders: each one's tally, in the order they were started.
async fn tallies(flooders: Vec<tokio::task::JoinHandle<Tally>>) -> Vec<Tally> {
    let mut each = Vec::new();
    for f in flooders {
        each.push(f.await.expect("flooder"));
    }
    each
}

/// The flooders' tallies added up.
fn total(each: Vec<Tally>) -> Tally {
    each.into_iter().fold(Tally::default(), Tally::add)
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

/// One flooding connection per body, each posting it over and over, while the honest
/// trader places its paced orders; the honest latencies and what each flooder got.
async fn honest_during_flood(
    seq: &Seq,
    honest: &k256::ecdsa::SigningKey,
    bodies: Vec<Vec<u8>>,
) -> (Vec<Duration>, Vec<Tally>) {
    let stop = Arc::new(AtomicBool::new(false));
    let flooders = bodies
        .into_iter()
        .map(|body| tokio::spawn(flood(seq.url.clone(), body, stop.clone())))
        .collect();
    let latencies = honest_orders(seq, honest).await;
    stop.store(true, Ordering::Relaxed);
    (latencies, tallies(flooders).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_account_flooding_small_requests_gets_its_share_and_no_more() {
    let (mut l1, seq) = funded_pair(tight_queue).await;
    let honest = alice();

    // 64 connections × 16 actions of one account: twice the whole budget, all "small".
    let flooder = key(200);
    let bodies = (0..64u64).map(|c| bulk(&flooder, c * 16 + 1, 16)).collect();
    let (latencies, each) = honest_during_flood(&seq, &honest, bodies).await;
    let Tally {
        accepted,
        shed,
        why,
        ..
    } = total(each);
    assert!(shed > 0, "the flooding account was held to its share");
    assert!(accepted > 0, "its share got in");
    let account = addr(&flooder).to_string();
    assert!(
        why.contains("fair share") && why.to_lowercase().contains(&account.to_lowercase()),
        "the refusal names the account and its share: {why}"
    );
    eprintln!(
        "honest: {HONEST_ORDERS}/{HONEST_ORDERS} accepted, p50 {:?}, max {:?}; one flooding account: {accepted} requests accepted, {shed} shed",
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
    seq.stop().await;
    l1.shutdown().await;
}

/// `flooders` connections (one account each) post bulks of `size` while alice trades.
async fn bulk_flood(flooders: u64, size: u64) {
    let (mut l1, seq) = funded_pair(tight_queue).await;
    let honest = alice();

    let bodies = (0..flooders)
        .map(|f| bulk(&key(100 + f), 1, size))
        .collect();
    let (latencies, each) = honest_during_flood(&seq, &honest, bodies).await;
    let Tally {
        accepted,
        shed,
        slowest_shed,
        why,
    } = total(each);
    assert!(shed > 0, "the flood exceeded the budget and was shed");
    assert!(accepted > 0, "what the flood got in was answered");
    // Shed for the queue's budget or for one flooder's share of it: either names why.
    let named = why.contains("queue is full") || why.contains("fair share");
    assert!(named, "the refusal says why: {why}");
    eprintln!(
        "{flooders} connections × {size}: honest {HONEST_ORDERS}/{HONEST_ORDERS} accepted, p50 {:?}, max {:?}; flood: {accepted} bulk requests accepted, {shed} shed, slowest 503 {slowest_shed:?}",
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
    seq.stop().await;
    l1.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honest_orders_get_in_while_a_bulk_flood_is_shed() {
    bulk_flood(8, 256).await;
}

/// Many connections with one request each in flight: each bulk of 64 is beyond its
/// connection's share (the budget of 512 split 33 ways), so the honest single orders
/// always find the reserve however the flood's requests interleave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_light_connection_is_not_starved_by_32_heavy_ones() {
    bulk_flood(32, 64).await;
}

/// Many accounts, each with one small request at a time on its own connection: every
/// request is within its connection's share of the budget, and all of them together stay
/// under it, so none is shed; the queue serves the connections in turn, so every flooder
/// gets requests in, none is starved by the others, and the honest trader's paced orders
/// all get in among them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_accounts_sending_small_requests_are_served_in_turn() {
    let (mut l1, seq) = funded_pair(tight_queue).await;
    let honest = alice();

    // 64 connections × 4 actions, one account each: 256 in flight against a budget of 512.
    let bodies = (0..64u64).map(|f| bulk(&key(300 + f), 1, 4)).collect();
    let (latencies, each) = honest_during_flood(&seq, &honest, bodies).await;
    let served: Vec<u64> = each.iter().map(|t| t.accepted).collect();
    let (fewest, most) = (served.iter().min().unwrap(), served.iter().max().unwrap());
    let Tally {
        accepted,
        shed,
        why: total_why,
        ..
    } = total(each);
    let why = &total_why;
    assert_eq!(shed, 0, "requests within their share are never shed: {why}");
    assert!(*fewest > 0, "no small client is starved: {served:?}");
    // Served in turn: no connection gets twice another's requests in.
    assert!(
        most <= &(fewest * 2),
        "connections served unevenly: {served:?}"
    );
    eprintln!(
        "64 accounts × 4: honest {HONEST_ORDERS}/{HONEST_ORDERS} accepted, p50 {:?}, max {:?}; flood: {accepted} requests accepted, per connection {fewest}..{most}",
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
    seq.stop().await;
    l1.shutdown().await;
}
