//! What the tests observe of the whole system after a fraud: the first bad chunk on L1
//! (by re-execution with `protocol`), the settlement layer's ruling, the re-sequenced
//! chain, the acknowledged actions, and finalization everywhere.

use super::{Network, Verifier, WINDOW, wait_for};
use protocol::api::sequencer::{TxAccepted, TxState};
use protocol::api::settlement::EventKind;
use protocol::batch::{Batch, genesis_tree};
use protocol::codec::Decode;
use protocol::fraud;
use protocol::primitives::{Address, H256};

/// Re-executes the live chain on L1 with `protocol`: the first bad batch and chunk, if any.
pub async fn first_bad_chunk(net: &Network) -> Option<(u64, u32)> {
    let genesis = &net.workload.genesis;
    let mut tree = genesis_tree(genesis);
    let live = net
        .l1
        .batches(0, 1_000)
        .await
        .expect("live batches")
        .batches;
    for view in live {
        let data = net.l1.batch(view.index, true).await.expect("batch").data;
        let batch = Batch::decode(&data.expect("batch data")).expect("a batch");
        let (post, bad) = fraud::find_first_bad_chunk(&tree, genesis, &batch).expect("full tree");
        if let Some(bad) = bad {
            return Some((view.index, bad.chunk));
        }
        tree = post;
    }
    None
}

/// Waits until the sequencer has posted everything, its fault spent; returns the tip.
pub async fn faulty_chain_posted(net: &Network) -> u64 {
    let l1 = wait_for("the faulty chain to be posted", || async {
        let s = net.seq.status().await.ok()?;
        let spent = s.fault.as_deref().is_some_and(|f| f.ends_with("(spent)"));
        if spent { net.settled().await } else { None }
    })
    .await;
    l1.tip.index.expect("a tip")
}

/// What the settlement log says about the fraud proof: its block, the bad batch's
/// deadline, the winner, the reverted indices and the slash.
#[derive(Debug)]
pub struct Ruling {
    pub block: u64,
    pub deadline_block: u64,
    pub batch_index: u64,
    pub submission_id: u64,
    pub chunk: u32,
    pub challenger: Address,
    pub reverted: Vec<u64>,
    pub slash: (Address, u64, u64, u64),
}

/// Waits for the upheld fraud proof, then reads its ruling from the settlement log.
pub async fn ruling(net: &Network) -> Ruling {
    net.wait_for_event("the fraud proof to be upheld", |e| {
        matches!(e.event, EventKind::ChallengeUpheld { .. }).then_some(())
    })
    .await;
    let events = net.events().await;
    let at = events
        .iter()
        .position(|e| matches!(e.event, EventKind::ChallengeUpheld { .. }))
        .expect("upheld");
    let EventKind::ChallengeUpheld {
        batch_index,
        submission_id,
        chunk,
        challenger,
        ..
    } = events[at].event
    else {
        unreachable!("found above")
    };
    let deadline_block = events[..at]
        .iter()
        .find_map(|e| match e.event {
            EventKind::BatchPosted {
                submission_id: s,
                deadline_block,
                ..
            } if s == submission_id => Some(deadline_block),
            _ => None,
        })
        .expect("the bad batch was posted");
    let after = &events[at + 1..];
    let reverted = after
        .iter()
        .map_while(|e| match e.event {
            EventKind::BatchReverted { index, .. } => Some(index),
            _ => None,
        })
        .collect();
    let slash = after
        .iter()
        .find_map(|e| match e.event {
            EventKind::Slashed {
                sequencer,
                amount,
                challenger_reward,
                burned,
                ..
            } => Some((sequencer, amount, challenger_reward, burned)),
            _ => None,
        })
        .expect("a slash");
    assert!(
        !after
            .iter()
            .any(|e| matches!(e.event, EventKind::ChallengeUpheld { .. })),
        "one proof is upheld, once"
    );
    Ruling {
        block: events[at].block,
        deadline_block,
        batch_index,
        submission_id,
        chunk,
        challenger,
        reverted,
        slash,
    }
}

/// Waits until the sequencer has re-sequenced after the revert of `bad` and posted it all.
pub async fn resequenced(net: &Network, bad: u64) -> (Option<u64>, H256) {
    let l1 = wait_for("the sequencer to re-sequence and post", || async {
        let l1 = net.settled().await?;
        (l1.tip.index >= Some(bad)).then_some(l1)
    })
    .await;
    assert_eq!(
        first_bad_chunk(net).await,
        None,
        "the re-sequenced chain is honest"
    );
    (l1.tip.index, l1.tip.state_root)
}

/// Every acknowledged action is still in the chain, with the same outcome.
pub async fn nothing_acked_is_lost(net: &Network, acked: &[TxAccepted]) {
    for a in acked {
        let lookup = net.seq.tx(&a.hash).await.expect("tx lookup");
        assert_eq!(
            lookup.state,
            TxState::Included,
            "{} survives the revert",
            a.hash
        );
        assert_eq!(
            (&lookup.receipt.status, &lookup.receipt.fills),
            (&a.receipt.status, &a.receipt.fills),
            "{} keeps its outcome",
            a.hash
        );
    }
}

/// Mines past every window and waits until the settlement layer, the sequencer and every
/// verifier have finalized the tip.
pub async fn everything_finalizes(net: &Network, tip: Option<u64>, verifiers: &[&Verifier]) {
    net.mine(WINDOW + 1).await;
    wait_for("everything to finalize", || async {
        let l1 = net.l1_status().await;
        let seq = net.seq.status().await.ok()?;
        let mut done = l1.finalized_index == tip && seq.last_finalized == tip;
        for v in verifiers {
            let s = v.client.status().await.ok()?;
            done &= s.finalized_batch == tip && s.pending_batches == 0 && s.halted.is_none();
        }
        done.then_some(())
    })
    .await;
}
