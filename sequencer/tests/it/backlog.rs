//! A backlog of sealed batches (the sequencer could not post while it was unbonded) drains
//! in a bounded number of posting rounds and settlement-layer requests once it can post:
//! about one request per batch, not several round trips per batch.
//! Counted, not timed (`cargo bench -p sequencer --bench posting` times a larger one).

use crate::support::l1::L1;
use crate::support::seq::Seq;
use crate::support::*;
use protocol::api::settlement::BondCall;
use std::time::Duration;

/// A counter or gauge of the sequencer's `/metrics`.
async fn metric(seq: &Seq, name: &str) -> i64 {
    let (status, body) = seq.get_raw("/metrics").await;
    assert_eq!(status, 200);
    let text = body.as_str().expect("metrics are text").to_string();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|v| v as i64)
        .unwrap_or_else(|| panic!("{name} in /metrics"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_of_batches_drains_in_bounded_rounds_and_requests() {
    const BATCHES: u64 = 60;
    let mut l1 = L1::start().await;
    // One transaction per batch, and posting refused until it bonds.
    let seq = Seq::start_with(&l1, |c| {
        c.auto_bond = false;
        c.keeper_interval = None;
        c.batch_max_txs = 1;
    })
    .await;
    let mut last = None;
    for n in 0..BATCHES {
        let accepted = seq.submit(&price(BTC, BTC_PRICE + n)).await;
        last = Some(accepted.batch_index);
    }
    let last = last.expect("batches");
    // Sealed and audited (posting waits for the audit, which is not what is counted).
    wait_for(
        "the backlog to be sealed and audited",
        Duration::from_secs(30),
        || async { (metric(&seq, "vigil_seq_audited_batch").await >= last as i64).then_some(()) },
    )
    .await;
    assert_eq!(seq.status().await.last_posted, None, "nothing could post");
    let rounds_before = metric(&seq, "vigil_seq_posting_rounds_total").await;
    let requests_before = metric(&seq, "vigil_seq_posting_requests_total").await;

    let (status, body) = l1
        .call("/v1/bond", &sequencer_key(), BondCall { amount: 1_000 })
        .await;
    assert_eq!(status, 200, "bond: {body}");
    wait_for(
        "the backlog to be posted",
        Duration::from_secs(60),
        || async { (seq.status().await.last_posted >= Some(last)).then_some(()) },
    )
    .await;
    let rounds = metric(&seq, "vigil_seq_posting_rounds_total").await - rounds_before;
    let requests = metric(&seq, "vigil_seq_posting_requests_total").await - requests_before;
    let batches = last as i64 + 1;
    // The round that meets the bond drains it all (one more may post the last few if a
    // wake-up raced it); the rounds after it only follow what was posted (two reads each),
    // so the requests stay under two per batch (it was three: nonce, post, revert check).
    assert!(rounds <= 2, "{rounds} posting rounds for {batches} batches");
    assert!(
        requests < 2 * batches,
        "{requests} settlement-layer requests for {batches} batches in {rounds} rounds"
    );
    seq.stop().await;
    l1.shutdown().await;
}
