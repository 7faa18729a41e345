//! Random workloads mixing perps and options (`Workload::with_options`, issue #20): option
//! orders on the calls and puts of the listing trading, shorts sold to their margin limit
//! and liquidated after violent index moves, the clock moved past the first expiry so that
//! the settlement sweep settles every position, beside the perps' random trading. Every
//! transaction runs through `Sim` (every named invariant, `money-conserved` exact, after
//! every transaction; the touched-path bound; a rejection changes nothing) and every chunk
//! of K through the production chunk executor on the full tree and again on its witness:
//! the same receipts and post-root as each other and as `Sim`, and the same final state.

use super::*;
use proptest::prelude::*;
use protocol::batch::{ChunkExecutor, Signer, domain_separator, genesis_tree, verify_tx};
use protocol::engine::option_view::option_chain;
use protocol::options::schedule::SERIES_ID_BASE;
use protocol::tree::Tree;
use protocol::workload::Workload;

/// Traders, and what each deposits first: 100,000 USDC.
const TRADERS: usize = 6;
const DEPOSIT_MICRO: u64 = 100_000_000_000;
/// Batches one second apart from the first listing on, then as many from its expiry on.
const BATCHES_EACH_SIDE: u64 = 12;
/// Random user actions per batch.
const RANDOM_PER_BATCH: usize = 24;

/// What a run did: the counts its tests require to be positive, so that a run that
/// exercised nothing fails.
#[derive(Debug, Default)]
struct Tally {
    perp_fills: usize,
    option_fills: usize,
    /// Option fills on calls and on puts (a listing writes a call, then a put, per strike:
    /// even offsets from `SERIES_ID_BASE` are calls).
    call_fills: usize,
    put_fills: usize,
    /// Accepted `Liquidate`s naming a series that closed a short, and of those on a put.
    option_liquidations: usize,
    put_liquidations: usize,
    /// Of those, the ones that bought back through the series' book (stage 1, Part 8 §15).
    book_liquidations: usize,
    /// Positions the settlement sweep settled (receipts' `settled` entries).
    settlements: usize,
    /// Option transaction kinds run (each on the full tree and on its witness), with
    /// whether they were accepted.
    kinds: BTreeSet<(&'static str, bool)>,
}

/// The option kind of `tx`, if it is one: an order, cancel or `Liquidate` naming a series,
/// or an implied volatility.
fn option_kind(tx: &Tx) -> Option<&'static str> {
    let Tx::User { action } = tx else {
        return None;
    };
    let series = |market: u32| market >= SERIES_ID_BASE;
    match &action.action {
        Action::Order(o) if series(o.market) => Some("Order"),
        Action::Cancel(c) if series(c.market) => Some("Cancel"),
        Action::Liquidate(l) if series(l.market) => Some("Liquidate"),
        Action::ImpliedVolUpdate(_) => Some("ImpliedVolUpdate"),
        _ => None,
    }
}

/// Whether `series` is a call (see `Tally::call_fills`).
fn is_call(series: u32) -> bool {
    (series - SERIES_ID_BASE).is_multiple_of(2)
}

impl Tally {
    fn add(&mut self, t: Tally) {
        self.perp_fills += t.perp_fills;
        self.option_fills += t.option_fills;
        self.call_fills += t.call_fills;
        self.put_fills += t.put_fills;
        self.option_liquidations += t.option_liquidations;
        self.put_liquidations += t.put_liquidations;
        self.book_liquidations += t.book_liquidations;
        self.settlements += t.settlements;
        self.kinds.extend(t.kinds);
    }

    fn absorb(&mut self, tx: &Tx, r: &Receipt) {
        let (options, perps): (Vec<_>, Vec<_>) =
            r.fills.iter().partition(|f| f.market >= SERIES_ID_BASE);
        self.option_fills += options.len();
        let calls = options.iter().filter(|f| is_call(f.market)).count();
        self.call_fills += calls;
        self.put_fills += options.len() - calls;
        self.perp_fills += perps.len();
        self.settlements += r.settled.len();
        if !r.settled.is_empty() {
            self.kinds.insert(("settlement sweep", true));
        }
        if let Some(kind) = option_kind(tx) {
            self.kinds.insert((kind, r.status.is_ok()));
            let closed = r.liquidation.as_ref().filter(|l| {
                kind == "Liquidate" && (l.book_filled > 0 || !l.deleveraged.is_empty())
            });
            self.option_liquidations += usize::from(closed.is_some());
            self.put_liquidations += usize::from(closed.is_some_and(|l| !is_call(l.market)));
            self.book_liquidations += usize::from(closed.is_some_and(|l| l.book_filled > 0));
        }
    }
}

/// A chain run twice: `Sim` on the map model (per-transaction checks) and the full tree
/// (per-chunk witness replays).
struct Chains {
    sim: Sim,
    tree: Tree,
    tally: Tally,
}

impl Chains {
    fn new(genesis: &Genesis) -> Chains {
        Chains {
            sim: Sim::with_genesis(genesis.clone()),
            tree: genesis_tree(genesis),
            tally: Tally::default(),
        }
    }

    /// Runs `txs` as one batch at `now`: each through `Sim`, then each chunk through the
    /// chunk executor on the tree and on the chunk's witness.
    fn batch(&mut self, now: u64, txs: &[Tx]) {
        let g = self.sim.g.clone();
        let domain = domain_separator(&g);
        let signers: Vec<Signer> = txs
            .iter()
            .map(|tx| verify_tx(tx, &domain, &g.oracles))
            .collect();
        self.sim.now = now;
        let receipts: Vec<Receipt> = txs
            .iter()
            .zip(&signers)
            .map(|(tx, signer)| self.sim.apply(tx.clone(), signer.clone()))
            .collect();
        let ctx = BlockContext { timestamp_ms: now };
        let exec = ChunkExecutor::new(&g, txs, ctx, Some(&signers));
        for chunk in 0..exec.chunk_count() {
            let full = self.chunk_on_witness(&exec, chunk);
            assert_eq!(full, receipts[exec.range(chunk)], "tree vs map model");
        }
        for (tx, r) in txs.iter().zip(&receipts) {
            self.tally.absorb(tx, r);
        }
    }

    /// Chunk `chunk` on the full tree (recorded), then on its witness: the same receipts
    /// and post-root. The full tree's receipts.
    fn chunk_on_witness(&mut self, exec: &ChunkExecutor<'_>, chunk: usize) -> Vec<Receipt> {
        let mut work = self.tree.clone();
        work.start_recording();
        let full = exec
            .execute(&mut work, chunk)
            .expect("a full tree never fails");
        let witness = self
            .tree
            .pruned_to(&work.take_recording())
            .to_witness_bytes();
        let mut replay = Tree::from_witness_bytes(&witness).expect("the witness decodes");
        let replayed = exec
            .execute(&mut replay, chunk)
            .expect("the witness is complete");
        assert_eq!(replayed, full, "witness vs full execution, chunk {chunk}");
        assert_eq!(replay.root(), work.root(), "post-root, chunk {chunk}");
        self.tree = work;
        full
    }

    /// The tree holds exactly the map model's entries.
    fn same_state(&self) {
        let tree: Vec<_> = self.tree.iter().map(|(k, v)| (*k, v.to_vec())).collect();
        let model: Vec<_> = self.sim.st.map.clone().into_iter().collect();
        assert!(tree == model, "the tree and the map model differ");
    }
}

/// A workload `with_options` from seed `seed`: deposits, then batches one second apart from
/// the first listing (whose first index lists the series), then from the first expiry on
/// (whose first index fixes the settlement price and lists the next expiry); in every
/// third batch an option liquidation round before the indexes, then random actions.
fn run(seed: u64) -> Chains {
    let mut w = Workload::new(seed, TRADERS).with_options();
    let (listing, expiry) = w.option_times().expect("the devnet lists BTC options");
    let mut chains = Chains::new(&w.genesis);
    let mut txs = w.deposits(DEPOSIT_MICRO);
    for start in [listing, expiry] {
        for b in 0..BATCHES_EACH_SIDE {
            let now = start + b * 1_000;
            if b % 3 == 2 {
                txs.extend(w.option_liquidation_round(now));
            }
            txs.extend(w.price_updates(now));
            txs.extend((0..RANDOM_PER_BATCH).map(|_| w.next_tx(now)));
            chains.batch(now, &txs);
            txs.clear();
        }
    }
    invariants::check_map_state(&chains.sim.g, &chains.sim.st).expect("the final state");
    chains.same_state();
    chains
}

/// Seeded runs: every check above after every transaction and chunk, and the runs did
/// what they are for: perps and options (calls and puts) filled, shorts of calls and of
/// puts liquidated on their series (some through the series' book), the first listing settled (each of its series has a
/// settlement price and has finished), and every option kind ran accepted on witnesses.
#[test]
fn random_workloads_mixing_perps_and_options_conserve_money_and_replay_on_witnesses() {
    let mut total = Tally::default();
    for seed in 0..3 {
        let mut chains = run(seed);
        let chain = option_chain(&mut chains.sim.st, BTC).unwrap();
        let per_listing = 2 * (2 * chains.sim.g.options[0].strikes_each_side as usize + 1);
        assert_eq!(chain.len(), 2 * per_listing, "seed {seed}: two listings");
        for first in &chain[..per_listing] {
            assert_ne!(
                first.series.settlement_price, 0,
                "seed {seed}: {} settled",
                first.id
            );
            // Finished: its entry in the expiry index is gone (Part 8 §13), so every order
            // and position in it was swept.
            let entry = keys::option_expiry_key(first.series.expiry_ms, first.id);
            assert!(
                !chains.sim.st.map.contains_key(&entry),
                "seed {seed}: {} finished",
                first.id
            );
        }
        total.add(chains.tally);
    }
    assert!(total.perp_fills > 100, "{total:?}");
    assert!(total.option_fills > 50, "{total:?}");
    assert!(total.call_fills > 0 && total.put_fills > 0, "{total:?}");
    assert!(total.option_liquidations > 5, "{total:?}");
    assert!(total.book_liquidations > 0, "{total:?}");
    let call_liquidations = total.option_liquidations - total.put_liquidations;
    assert!(
        call_liquidations > 0 && total.put_liquidations > 0,
        "{total:?}"
    );
    assert!(total.settlements > 5, "{total:?}");
    for kind in [
        ("Order", true),
        ("Order", false),
        ("Cancel", true),
        ("Liquidate", true),
        ("Liquidate", false),
        ("ImpliedVolUpdate", true),
        ("settlement sweep", true),
    ] {
        assert!(total.kinds.contains(&kind), "{kind:?} never ran: {total:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3))]

    /// Any seed: the same checks (their coverage is the seeded test's).
    #[test]
    fn any_seed_mixing_perps_and_options_keeps_every_invariant(seed in any::<u64>()) {
        run(seed);
    }
}
