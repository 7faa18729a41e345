//! The fraud itself: the sequencer posts the traders' batch with the armed fault, and a
//! verifier, re-executing from the settlement layer's log alone, proves it.

use super::{POLL_EVERY, StepError, Story, at, short};
use crate::demo::timeline::Timeline;
use crate::devnet::poll::{Poll, poll_until};
use protocol::api::settlement::EventKind;
use protocol::api::verifier::ChallengeOutcome;
use protocol::batch::Batch;
use protocol::codec::Decode;
use serde_json::json;

impl Story {
    pub(super) async fn fault_posted(&mut self, t: &mut Timeline) -> Result<(), StepError> {
        let fail = at("fault_posted");
        let first = self.trades[0].1.batch_index;
        let posted = poll_until(
            "the sequencer to post the traders' batch",
            self.limit,
            POLL_EVERY,
            || async {
                match self.events().await {
                    Err(e) => Poll::Pending(e),
                    Ok(events) => events
                        .into_iter()
                        .find_map(|e| match e.event {
                            EventKind::BatchPosted {
                                index,
                                header_hash,
                                deadline_block,
                                data,
                                ..
                            } if index == first => {
                                Some((e.block, header_hash, deadline_block, data))
                            }
                            _ => None,
                        })
                        .map_or_else(|| Poll::Pending("not posted yet".into()), Poll::Ready),
                }
            },
        )
        .await
        .map_err(|e| fail(e.to_string()))?;
        let (block, header_hash, deadline, data) = posted;
        let batch = Batch::decode(&data).map_err(|e| fail(format!("undecodable batch: {e}")))?;
        let spent = self.seq.status().await.map_err(|e| fail(e.to_string()))?;
        let plan = spent.fault.unwrap_or_default();
        if !plan.ends_with("(spent)") {
            return Err(fail(format!("the fault was not applied: {plan}")));
        }
        self.faulty_batch = first;
        self.record(
            t,
            "fault_posted",
            format!(
                "the sequencer posts batch {first} ({} txs) at L1 block {block}, claiming post-state root {} — with a fault: {}\nchallengeable until block {deadline}",
                batch.txs.len(),
                short(&batch.header.post_state_root.to_string()),
                self.fault.effect(),
            ),
            json!({"batch_index": first, "header_hash": header_hash, "posted_block": block, "deadline_block": deadline, "claimed_root": batch.header.post_state_root, "fault": plan}),
        )
        .await;
        Ok(())
    }

    /// Waits for a verifier's upheld proof; returns that verifier's index.
    pub(super) async fn fraud_detected(&mut self, t: &mut Timeline) -> Result<usize, StepError> {
        let fail = at("fraud_detected");
        let found = poll_until(
            "a verifier's proof to be upheld",
            self.limit,
            POLL_EVERY,
            || async {
                let mut seen = Vec::new();
                for (i, v) in self.verifiers.iter().enumerate() {
                    match v.status().await {
                        Err(e) => seen.push(e.to_string()),
                        Ok(s) => {
                            if let Some(c) = s
                                .challenges
                                .iter()
                                .find(|c| matches!(c.outcome, ChallengeOutcome::Upheld { .. }))
                            {
                                return Poll::Ready((i, c.clone()));
                            }
                            seen.push(format!(
                                "verifier {}: synced {:?}, {} challenges",
                                i + 1,
                                s.synced_batch,
                                s.challenges.len()
                            ));
                        }
                    }
                }
                Poll::Pending(seen.join("; "))
            },
        )
        .await
        .map_err(|e| fail(e.to_string()))?;
        let (i, c) = found;
        // The fault is armed for the traders' batch; should the sequencer have split their
        // actions over two batches, the fault sits in whichever offered it something.
        let last = self
            .trades
            .last()
            .map_or(self.faulty_batch, |(_, a)| a.batch_index);
        if !(self.faulty_batch..=last).contains(&c.batch_index) {
            return Err(fail(format!(
                "verifier {} proved batch {}, expected one of the traders' batches {}..={last}",
                i + 1,
                c.batch_index,
                self.faulty_batch
            )));
        }
        self.faulty_batch = c.batch_index;
        let latency = c.submitted_block.map(|b| b.saturating_sub(c.posted_block));
        self.record(
            t,
            "fraud_detected",
            format!(
                "verifier {} re-executes batch {} from the settlement layer's log: chunk {} {}\nit submits a one-call fraud proof{}",
                i + 1,
                c.batch_index,
                c.chunk,
                what_differs(&c),
                latency.map(|l| format!(" {l} blocks after the batch was posted")).unwrap_or_default(),
            ),
            serde_json::to_value(&c).unwrap_or_default(),
        )
        .await;
        Ok(i)
    }
}

/// Which of the chunk's commitments re-execution contradicts, in words.
fn what_differs(c: &protocol::api::verifier::ChallengeView) -> String {
    if c.claimed_root != c.computed_root {
        format!(
            "claims root {}, honest execution gives {}",
            short(&c.claimed_root.to_string()),
            short(&c.computed_root.to_string())
        )
    } else {
        format!(
            "commits receipts root {}, honest execution gives {} (the state root is right: a receipt lies)",
            short(&c.claimed_receipts_root.to_string()),
            short(&c.computed_receipts_root.to_string())
        )
    }
}
