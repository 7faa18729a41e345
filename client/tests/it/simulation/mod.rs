//! The deterministic whole-system simulation, on production code only, without HTTP or a
//! clock: the settlement rules (`contracts_mock::Ledger` on an in-memory SQLite), the
//! sequencer's executor core (`sequencer::executor::Core`, cheating through its real
//! `FaultPlan`, rolling back and re-sequencing after a revert) and 2–3 verifier cores
//! (`verifier::core::Follower`). From one seed it draws a workload, a chain shape, a
//! cheating knob (which fault, from which batch, or honest) and verifier misfortunes
//! (crashes between pages, crashes that lose a page that was applied but not persisted,
//! crashes that lose a challenge's answer, delayed submissions), and runs them tick by tick
//! (one L1 block per tick), plus forced withdrawals through the L1 queue and a liveness
//! knob: the sequencer stays live, goes silent for good from some tick, loses its disk
//! and rebuilds from the settlement layer's batches alone (`Core::adopt`, as
//! `--bootstrap-from-l1` does), or censors forced messages. The auditor checks that every bad batch (and everything built on it) is
//! reverted, no good batch ever is, the sequencer is slashed exactly when it cheated, no
//! proof is ever rejected, every verifier ends on the root of the honest chain, which the
//! auditor re-executes on its own, and every forced message is executed or the rollup froze
//! exactly at the documented block and paid every trader's exit claim.
//!
//! It lives in `client` because that is the crate that may depend on all three services.
//! 200 seeds run in CI, split over four tests. A failure names its seed; replay it alone
//! with `VIGIL_SIM_SEED=<seed> cargo test -p client --test it simulation` (add
//! `VIGIL_SIM_TRACE=1` to see every tick).

mod auditor;
mod knobs;
mod replica;
mod verifier_core;
mod world;

use knobs::{Conduct, Coverage, Knobs};
use protocol::api::verifier::{ChallengeOutcome, Mode};
use protocol::fault::Fault;
use protocol::primitives::Address;
use protocol::workload::SplitMix64;
use replica::Replica;
use sequencer::FaultPlan;
use std::collections::BTreeSet;
use world::{Truth, World};

const SEEDS: u64 = 200;
const PARTS: u64 = 4;
/// Enough for the longest chain, its window and any re-sequencing.
const MAX_TICKS: u64 = 200;

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

/// How many earlier seeds of `seed`'s part draw a cheat that surely runs (see
/// [`Knobs::cheats_surely`]): the seed's rank among its part's such seeds. A pure function
/// of the seed, so one seed replays alone.
fn cheating_seeds_before(seed: u64) -> u64 {
    (seed % PARTS..seed)
        .step_by(PARTS as usize)
        .filter(|&s| Knobs::draw(&mut SplitMix64(s ^ 0x5157_5eed)).cheats_surely())
        .count() as u64
}

fn run(seed: u64, coverage: &mut Coverage) {
    let mut rng = SplitMix64(seed ^ 0x5157_5eed);
    let mut knobs = Knobs::draw(&mut rng);
    // A cheating seed's fault cycles over the cheating seeds of its part, so every part
    // (every PARTS-th seed) meets every fault kind as evenly as its cheats allow, rather
    // than as many as the seeds' draws happen to hit.
    // A seed whose sequencer may stop or lose its plan before cheating takes a fault off
    // the cycle, so the cycle's faults all land on seeds that cheat.
    let surely = knobs.cheats_surely();
    if let Some(plan) = &mut knobs.cheat {
        let rank = if surely {
            cheating_seeds_before(seed)
        } else {
            seed / PARTS
        };
        plan.fault = Fault::ALL[(rank % Fault::ALL.len() as u64) as usize];
    }
    let mut world = World::new(seed, knobs.traders, knobs.k, knobs.window, knobs.cheat);
    world.censors = knobs.conduct == Conduct::Censors;
    let mut nodes: Vec<Node> = (0..knobs.verifiers)
        .map(|i| Node {
            replica: Replica::new(&world, Mode::Challenge, Address([0xc0 + i as u8; 20])),
            down_until: None,
            immune_until: 0,
            delayed: BTreeSet::new(),
        })
        .collect();
    let mut posted = 0;
    let mut audited = 0;
    let mut done = false;

    for tick in 0..MAX_TICKS {
        if knobs.conduct == Conduct::SilentFrom(tick) {
            trace(|| format!("tick {tick}: the sequencer goes silent"));
            world.stopped = true;
        }
        if knobs.conduct == Conduct::LosesDiskAt(tick) {
            trace(|| format!("tick {tick}: the sequencer loses its disk and rebuilds from L1"));
            world.lose_disk();
            coverage.disk_losses += 1;
        }
        for &(_, trader) in knobs.forced.iter().filter(|(at, _)| *at == tick) {
            world.force_withdrawal(trader);
        }
        // The sequencer: follows the log (re-sequencing after an upheld proof), then
        // sequences 1–3 batches (several per block put descendants on a bad batch before
        // anyone can react).
        if let Some(index) = world.follow() {
            trace(|| format!("tick {tick}: the sequencer re-sequenced from batch {index}"));
        }
        for _ in 0..1 + rng.below(3) {
            if posted == knobs.batches {
                break;
            }
            let n = 1 + rng.below(knobs.max_txs) as usize;
            let now = world.now_ms();
            let users = world.next_users(n, now);
            world.sequence(users);
            posted += 1;
        }
        // Done with its workload, a live sequencer still seals what L1 queued promptly.
        if posted == knobs.batches && world.l1_waiting() {
            world.sequence(Vec::new());
        }
        world.claim_exits();
        world.mine(1);
        trace(|| format!("tick {tick}: block {}", world.block));

        for node in &mut nodes {
            step(node, &mut world, &mut rng, &knobs, tick, coverage);
        }
        auditor::audit_rulings(&world, &mut audited);

        let last = world.last_seq();
        let quiet = (posted == knobs.batches || world.stopped)
            && world.settled()
            && world.exit_settled()
            && nodes.iter().all(|n| {
                n.down_until.is_none()
                    && n.replica.core.cursor() == last
                    && n.replica.core.due_challenges().is_empty()
            });
        // A stopped sequencer follows nothing, so a revert it never saw cannot hold the
        // run open.
        if quiet && (world.stopped || !world.revert_unfollowed()) {
            done = true;
            break;
        }
    }
    assert!(
        done,
        "the run did not settle within {MAX_TICKS} ticks: {knobs:?}"
    );
    let replicas: Vec<&Replica> = nodes.iter().map(|n| &n.replica).collect();
    for replica in &replicas {
        let violation = &replica.core.audited().violation;
        assert_eq!(
            violation, &None,
            "an honest batch broke an invariant: {knobs:?}"
        );
    }
    let bad: Vec<Fault> = world
        .postings
        .values()
        .filter(|p| p.truth == Truth::Bad)
        .filter_map(|p| p.fault.map(|(f, _)| f))
        .collect();
    let cheated = !bad.is_empty();
    auditor::audit_end(&world, &replicas, cheated, &format!("{knobs:?}"));
    let (executed, frozen) = auditor::audit_forced(&world, &format!("{knobs:?}"));
    coverage.forced_executed += executed;
    coverage.frozen += u64::from(frozen);
    coverage.exit_claims += world.exits.len() as u64;
    coverage.seeds += 1;
    for f in bad {
        *coverage.cheats.entry(f.name()).or_default() += 1;
    }
    let injected = world.postings.values().any(|p| p.fault.is_some());
    coverage.absorbed += u64::from(injected && !cheated);
    coverage.cascades += u64::from(world.postings.values().any(|p| p.truth == Truth::OnBad));
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
    let last = world.last_seq();
    while node.replica.core.cursor() < last {
        let page = 1 + rng.below(4) as usize;
        if may_crash(rng) {
            if rng.chance(50) {
                node.replica.apply_unpersisted(world, page);
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
        node.replica.feed_page(world, page);
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
    let answers = node.replica.challenge(world, lose);
    trace(|| {
        format!(
            "  {} at {}: answers {answers:?}",
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
                "simulation failed at seed {seed}: {message}\nreplay: VIGIL_SIM_SEED={seed} cargo test -p client --test it simulation"
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
        // And forced withdrawals executed, rollups frozen and paid out.
        assert!(
            coverage.forced_executed >= 5
                && coverage.frozen >= 3
                && coverage.exit_claims >= 9
                && coverage.disk_losses >= 3,
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
        let plan = FaultPlan {
            fault: Fault::Mint,
            from_batch: 0,
        };
        let mut world = World::new(seed, 3, 2, 5, Some(plan));
        let now = world.now_ms();
        let users = world.next_users(6, now);
        world.sequence(users);
        world.events(0)
    };
    assert_eq!(events(3), events(3));
}
