//! The deterministic whole-system simulation: no HTTP, no clock, only pure cores. From one
//! seed it draws a workload, a chain shape, a cheating-sequencer knob (which fault, from
//! which batch, or honest) and verifier misfortunes (crashes between pages, crashes that
//! lose a page that was applied but not persisted, crashes that lose a challenge's answer,
//! delayed submissions), and runs the settlement model, the test sequencer and 2–3
//! verifier cores tick by tick (one L1 block per tick). An auditor checks that every bad
//! batch (and everything built on it) is reverted, no good batch ever is, the sequencer is
//! slashed exactly when it cheated, no proof is ever rejected, and every verifier ends on
//! the root of the honest chain, which the auditor re-executes on its own.
//!
//! 200 seeds run in CI, split over four tests. A failure names its seed; replay it alone
//! with `VIGIL_SIM_SEED=<seed> cargo test -p verifier --test it simulation`.

use crate::support::auditor;
use crate::support::sequencing::Truth;
use crate::support::world::{Replica, SEQUENCER, World};
use protocol::action::Tx;
use protocol::api::settlement::EventKind;
use protocol::api::verifier::{ChallengeOutcome, Mode};
use protocol::fault::Fault;
use protocol::primitives::Address;
use protocol::workload::SplitMix64;
use std::collections::{BTreeMap, BTreeSet};

const SEEDS: u64 = 200;
const PARTS: u64 = 4;
/// Enough for the longest chain, its window and any re-sequencing.
const MAX_TICKS: u64 = 200;

/// What one seed draws.
#[derive(Debug)]
struct Knobs {
    traders: usize,
    k: u32,
    window: u64,
    batches: u64,
    max_txs: u64,
    /// The fault and the first batch it may go into.
    cheat: Option<(Fault, u64)>,
    verifiers: usize,
    crash_percent: u64,
}

impl Knobs {
    fn draw(rng: &mut SplitMix64) -> Knobs {
        Knobs {
            traders: 3 + rng.below(3) as usize,
            k: 1 + rng.below(4) as u32,
            // ≥ 5: a verifier down for 2 ticks that then delays once still makes it.
            window: 5 + rng.below(4),
            batches: 4 + rng.below(4),
            max_txs: 4 + rng.below(8),
            cheat: rng.chance(75).then(|| {
                (
                    Fault::ALL[rng.below(Fault::ALL.len() as u64) as usize],
                    rng.below(4),
                )
            }),
            verifiers: 2 + rng.below(2) as usize,
            crash_percent: rng.below(15),
        }
    }
}

/// What a run went through, so the suite can check it covers what it claims.
#[derive(Debug, Default)]
struct Coverage {
    seeds: u64,
    /// Seeds where a fault went in, by fault name.
    cheats: BTreeMap<&'static str, u64>,
    crashes: u64,
    /// Crashes that lost an applied but unpersisted page.
    lost_pages: u64,
    /// Crashes between a submission and its recorded answer.
    lost_answers: u64,
    /// Challenges that ended "already reverted" (lost races).
    calm_losses: u64,
    /// Upheld proofs that also reverted descendants of the bad batch.
    cascades: u64,
}

/// A verifier core and its misfortunes.
#[derive(Debug)]
struct Node {
    replica: Replica,
    /// Down until this tick (it restarts from its persisted form then).
    down_until: Option<u64>,
    /// No crash before this tick (a restarted verifier gets a full window).
    immune_until: u64,
    /// Submissions already delayed once.
    delayed: BTreeSet<u64>,
}

fn run(seed: u64, coverage: &mut Coverage) {
    let mut rng = SplitMix64(seed ^ 0x5157_5eed);
    let knobs = Knobs::draw(&mut rng);
    let mut world = World::new(seed, knobs.traders, knobs.k, knobs.window);
    let mut nodes: Vec<Node> = (0..knobs.verifiers)
        .map(|i| Node {
            replica: Replica::new(&world, Mode::Challenge, Address([0xc0 + i as u8; 20])),
            down_until: None,
            immune_until: 0,
            delayed: BTreeSet::new(),
        })
        .collect();
    let mut posted = 0;
    let mut cheated = false;
    let mut reposts: Vec<Tx> = Vec::new();
    let mut users: BTreeMap<u64, Vec<Tx>> = BTreeMap::new();
    let mut seen = 0;
    let mut done = false;

    for tick in 0..MAX_TICKS {
        // The sequencer: rewinds after an upheld proof, then posts 1–3 batches (several
        // per block put descendants on a bad batch before anyone can react).
        if let Some(index) = first_reverted(&world, &mut seen) {
            world.seq.rewind(index);
            world.ledger.bond(SEQUENCER, 1_000);
            reposts.extend(users.split_off(&index).into_values().flatten());
        }
        for _ in 0..1 + rng.below(3) {
            if posted == knobs.batches && reposts.is_empty() {
                break;
            }
            let fresh = reposts.is_empty();
            let batch_users: Vec<Tx> = if fresh {
                let n = 1 + rng.below(knobs.max_txs) as usize;
                let now = world.ledger.now_ms();
                (0..n).map(|_| world.workload.next_tx(now)).collect()
            } else {
                let n = reposts.len().min(12);
                reposts.drain(..n).collect()
            };
            let fault = knobs
                .cheat
                .filter(|(_, from)| !cheated && posted >= *from)
                .map(|(f, _)| f);
            let mut txs = world.next_txs(0);
            txs.extend(batch_users.iter().cloned());
            let sealed = world.post(txs, fault);
            if let (Some(f), Some(_)) = (fault, sealed.fault_chunk) {
                *coverage.cheats.entry(f.name()).or_default() += 1;
            }
            cheated |= sealed.fault_chunk.is_some();
            posted += u64::from(fresh);
            users.insert(sealed.batch.header.index, batch_users);
        }
        world.ledger.mine(1);
        trace(|| {
            format!(
                "tick {tick}: block {}, live {:?}",
                world.ledger.block,
                world.ledger.tip().0
            )
        });

        for node in &mut nodes {
            step(node, &mut world, &mut rng, &knobs, tick, coverage);
        }
        auditor::audit_rulings(&world);

        let quiet = posted == knobs.batches
            && reposts.is_empty()
            && world.ledger.settled()
            && nodes.iter().all(|n| {
                n.down_until.is_none()
                    && n.replica.core.cursor() == world.ledger.events.len() as u64
                    && n.replica.core.due_challenges().is_empty()
            });
        if quiet && first_reverted(&world, &mut seen.clone()).is_none() {
            done = true;
            break;
        }
    }
    assert!(
        done,
        "the run did not settle within {MAX_TICKS} ticks: {knobs:?}"
    );
    let replicas: Vec<&Replica> = nodes.iter().map(|n| &n.replica).collect();
    auditor::audit_end(&world, &replicas, cheated, &format!("{knobs:?}"));
    coverage.seeds += 1;
    coverage.cascades += world
        .ledger
        .postings
        .iter()
        .filter(|p| world.seq.truth[&p.batch.header.hash()] == Truth::OnBad)
        .count()
        .min(1) as u64;
    coverage.calm_losses += nodes
        .iter()
        .flat_map(|n| n.replica.core.challenges())
        .filter(|c| matches!(c.outcome, ChallengeOutcome::AlreadyReverted { .. }))
        .count() as u64;
}

/// One tick of a verifier: maybe restart, follow the log in random pages (maybe crashing
/// between pages or before persisting one), then submit due proofs (maybe delaying once,
/// maybe crashing before the answer is persisted).
fn step(
    node: &mut Node,
    world: &mut World,
    rng: &mut SplitMix64,
    knobs: &Knobs,
    tick: u64,
    coverage: &mut Coverage,
) {
    match node.down_until {
        Some(until) if tick < until => return,
        Some(_) => {
            node.replica.restart();
            node.down_until = None;
            node.immune_until = tick + knobs.window;
        }
        None => {}
    }
    let immune = tick < node.immune_until;
    let may_crash = |rng: &mut SplitMix64| !immune && rng.chance(knobs.crash_percent);
    let crash =
        |node: &mut Node, rng: &mut SplitMix64| node.down_until = Some(tick + 1 + rng.below(2));
    while (node.replica.core.cursor() as usize) < world.ledger.events.len() {
        let page = 1 + rng.below(4) as usize;
        if may_crash(rng) {
            if rng.chance(50) {
                node.replica.apply_unpersisted(&world.ledger, page);
                coverage.lost_pages += 1;
            }
            coverage.crashes += 1;
            crash(node, rng);
            trace(|| {
                format!(
                    "  {} crashed while following, down until {:?}",
                    node.replica.me, node.down_until
                )
            });
            return;
        }
        node.replica.feed_page(&world.ledger, page);
    }
    let due = node.replica.core.due_challenges();
    if let Some(first) = due.first()
        && node.delayed.insert(first.submission_id)
        && rng.chance(30)
    {
        trace(|| format!("  {} delays its challenge", node.replica.me));
        return;
    }
    // Crashing between a submission and its recorded answer gets its own, higher odds:
    // it is the moment restart logic is most likely to get wrong.
    let lose = !due.is_empty() && !immune && rng.chance(25);
    let rulings = node.replica.challenge(&mut world.ledger, lose);
    trace(|| {
        format!(
            "  {} at {}: rulings {rulings:?}",
            node.replica.me,
            node.replica.core.cursor()
        )
    });
    if lose {
        coverage.crashes += 1;
        coverage.lost_answers += 1;
        crash(node, rng);
    }
}

/// With `VIGIL_SIM_TRACE` set, prints what happens (for replaying a failing seed).
fn trace(line: impl FnOnce() -> String) {
    if std::env::var_os("VIGIL_SIM_TRACE").is_some() {
        eprintln!("{}", line());
    }
}

/// The lowest batch index reverted since event `seen`; moves `seen` to the end.
fn first_reverted(world: &World, seen: &mut usize) -> Option<u64> {
    let first = world.ledger.events[*seen..]
        .iter()
        .filter_map(|e| match e.event {
            EventKind::BatchReverted { index, .. } => Some(index),
            _ => None,
        })
        .min();
    *seen = world.ledger.events.len();
    first
}

/// Runs every seed of `part`, or only `VIGIL_SIM_SEED` if set (in the part it falls in).
fn run_part(part: u64) {
    let only: Option<u64> = std::env::var("VIGIL_SIM_SEED")
        .ok()
        .map(|seed| seed.parse().expect("VIGIL_SIM_SEED is a u64"));
    let seeds: Vec<u64> = match only {
        Some(seed) => vec![seed]
            .into_iter()
            .filter(|s| s % PARTS == part)
            .collect(),
        None => (0..SEEDS).filter(|s| s % PARTS == part).collect(),
    };
    let mut coverage = Coverage::default();
    for seed in seeds {
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(seed, &mut coverage)));
        if let Err(panic) = outcome {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!(
                "simulation failed at seed {seed}: {message}\nreplay: VIGIL_SIM_SEED={seed} cargo test -p verifier --test it simulation"
            );
        }
    }
    if only.is_none() {
        // Each quarter of the seeds must exercise every fault, crashes of every kind and
        // lost races, or the suite proves less than it claims.
        assert_eq!(coverage.seeds, SEEDS / PARTS);
        assert_eq!(coverage.cheats.len(), Fault::ALL.len(), "{coverage:?}");
        assert!(coverage.cheats.values().sum::<u64>() >= 10, "{coverage:?}");
        assert!(
            coverage.crashes >= 10 && coverage.lost_pages >= 3,
            "{coverage:?}"
        );
        assert!(
            coverage.lost_answers >= 1 && coverage.calm_losses >= 5,
            "{coverage:?}"
        );
    }
    eprintln!("simulation part {part}: {coverage:?}");
}

#[test]
fn simulation_part_0() {
    run_part(0);
}

#[test]
fn simulation_part_1() {
    run_part(1);
}

#[test]
fn simulation_part_2() {
    run_part(2);
}

#[test]
fn simulation_part_3() {
    run_part(3);
}

#[test]
fn the_simulation_is_deterministic() {
    let draw = |seed: u64| format!("{:?}", Knobs::draw(&mut SplitMix64(seed ^ 0x5157_5eed)));
    assert_eq!(draw(7), draw(7));
    assert_ne!(draw(7), draw(8));
    // And a run with a cheat in it is reproduced event for event.
    let events = |seed| {
        let mut world = World::new(seed, 3, 2, 5);
        world.post_next(6, Some(Fault::Mint));
        world.ledger.events.clone()
    };
    assert_eq!(events(3), events(3));
}
