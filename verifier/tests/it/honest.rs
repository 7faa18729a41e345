//! An honest chain of more than 1,000 workload actions, followed live by two verifiers in
//! challenge mode over HTTP: every batch verified, the same root as the chain, everything
//! finalized, and never a challenge (no submission, no L1 call beyond the bond).

use crate::support::node::WINDOW;
use crate::support::poster::Poster;
use crate::support::service::{Verifier, address, verifier_key};
use protocol::api::settlement::EventKind;

#[tokio::test]
async fn an_honest_chain_of_1000_actions_is_verified_without_a_challenge() {
    let (mut node, mut poster) = Poster::chain(9, 10, 8).await;
    let keys = [verifier_key(3), verifier_key(4)];
    let (verifiers, _dirs) = Verifier::start_challengers(&node, &keys, 1_000).await;

    let mut batches = 0;
    while poster.actions < 1_000 {
        poster.post_next(&node, 60, None).await;
        node.mine(1).await;
        batches += 1;
    }
    let tip = node.status().await.tip;
    assert_eq!(tip.index, Some(batches - 1));
    assert_eq!(tip.state_root, poster.seq.root());
    for v in &verifiers {
        let s = v.client.wait_caught_up(&node).await;
        assert_eq!(
            (s.synced_batch, s.verified_batch, s.verified_root),
            (tip.index, tip.index, tip.state_root)
        );
        assert_eq!(s.totals.batches_verified, batches);
        assert!(s.totals.actions_reexecuted >= 1_000, "{:?}", s.totals);
        assert_eq!((s.totals.bad_batches, s.challenges.len()), (0, 0));
        assert_eq!((s.lag.batches, s.lag.events, s.lag.blocks), (0, 0, 0));
    }

    node.mine(WINDOW + 1).await;
    for (v, key) in verifiers.iter().zip(&keys) {
        let s = v.client.wait_caught_up(&node).await;
        assert_eq!((s.finalized_batch, s.pending_batches), (tip.index, 0));
        // Every batch passed the invariant audit, and the books balance: what the rollup
        // owes is what its accounts, pools and fees hold, and the escrow covers it.
        assert_eq!(
            (s.audit.passed_batch, &s.audit.violation),
            (tip.index, &None)
        );
        let solvency = s.solvency.as_ref().expect("solvency figures");
        assert_eq!(Some(solvency.batch_index), tip.index);
        let held = solvency.trader_collateral
            + solvency.insurance_fund
            + solvency.pnl_pools
            + solvency.fees;
        assert_eq!(held, solvency.liabilities, "{solvency:?}");
        let escrow = i128::from(s.l1.expect("the settlement layer was seen").escrow);
        assert!(escrow >= solvency.liabilities, "{escrow} < {solvency:?}");
        assert!(
            solvency.liabilities > 0 && !solvency.markets.is_empty(),
            "{solvency:?}"
        );
        let metrics = v.client.metrics().await;
        assert!(
            metrics.contains("vigil_verifier_escrow_surplus_base_units "),
            "{metrics}"
        );
        assert!(
            metrics.contains("vigil_verifier_open_interest{market=\"1\"}"),
            "{metrics}"
        );
        assert!(
            !metrics.contains("vigil_verifier_challenge_submissions_total{"),
            "no submission ever: {metrics}"
        );
        let rate = metrics
            .lines()
            .find_map(|l| l.strip_prefix("vigil_verifier_reexecution_actions_per_second "))
            .and_then(|v| v.parse::<f64>().ok())
            .expect("a rate");
        assert!(rate > 0.0, "{metrics}");
        // The bond is the only L1 call the verifier made.
        assert_eq!(node.account(&address(key)).await.nonce, 1);
    }
    let log = node.events_within(0, 0).await.events;
    assert!(
        !log.iter()
            .any(|e| matches!(e.event, EventKind::ChallengeUpheld { .. })),
        "no proof was ever upheld"
    );
    for v in verifiers {
        v.shutdown().await;
    }
    node.shutdown().await;
}
