//! The whole system against fraud, end to end over HTTP (`network`): the settlement layer,
//! the REAL sequencer started with a fault plan (`--inject-fault KIND@batch=1`) and two
//! verifiers in challenge mode. For every fault kind: the faulty batch and later ones are
//! posted; the bad batch is proven before its deadline block; the sequencer is slashed
//! (half to the winning verifier, half burned); the other verifier records calmly that the
//! batch was already reverted; the bad batch and every later one are reverted; the
//! sequencer re-sequences; both verifiers end on the sequencer's root, which is the
//! settlement tip's; no acknowledged action is lost; everything finalizes. Also: a verifier
//! killed (before the fraud, or after seeing it) and restarted in the middle of the window
//! still proves the fraud in time, and an honest run of more than 1,000 actions is never
//! challenged.

use crate::network::observe::*;
use crate::network::trading::{submit_bulk, trade};
use crate::network::*;
use k256::ecdsa::SigningKey;
use protocol::action::{SignedAction, Tx};
use protocol::api::verifier::{ChallengeOutcome, Mode};
use protocol::batch::Batch;
use protocol::codec::Decode;
use protocol::fault::Fault;
use protocol::fraud;
use protocol::signing::address_of;
use protocol::workload::Workload;
use sequencer::FaultPlan;
use sequencer::executor::now_ms;
fn l1_balance_after_bonding() -> u64 {
    VERIFIER_FUNDS - MIN_CHALLENGER_BOND
}

async fn fraud_is_proven_reverted_and_resequenced(fault: Fault, seed: u64) {
    let plan = FaultPlan {
        fault,
        from_batch: 1,
    };
    let net = Network::start(Workload::new(seed, 4), Some(plan)).await;
    let keys: [SigningKey; 2] = [verifier_key(1), verifier_key(2)];
    let dirs = [
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    ];
    // The verifiers follow the honest prefix live, then stop (gracefully): they react
    // within milliseconds, and the faulty batch's descendants must be posted first.
    let mut configs = Vec::new();
    for (key, dir) in keys.iter().zip(&dirs) {
        fund(&net.l1, &address_of(key), VERIFIER_FUNDS).await;
        let v = Verifier::start(Verifier::config(&net, dir, key)).await;
        let s = v.wait_on_tip(&net).await;
        assert!(
            s.verified_batch.is_some() && s.challenges.is_empty(),
            "{fault}: the deposits are verified honest: {s:?}"
        );
        configs.push(v.config.clone());
        v.shutdown().await;
    }

    let acked = trade(&net).await;
    let last = faulty_chain_posted(&net).await;
    let (bad, bad_chunk) = first_bad_chunk(&net).await.expect("a bad batch on L1");
    assert!(
        bad >= 1 && last > bad,
        "{fault}: batch {bad} is bad and later ones (to {last}) are posted"
    );
    let sequencer = address_of(&net.sequencer_key);
    let bond = net.l1.account(&sequencer).await.expect("account").bond;
    assert_eq!(bond, MIN_SEQUENCER_BOND);
    let burned_before = net.l1_status().await.supply.burned;

    // Half the window passes; the verifiers come back and catch up.
    net.mine(WINDOW / 2).await;
    let mut verifiers: Vec<Verifier> = Vec::new();
    for config in configs {
        verifiers.push(Verifier::start(config).await);
    }
    let r = ruling(&net).await;
    assert!(
        r.block <= r.deadline_block,
        "{fault}: proven within the window: {r:?}"
    );
    assert_eq!(
        (r.batch_index, r.chunk),
        (bad, bad_chunk),
        "{fault}: the first bad chunk"
    );
    assert_eq!(
        r.reverted,
        (bad..=last).collect::<Vec<_>>(),
        "{fault}: it and its descendants revert"
    );
    let reward = bond * u64::from(SLASH_SHARE_BPS) / 10_000;
    assert_eq!(
        r.slash,
        (sequencer, bond, reward, bond - reward),
        "{fault}: the whole bond is slashed"
    );
    assert_eq!(
        net.l1_status().await.supply.burned - burned_before,
        bond - reward
    );
    let winner = keys
        .iter()
        .position(|k| address_of(k) == r.challenger)
        .unwrap_or_else(|| panic!("{fault}: {} is not one of our verifiers", r.challenger));
    for (i, key) in keys.iter().enumerate() {
        let paid = if i == winner { reward } else { 0 };
        let balance = net
            .l1
            .account(&address_of(key))
            .await
            .expect("account")
            .balance;
        assert_eq!(
            balance,
            l1_balance_after_bonding() + paid,
            "{fault}: only the winner is paid"
        );
    }

    let (tip, root) = resequenced(&net, bad).await;
    assert_eq!(net.seq.status().await.expect("status").state_root, root);
    for (i, v) in verifiers.iter().enumerate() {
        let s = v.wait_on_tip(&net).await;
        assert_eq!(
            (s.verified_batch, s.verified_root, &s.halted),
            (tip, root, &None),
            "{fault}: verifier {i}"
        );
        let [record] = &s.challenges[..] else {
            panic!(
                "{fault}: verifier {i} found one bad batch: {:?}",
                s.challenges
            )
        };
        assert_eq!(
            (record.batch_index, record.chunk),
            (bad, bad_chunk),
            "{fault}: verifier {i}"
        );
        let expect = if i == winner {
            ChallengeOutcome::Upheld {
                reward: Some(reward),
            }
        } else {
            ChallengeOutcome::AlreadyReverted {
                by: Some(r.challenger),
            }
        };
        assert_eq!(record.outcome, expect, "{fault}: verifier {i}");
    }
    the_ruling_can_be_rerun(&net, &r, &verifiers[winner], fault).await;
    nothing_acked_is_lost(&net, &acked).await;
    everything_finalizes(&net, tip, &verifiers.iter().collect::<Vec<_>>()).await;
    for v in verifiers {
        v.shutdown().await;
    }
    net.shutdown().await;
}

/// Anyone can re-run the ruling: the settlement layer serves the upheld proof with its
/// witness, the winning verifier serves the very proof it built, and adjudicating it again
/// against the posted batch gives the same roots.
async fn the_ruling_can_be_rerun(net: &Network, r: &Ruling, winner: &Verifier, fault: Fault) {
    let upheld = net
        .l1
        .upheld_proof(r.submission_id)
        .await
        .unwrap_or_else(|e| panic!("{fault}: the settlement layer serves the upheld proof: {e}"));
    assert_eq!(
        (
            upheld.proof.batch_index,
            upheld.proof.chunk,
            upheld.challenger
        ),
        (r.batch_index, r.chunk, r.challenger),
        "{fault}"
    );
    let built = winner
        .client
        .challenge(r.submission_id)
        .await
        .unwrap_or_else(|e| panic!("{fault}: the winner serves its challenge: {e}"));
    assert_eq!(
        built.proof.as_ref(),
        Some(&upheld.proof),
        "{fault}: the same proof"
    );
    let posted = net
        .l1
        .submission(r.submission_id)
        .await
        .expect("submission");
    let batch = Batch::decode(&posted.data.expect("data")).expect("a batch");
    let verdict = fraud::adjudicate(&net.workload.genesis, &batch, &upheld.proof);
    let fraud::Verdict::Upheld(ruled) = verdict else {
        panic!("{fault}: re-running the ruling upholds it: {verdict:?}")
    };
    let served = fraud::UpheldChunk {
        chunk: upheld.proof.chunk,
        claimed_root: upheld.claimed_root,
        computed_root: upheld.computed_root,
        claimed_receipts_root: upheld.claimed_receipts_root,
        computed_receipts_root: upheld.computed_receipts_root,
    };
    assert_eq!(ruled, served, "{fault}");
    let only_receipts = fault == Fault::WrongReceipt;
    let same_state = ruled.claimed_root == ruled.computed_root;
    assert_eq!(same_state, only_receipts, "{fault}");
}

/// The fault kinds the tests below prove end to end, each with its workload seed.
const END_TO_END: [(Fault, u64); Fault::TABLE.len()] = [
    (Fault::WrongRoot, 1),
    (Fault::Mint, 2),
    (Fault::BadFill, 3),
    (Fault::SkipLiquidationCheck, 4),
    (Fault::WrongReceipt, 5),
    (Fault::AgentWithdraw, 6),
    (Fault::DeadManEarly, 7),
    (Fault::ExpireEarly, 8),
    (Fault::StopEarly, 9),
    (Fault::LeverageDropped, 10),
    (Fault::AdlMisranked, 11),
    (Fault::OptionSettlementPrice, 12),
    (Fault::OptionMark, 13),
    (Fault::IsolatedSpill, 14),
    (Fault::LiquidationSkipped, 15),
    (Fault::CircuitBreakerIgnored, 16),
    (Fault::BulkPriority, 17),
    (Fault::OptionShortUnmargined, 18),
];

#[test]
fn every_fault_kind_is_proven_end_to_end() {
    assert_eq!(END_TO_END.map(|(fault, _)| fault), Fault::ALL);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_receipt_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[4];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_root_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[0];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mint_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[1];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_fill_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[2];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skip_liquidation_check_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[3];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agent_withdraw_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[5];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_man_early_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[6];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expire_early_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[7];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_early_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[8];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leverage_dropped_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[9];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adl_misranked_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[10];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn option_settlement_price_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[11];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn option_mark_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[12];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolated_spill_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[13];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liquidation_skipped_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[14];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn circuit_breaker_ignored_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[15];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_priority_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[16];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn option_short_unmargined_from_the_real_sequencer_is_proven_and_resequenced() {
    let (fault, seed) = END_TO_END[17];
    fraud_is_proven_reverted_and_resequenced(fault, seed).await;
}

/// When a verifier dies, and what it had seen by then.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kill {
    /// A watch-mode verifier records the fraud (unsubmitted), then dies; it comes back as
    /// a challenger.
    AfterSeeingTheFraud,
    /// A challenge-mode verifier dies after the honest prefix; the fraud is posted while
    /// it is dead; it comes back as it was.
    BeforeTheFraud,
}

/// A verifier is killed (its runtime shut down: no stop code runs), half the window
/// passes, and it restarts on the same data dir: it resumes from its cursor, proves the
/// fraud before the deadline, and ends on the re-sequenced root.
async fn a_killed_verifier_still_proves_the_fraud_in_time(kill: Kill, seed: u64) {
    let plan = FaultPlan {
        fault: Fault::WrongRoot,
        from_batch: 1,
    };
    let net = Network::start(Workload::new(seed, 4), Some(plan)).await;
    let key = verifier_key(3);
    fund(&net.l1, &address_of(&key), VERIFIER_FUNDS).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut config = Verifier::config(&net, &dir, &key);
    if kill == Kill::AfterSeeingTheFraud {
        config.mode = Mode::Watch;
    }
    let mut first = Some(Verifier::start(config.clone()).await);
    let mut seen = None;
    if kill == Kill::BeforeTheFraud {
        let dying = first.take().expect("running");
        seen = Some(dying.wait_on_tip(&net).await);
        dying.kill().await;
    }
    let acked = trade(&net).await;
    let last = faulty_chain_posted(&net).await;
    let (bad, _) = first_bad_chunk(&net).await.expect("a bad batch on L1");
    if let Some(dying) = first.take() {
        let s = wait_for("the watcher to find the bad batch", || async {
            let s = dying.client.status().await.ok()?;
            (s.synced_batch == Some(last) && s.challenges.len() == 1).then_some(s)
        })
        .await;
        assert_eq!(s.challenges[0].batch_index, bad);
        assert!(matches!(
            s.challenges[0].outcome,
            ChallengeOutcome::Unsubmitted { .. }
        ));
        seen = Some(s);
        dying.kill().await;
    }
    let seen = seen.expect("seen before the kill");

    net.mine(WINDOW / 2).await;
    let v = Verifier::start(config.challenging(key.clone())).await;
    let r = ruling(&net).await;
    assert!(
        r.block <= r.deadline_block,
        "{kill:?}: proven within the window: {r:?}"
    );
    assert_eq!((r.batch_index, r.challenger), (bad, address_of(&key)));
    let (tip, root) = resequenced(&net, bad).await;
    let s = v.wait_on_tip(&net).await;
    assert!(
        s.resumed_from_cursor >= seen.cursor && s.resumed_from_cursor > 0,
        "{kill:?}: resumed from its database: {s:?}"
    );
    assert_eq!((s.verified_batch, s.verified_root), (tip, root));
    let reward = MIN_SEQUENCER_BOND * u64::from(SLASH_SHARE_BPS) / 10_000;
    assert_eq!(
        s.challenges[0].outcome,
        ChallengeOutcome::Upheld {
            reward: Some(reward)
        },
        "{kill:?}"
    );
    nothing_acked_is_lost(&net, &acked).await;
    everything_finalizes(&net, tip, &[&v]).await;
    v.shutdown().await;
    net.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verifier_killed_after_seeing_the_fraud_still_proves_it_in_time() {
    a_killed_verifier_still_proves_the_fraud_in_time(Kill::AfterSeeingTheFraud, 5).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verifier_killed_before_the_fraud_still_proves_it_in_time() {
    a_killed_verifier_still_proves_the_fraud_in_time(Kill::BeforeTheFraud, 6).await;
}

/// More than 1,000 workload actions (bulk submission) through the real sequencer with two
/// verifiers following: every batch verified and finalized, no challenge ever made.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_honest_run_of_1000_actions_is_never_challenged() {
    let net = Network::start(Workload::new(11, 16), None).await;
    let keys = [verifier_key(4), verifier_key(5)];
    let dirs = [
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    ];
    let mut verifiers = Vec::new();
    for (key, dir) in keys.iter().zip(&dirs) {
        fund(&net.l1, &address_of(key), VERIFIER_FUNDS).await;
        verifiers.push(Verifier::start(Verifier::config(&net, dir, key)).await);
    }
    let mut workload = net.workload.clone();
    let mut accepted = 0u64;
    for _ in 0..50 {
        if accepted >= 1_000 {
            break;
        }
        let mut txs = workload.price_updates(now_ms());
        txs.extend((0..250).map(|_| workload.next_tx(now_ms())));
        let actions: Vec<SignedAction> = txs
            .into_iter()
            .filter_map(|tx| match tx {
                Tx::User { action } => Some(action),
                Tx::L1 { .. } => None,
            })
            .collect();
        accepted += submit_bulk(&net, &actions).await;
        net.mine(1).await;
    }
    assert!(accepted >= 1_000, "only {accepted} actions accepted");
    let l1 = wait_for("everything to be posted", || net.settled()).await;
    let batches = l1.tip.index.expect("a tip") + 1;
    assert!(
        batches > accepted / 64,
        "{accepted} actions in {batches} batches of ≤ 64"
    );
    for v in &verifiers {
        v.wait_on_tip(&net).await;
    }
    everything_finalizes(&net, l1.tip.index, &verifiers.iter().collect::<Vec<_>>()).await;
    for (i, v) in verifiers.iter().enumerate() {
        let s = v.status().await;
        assert_eq!(
            (s.challenges.len(), s.totals.bad_batches),
            (0, 0),
            "verifier {i}: {s:?}"
        );
        assert!(
            s.totals.actions_reexecuted >= accepted,
            "verifier {i}: every action re-executed: {s:?}"
        );
    }
    let challenges: Vec<_> = net
        .events()
        .await
        .into_iter()
        .filter(|e| is_challenge_event(&e.event))
        .collect();
    assert!(challenges.is_empty(), "no challenge: {challenges:?}");
    for v in verifiers {
        v.shutdown().await;
    }
    net.shutdown().await;
}

/// A `POST /v1/txs` answer with a fill reads back as `BulkResponse` (its `i128` fees once
/// broke serde's buffered, internally tagged `BulkItem`).
#[test]
fn a_bulk_answer_with_a_fill_deserializes() {
    let body = r#"{"accepted":1,"rejected":0,"results":[{"result":"accepted",
        "hash":"0x0000000000000000000000000000000000000000000000000000000000000001",
        "seq":1,"batch_index":0,"position":0,"receipt":{"status":"ok","fills":[{"market":1,
        "maker":"0x0000000000000000000000000000000000000001","maker_nonce":1,
        "taker":"0x0000000000000000000000000000000000000002","taker_nonce":1,
        "price":50000000000,"size":10000,"taker_is_buy":true,"maker_fee":10000000,
        "taker_fee":25000000}],"cancelled":[],"order":null,"withdrawal_id":null,
        "liquidation":null}}]}"#;
    let parsed = serde_json::from_str::<protocol::api::sequencer::BulkResponse>(body);
    assert!(parsed.is_ok(), "{parsed:?}");
}
