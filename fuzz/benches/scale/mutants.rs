//! The scale bench's second guarantee: no mutated fraud proof is accepted. Every chunk's
//! proof is mutated 29 ways (`vigil_fuzz::mutate`'s seven byte mutations of the
//! witness, three times each; wrong chunk and batch indices; a neighbouring chunk's witness, which
//! hashes to another pre-root; a witness pruned to the chunk's first transaction, or to its
//! root alone) and each mutant is ruled on twice: against the honest batch it must be
//! refused, and against the copy with that chunk falsified an upheld ruling must name that
//! chunk and compute the honest roots (a mutation may be harmless, never misleading).

use protocol::batch::{Batch, ChunkExecutor, Signer, domain_separator, execute_tx};
use protocol::fraud::{self, FraudProof, Rejection, Verdict};
use protocol::genesis::Genesis;
use protocol::tree::Tree;
use protocol::workload::SplitMix64;
use std::collections::BTreeMap;
use vigil_fuzz::mutate::Mutation;

/// Mutants of each byte-mutation kind per chunk (7 kinds, so 21 of the ~29 per chunk).
const BYTE_MUTANTS_EACH: usize = 3;

/// A chunk's falsified batch and the (valid) proof against it.
#[derive(Debug)]
pub struct Proofs {
    pub falsified: Batch,
    pub proof: FraudProof,
}

/// What the mutants got.
#[derive(Debug, Default)]
pub struct Tally {
    pub mutants: u64,
    /// Per mutation: how many, and how many were still upheld (harmlessly) on the falsified batch.
    by_kind: BTreeMap<&'static str, (u64, u64)>,
    /// The honest batch's refusals by reason.
    reasons: BTreeMap<&'static str, u64>,
    /// Every mutant accepted where it must not be: each is a failure.
    pub accepted: Vec<String>,
}

impl Tally {
    pub fn print(&self) {
        println!(
            "  mutated proofs: {} ruled on twice each, {} accepted wrongly",
            self.mutants,
            self.accepted.len()
        );
        for (kind, (n, harmless)) in &self.by_kind {
            println!(
                "    {kind:<32} {n:>9}  (upheld unchanged on the falsified batch: {harmless})"
            );
        }
        let reasons: Vec<String> = self
            .reasons
            .iter()
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        println!("    refused on the honest batch as: {}", reasons.join(", "));
        for a in self.accepted.iter().take(10) {
            println!("    ACCEPTED: {a}");
        }
    }
}

/// One chunk of an honest batch with what its mutants are made from: the batch's chunk
/// pre-states, the proof against the falsified copy, and the recovered signers.
#[derive(Debug)]
pub struct ProvenChunk<'a> {
    pub genesis: &'a Genesis,
    pub batch: &'a Batch,
    pub chunk: u32,
    pub pre_states: &'a [Tree],
    pub proofs: &'a Proofs,
    pub signers: &'a [Signer],
}

/// The mutants of the chunk's proof, each ruled on against both batches.
pub fn check(proven: &ProvenChunk<'_>, tally: &mut Tally) {
    let ProvenChunk {
        genesis,
        batch,
        chunk,
        proofs,
        ..
    } = *proven;
    let committed = batch.chunk_commitment(chunk as usize);
    for (kind, mutant) in mutants(proven) {
        tally.mutants += 1;
        let entry = tally.by_kind.entry(kind).or_default();
        entry.0 += 1;
        let at = format!("batch {} chunk {chunk}, {kind}", batch.header.index);
        match fraud::adjudicate(genesis, batch, &mutant) {
            Verdict::Rejected { reason } => *tally.reasons.entry(code(&reason)).or_default() += 1,
            Verdict::Upheld(r) => tally
                .accepted
                .push(format!("{at}: upheld on the honest batch: {r:?}")),
        }
        if let Verdict::Upheld(r) = fraud::adjudicate(genesis, &proofs.falsified, &mutant) {
            if r.chunk == chunk && (r.computed_root, r.computed_receipts_root) == committed {
                entry.1 += 1;
            } else {
                tally
                    .accepted
                    .push(format!("{at}: upheld with another result: {r:?}"));
            }
        }
    }
}

fn code(reason: &Rejection) -> &'static str {
    match reason {
        Rejection::WrongBatch { .. } => "wrong_batch",
        Rejection::NoSuchChunk { .. } => "no_such_chunk",
        Rejection::MalformedWitness { .. } => "malformed_witness",
        Rejection::WitnessRootMismatch { .. } => "witness_root_mismatch",
        Rejection::WitnessIncomplete { .. } => "witness_incomplete",
        Rejection::HonestChunk { .. } => "honest_chunk",
    }
}

fn mutants(proven: &ProvenChunk<'_>) -> Vec<(&'static str, FraudProof)> {
    let ProvenChunk {
        genesis,
        batch,
        chunk,
        pre_states,
        proofs,
        signers,
    } = *proven;
    let proof = &proofs.proof;
    let mut rng = SplitMix64(batch.header.index << 32 | u64::from(chunk));
    let with_witness = |witness: Vec<u8>| FraudProof {
        witness,
        ..proof.clone()
    };
    let mut out = Vec::new();
    for mutation in Mutation::ALL {
        for _ in 0..BYTE_MUTANTS_EACH {
            out.push((
                mutation.name(),
                with_witness(mutation.apply(&proof.witness, &mut rng)),
            ));
        }
    }
    for (kind, other) in [
        ("chunk index + 1", chunk.wrapping_add(1)),
        ("chunk index - 1", chunk.wrapping_sub(1)),
        ("random chunk index", rng.next_u64() as u32),
        ("chunk index u32::MAX", u32::MAX),
    ] {
        out.push((
            kind,
            FraudProof {
                chunk: other,
                ..proof.clone()
            },
        ));
    }
    out.push((
        "batch index + 1",
        FraudProof {
            batch_index: proof.batch_index + 1,
            ..proof.clone()
        },
    ));
    let neighbour = if chunk > 0 { chunk - 1 } else { chunk + 1 };
    if let Some(other) = pre_states.get(neighbour as usize) {
        let witness = recorded_witness(other, |t| {
            let _ =
                ChunkExecutor::for_batch(genesis, batch, Some(signers)).execute(t, chunk as usize);
        });
        out.push(("a neighbouring chunk's pre-state", with_witness(witness)));
    }
    let pre = &pre_states[chunk as usize];
    let first = &batch.txs[ChunkExecutor::for_batch(genesis, batch, None)
        .range(chunk as usize)
        .start];
    let ctx = batch.header.block_context();
    let domain = domain_separator(genesis);
    let witness = recorded_witness(pre, |t| {
        let _ = execute_tx(t, genesis, &domain, &ctx, first);
    });
    out.push(("pruned to the first tx", with_witness(witness)));
    out.push((
        "pruned to the root",
        with_witness(recorded_witness(pre, |_| ())),
    ));
    out
}

/// `pre` pruned to what `step` opens on a recording copy of it, as witness bytes.
pub fn recorded_witness(pre: &Tree, step: impl FnOnce(&mut Tree)) -> Vec<u8> {
    let mut tree = pre.clone();
    tree.start_recording();
    step(&mut tree);
    pre.pruned_to(&tree.take_recording()).to_witness_bytes()
}
