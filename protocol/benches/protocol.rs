//! `cargo bench -p protocol`: the serial costs of the rulebook, each next to the machine's
//! own signature-recovery rate measured in the same run (these machines are shared and
//! noisy, so only ratios carry over between runs).
//!
//! Reports: k256 recoveries/s; STF actions/s with signatures excluded; hashes per touched
//! key and root-update time on a 100k-key tree; witness build and adjudication time and
//! witness size at 100,000 accounts. Criterion times each piece; a summary table follows.

// A benchmark reads the clock and reports rates as floats; the ban is for consensus code.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use criterion::{BatchSize, Criterion, criterion_group};
use protocol::action::Tx;
use protocol::batch::{Batch, Draft};
use protocol::engine::{self, BlockContext};
use protocol::fraud;
use protocol::primitives::{H256, keccak256};
use protocol::signing::recover_signer;
use protocol::state::State;
use protocol::tree::Tree;
use protocol::workload::Workload;
use std::hint::black_box;
use std::time::{Duration, Instant};

const T0_MS: u64 = 1_700_000_000_000;

/// A workload state: traders deposited, prices set, and a stream of pre-verified txs.
struct Fixture {
    workload: Workload,
    tree: Tree,
    txs: Vec<protocol::workload::VerifiedTx>,
}

fn fixture(traders: usize, txs: usize) -> Fixture {
    let mut workload = Workload::new(7, traders);
    let (tree, txs) = workload.funded_stream(1_000_000_000_000, T0_MS, txs);
    Fixture {
        workload,
        tree,
        txs,
    }
}

fn apply_all(f: &Fixture, tree: &mut Tree) {
    let ctx = BlockContext {
        timestamp_ms: T0_MS,
    };
    for (tx, signer) in &f.txs {
        black_box(engine::apply_tx(tree, &f.workload.genesis, &ctx, tx, signer).unwrap());
    }
    black_box(tree.root());
}

/// The (digest, signature) pairs of the fixture's signed transactions.
fn recovery_inputs(f: &Fixture) -> Vec<(H256, protocol::action::Signature)> {
    f.txs
        .iter()
        .filter_map(|(tx, _)| match tx {
            Tx::User { action } => Some((
                protocol::signing::signing_digest(&action.action, &f.workload.domain()),
                action.signature,
            )),
            _ => None,
        })
        .collect()
}

fn random_keys(n: usize) -> Vec<H256> {
    (0..n as u64).map(|i| keccak256(&i.to_be_bytes())).collect()
}

fn bench_signatures(c: &mut Criterion) {
    let f = fixture(4, 256);
    let digests = recovery_inputs(&f);
    let mut i = 0;
    c.bench_function("k256 recover_signer", |b| {
        b.iter(|| {
            i = (i + 1) % digests.len();
            black_box(recover_signer(&digests[i].0, &digests[i].1).unwrap())
        })
    });
}

fn bench_stf(c: &mut Criterion) {
    let f = fixture(200, 2_000);
    let mut group = c.benchmark_group("stf");
    group.throughput(criterion::Throughput::Elements(f.txs.len() as u64));
    group.bench_function("2000 actions, signatures excluded", |b| {
        b.iter_batched(
            || f.tree.clone(),
            |mut tree| apply_all(&f, &mut tree),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn bench_tree(c: &mut Criterion) {
    let keys = random_keys(100_000);
    let tree: Tree = keys.iter().map(|k| (*k, vec![1u8; 64])).collect();
    tree.root();
    let mut i = 0u64;
    c.bench_function("tree set + root, 100k keys", |b| {
        b.iter_batched(
            || tree.clone(),
            |mut t| {
                i += 1;
                t.set(&keys[(i * 7919 % 100_000) as usize], vec![2u8; 64])
                    .unwrap();
                black_box(t.root())
            },
            BatchSize::SmallInput,
        )
    });
}

/// A batch of `n` workload txs whose last checkpoint is wrong, on a 100k-account state.
fn bad_batch(accounts: usize, n: usize) -> (Workload, Tree, Batch) {
    let mut f = fixture(accounts, 0);
    let txs: Vec<Tx> = (0..n).map(|_| f.workload.next_tx(T0_MS)).collect();
    let draft = Draft {
        index: 0,
        prev_header_hash: H256::ZERO,
        timestamp_ms: T0_MS,
        queue_start: 0,
    };
    let (batch, _) =
        Batch::execute_and_seal(&mut f.tree.clone(), &f.workload.genesis, draft, txs).unwrap();
    let mut checkpoints = batch.checkpoints.clone();
    *checkpoints.last_mut().unwrap() = H256([0xbb; 32]);
    let h = &batch.header;
    let bad = Batch::seal(
        h.draft(),
        h.prev_state_root,
        batch.txs,
        checkpoints,
        batch.receipt_roots,
    );
    (f.workload, f.tree, bad)
}

fn bench_fraud(c: &mut Criterion) {
    let (workload, pre, batch) = bad_batch(100_000, 200);
    let chunk = (batch.checkpoints.len() - 1) as u32;
    let (_, bad) = fraud::find_first_bad_chunk(&pre, &workload.genesis, &batch).unwrap();
    let bad = bad.expect("the last checkpoint was corrupted");
    let proof = fraud::build(&workload.genesis, &batch, chunk, &bad.pre_state).unwrap();
    c.bench_function("fraud proof build (one chunk, 100k accounts)", |b| {
        b.iter(|| {
            black_box(fraud::build(&workload.genesis, &batch, chunk, &bad.pre_state).unwrap())
        })
    });
    c.bench_function("fraud proof adjudicate (one chunk, 100k accounts)", |b| {
        b.iter(|| black_box(fraud::adjudicate(&workload.genesis, &batch, &proof)))
    });
}

/// Runs `f` repeatedly for about `budget` and returns operations per second.
fn rate(budget: Duration, ops_per_call: u64, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut calls = 0u64;
    while start.elapsed() < budget {
        f();
        calls += 1;
    }
    (calls * ops_per_call) as f64 / start.elapsed().as_secs_f64()
}

/// The summary that goes into README/ARCHITECTURE: every figure beside the signature limit.
fn summary() {
    let budget = Duration::from_secs(2);
    let f = fixture(200, 2_000);
    let digests = recovery_inputs(&f);
    let mut i = 0;
    let sig_per_s = rate(budget, 1, || {
        i = (i + 1) % digests.len();
        black_box(recover_signer(&digests[i].0, &digests[i].1).unwrap());
    });
    let stf_per_s = rate(budget, f.txs.len() as u64, || {
        let mut tree = f.tree.clone();
        apply_all(&f, &mut tree);
    });

    let keys = random_keys(100_000);
    let mut tree: Tree = keys.iter().map(|k| (*k, vec![1u8; 64])).collect();
    tree.root();
    let before = tree.hash_count();
    let updates = 10_000u64;
    let start = Instant::now();
    for j in 0..updates {
        tree.set(&keys[(j * 7919 % 100_000) as usize], vec![3u8; 64])
            .unwrap();
        tree.root();
    }
    let update_us = start.elapsed().as_secs_f64() * 1e6 / updates as f64;
    let hashes_per_key = (tree.hash_count() - before) as f64 / updates as f64;

    let (workload, pre, batch) = bad_batch(100_000, 200);
    let (_, bad) = fraud::find_first_bad_chunk(&pre, &workload.genesis, &batch).unwrap();
    let bad = bad.expect("corrupted");
    let start = Instant::now();
    let proof = fraud::build(&workload.genesis, &batch, bad.chunk, &bad.pre_state).unwrap();
    let build_ms = start.elapsed().as_secs_f64() * 1e3;
    let start = Instant::now();
    let verdict = fraud::adjudicate(&workload.genesis, &batch, &proof);
    let adjudicate_ms = start.elapsed().as_secs_f64() * 1e3;
    assert!(
        matches!(verdict, fraud::Verdict::Upheld { .. }),
        "{verdict:?}"
    );

    println!();
    println!("== summary (one core; compare ratios, not absolutes) ==");
    println!("k256 signature recoveries/s          {sig_per_s:>12.0}");
    println!(
        "STF actions/s (signatures excluded)  {stf_per_s:>12.0}   = {:.1}x the signature limit",
        stf_per_s / sig_per_s
    );
    println!("tree: hashes per updated key (100k)  {hashes_per_key:>12.1}");
    println!("tree: set + root per key (100k)      {update_us:>10.2} µs");
    println!(
        "fraud proof at 100k accounts, K={}: witness {} bytes, build {build_ms:.2} ms, adjudicate {adjudicate_ms:.2} ms (= {:.0} signature recoveries)",
        workload.genesis.checkpoint_interval_txs,
        proof.witness.len(),
        adjudicate_ms / 1e3 * sig_per_s
    );
}

criterion_group!(
    benches,
    bench_signatures,
    bench_stf,
    bench_tree,
    bench_fraud
);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
