//! The recovery: the sequencer re-sequences the same signed transactions honestly after
//! the revert, and the sequencer, the settlement layer and both verifiers end on one root.

use super::{POLL_EVERY, StepError, Story, at, short};
use crate::demo::timeline::Timeline;
use crate::devnet::poll::{Poll, poll_until};
use protocol::api::sequencer::{BatchStatus, TxState};
use protocol::api::settlement as l1api;
use serde_json::json;

impl Story {
    /// Waits until every trade is included again and posted; returns the newest batch.
    pub(super) async fn resequenced(&mut self, t: &mut Timeline) -> Result<u64, StepError> {
        let fail = at("resequenced");
        let mut lines = Vec::new();
        let mut details = Vec::new();
        let mut newest = 0;
        for (label, accepted) in &self.trades {
            let hash = accepted.hash;
            let (lookup, on_l1) = poll_until(
                &format!(
                    "{label} ({}) to be re-sequenced and posted",
                    short(&hash.to_string())
                ),
                self.limit,
                POLL_EVERY,
                || async {
                    let l = match self.seq.tx(&hash).await {
                        Err(e) => return Poll::Pending(e.to_string()),
                        Ok(l) => l,
                    };
                    if l.state == TxState::Dropped {
                        return Poll::Ready(Err(format!(
                            "{label} was dropped on re-execution: {:?}",
                            l.receipt.status
                        )));
                    }
                    let submission = match l.batch_status {
                        BatchStatus::Posted { submission_id, .. }
                        | BatchStatus::Finalized { submission_id } => submission_id,
                        other => {
                            return Poll::Pending(format!("batch {} {other:?}", l.batch_index));
                        }
                    };
                    // Posted again means: in a live submission on L1, not the reverted one.
                    match self.l1.batch(l.batch_index, false).await {
                        Ok(b)
                            if b.submission_id == submission
                                && !matches!(b.status, l1api::BatchStatus::Reverted { .. }) =>
                        {
                            Poll::Ready(Ok((l, b)))
                        }
                        Ok(b) => Poll::Pending(format!(
                            "batch {} submission {} on L1 is {:?}",
                            l.batch_index, b.submission_id, b.status
                        )),
                        Err(e) => Poll::Pending(e.to_string()),
                    }
                },
            )
            .await
            .map_err(|e| fail(e.to_string()))?
            .map_err(&fail)?;
            newest = newest.max(lookup.batch_index);
            lines.push(format!(
                "{label}: tx {} again in batch {} (seq {} → {})",
                short(&hash.to_string()),
                lookup.batch_index,
                accepted.seq,
                lookup.seq
            ));
            details.push(json!({"action": label, "hash": hash, "batch_index": lookup.batch_index, "seq_before": accepted.seq, "seq_after": lookup.seq, "l1_submission": on_l1.submission_id}));
        }
        self.record(
            t,
            "resequenced",
            format!(
                "the sequencer rolls back to the last valid root and re-sequences the same signed transactions honestly:\n{}",
                lines.join("\n")
            ),
            json!({"txs": details}),
        )
        .await;
        Ok(newest)
    }

    pub(super) async fn roots_agree(
        &mut self,
        t: &mut Timeline,
        batch: u64,
    ) -> Result<(), StepError> {
        let fail = at("roots_agree");
        let (tip, root) = poll_until(
            "the sequencer, the settlement layer and both verifiers to agree on the tip's root",
            self.limit,
            POLL_EVERY,
            || async {
                let l1 = match self.l1.status().await {
                    Ok(s) => s,
                    Err(e) => return Poll::Pending(e.to_string()),
                };
                let Some(tip) = l1.tip.index.filter(|i| *i >= batch) else {
                    return Poll::Pending(format!("L1 tip {:?}", l1.tip.index));
                };
                let root = l1.tip.state_root;
                let seq_root = self
                    .seq
                    .batch(tip, false)
                    .await
                    .ok()
                    .and_then(|b| b.post_state_root);
                if seq_root != Some(root) {
                    return Poll::Pending(format!(
                        "sequencer batch {tip} root {seq_root:?}, L1 {root}"
                    ));
                }
                for (i, v) in self.verifiers.iter().enumerate() {
                    match v.status().await {
                        Ok(s) if s.verified_batch == Some(tip) && s.verified_root == root => {}
                        Ok(s) => {
                            return Poll::Pending(format!(
                                "verifier {} verified {:?} root {}",
                                i + 1,
                                s.verified_batch,
                                s.verified_root
                            ));
                        }
                        Err(e) => return Poll::Pending(e.to_string()),
                    }
                }
                Poll::Ready((tip, root))
            },
        )
        .await
        .map_err(|e| fail(e.to_string()))?;
        self.record(
            t,
            "roots_agree",
            format!(
                "batch {tip} is the tip: the sequencer, the settlement layer and both verifiers hold root {}",
                short(&root.to_string())
            ),
            json!({"tip": tip, "root": root}),
        )
        .await;
        Ok(())
    }
}
