//! Fraud proofs end to end in the pure core: a faulty sequencer corrupts one chunk in each
//! of the ways of `protocol::fault`, a verifier finds the first bad chunk and builds the
//! proof from its own replica, and the adjudicator upholds it; honest chunks and tampered
//! proofs are never upheld; witness execution equals full execution; and witness sizes at
//! 100,000 accounts stay small.

use proptest::prelude::*;
use protocol::action::{DEAD_MAN_MIN_DELAY_MS, Tx};
use protocol::batch::{Batch, ChunkExecutor, Draft, domain_separator, execute_tx, genesis_tree};
use protocol::engine::{self, BlockContext, Receipt};
use protocol::fault::{self, Fault};
use protocol::fraud::{self, FraudProof, Rejection, UpheldChunk, Verdict};
use protocol::genesis::DEVNET_FIRST_EXPIRY_MS;
use protocol::primitives::{Address, H256, keccak256};
use protocol::tree::Tree;
use protocol::workload::Workload;

/// An hour before the devnet's first option expiry: the first index lists that expiry's
/// series (Part 8 §9), so the option faults find series to corrupt.
const T0_MS: u64 = DEVNET_FIRST_EXPIRY_MS - 3_600_000;

/// A replica after genesis, deposits, prices (listing the first expiry's option series), an
/// implied volatility for them, every trader's agent approval and some
/// warm-up trading (agent actions, the client-order kinds and leverage settings included), so that accounts hold positions and resting
/// orders.
fn warmed_up(seed: u64, traders: usize, warmup_txs: usize) -> (Workload, Tree) {
    let mut w = Workload::new(seed, traders)
        .with_agents(seed)
        .with_client_orders()
        .with_leverage()
        .with_isolated();
    let mut tree = genesis_tree(&w.genesis);
    let domain = domain_separator(&w.genesis);
    let ctx = BlockContext {
        timestamp_ms: T0_MS,
    };
    let mut txs = w.deposits(100_000_000_000);
    txs.extend(w.price_updates(T0_MS));
    txs.push(implied_vol(&w, T0_MS));
    txs.extend(w.agent_approvals(T0_MS));
    txs.extend(w.isolated_modes(T0_MS));
    txs.extend((0..warmup_txs).map(|_| w.next_tx(T0_MS)));
    for tx in &txs {
        execute_tx(&mut tree, &w.genesis, &domain, &ctx, tx).unwrap();
    }
    (w, tree)
}

/// The workload oracle's 60 % implied volatility for BTC's options at `timestamp_ms`.
fn implied_vol(w: &Workload, timestamp_ms: u64) -> Tx {
    use protocol::action::{Action, ImpliedVolUpdate};
    let vol = Action::ImpliedVolUpdate(ImpliedVolUpdate {
        market: 1,
        vol_ppm: 600_000,
        timestamp_ms,
    });
    Tx::User {
        action: protocol::signing::sign_action(&w.oracle, vol, &domain_separator(&w.genesis)),
    }
}

/// What a sequencer with `fault` posts for `txs` from `pre`; the fault is injected at the
/// first chunk at or after `from_chunk` where it finds something to corrupt.
fn sequence(
    w: &Workload,
    pre: &Tree,
    txs: Vec<Tx>,
    fault: Option<Fault>,
    from_chunk: usize,
) -> (Batch, Option<u32>) {
    sequence_at(w, pre, txs, fault, from_chunk, T0_MS)
}

/// [`sequence`] for a batch stamped `timestamp_ms`.
fn sequence_at(
    w: &Workload,
    pre: &Tree,
    txs: Vec<Tx>,
    fault: Option<Fault>,
    from_chunk: usize,
    timestamp_ms: u64,
) -> (Batch, Option<u32>) {
    let genesis = &w.genesis;
    let ctx = BlockContext { timestamp_ms };
    let k = genesis.checkpoint_interval_txs;
    let exec = ChunkExecutor::new(genesis, &txs, ctx, None);
    let mut chunks = exec.clone().chunks(pre.clone());
    let mut checkpoints = Vec::new();
    let mut receipt_roots = Vec::new();
    let mut corrupted = None;
    while let Some(chunk) = chunks.next() {
        let chunk = chunk.unwrap();
        let chunk_txs = exec.txs(chunk.index);
        let mut roots = (chunk.post_root, chunk.receipts_root);
        let state = chunks.state_mut();
        if let Some(f) = fault.filter(|_| corrupted.is_none() && chunk.index >= from_chunk)
            && fault::corrupt(state, genesis, &ctx, f, chunk_txs, &chunk.receipts)
                .unwrap()
                .is_some()
        {
            corrupted = Some(chunk.index as u32);
            roots = fault::reported_roots(f, chunk.post_root, state.root(), &chunk.receipts);
        }
        checkpoints.push(roots.0);
        receipt_roots.push(roots.1);
    }
    let queue_start = engine::view::meta(&mut pre.clone())
        .unwrap()
        .next_queue_index;
    let batch = seal(
        w,
        pre,
        (queue_start, timestamp_ms),
        txs,
        (checkpoints, receipt_roots),
    );
    batch
        .check_shape(k)
        .expect("a sequenced batch is well-formed");
    (batch, corrupted)
}

/// The batch of `txs` from `pre`, stamped `timestamp_ms`, that consumes the L1 queue from
/// `queue_start`, with the chunks' post-state and receipts roots as posted (honest or not).
fn seal(
    w: &Workload,
    pre: &Tree,
    (queue_start, timestamp_ms): (u64, u64),
    txs: Vec<Tx>,
    (checkpoints, receipt_roots): (Vec<H256>, Vec<H256>),
) -> Batch {
    let draft = Draft {
        queue_start,
        ..Draft::first(&w.genesis, timestamp_ms)
    };
    Batch::seal(draft, pre.root(), txs, checkpoints, receipt_roots)
}

/// The verifier's finding on `batch` from `pre`: the first bad chunk must be chunk 0, and
/// the settlement layer must uphold the proof built for it (so the batch is reverted).
fn proven_at_chunk_0(w: &Workload, pre: &Tree, batch: &Batch, what: &str) -> UpheldChunk {
    let (_, bad) = fraud::find_first_bad_chunk(pre, &w.genesis, batch).unwrap();
    let bad = bad.unwrap_or_else(|| panic!("the verifier finds {what}"));
    assert_eq!(bad.chunk, 0, "{what}");
    let proof = fraud::build(&w.genesis, batch, bad.chunk, &bad.pre_state).unwrap();
    match fraud::adjudicate(&w.genesis, batch, &proof) {
        Verdict::Upheld(upheld) => upheld,
        other => panic!("{what}: expected the proof upheld, got {other:?}"),
    }
}

fn upheld_proof(fault: Fault, seed: u64) -> (Workload, Batch, FraudProof) {
    let (mut w, pre) = warmed_up(seed, 12, 150);
    let mut txs: Vec<Tx> = (0..96).map(|_| w.next_tx(T0_MS)).collect();
    // What the fault needs beyond a random workload (a liquidation, a tripped market, a bulk
    // modify that moved an order),
    // with prices signed a second after the warm-up's.
    let at_ms = T0_MS + 1_000;
    txs.extend(w.precondition(fault, at_ms));
    let (batch, corrupted) = sequence_at(&w, &pre, txs, Some(fault), 2, at_ms);
    let corrupted =
        corrupted.unwrap_or_else(|| panic!("{fault}: the workload offered nothing to corrupt"));

    let (_, bad) = fraud::find_first_bad_chunk(&pre, &w.genesis, &batch).unwrap();
    let bad = bad.unwrap_or_else(|| panic!("{fault}: the verifier found no bad chunk"));
    assert_eq!(
        bad.chunk, corrupted,
        "{fault}: the first bad chunk is the corrupted one"
    );
    let proof = fraud::build(&w.genesis, &batch, bad.chunk, &bad.pre_state).unwrap();
    (w, batch, proof)
}

#[test]
fn every_fault_kind_is_proven_and_upheld() {
    for fault in Fault::ALL {
        let (w, batch, proof) = upheld_proof(fault, 11);
        match fraud::adjudicate(&w.genesis, &batch, &proof) {
            Verdict::Upheld(u) => {
                assert_eq!(u.chunk, proof.chunk);
                assert_eq!(u.claimed_root, batch.checkpoints[u.chunk as usize]);
                assert_eq!(
                    u.claimed_receipts_root,
                    batch.receipt_roots[u.chunk as usize]
                );
                assert_ne!(
                    (u.claimed_root, u.claimed_receipts_root),
                    (u.computed_root, u.computed_receipts_root)
                );
            }
            other => panic!("{fault}: expected upheld, got {other:?}"),
        }
        // A one-call proof is small: a pruned pre-state, never the whole state.
        assert!(
            proof.witness.len() < 64 * 1024,
            "{fault}: witness of {} bytes",
            proof.witness.len()
        );
    }
}

/// `option-settlement-price` where it matters most: in the first batch past the series'
/// expiry, once the index at expiry has fixed the settlement price (Part 8 §13), the
/// sequencer writes another; the verifier finds that chunk and the proof is upheld.
#[test]
fn a_series_settled_at_a_wrong_price_at_expiry_is_proven() {
    let (mut w, pre) = warmed_up(7, 4, 0);
    let at_ms = DEVNET_FIRST_EXPIRY_MS + 1_000;
    let txs = w.price_updates(at_ms);
    assert_eq!(txs.len(), 2, "an index for each market");
    let mut honest = pre.clone();
    let domain = domain_separator(&w.genesis);
    let ctx = BlockContext {
        timestamp_ms: at_ms,
    };
    for tx in &txs {
        execute_tx(&mut honest, &w.genesis, &domain, &ctx, tx).unwrap();
    }
    let fixed = fault::corrupt(
        &mut honest,
        &w.genesis,
        &ctx,
        Fault::OptionSettlementPrice,
        &txs,
        &[],
    )
    .unwrap()
    .expect("a series to misprice");
    assert!(
        !fixed.ends_with("was 0; 0 = not yet fixed)"),
        "the expiry fixed the price first: {fixed}"
    );

    let (batch, corrupted) =
        sequence_at(&w, &pre, txs, Some(Fault::OptionSettlementPrice), 0, at_ms);
    assert_eq!(corrupted, Some(0));
    proven_at_chunk_0(&w, &pre, &batch, "the mispriced settlement");
}

/// `option-short-unmargined` on its own: trader 1 bids for 100 BTC of the at-the-money
/// call, trader 0 sells one lot into it (accepted, within margin). The STF refuses trader
/// 0's sale of the rest (`insufficient_margin`); the faulty sequencer fills it, leaving
/// trader 0 short below its initial margin; the verifier finds that chunk and the proof is
/// upheld.
#[test]
fn a_short_option_sold_without_margin_is_proven() {
    use protocol::action::{Action, Order, TimeInForce};
    use protocol::engine::Status;
    use protocol::options::schedule::SERIES_ID_BASE;
    use protocol::signing::sign_action;
    use protocol::workload::UNMARGINED_BID_UNITS;

    let (mut w, pre) = warmed_up(5, 2, 0);
    let at_ms = T0_MS + 1_000;
    let fault = Fault::OptionShortUnmargined;
    let txs = w.precondition(fault, at_ms);
    let ctx = BlockContext {
        timestamp_ms: at_ms,
    };
    let domain = domain_separator(&w.genesis);
    let mut honest = pre.clone();
    let receipts: Vec<Receipt> = txs
        .iter()
        .map(|tx| execute_tx(&mut honest, &w.genesis, &domain, &ctx, tx).unwrap())
        .collect();
    assert!(receipts.iter().all(|r| r.status.is_ok()), "{receipts:?}");
    assert_eq!(receipts.last().unwrap().fills.len(), 1, "the lot sold");

    let seller = w.traders[0].address;
    let schedule = &w.genesis.options[0];
    let rest = Order {
        account: seller,
        market: SERIES_ID_BASE + 2 * schedule.strikes_each_side,
        is_buy: false,
        price: schedule.premium_tick,
        size: UNMARGINED_BID_UNITS * 10_000 - 1,
        tif: TimeInForce::Ioc,
        reduce_only: false,
        nonce: 1_000_000,
        expires_at: at_ms + 60_000,
    };
    let rest = Tx::User {
        action: sign_action(&w.traders[0].key, Action::Order(rest), &domain),
    };
    let refused = execute_tx(&mut honest.clone(), &w.genesis, &domain, &ctx, &rest).unwrap();
    assert_eq!(refused.status, Status::InsufficientMargin, "{refused:?}");

    let mut faulty = honest.clone();
    let what = fault::corrupt(&mut faulty, &w.genesis, &ctx, fault, &txs, &receipts)
        .unwrap()
        .expect("the rest of the bid sold");
    assert!(what.contains(&seller.to_string()), "{what}");
    let risk = engine::view::account_risk_view(&mut faulty, &w.genesis, &seller).unwrap();
    assert!(risk.equity < risk.initial, "below initial margin: {risk:?}");

    let (batch, corrupted) = sequence_at(&w, &pre, txs, Some(fault), 0, at_ms);
    assert_eq!(corrupted, Some(0));
    proven_at_chunk_0(&w, &pre, &batch, "the unmargined short");
}

#[test]
fn honest_batches_are_never_upheld() {
    for seed in 0..4 {
        let (mut w, pre) = warmed_up(seed, 10, 100);
        let txs: Vec<Tx> = (0..64).map(|_| w.next_tx(T0_MS)).collect();
        let (batch, corrupted) = sequence(&w, &pre, txs, None, 0);
        assert_eq!(corrupted, None);
        let (post, bad) = fraud::find_first_bad_chunk(&pre, &w.genesis, &batch).unwrap();
        assert!(bad.is_none(), "seed {seed}: honest batch flagged");
        assert_eq!(post.root(), batch.header.post_state_root);

        // Whatever witness a challenger assembles for an honest chunk, the ruling is "honest".
        let genesis = &w.genesis;
        let exec = ChunkExecutor::for_batch(genesis, &batch, None);
        let mut state = pre.clone();
        for chunk in 0..batch.checkpoints.len() {
            let mut recorder = state.clone();
            recorder.start_recording();
            exec.execute(&mut recorder, chunk).unwrap();
            let witness = state
                .pruned_to(&recorder.take_recording())
                .to_witness_bytes();
            let proof = FraudProof {
                batch_index: 0,
                chunk: chunk as u32,
                witness,
            };
            let verdict = fraud::adjudicate(genesis, &batch, &proof);
            assert!(
                matches!(
                    verdict,
                    Verdict::Rejected {
                        reason: Rejection::HonestChunk { .. }
                    }
                ),
                "seed {seed} chunk {chunk}: {verdict:?}"
            );
            assert!(matches!(
                fraud::build(genesis, &batch, chunk as u32, &state),
                Err(fraud::BuildError::HonestChunk { .. })
            ));
            state = recorder;
        }
    }
}

fn rejection(w: &Workload, batch: &Batch, proof: &FraudProof) -> Rejection {
    match fraud::adjudicate(&w.genesis, batch, proof) {
        Verdict::Rejected { reason } => reason,
        upheld => panic!("tampered proof upheld: {upheld:?}"),
    }
}

#[test]
fn tampered_proofs_are_rejected_with_the_reason() {
    let (w, batch, proof) = upheld_proof(Fault::Mint, 5);
    let chunks = batch.checkpoints.len();
    let check = |tampered: FraudProof, expect: fn(&Rejection) -> bool| {
        let reason = rejection(&w, &batch, &tampered);
        assert!(expect(&reason), "unexpected rejection: {reason}");
        assert!(!reason.to_string().is_empty());
    };
    check(
        FraudProof {
            batch_index: 1,
            ..proof.clone()
        },
        |r| matches!(r, Rejection::WrongBatch { proof: 1, batch: 0 }),
    );
    check(
        FraudProof {
            chunk: chunks as u32,
            ..proof.clone()
        },
        |r| matches!(r, Rejection::NoSuchChunk { .. }),
    );
    check(
        FraudProof {
            witness: vec![0xff; 10],
            ..proof.clone()
        },
        |r| matches!(r, Rejection::MalformedWitness { .. }),
    );
    check(
        FraudProof {
            witness: Vec::new(),
            ..proof.clone()
        },
        |r| matches!(r, Rejection::MalformedWitness { .. }),
    );
    // The right witness offered for the wrong chunk does not match that chunk's pre-root.
    check(
        FraudProof {
            chunk: proof.chunk + 1,
            ..proof.clone()
        },
        |r| matches!(r, Rejection::WitnessRootMismatch { .. }),
    );
    // A witness pruned to nothing hashes right but cannot execute the chunk.
    let root_only = Tree::from_witness_bytes(&proof.witness).unwrap();
    let mut empty_recorder = root_only.clone();
    empty_recorder.start_recording();
    let pruned = root_only
        .pruned_to(&empty_recorder.take_recording())
        .to_witness_bytes();
    check(
        FraudProof {
            witness: pruned,
            ..proof.clone()
        },
        |r| matches!(r, Rejection::WitnessIncomplete { .. }),
    );
    // No single-byte change of the witness yields an upheld proof for a different state.
    for i in (0..proof.witness.len()).step_by(3) {
        let mut witness = proof.witness.clone();
        witness[i] ^= 0x5a;
        let reason = rejection(
            &w,
            &batch,
            &FraudProof {
                witness,
                ..proof.clone()
            },
        );
        assert!(
            matches!(
                reason,
                Rejection::MalformedWitness { .. } | Rejection::WitnessRootMismatch { .. }
            ),
            "byte {i}: {reason}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    /// Running a random chunk on its witness gives exactly the receipts and root of running
    /// it on the full state.
    #[test]
    fn witness_execution_equals_full_execution(seed in any::<u64>(), warmup in 0usize..24, len in 1usize..10, later in any::<bool>()) {
        let (mut w, pre) = warmed_up(seed, 4, warmup);
        let genesis = w.genesis.clone();
        let domain = domain_separator(&genesis);
        // Later: past every dead-man's switch the warm-up scheduled, so the sweep fires.
        let now = if later { T0_MS + DEAD_MAN_MIN_DELAY_MS + 2_000 } else { T0_MS + 1 };
        let ctx = BlockContext { timestamp_ms: now };
        let mut txs: Vec<Tx> = w.price_updates(now);
        txs.extend((0..len).map(|_| w.next_tx(now)));

        let mut full = pre.clone();
        full.start_recording();
        let expected: Vec<Receipt> = txs.iter().map(|tx| execute_tx(&mut full, &genesis, &domain, &ctx, tx).unwrap()).collect();
        let witness_bytes = pre.pruned_to(&full.take_recording()).to_witness_bytes();
        let mut witness = Tree::from_witness_bytes(&witness_bytes).unwrap();
        prop_assert_eq!(witness.root(), pre.root());
        let got: Vec<Receipt> = txs.iter().map(|tx| execute_tx(&mut witness, &genesis, &domain, &ctx, tx).unwrap()).collect();
        prop_assert_eq!(got, expected);
        prop_assert_eq!(witness.root(), full.root());
    }
}

/// DESIGN §3 cost target: a chunk's witness is O(touched keys × log N), a few KB, and
/// under 64 KB at the default K, on a state of 100,000 accounts with open orders.
#[test]
fn witness_sizes_at_100k_accounts_with_open_orders() {
    let (mut w, mut state) = warmed_up(3, 20, 200);
    let genesis = w.genesis.clone();
    let ctx = BlockContext {
        timestamp_ms: T0_MS,
    };
    // 100,000 more accounts, each with a deposit; every tenth also rests an order. The
    // signature check is the batch driver's job, so setup hands the engine the signer.
    let first_queue = engine::view::meta(&mut state).unwrap().next_queue_index;
    for i in 0..100_000u64 {
        let account = Address(keccak256(&i.to_be_bytes()).0[12..].try_into().unwrap());
        let deposit = Tx::L1 {
            queue_index: first_queue + i,
            message: protocol::action::L1Message::Deposit {
                account,
                amount: 10_000_000_000,
            },
        };
        assert!(
            engine::apply_tx(&mut state, &genesis, &ctx, &deposit, &Ok(account))
                .unwrap()
                .status
                .is_ok()
        );
        if i % 10 == 0 {
            let market = &genesis.markets[(i % 2) as usize];
            let mark = engine::view::market_state(&mut state, market.id)
                .unwrap()
                .mark_price;
            let is_buy = i % 20 == 0;
            // Rest 1–3% away from the mark so these orders never cross.
            let away = mark / 100 * (1 + i % 3);
            let price = (if is_buy { mark - away } else { mark + away }) / market.tick_size
                * market.tick_size;
            let order = protocol::action::Order {
                account,
                market: market.id,
                is_buy,
                price,
                size: market.lot_size * 10,
                tif: protocol::action::TimeInForce::Gtc,
                reduce_only: false,
                nonce: 1,
                expires_at: T0_MS + 1,
            };
            let tx = Tx::User {
                action: protocol::action::SignedAction {
                    action: protocol::action::Action::Order(order),
                    signature: protocol::action::Signature([0; 65]),
                },
            };
            let r = engine::apply_tx(&mut state, &genesis, &ctx, &tx, &Ok(account)).unwrap();
            assert!(r.status.is_ok(), "setup order {i}: {:?}", r.status);
        }
    }
    let leaves = state.iter().count();
    assert!(
        leaves > 120_000,
        "{leaves} leaves: 100k accounts, 10k book orders and their index entries"
    );

    let txs: Vec<Tx> = (0..256).map(|_| w.next_tx(T0_MS)).collect();
    let (batch, _) = sequence(&w, &state, txs, None, 0);
    let k = genesis.checkpoint_interval_txs;
    let exec = ChunkExecutor::for_batch(&genesis, &batch, None);
    let mut pre = state.clone();
    let mut sizes = Vec::new();
    for chunk in 0..batch.checkpoints.len() {
        let mut recorder = pre.clone();
        recorder.start_recording();
        exec.execute(&mut recorder, chunk).unwrap();
        let recording = recorder.take_recording();
        sizes.push((
            pre.pruned_to(&recording).to_witness_bytes().len(),
            recording.len(),
        ));
        pre = recorder;
    }
    let max = sizes.iter().map(|s| s.0).max().unwrap();
    let mean = sizes.iter().map(|s| s.0).sum::<usize>() / sizes.len();
    let per_node = sizes
        .iter()
        .map(|(bytes, nodes)| bytes / nodes.max(&1))
        .max()
        .unwrap();
    eprintln!(
        "witness bytes per chunk at K={k}, {leaves} leaves: max {max}, mean {mean}, max bytes per opened node {per_node}"
    );
    assert!(max < 64 * 1024, "witness of {max} bytes at K={k}");
    // O(touched nodes): each opened node costs its own bytes plus at most a pruned sibling,
    // never a subtree. 200 bytes covers a node, a sibling hash and a typical record value.
    assert!(per_node < 200, "{per_node} bytes per opened node");
}

#[test]
fn upheld_roots_differ_only_where_the_fault_was() {
    // The verifier's honest replay continues past the bad chunk on honest state; the
    // faulty post-root is what the chain would have finalized without the proof.
    let (mut w, pre) = warmed_up(21, 8, 80);
    let txs: Vec<Tx> = (0..48).map(|_| w.next_tx(T0_MS)).collect();
    let (honest, _) = sequence(&w, &pre, txs.clone(), None, 0);
    let (faulty, chunk) = sequence(&w, &pre, txs, Some(Fault::WrongRoot), 1);
    let chunk = chunk.unwrap() as usize;
    assert_eq!(honest.checkpoints[..chunk], faulty.checkpoints[..chunk]);
    assert_ne!(honest.checkpoints[chunk], faulty.checkpoints[chunk]);
    // A wrong root alone does not change the state, so later checkpoints agree again.
    assert_eq!(
        honest.checkpoints[chunk + 1..],
        faulty.checkpoints[chunk + 1..]
    );
    let _ = H256::ZERO;
}

/// A sequencer that ignores the circuit breaker (it runs the STF with the breaker's move
/// rule switched off) accepts a risk-increasing order in a reduce-only market; the verifier
/// finds that chunk and the adjudicator upholds the proof, because the honest replay on
/// the witness gives the order `market_halted` (docs/PROTOCOL.md Part 4 §7.1). Here the
/// lax sequencer's receipt claims the order too; the `circuit-breaker-ignored` row of the
/// fault table (Part 4 §25) is the same bug injected into the state alone, proven with
/// every other fault kind.
#[test]
fn a_sequencer_that_ignores_the_circuit_breaker_is_proven() {
    use protocol::action::{Action, Order, PriceUpdate, TimeInForce};
    use protocol::engine::Status;
    use protocol::signing::sign_action;

    const USD: u64 = 1_000_000;
    let mut w = Workload::new(21, 2);
    let mut setup = w.deposits(100_000 * USD);
    let domain = domain_separator(&w.genesis);
    let oracle = |price: u64, timestamp_ms: u64| Tx::User {
        action: sign_action(
            &w.oracle,
            Action::PriceUpdate(PriceUpdate {
                market: 1,
                price,
                timestamp_ms,
            }),
            &domain,
        ),
    };
    // Pre-state: both traders funded, BTC at 50,000 USD signed 5 s before the batch.
    let mut pre = genesis_tree(&w.genesis);
    let ctx = BlockContext {
        timestamp_ms: T0_MS,
    };
    setup.push(oracle(50_000 * USD, T0_MS - 5_000));
    for tx in &setup {
        let r = execute_tx(&mut pre, &w.genesis, &domain, &ctx, tx).unwrap();
        assert!(r.status.is_ok(), "{r:?}");
    }
    // The batch: a 20 % jump trips the breaker, then trader 0 bids to open a position.
    let bid = Order {
        account: w.traders[0].address,
        market: 1,
        is_buy: true,
        price: 59_000 * USD,
        size: 10,
        tif: TimeInForce::Gtc,
        reduce_only: false,
        nonce: 1,
        expires_at: T0_MS + 60_000,
    };
    let txs = vec![
        oracle(60_000 * USD, T0_MS),
        Tx::User {
            action: sign_action(&w.traders[0].key, Action::Order(bid), &domain),
        },
    ];
    let post = |genesis: &protocol::genesis::Genesis| {
        let exec = ChunkExecutor::new(genesis, &txs, ctx, None);
        let mut chunks = exec.chunks(pre.clone());
        let chunk = chunks.next().unwrap().unwrap();
        assert!(chunks.next().is_none(), "one chunk");
        (chunk.post_root, chunk.receipts_root, chunk.receipts)
    };
    let (_, _, honest) = post(&w.genesis);
    assert_eq!(honest[1].status, Status::MarketHalted, "{:?}", honest[1]);
    // The faulty sequencer's rulebook: no move rule.
    let mut lax = w.genesis.clone();
    for m in &mut lax.markets {
        m.breaker_move_bps = 0;
    }
    let (root, receipts_root, faulty) = post(&lax);
    assert_eq!(faulty[1].status, Status::Ok, "{:?}", faulty[1]);

    let roots = (vec![root], vec![receipts_root]);
    let batch = seal(&w, &pre, (2, T0_MS), txs.clone(), roots);
    let u = proven_at_chunk_0(&w, &pre, &batch, "the chunk that ignored the breaker");
    assert_eq!(
        (u.claimed_root, u.claimed_receipts_root),
        (root, receipts_root)
    );
    assert_ne!(u.computed_root, root);
}

/// A sequencer that computes the index wrongly (it takes the newest signed price instead of
/// the median of the fresh signers, Part 4 §7) posts a root no honest execution gives; the
/// verifier finds that chunk and the adjudicator upholds the proof, so the batch is
/// reverted.
#[test]
fn a_sequencer_that_computes_the_index_wrongly_is_proven() {
    use protocol::action::{Action, PriceUpdate};
    use protocol::codec::{Decode, Encode};
    use protocol::engine::{keys::market_key, records::MarketState};
    use protocol::signing::{address_of, sign_action};
    use protocol::state::State;
    use protocol::workload::dev_key;

    const USD: u64 = 1_000_000;
    let keys: Vec<_> = (0..3).map(|i| dev_key("fraud-oracle", 0, i)).collect();
    let genesis = Workload::new(22, 2)
        .genesis
        .with_oracles(keys.iter().map(address_of).collect());
    let w = Workload::with_genesis(22, 2, genesis, keys[0].clone());
    let domain = domain_separator(&w.genesis);
    let price = |signer: usize, price: u64| Tx::User {
        action: sign_action(
            &keys[signer],
            Action::PriceUpdate(PriceUpdate {
                market: 1,
                price,
                timestamp_ms: T0_MS,
            }),
            &domain,
        ),
    };
    let pre = genesis_tree(&w.genesis);
    let ctx = BlockContext {
        timestamp_ms: T0_MS,
    };
    // Two honest signers at 50,000 and 50,010 USD, then signer 2's outlier at 60,000.
    let txs = vec![
        price(0, 50_000 * USD),
        price(1, 50_010 * USD),
        price(2, 60_000 * USD),
    ];
    let exec = ChunkExecutor::new(&w.genesis, &txs, ctx, None);
    let chunk = exec.chunks(pre.clone()).next().unwrap().unwrap();
    assert!(chunk.receipts.iter().all(|r| r.status.is_ok()));
    // The honest index is the median, 50,010 USD; the faulty sequencer books 60,000.
    let mut faulty = pre.clone();
    for tx in &txs {
        execute_tx(&mut faulty, &w.genesis, &domain, &ctx, tx).unwrap();
    }
    let key = market_key(1);
    let mut ms = MarketState::decode(&faulty.get(&key).unwrap().unwrap()).unwrap();
    assert_eq!(ms.index_price, 50_010 * USD, "the honest index");
    ms.index_price = 60_000 * USD;
    ms.mark_price = 60_000 * USD;
    faulty.set(&key, ms.encode()).unwrap();
    let root = faulty.root();
    assert_ne!(root, chunk.post_root);

    let roots = (vec![root], vec![chunk.receipts_root]);
    let batch = seal(&w, &pre, (0, T0_MS), txs.clone(), roots);
    let u = proven_at_chunk_0(&w, &pre, &batch, "the chunk with the wrong index");
    assert_eq!(u.claimed_root, root);
    assert_eq!(u.computed_root, chunk.post_root);
}
