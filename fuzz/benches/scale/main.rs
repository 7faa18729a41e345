//! `cargo bench -p vigil-fuzz --bench scale`: the rollup's two guarantees checked at scale
//! (#13), as a long run whose figures the README reports.
//!
//! 1. **No divergence.** A seeded random workload (`protocol::workload`, valid and invalid
//!    actions of every kind, agents included) is sequenced by the sequencer's own executor
//!    core (`sequencer::executor::Core`: intake's signature check, `Core::sequence`,
//!    sealing), each posted batch is decoded and re-executed by the verifier's
//!    re-execution (`verifier::core::reexec::find_first_bad_chunk`), and every chunk is
//!    ruled on by the adjudicator (`protocol::fraud::adjudicate`, which the settlement
//!    layer's challenge path calls unchanged) from a witness of its honest pre-state: the
//!    verifier must find no bad chunk and reach the posted root, and the adjudicator must
//!    answer "honest chunk" with exactly the committed state and receipts roots. A copy of
//!    the batch with that chunk's state root (even chunks) or receipts root (odd chunks)
//!    falsified must be upheld, computing the honest pair.
//! 2. **No mutated proof accepted** (`mutants.rs`): 29 mutants of every chunk's
//!    proof (byte mutations of the witness, wrong chunk and batch indices, a neighbouring
//!    chunk's witness, a witness pruned too far) are ruled on against the honest batch,
//!    where each must be refused, and against the falsified one, where an upheld ruling
//!    must name that chunk and compute the honest roots.
//!
//! Both rates are printed beside k256's signature-recovery rate measured in the same run.
//! Flags (after `--`): `--actions N` (default 1,000,000), `--minutes M` (a time bound,
//! default 120), `--seed S`. Run without `--bench` (as `cargo test --benches` does) it does
//! one small round.

mod mutants;

use libsecp_recovery::recover_signer as libsecp_recover;
use mutants::Tally;
use protocol::action::Tx;
use protocol::batch::ChunkExecutor;
use protocol::batch::{Batch, Signer, domain_separator, execute_chunks, verify_tx_with};
use protocol::codec::Decode;
use protocol::fraud::{self, FraudProof, Rejection, Verdict};
use protocol::primitives::H256;
use protocol::signing::{recover_signer, signing_digest};
use protocol::tree::Tree;
use protocol::workload::Workload;
use sequencer::executor::{Core, Decision};
use sequencer::journal::Entry;
use std::sync::Arc;
use std::time::{Duration, Instant};
use verifier::core::reexec::{self, Recovery};

const T0_MS: u64 = 1_700_000_000_000;
const TRADERS: usize = 64;
/// Actions per sequenced job; each job is sealed as one batch.
const JOB_ACTIONS: usize = 240;
const BATCH_MAX_TXS: usize = 4_096;
/// How the sequencer's intake and the verifier recover signatures: as both binaries do by
/// default (libsecp256k1; `libsecp-recovery`'s differential test holds it equal to k256),
/// on one thread. The adjudicator recovers with protocol's k256, as the settlement layer does.
const RECOVERY: Recovery = Recovery {
    workers: 1,
    recover: libsecp_recover,
};

/// What a run is asked to do.
#[derive(Debug, Clone, Copy)]
struct Plan {
    actions: u64,
    deadline: Duration,
    seed: u64,
}

impl Plan {
    fn from_args() -> Plan {
        let args: Vec<String> = std::env::args().collect();
        let flag = |name: &str, default: u64| {
            args.iter()
                .position(|a| a == name)
                .and_then(|i| args.get(i + 1))
                .map_or(default, |v| v.parse().expect("a number after the flag"))
        };
        let full = args.iter().any(|a| a == "--bench");
        Plan {
            actions: flag("--actions", if full { 1_000_000 } else { 1_500 }),
            deadline: Duration::from_secs(60 * flag("--minutes", 120)),
            seed: flag("--seed", 13),
        }
    }
}

/// The run's counts; every `divergences` entry is a failure.
#[derive(Debug, Default)]
struct Counts {
    actions: u64,
    included: u64,
    batches: u64,
    chunks: u64,
    honest_rulings: u64,
    upheld_rulings: u64,
    divergences: Vec<String>,
}

fn main() {
    let plan = Plan::from_args();
    let started = Instant::now();
    let mut workload = Workload::new(plan.seed, TRADERS).with_agents(plan.seed);
    let genesis = Arc::new(workload.genesis.clone());
    let mut core = Core::new(genesis.clone(), None);
    let deposits = workload.deposit_messages(1_000_000_000_000);
    core.add_l1(deposits);
    let mut replica = protocol::batch::genesis_tree(&genesis);
    let mut counts = Counts::default();
    let mut tally = Tally::default();
    let mut check_time = Duration::ZERO;
    let mut step = 0u64;
    while counts.actions < plan.actions && started.elapsed() < plan.deadline {
        let now = T0_MS + step * 1_000;
        step += 1;
        let mut txs = workload.price_updates(now);
        if step == 1 {
            txs.extend(workload.agent_approvals(now));
        }
        txs.extend((0..JOB_ACTIONS).map(|_| workload.next_tx(now)));
        counts.actions += txs.len() as u64;
        for data in sequence(&mut core, &genesis, txs, now) {
            let checking = Instant::now();
            replica = check_batch(&genesis, &replica, &data, &mut counts, &mut tally);
            check_time += checking.elapsed();
        }
        if step.is_multiple_of(200) {
            eprintln!(
                "{:>6.0} s: {} actions, {} batches, {} mutants, {} divergences",
                started.elapsed().as_secs_f64(),
                counts.actions,
                counts.batches,
                tally.mutants,
                counts.divergences.len() + tally.accepted.len()
            );
        }
    }
    report(
        &plan,
        &counts,
        &tally,
        started.elapsed(),
        check_time,
        &workload,
    );
}

/// What the sequencer's executor does with one job: intake's signature checks, then
/// `Core::sequence` and a seal; returns the posted batches' data.
fn sequence(
    core: &mut Core,
    genesis: &protocol::genesis::Genesis,
    txs: Vec<Tx>,
    now: u64,
) -> Vec<Vec<u8>> {
    let domain = domain_separator(genesis);
    let items = txs
        .into_iter()
        .map(|tx| {
            let signer = verify_tx_with(&tx, &domain, &genesis.oracles, RECOVERY.recover);
            (tx, signer)
        })
        .collect();
    core.sequence(items, now, BATCH_MAX_TXS)
        .expect("the executor runs on a full tree");
    core.seal(Decision::Live).expect("a seal on a full tree");
    core.take_entries()
        .into_iter()
        .filter_map(|entry| match entry {
            Entry::Seal { data, .. } => Some(data),
            _ => None,
        })
        .collect()
}

/// The verifier's re-execution and the adjudicator on every chunk of one posted batch,
/// from the replica's state; returns the state after it.
fn check_batch(
    genesis: &protocol::genesis::Genesis,
    replica: &Tree,
    data: &[u8],
    counts: &mut Counts,
    tally: &mut Tally,
) -> Tree {
    let batch = Batch::decode(data).expect("the executor's batch decodes");
    counts.batches += 1;
    counts.included += batch.txs.len() as u64;
    let index = batch.header.index;
    let (post, bad) = reexec::find_first_bad_chunk(replica, genesis, &batch, RECOVERY)
        .expect("a full tree executes");
    if let Some(bad) = bad {
        counts.divergences.push(format!(
            "batch {index}: the verifier finds chunk {} bad",
            bad.chunk
        ));
    }
    if post.root() != batch.header.post_state_root {
        counts
            .divergences
            .push(format!("batch {index}: the verifier ends on another root"));
    }
    let signers: Vec<Signer> = reexec::recover_signers(&batch.txs, genesis, RECOVERY);
    let pre_states: Vec<Tree> = execute_chunks(replica, genesis, &batch, Some(&signers))
        .map(|chunk| chunk.expect("a full tree executes").pre_state)
        .collect();
    for (chunk, pre) in pre_states.iter().enumerate() {
        let chunk = u32::try_from(chunk).expect("chunk count fits u32");
        let proofs = rule_on_chunk(genesis, &batch, chunk, pre, &signers, counts);
        let proven = mutants::ProvenChunk {
            genesis,
            batch: &batch,
            chunk,
            pre_states: &pre_states,
            proofs: &proofs,
            signers: &signers,
        };
        mutants::check(&proven, tally);
    }
    post
}

/// The adjudicator on chunk `chunk` of an honest batch and of a copy with it falsified;
/// returns that copy and the proof built against it.
fn rule_on_chunk(
    genesis: &protocol::genesis::Genesis,
    batch: &Batch,
    chunk: u32,
    pre: &Tree,
    signers: &[Signer],
    counts: &mut Counts,
) -> mutants::Proofs {
    counts.chunks += 1;
    let falsified = falsify(batch, chunk);
    // What `fraud::build` sends, with the signers already recovered (build refuses an
    // honest chunk, and would recover every signature once more).
    let proof = FraudProof {
        batch_index: batch.header.index,
        chunk,
        witness: mutants::recorded_witness(pre, |tree| {
            let _ = ChunkExecutor::for_batch(genesis, batch, Some(signers))
                .execute(tree, chunk as usize);
        }),
    };
    let committed = batch.chunk_commitment(chunk as usize);
    let at = format!("batch {} chunk {chunk}", batch.header.index);
    match fraud::adjudicate(genesis, batch, &proof) {
        Verdict::Rejected {
            reason:
                Rejection::HonestChunk {
                    root,
                    receipts_root,
                    ..
                },
        } if (root, receipts_root) == committed => counts.honest_rulings += 1,
        other => counts.divergences.push(format!(
            "{at}: the adjudicator rules {other:?} on the honest chunk"
        )),
    }
    match fraud::adjudicate(genesis, &falsified, &proof) {
        Verdict::Upheld(r) if (r.computed_root, r.computed_receipts_root) == committed => {
            counts.upheld_rulings += 1;
        }
        other => counts.divergences.push(format!(
            "{at}: the adjudicator rules {other:?} on the falsified chunk"
        )),
    }
    mutants::Proofs { falsified, proof }
}

/// `batch` with chunk `chunk`'s state root (even chunks) or receipts root (odd) replaced,
/// resealed so that its shape is still valid.
fn falsify(batch: &Batch, chunk: u32) -> Batch {
    let mut checkpoints = batch.checkpoints.clone();
    let mut receipt_roots = batch.receipt_roots.clone();
    let target = if chunk.is_multiple_of(2) {
        &mut checkpoints[chunk as usize]
    } else {
        &mut receipt_roots[chunk as usize]
    };
    target.0[0] ^= 0x5A;
    Batch::seal(
        batch.header.draft(),
        batch.header.prev_state_root,
        batch.txs.clone(),
        checkpoints,
        receipt_roots,
    )
}

/// `recover`'s rate on one core, over signatures of the same workload, this run.
fn recoveries_per_s(workload: &Workload, recover: protocol::signing::RecoverFn) -> f64 {
    let mut w = workload.clone();
    let domain = w.domain();
    let signed: Vec<(H256, protocol::action::Signature)> = (0..2_000)
        .filter_map(|_| match w.next_tx(T0_MS) {
            Tx::User { action } => {
                Some((signing_digest(&action.action, &domain), action.signature))
            }
            Tx::L1 { .. } => None,
        })
        .collect();
    let started = Instant::now();
    for (digest, signature) in &signed {
        std::hint::black_box(recover(digest, signature).expect("valid signature"));
    }
    signed.len() as f64 / started.elapsed().as_secs_f64()
}

fn report(
    plan: &Plan,
    counts: &Counts,
    tally: &Tally,
    elapsed: Duration,
    check_time: Duration,
    workload: &Workload,
) {
    let recoveries = recoveries_per_s(workload, recover_signer);
    let libsecp = recoveries_per_s(workload, libsecp_recover);
    let secs = elapsed.as_secs_f64();
    let rate = counts.actions as f64 / secs;
    println!(
        "scale run (seed {}, {TRADERS} traders, K = {}):",
        plan.seed, workload.genesis.checkpoint_interval_txs
    );
    println!(
        "  {} random actions sequenced, {} transactions in {} batches ({} chunks), {secs:.0} s",
        counts.actions, counts.included, counts.batches, counts.chunks
    );
    println!(
        "  adjudicator: {} honest chunks ruled honest with the committed roots, {} falsified chunks upheld with the honest roots",
        counts.honest_rulings, counts.upheld_rulings
    );
    println!(
        "  root divergences (executor vs verifier vs adjudicator): {}",
        counts.divergences.len()
    );
    for d in counts.divergences.iter().take(10) {
        println!("    {d}");
    }
    tally.print();
    println!(
        "  {rate:.0} actions/s end to end = {:.3} × k256 recoveries/s; checking alone {:.0} s",
        rate / recoveries,
        check_time.as_secs_f64()
    );
    println!(
        "  {:.0} mutated proofs ruled/s of checking time = {:.2} × k256 recoveries/s",
        tally.mutants as f64 / check_time.as_secs_f64(),
        tally.mutants as f64 / check_time.as_secs_f64() / recoveries
    );
    println!(
        "  recovery, same run, one core: k256 {recoveries:.0}/s, libsecp256k1 {libsecp:.0}/s (actions/s = {:.3} × libsecp's)",
        rate / libsecp
    );
    let failed = !counts.divergences.is_empty() || !tally.accepted.is_empty();
    assert!(
        !failed,
        "the scale run found divergences or accepted mutants"
    );
}
