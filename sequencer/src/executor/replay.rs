//! Startup: rebuild the executor's `Core` from the journal. Start from the newest snapshot
//! (or genesis), re-apply every log record after it with the same decisions, and check
//! each recorded checkpoint root and header hash on the way. Then seal a batch left open
//! by a crash (its timestamp is as old as the crash) and move the base to the newest
//! finalized batch.
//!
//! Replay needs no signature recovery: every recorded user transaction was verified
//! before it was accepted (`Core::trusted_signer`).

use super::{Core, Decision, ExecError};
use crate::config::FaultPlan;
use crate::journal::Entry;
use crate::journal::record::LogRecord;
use crate::journal::recovery::Recovered;
use protocol::genesis::Genesis;
use std::sync::Arc;

/// What recovery produced: the core, and the entries it made live (sealing the open
/// batch, a due snapshot) that still have to be written.
#[derive(Debug)]
pub struct Rebuilt {
    pub core: Core,
    pub pending: Vec<Entry>,
    pub replayed: usize,
}

pub fn rebuild(
    genesis: Arc<Genesis>,
    recovered: Recovered,
    fault: Option<FaultPlan>,
    snapshot_every: u64,
) -> Result<Rebuilt, ExecError> {
    let mut core = Core::new(genesis, recovered.snapshot);
    core.set_fault(fault, recovered.fault_spent);
    let replayed = recovered.records.len();
    let derived = replayed - recovered.underived.min(replayed);
    let mut records = recovered.records.into_iter();
    for record in records.by_ref().take(derived) {
        apply_record(&mut core, record)?;
    }
    // Replayed records are already durable.
    core.take_entries();
    for record in records {
        apply_record(&mut core, record)?;
    }
    // … but the last ones' derived rows may not be: those are written again.
    let underived: Vec<Entry> = core
        .take_entries()
        .into_iter()
        .map(|entry| Entry::Derive(Box::new(entry)))
        .collect();
    core.out.extend(underived);
    core.seal(Decision::Live)?;
    if let Some((index, header_hash)) = recovered.finalized
        && let Some(snapshot) = core.finalize(index, header_hash, snapshot_every)
    {
        core.out.push(Entry::Snapshot(Box::new(snapshot)));
    }
    let pending = core.take_entries();
    Ok(Rebuilt {
        core,
        pending,
        replayed,
    })
}

fn apply_record(core: &mut Core, record: LogRecord) -> Result<(), ExecError> {
    match record {
        LogRecord::Open(open) => core.open_recorded(open),
        LogRecord::Tx(tx) => core.apply_recorded(tx),
        LogRecord::Seal(seal) => core.seal_with(Decision::Recorded(seal.checkpoint), Some(&seal)),
        LogRecord::Revert { from_index } => core.rollback_recorded(from_index),
    }
}
