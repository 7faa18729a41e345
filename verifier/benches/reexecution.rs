//! `cargo bench -p verifier`: the verifier's re-execution rate (actions per second,
//! signature recovery included) through the real core (`Follower::apply` on a
//! `batch_posted` event: decode, shape and queue checks, chunked re-execution with a
//! checkpoint comparison per chunk), with signatures recovered on one thread and on every
//! core, each next to the k256 recovery rate of one core for the same signatures measured
//! in the same run. These machines are shared and noisy, so the ratios are the numbers
//! that carry over between runs.
//!
//! Run without `--bench` (as `cargo test --benches` does) it does one small round, so the
//! code stays exercised without costing test time.

use protocol::action::{L1Message, Tx};
use protocol::api::settlement::{Event, EventKind};
use protocol::api::verifier::Mode;
use protocol::batch::{Batch, Draft, genesis_anchor, genesis_tree};
use protocol::codec::Encode;
use protocol::primitives::{Address, H256};
use protocol::signing::{recover_signer, signing_digest};
use protocol::tree::Tree;
use protocol::workload::Workload;
use std::hint::black_box;
use std::time::{Duration, Instant};
use verifier::core::{Finding, Follower, Snapshot};

const T0_MS: u64 = 1_700_000_000_000;

/// An honest batch sealed on `pre` (what a correct sequencer posts).
fn seal(
    w: &Workload,
    index: u64,
    prev: H256,
    pre: &Tree,
    queue_start: u64,
    txs: Vec<Tx>,
) -> (Batch, Tree) {
    let draft = Draft {
        index,
        prev_header_hash: prev,
        timestamp_ms: T0_MS,
        queue_start,
    };
    let mut post = pre.clone();
    let (batch, _) = Batch::execute_and_seal(&mut post, &w.genesis, draft, txs).expect("full tree");
    (batch, post)
}

fn posted(seq: u64, batch: &Batch) -> Event {
    Event {
        seq,
        block: seq,
        timestamp_ms: T0_MS,
        event: EventKind::BatchPosted {
            submission_id: batch.header.index + 1,
            index: batch.header.index,
            header_hash: batch.header.hash(),
            poster: Address([5; 20]),
            deadline_block: seq + 20,
            data: batch.encode(),
        },
    }
}

/// A snapshot anchored after a finalized setup batch (deposits and prices), and the event
/// posting a batch of `n` workload actions on top of it.
fn fixture(traders: usize, n: usize) -> (Workload, Snapshot, Event) {
    let mut w = Workload::new(7, traders);
    let mut events = Vec::new();
    let deposits = w.deposits(1_000_000_000_000);
    for tx in &deposits {
        if let Tx::L1 {
            queue_index,
            message: L1Message::Deposit { account, amount },
        } = tx
        {
            events.push(EventKind::Deposited {
                queue_index: *queue_index,
                from: *account,
                account: *account,
                amount: *amount,
            });
        }
    }
    let queue_end = deposits.len() as u64;
    let mut setup = deposits;
    setup.extend(w.price_updates(T0_MS));
    let genesis_state = genesis_tree(&w.genesis);
    let (b0, s0) = seal(&w, 0, genesis_anchor(&w.genesis), &genesis_state, 0, setup);
    let txs: Vec<Tx> = (0..n).map(|_| w.next_tx(T0_MS)).collect();
    let (b1, _) = seal(&w, 1, b0.header.hash(), &s0, queue_end, txs);

    let mut core = Follower::restore(
        w.genesis.clone(),
        Mode::Watch,
        None,
        Snapshot::at_genesis(&w.genesis),
    )
    .expect("genesis restores");
    let mut seq = 0;
    let mut apply = |core: &mut Follower, event: EventKind| {
        seq += 1;
        core.apply(&Event {
            seq,
            block: seq,
            timestamp_ms: T0_MS,
            event,
        })
        .expect("in order");
    };
    for event in events {
        apply(&mut core, event);
    }
    apply(&mut core, posted(0, &b0).event);
    apply(
        &mut core,
        EventKind::BatchFinalized {
            index: 0,
            submission_id: 1,
            header_hash: b0.header.hash(),
            post_state_root: s0.root(),
        },
    );
    assert_eq!(
        core.anchor().index,
        Some(0),
        "the setup batch is the anchor"
    );
    (w, core.snapshot(), posted(seq + 1, &b1))
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (traders, n, rounds) = if full { (200, 2_000, 7) } else { (8, 40, 1) };
    let (w, snapshot, event) = fixture(traders, n);
    let genesis = w.genesis.clone();

    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let measure = |workers: usize| {
        let mut samples = Vec::new();
        for _ in 0..rounds {
            let mut core = Follower::restore(genesis.clone(), Mode::Watch, None, snapshot.clone())
                .expect("snapshot restores");
            core.set_signature_workers(workers);
            core.take_outputs();
            let started = Instant::now();
            core.apply(&event).expect("in order");
            samples.push(started.elapsed());
            let out = core.take_outputs();
            assert_eq!(out.actions_executed, n as u64);
            assert!(
                out.findings
                    .iter()
                    .any(|(_, f)| matches!(f, Finding::BatchVerified { .. })),
                "the batch is verified honest"
            );
        }
        n as f64 / median(samples).as_secs_f64()
    };
    let serial = measure(1);
    let parallel = measure(cores);

    let EventKind::BatchPosted { data, .. } = &event.event else {
        unreachable!("built as a batch_posted event")
    };
    let batch = <Batch as protocol::codec::Decode>::decode(data).expect("decodes");
    let domain = w.domain();
    let signatures: Vec<_> = batch
        .txs
        .iter()
        .filter_map(|tx| match tx {
            Tx::User { action } => {
                Some((signing_digest(&action.action, &domain), action.signature))
            }
            Tx::L1 { .. } => None,
        })
        .collect();
    let mut recovery = Vec::new();
    for _ in 0..rounds {
        let started = Instant::now();
        for (digest, signature) in &signatures {
            black_box(recover_signer(digest, signature).expect("valid signature"));
        }
        recovery.push(started.elapsed());
    }

    let recoveries_per_s = signatures.len() as f64 / median(recovery).as_secs_f64();
    println!(
        "verifier re-execution ({n} actions, {traders} traders, K = {}, median of {rounds}):",
        genesis.checkpoint_interval_txs
    );
    for (label, rate) in [
        ("signatures on 1 thread", serial),
        (&*format!("signatures on {cores} threads"), parallel),
    ] {
        println!(
            "  re-execution, {label:<24} {rate:>9.0} actions/s  ({:>6.1} µs/action)  = {:.2} × one core's recoveries/s",
            1e6 / rate,
            rate / recoveries_per_s
        );
    }
    println!(
        "  k256 recover_signer, same run, one core: {recoveries_per_s:>7.0} recoveries/s ({:.1} µs each)",
        1e6 / recoveries_per_s
    );
}
