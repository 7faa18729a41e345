//! The invariant auditor: checks every named state invariant
//! (`protocol::engine::check_invariants`, PROTOCOL.md Part 4 §15) on the state after every
//! sealed batch, in a background task off the executor's thread, and gates posting: the
//! poster posts batch `i` only once the state after it passed. A violation means the engine
//! itself is wrong (or the state was corrupted), so it is kept for good: posting stops,
//! intake refuses new actions with 503 `invariant_violated`, and `/v1/status` and
//! `/metrics` name the invariant, the batch and the numbers.
//!
//! Under a configured fault injection (`--inject-fault`, a demonstration of fraud proofs)
//! the auditor still reports what the corrupted state breaks, but does not gate: the point
//! of the demonstration is that the bad batch is posted and proven.
//!
//! The checks read tree clones (O(1), shared nodes) from the published read views, which
//! hold the state after every sealed batch not yet finalized, so none is skipped.

use crate::view::ViewReceiver;
use protocol::api::audit::{AuditStatus, InvariantAlert};
use protocol::api::proofs::HeldState;
use protocol::genesis::Genesis;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, watch};

/// What the auditor found, shared with the poster, intake and the status handler.
#[derive(Debug, Default)]
pub struct Audit {
    status: Mutex<AuditStatus>,
    /// Report violations but never gate (a configured fault injection).
    demonstration: bool,
}

/// Why the poster may not post a batch yet, or at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// The state after the batch has not been checked yet; the auditor wakes the poster.
    Pending,
    /// An invariant broke: posting stopped, with this reason.
    Stopped(String),
}

impl Audit {
    pub fn new(demonstration: bool) -> Audit {
        Audit {
            status: Mutex::default(),
            demonstration,
        }
    }

    pub fn status(&self) -> AuditStatus {
        self.status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Whether batch `index` may be posted.
    pub fn may_post(&self, index: u64) -> Result<(), Gate> {
        if self.demonstration {
            return Ok(());
        }
        let status = self.status();
        if let Some(alert) = &status.violation {
            return Err(Gate::Stopped(stopped_message(alert)));
        }
        match status.passed_batch {
            Some(passed) if passed >= index => Ok(()),
            _ => Err(Gate::Pending),
        }
    }

    /// The violation that stops this sequencer, if any (demonstrations never stop).
    pub fn stopping_violation(&self) -> Option<InvariantAlert> {
        (!self.demonstration)
            .then(|| self.status().violation)
            .flatten()
    }

    fn passed(&self, index: u64) {
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        status.passed_batch = Some(status.passed_batch.map_or(index, |p| p.max(index)));
    }

    fn violated(&self, alert: InvariantAlert) {
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        // The first violation is the one that matters; a demonstration keeps the newest.
        if status.violation.is_none() || self.demonstration {
            status.violation = Some(alert);
        }
    }
}

/// What posting and intake say while an invariant violation stops the sequencer.
pub fn stopped_message(alert: &InvariantAlert) -> String {
    format!(
        "invariant {} does not hold after batch {}: {}; this sequencer stopped posting and accepting actions (the engine or its state is wrong: keep the data dir for analysis and report it)",
        alert.invariant, alert.batch_index, alert.detail
    )
}

/// The auditor task: checks each new sealed batch's post-state as views are published.
#[derive(Debug)]
pub struct Auditor {
    pub audit: Arc<Audit>,
    pub views: ViewReceiver,
    pub genesis: Arc<Genesis>,
    pub wake_poster: Arc<Notify>,
}

impl Auditor {
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        loop {
            let held = self.views.borrow_and_update().held.clone();
            for state in held.iter() {
                if !self.check(state).await {
                    return;
                }
            }
            tokio::select! {
                changed = self.views.changed() => if changed.is_err() { return },
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }

    /// Checks `state` unless already passed; `false` once auditing must stop.
    async fn check(&self, state: &HeldState) -> bool {
        let Some(index) = state.batch_index else {
            return true; // genesis: nothing was posted from it
        };
        if self.audit.status().passed_batch.is_some_and(|p| p >= index) {
            return true;
        }
        let (genesis, tree) = (self.genesis.clone(), state.tree.clone());
        let checked = tokio::task::spawn_blocking(move || {
            protocol::engine::invariants::check_invariants(&genesis, tree.iter())
        })
        .await;
        match checked {
            Ok(Ok(())) => {
                self.audit.passed(index);
                self.wake_poster.notify_one();
                true
            }
            Ok(Err(violation)) => {
                let alert = InvariantAlert {
                    batch_index: index,
                    invariant: violation.invariant.to_string(),
                    detail: violation.detail,
                };
                tracing::error!(batch = index, invariant = %alert.invariant, detail = %alert.detail, "state invariant violated");
                self.audit.violated(alert);
                self.audit.passed(index);
                self.audit.demonstration
            }
            Err(e) => {
                tracing::error!(error = %e, "the invariant check panicked");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(batch_index: u64) -> InvariantAlert {
        InvariantAlert {
            batch_index,
            invariant: "money-conserved".into(),
            detail: "Σ 1 ≠ 2".into(),
        }
    }

    #[test]
    fn posting_waits_for_the_audit_and_stops_for_good_on_a_violation() {
        let audit = Audit::new(false);
        assert_eq!(audit.may_post(0), Err(Gate::Pending));
        audit.passed(2);
        assert_eq!(audit.may_post(2), Ok(()));
        assert_eq!(audit.may_post(3), Err(Gate::Pending));
        audit.violated(alert(3));
        audit.passed(3);
        let Err(Gate::Stopped(why)) = audit.may_post(1) else {
            panic!("a violation stops every later post");
        };
        assert!(
            why.contains("money-conserved") && why.contains("batch 3"),
            "{why}"
        );
        audit.violated(alert(4));
        assert_eq!(
            audit.stopping_violation(),
            Some(alert(3)),
            "the first one stays"
        );
    }

    #[test]
    fn a_demonstration_reports_but_never_gates() {
        let audit = Audit::new(true);
        audit.violated(alert(1));
        assert_eq!(audit.may_post(5), Ok(()));
        assert_eq!(audit.stopping_violation(), None);
        assert_eq!(audit.status().violation, Some(alert(1)));
    }
}
