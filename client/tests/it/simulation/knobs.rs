//! What one seed draws (the chain's shape, the cheating knob over `Fault::ALL`, the
//! verifiers' misfortunes) and what a part's seeds went through, so the suite can check
//! that it covers what it claims.

use protocol::fault::Fault;
use protocol::workload::SplitMix64;
use sequencer::FaultPlan;
use std::collections::BTreeMap;

/// What one seed draws.
#[derive(Debug)]
pub struct Knobs {
    pub traders: usize,
    pub k: u32,
    pub window: u64,
    pub batches: u64,
    pub max_txs: u64,
    /// The sequencer's fault and the first batch it may go into (none: honest).
    pub cheat: Option<FaultPlan>,
    pub verifiers: usize,
    pub crash_percent: u64,
    /// How the sequencer treats its duty to post (and forced messages).
    pub conduct: Conduct,
    /// Forced withdrawals: (tick, trader).
    pub forced: Vec<(u64, usize)>,
}

/// The sequencer's liveness knob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conduct {
    /// Posts, and includes every L1 message promptly.
    Live,
    /// Stops for good (follows nothing, posts nothing) from this tick on.
    SilentFrom(u64),
    /// Loses its disk at this tick and restarts from the settlement layer's batches alone
    /// (`Core::adopt`, as `--bootstrap-from-l1` does), then carries on.
    LosesDiskAt(u64),
    /// Never includes a forced message (nor anything queued after one); its batches are
    /// refused once one is overdue, and it stops there.
    Censors,
}

impl Knobs {
    /// Whether the seed cheats whatever else happens: it has a cheating plan and a
    /// sequencer that neither goes silent nor loses its disk (a rebuilt sequencer runs
    /// honestly: `World::lose_disk`).
    pub fn cheats_surely(&self) -> bool {
        self.cheat.is_some() && matches!(self.conduct, Conduct::Live | Conduct::Censors)
    }

    pub fn draw(rng: &mut SplitMix64) -> Knobs {
        Knobs {
            traders: 3 + rng.below(3) as usize,
            k: 1 + rng.below(4) as u32,
            // ≥ 5: a verifier down for 2 ticks that then delays once still makes it.
            window: 5 + rng.below(4),
            batches: 4 + rng.below(4),
            max_txs: 4 + rng.below(8),
            cheat: rng.chance(75).then(|| FaultPlan {
                fault: Fault::ALL[rng.below(Fault::ALL.len() as u64) as usize],
                from_batch: rng.below(4),
            }),
            verifiers: 2 + rng.below(2) as usize,
            crash_percent: rng.below(15),
            conduct: match rng.below(100) {
                0..15 => Conduct::SilentFrom(rng.below(8)),
                15..25 => Conduct::Censors,
                25..40 => Conduct::LosesDiskAt(rng.below(10)),
                _ => Conduct::Live,
            },
            forced: (0..rng.below(4))
                .map(|_| (rng.below(10), rng.below(3) as usize))
                .collect(),
        }
    }
}

/// What a run went through.
#[derive(Debug, Default)]
pub struct Coverage {
    pub seeds: u64,
    /// Seeds where a fault went in, by fault name.
    pub cheats: BTreeMap<&'static str, u64>,
    /// Seeds where the fault was injected but the state absorbed it (an honest batch).
    pub absorbed: u64,
    pub crashes: u64,
    /// Crashes that lost an applied but unpersisted page.
    pub lost_pages: u64,
    /// Crashes between a submission and its recorded answer.
    pub lost_answers: u64,
    /// Challenges that ended "already reverted" (lost races).
    pub calm_losses: u64,
    /// Upheld proofs that also reverted descendants of the bad batch.
    pub cascades: u64,
    /// Forced messages a live batch consumed (executed by the STF).
    pub forced_executed: u64,
    /// Seeds whose rollup froze (and then paid every exit claim).
    pub frozen: u64,
    pub exit_claims: u64,
    /// Sequencer restarts from L1 data alone.
    pub disk_losses: u64,
}
