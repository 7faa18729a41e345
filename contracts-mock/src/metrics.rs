//! `GET /metrics`: the settlement layer in Prometheus text, so an operator graphs the chain
//! the way they graph the sequencer and the verifiers: the head block, the live and
//! finalized batches, the L1 queue, every submission by outcome, upheld proofs, the token
//! supply with its conservation check, and the exit phase. Loaded in one read transaction
//! ([`load`]), rendered by a pure function ([`render`]) with the shared writer.

use crate::rules::Rules;
use protocol::api::settlement::{ExitPhase, StatusResponse};
use rusqlite::Connection;
use service_shell::http::ApiError;
use service_shell::metrics::{Exposition, Kind};

/// What `/metrics` shows, read in one transaction.
#[derive(Debug, Clone)]
pub struct Sample {
    pub status: StatusResponse,
    /// Submissions by status (`pending`, `finalized`, `reverted`), all three present.
    pub submissions: [(&'static str, u64); 3],
    pub upheld_proofs: u64,
    pub exit_phase: ExitPhase,
}

pub fn load(conn: &Connection, rules: &Rules) -> Result<Sample, ApiError> {
    let mut submissions = [("pending", 0), ("finalized", 0), ("reverted", 0)];
    let mut stmt = conn.prepare("SELECT status, COUNT(*) FROM batches GROUP BY status")?;
    let counts = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))?;
    for counted in counts {
        let (status, count) = counted?;
        if let Some(slot) = submissions.iter_mut().find(|(s, _)| *s == status) {
            slot.1 = count;
        }
    }
    let upheld_proofs = conn.query_row("SELECT COUNT(*) FROM upheld_proofs", [], |r| r.get(0))?;
    Ok(Sample {
        status: crate::ledger::status(conn, rules)?,
        submissions,
        upheld_proofs,
        exit_phase: crate::ledger::exit::status(conn, rules)?.phase,
    })
}

/// The exposition text for `sample`.
pub fn render(sample: &Sample) -> String {
    let mut out = Exposition::new();
    let status = &sample.status;
    out.gauge("vigil_l1_block", "The head block.", status.block.number);
    out.gauge(
        "vigil_l1_tip_batch",
        "Index of the newest live batch (-1 at genesis).",
        status.tip.index.map_or(-1, i128::from),
    );
    out.gauge(
        "vigil_l1_finalized_batch",
        "Index of the newest finalized batch (-1 before any).",
        status.finalized_index.map_or(-1, i128::from),
    );
    out.gauge(
        "vigil_l1_pending_batches",
        "Batches inside their challenge window.",
        status.pending_batches,
    );
    out.gauge(
        "vigil_l1_queue_unconsumed",
        "L1 queue messages no live batch has consumed yet.",
        status.queue_length.saturating_sub(status.tip.queue_end),
    );
    out.counter(
        "vigil_l1_events_total",
        "Events in the settlement event log.",
        status.last_event_seq,
    );
    out.labelled(
        "vigil_l1_submissions_total",
        Kind::Counter,
        "Batch submissions, by where they stand now.",
        "status",
        sample.submissions,
    );
    out.counter(
        "vigil_l1_upheld_proofs_total",
        "Fraud proofs upheld (each reverted a batch and slashed its poster).",
        sample.upheld_proofs,
    );
    supply(&mut out, sample);
    out.finish()
}

fn supply(out: &mut Exposition, sample: &Sample) {
    let s = &sample.status.supply;
    let by_holder = [
        ("balances", s.balances),
        ("escrow", s.escrow),
        ("bonds", s.bonds),
        ("burned", s.burned),
    ];
    out.labelled(
        "vigil_l1_supply_base_units",
        Kind::Gauge,
        "Tokens (micro-USDC) by where they are held; they sum to the minted supply.",
        "held_as",
        by_holder,
    );
    out.counter(
        "vigil_l1_minted_base_units_total",
        "Tokens (micro-USDC) ever minted.",
        s.minted,
    );
    out.gauge(
        "vigil_l1_supply_conserved",
        "1 while balances + escrow + bonds + burned equal the minted supply.",
        u8::from(s.conserved),
    );
    out.gauge(
        "vigil_l1_frozen",
        "1 once the rollup is frozen for exits (a forced message went unexecuted).",
        u8::from(sample.exit_phase != ExitPhase::Live),
    );
}
