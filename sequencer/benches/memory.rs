//! `cargo bench -p sequencer --bench memory`: the sequencer's state at scale. Builds the
//! state tree the executor holds with `VIGIL_BENCH_ACCOUNTS` accounts (default 1,000,000)
//! that each hold one position and one resting order, through the real engine
//! (`protocol::engine::apply_tx` on `protocol::tree::Tree`: a deposit each, a crossing pair
//! per two accounts, then one resting order each), and reports:
//! - resident memory per account (the process's RSS, /proc/self/status `VmRSS`, before
//!   and after, so allocator overhead counts);
//! - the snapshot blob's size per account and the time to rebuild the tree from it the way
//!   recovery does (`journal::snapshot::decode`, checked against the root), and the
//!   rebuilt tree's resident memory per account (the built one still alive, so freed
//!   memory is not reused and the figure is the rebuild's own).
//!
//! Signatures are not part of this (each action is applied with its signer already known);
//! the rate of the build is reported beside the k256 recovery rate of the same run, as a
//! ratio. Not a `cargo test`: it takes minutes per million accounts (5 on a loaded
//! 2-core machine).

// A benchmark reads the clock and the process's memory, and reports floats.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use protocol::action::{
    Action, L1Message, Order, PriceUpdate, Signature, SignedAction, TimeInForce, Tx,
};
use protocol::batch::genesis_tree;
use protocol::engine::{self, BlockContext, Status};
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256, keccak256};
use protocol::signing::{SignatureError, address_of, recover_signer, sign_action, signing_digest};
use protocol::tree::{Tree, node_sizes};
use protocol::workload::dev_key;
use rayon::prelude::*;
use sequencer::journal::snapshot;
use std::time::Instant;

const T0_MS: u64 = 1_700_000_000_000;
const BTC: u32 = 1;
const PRICE: u64 = 50_000_000_000;
/// 1,000 USDC per account: far more than one lot's margin.
const DEPOSIT: u64 = 1_000_000_000;

/// `VIGIL_BENCH_ACCOUNTS`, else 1,000,000 under `cargo bench` (which passes `--bench`) and
/// 2,000 otherwise (`cargo test --benches` only checks that it runs).
fn accounts_wanted() -> u64 {
    let default = if std::env::args().any(|a| a == "--bench") {
        1_000_000
    } else {
        2_000
    };
    std::env::var("VIGIL_BENCH_ACCOUNTS")
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
        .max(2)
        / 2
        * 2
}

/// Resident bytes of this process now (`VmRSS` of /proc/self/status, which is statm's
/// resident pages already multiplied by the page size).
fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status (Linux)");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("a VmRSS line");
    kib * 1024
}

fn account(i: u64) -> Address {
    Address(
        keccak256(&i.to_be_bytes()).0[12..]
            .try_into()
            .expect("20 bytes"),
    )
}

fn user(order: Order) -> Tx {
    Tx::User {
        action: SignedAction {
            action: Action::Order(order),
            signature: Signature([0; 65]),
        },
    }
}

fn order(i: u64, is_buy: bool, price: u64, tif: TimeInForce, nonce: u64) -> Tx {
    user(Order {
        account: account(i),
        market: BTC,
        is_buy,
        price,
        size: 1,
        tif,
        reduce_only: false,
        nonce,
        expires_at: T0_MS + 86_400_000,
    })
}

struct Built {
    tree: Tree,
    applied: u64,
    seconds: f64,
}

/// Deposits, a price, then per pair (2k, 2k+1): an ask and the bid that takes it (both get
/// a position), and one resting order each, spread over 100 ticks either side of the mark.
fn build(genesis: &Genesis, n: u64) -> Built {
    let mut tree = genesis_tree(genesis);
    let ctx = BlockContext {
        timestamp_ms: T0_MS,
    };
    let mut applied = 0u64;
    let started = Instant::now();
    let mut apply = |tree: &mut Tree, tx: Tx, signer: Result<Address, SignatureError>| {
        let receipt = engine::apply_tx(tree, genesis, &ctx, &tx, &signer).expect("state ok");
        assert_eq!(receipt.status, Status::Ok, "{tx:?}: {receipt:?}");
        applied += 1;
    };
    for i in 0..n {
        let message = L1Message::Deposit {
            account: account(i),
            amount: DEPOSIT,
        };
        let tx = Tx::L1 {
            queue_index: i,
            message,
        };
        apply(&mut tree, tx, Ok(account(i)));
    }
    let price = Tx::User {
        action: SignedAction {
            action: Action::PriceUpdate(PriceUpdate {
                market: BTC,
                price: PRICE,
                timestamp_ms: T0_MS,
            }),
            signature: Signature([0; 65]),
        },
    };
    apply(&mut tree, price, Ok(genesis.oracles[0]));
    let tick = genesis.market(BTC).expect("BTC").tick_size;
    for k in 0..n / 2 {
        let (maker, taker) = (2 * k, 2 * k + 1);
        apply(
            &mut tree,
            order(maker, false, PRICE, TimeInForce::Gtc, 1),
            Ok(account(maker)),
        );
        apply(
            &mut tree,
            order(taker, true, PRICE, TimeInForce::Ioc, 1),
            Ok(account(taker)),
        );
        let away = (1 + k % 100) * tick;
        let ask = order(maker, false, PRICE + away, TimeInForce::Gtc, 2);
        apply(&mut tree, ask, Ok(account(maker)));
        let bid = order(taker, true, PRICE - away, TimeInForce::Gtc, 2);
        apply(&mut tree, bid, Ok(account(taker)));
    }
    let _ = tree.root();
    Built {
        tree,
        applied,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// k256 recoveries per second on all cores, over `n` fresh signatures.
fn recoveries_per_second(n: u64) -> f64 {
    let key = dev_key("vigil-bench-memory", 1, 0);
    let domain = H256([7; 32]);
    let signed: Vec<_> = (0..n)
        .into_par_iter()
        .map(|nonce| {
            let tx = order(0, true, PRICE, TimeInForce::Gtc, nonce);
            let Tx::User { action } = tx else {
                unreachable!("an order")
            };
            let mut action = action.action;
            if let Action::Order(o) = &mut action {
                o.account = address_of(&key);
            }
            let signed = sign_action(&key, action, &domain);
            (signing_digest(&signed.action, &domain), signed.signature)
        })
        .collect();
    let started = Instant::now();
    let ok = signed
        .par_iter()
        .filter(|(digest, signature)| recover_signer(digest, signature).is_ok())
        .count();
    assert_eq!(ok as u64, n);
    n as f64 / started.elapsed().as_secs_f64()
}

/// Where the resident bytes go: leaves and internal nodes per account, the node sizes and
/// the values' bytes, and what is left for the allocator's overhead.
fn print_profile(tree: &Tree, n: u64, per_account: f64) {
    let f = tree.footprint();
    let per = |x: u64| x as f64 / n as f64;
    let kinds: Vec<String> = f
        .by_first_byte
        .iter()
        .map(|(kind, count)| format!("0x{kind:02x}:{:.2}", per(*count)))
        .collect();
    println!(
        "profile     per account: {:.2} leaves + {:.2} internal nodes; leaves by key kind {}",
        per(f.leaves),
        per(f.internal),
        kinds.join(" ")
    );
    let lengths: Vec<String> = f
        .value_lengths
        .iter()
        .filter(|(_, count)| per(**count) >= 0.01)
        .map(|(len, count)| format!("{len} B:{:.2}", per(*count)))
        .collect();
    let sizes: Vec<String> = node_sizes()
        .iter()
        .map(|(name, bytes)| format!("{name} {bytes} B"))
        .collect();
    println!(
        "profile     values {:.0} B per account ({:.1} B per leaf; per account by length {}); node sizes (with Arc counts) {}; resident {per_account:.0} B per account",
        per(f.value_bytes),
        f.value_bytes as f64 / f.leaves.max(1) as f64,
        lengths.join(" "),
        sizes.join(", ")
    );
}

fn main() {
    let n = accounts_wanted();
    let genesis = Genesis::devnet(31337, Address([0x11; 20]), address_of(&dev_key("o", 1, 0)));
    let recoveries = recoveries_per_second(20_000);
    let before = resident_bytes();
    let built = build(&genesis, n);
    let after = resident_bytes();
    let root = built.tree.root();
    let per_account = after.saturating_sub(before) as f64 / n as f64;
    let build_rate = built.applied as f64 / built.seconds;

    let blob = snapshot::encode(&built.tree);
    // The built tree stays alive: memory freed before the rebuild would be reused by it
    // and hide its size.
    let before_rebuild = resident_bytes();
    let started = Instant::now();
    let rebuilt = snapshot::decode(&blob).expect("a valid snapshot");
    let rebuilt_root = rebuilt.root();
    let rebuild_seconds = started.elapsed().as_secs_f64();
    assert_eq!(rebuilt_root, root, "the snapshot rebuilds the same root");
    let rebuilt_per_account = resident_bytes().saturating_sub(before_rebuild) as f64 / n as f64;

    println!("memory bench: {n} accounts, each with one position and one resting order");
    println!(
        "build       {} actions through the engine in {:.1} s = {:.0} actions/s = {:.2}x the k256 recovery rate ({:.0}/s, all cores)",
        built.applied,
        built.seconds,
        build_rate,
        build_rate / recoveries,
        recoveries
    );
    println!(
        "resident    {per_account:.0} bytes per account (RSS {} MB -> {} MB)",
        before >> 20,
        after >> 20
    );
    println!(
        "snapshot    {:.0} bytes per account ({} MB)",
        blob.len() as f64 / n as f64,
        blob.len() >> 20
    );
    println!(
        "rebuild     {rebuild_seconds:.2} s from the snapshot (decode + root) = {:.0} accounts/s; the rebuilt tree (with the decode's passing buffers) {rebuilt_per_account:.0} bytes per account resident",
        n as f64 / rebuild_seconds
    );
    print_profile(&built.tree, n, per_account);
    drop((rebuilt, built.tree));
}
