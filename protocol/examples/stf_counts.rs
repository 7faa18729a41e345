//! Counts what one STF action asks of storage on the protocol bench's workload (seed 7,
//! 200 traders, 2,000 actions): reads, repeated reads of one key within an action, writes,
//! writes that change nothing, prefix walks, each by key kind, and the node hashes the
//! sequencer's chunk roots cost with and without the rejected actions. The measurement
//! behind issue #14's serial-path work: where the time goes before deciding what to cut.
//!
//! `cargo run --release -p protocol --example stf_counts` prints the counts;
//! `… -- chunks` the chunk roots' hashes; `… -- loop N` applies the stream N times
//! without counting (for `perf record`, or `valgrind --tool=callgrind` instruction counts,
//! which unlike times do not depend on what else the shared machine runs).

// A measurement tool reads the clock; the ban is for consensus code.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use protocol::action::Tx;
use protocol::engine::{self, BlockContext};
use protocol::genesis::Genesis;
use protocol::state::{Key, Mark, State, StateError};
use protocol::tree::Tree;
use protocol::workload::Workload;
use std::collections::BTreeMap;

const T0_MS: u64 = 1_700_000_000_000;
const CTX: BlockContext = BlockContext {
    timestamp_ms: T0_MS,
};

type Signed = protocol::workload::VerifiedTx;

/// Per-kind tallies (the key's first byte).
type ByKind = BTreeMap<u8, u64>;

/// `Tree` with counters on every storage call.
#[derive(Default)]
struct Counting {
    inner: Tree,
    /// How often each key was read in the current action.
    seen: BTreeMap<Key, u32>,
    gets: ByKind,
    repeated_gets: ByKind,
    sets: ByKind,
    /// Sets of the value already there; deletes of an absent key (kind | 0x80).
    no_ops: ByKind,
    deletes: ByKind,
    prefixes: ByKind,
}

fn bump(tally: &mut ByKind, kind: u8) {
    *tally.entry(kind).or_default() += 1;
}

impl State for Counting {
    fn get(&mut self, key: &Key) -> Result<Option<Vec<u8>>, StateError> {
        bump(&mut self.gets, key.0[0]);
        let n = self.seen.entry(*key).or_default();
        *n += 1;
        if *n > 1 {
            bump(&mut self.repeated_gets, key.0[0]);
        }
        self.inner.get(key)
    }
    fn set(&mut self, key: &Key, value: Vec<u8>) -> Result<(), StateError> {
        bump(&mut self.sets, key.0[0]);
        if self.inner.lookup(key)? == Some(value.as_slice()) {
            bump(&mut self.no_ops, key.0[0]);
        }
        self.inner.set(key, value)
    }
    fn delete(&mut self, key: &Key) -> Result<(), StateError> {
        bump(&mut self.deletes, key.0[0]);
        if self.inner.lookup(key)?.is_none() {
            bump(&mut self.no_ops, key.0[0] | 0x80);
        }
        self.inner.delete(key)
    }
    fn first_with_prefix(&mut self, prefix: &[u8]) -> Result<Option<(Key, Vec<u8>)>, StateError> {
        bump(&mut self.prefixes, prefix.first().copied().unwrap_or(0));
        self.inner.first_with_prefix(prefix)
    }
    fn begin(&mut self) -> Mark {
        self.inner.begin()
    }
    fn commit(&mut self, mark: Mark) {
        self.inner.commit(mark)
    }
    fn rollback(&mut self, mark: Mark) -> Result<(), StateError> {
        self.inner.rollback(mark)
    }
}

/// The protocol bench's fixture: deposits and prices applied, then 2,000 verified actions.
fn fixture() -> (Genesis, Tree, Vec<Signed>) {
    let mut workload = Workload::new(7, 200);
    let (tree, txs) = workload.funded_stream(1_000_000_000_000, T0_MS, 2_000);
    tree.root();
    (workload.genesis, tree, txs)
}

/// Applies the stream `rounds` times on clones of `pre`, as the bench does.
fn run_loop(pre: &Tree, genesis: &Genesis, txs: &[Signed], rounds: u32) {
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        let mut tree = pre.clone();
        for (tx, signer) in txs {
            std::hint::black_box(engine::apply_tx(&mut tree, genesis, &CTX, tx, signer).unwrap());
        }
        std::hint::black_box(tree.root());
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / (f64::from(rounds) * txs.len() as f64);
    println!("{per:.3} µs per action");
}

/// The action's kind and outcome, e.g. `Order ok`.
fn outcome(tx: &Tx, status: &str) -> String {
    let kind = match tx {
        Tx::User { action } => format!("{:?}", action.action)
            .split('(')
            .next()
            .unwrap_or("")
            .to_string(),
        Tx::L1 { .. } => "L1".into(),
    };
    format!("{kind} {status}")
}

fn print_per_action(label: &str, tally: &ByKind, n: f64) {
    let total: u64 = tally.values().sum();
    println!("{label}/action {:.2}", total as f64 / n);
    for (kind, count) in tally {
        println!("  kind {kind:#04x}: {:.2}", *count as f64 / n);
    }
}

/// Applies the stream once through [`Counting`] and prints the tallies.
fn count(pre: &Tree, genesis: &Genesis, txs: &[Signed]) {
    let mut st = Counting {
        inner: pre.clone(),
        ..Counting::default()
    };
    let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
    for (tx, signer) in txs {
        st.seen.clear();
        let r = engine::apply_tx(&mut st, genesis, &CTX, tx, signer).unwrap();
        *outcomes.entry(outcome(tx, r.status.code())).or_default() += 1;
    }
    let n = txs.len() as f64;
    println!(
        "actions {}, leaves after {}",
        txs.len(),
        st.inner.iter().count()
    );
    print_per_action("gets", &st.gets, n);
    print_per_action(
        "repeated gets (same key, same action)",
        &st.repeated_gets,
        n,
    );
    print_per_action("sets", &st.sets, n);
    print_per_action("deletes", &st.deletes, n);
    print_per_action("no-op writes (0x80: deletes)", &st.no_ops, n);
    print_per_action("prefix walks", &st.prefixes, n);
    for (what, count) in outcomes {
        println!("  {what}: {count}");
    }
}

/// Node hashes of the chunk roots as the sequencer computes them (a root after every 16
/// accepted actions), with the rejected actions applied (and undone) in between, then with
/// only the accepted actions: what rejected actions cost the roots.
fn chunk_hashes(pre: &Tree, genesis: &Genesis, txs: &[Signed]) {
    let mut tree = pre.clone();
    let start = tree.hash_count();
    let mut kept = Vec::new();
    for (tx, signer) in txs {
        let r = engine::apply_tx(&mut tree, genesis, &CTX, tx, signer).unwrap();
        if r.status.is_ok() {
            kept.push((tx.clone(), signer.clone()));
            if kept.len() % 16 == 0 {
                tree.root();
            }
        }
    }
    let root = tree.root();
    let with_rejected = tree.hash_count() - start;
    let mut tree = pre.clone();
    let start = tree.hash_count();
    for (i, (tx, signer)) in kept.iter().enumerate() {
        engine::apply_tx(&mut tree, genesis, &CTX, tx, signer).unwrap();
        if (i + 1) % 16 == 0 {
            tree.root();
        }
    }
    assert_eq!(tree.root(), root, "the rejected actions changed nothing");
    let only_accepted = tree.hash_count() - start;
    let n = txs.len() as f64;
    println!(
        "chunk roots over {} actions ({} accepted): {with_rejected} node hashes ({:.1} per action); accepted only: {only_accepted} ({:.1} per action)",
        txs.len(),
        kept.len(),
        with_rejected as f64 / n,
        only_accepted as f64 / n
    );
}

fn main() {
    let (genesis, tree, txs) = fixture();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("loop") => {
            let rounds = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(200);
            run_loop(&tree, &genesis, &txs, rounds);
        }
        Some("chunks") => chunk_hashes(&tree, &genesis, &txs),
        _ => count(&tree, &genesis, &txs),
    }
}
