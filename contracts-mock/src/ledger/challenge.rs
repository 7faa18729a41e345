//! Fraud proofs: finding the batch a proof targets, the ruling (`protocol::fraud::adjudicate`,
//! the same code every verifier runs), and the consequences of an upheld proof: the
//! challenged batch and every later one are reverted, the tip falls back to the last valid
//! root, and the batch poster's whole bond is slashed, `slash_share_bps` of it to the
//! challenger and the rest burned.
//!
//! A rejected proof is an answer, not a failure: 422 `proof_rejected` with the rejection in
//! `details`, and nothing changes (not even the challenger's nonce).

use super::batches::{self, BatchRow};
use super::{accounts, chain, events};
use crate::error_codes;
use crate::rules::Rules;
use protocol::api::settlement::{
    BatchStatus, ChallengeCall, ChallengeResponse, EventKind, SlashInfo, UpheldProof,
};
use protocol::batch::Batch;
use protocol::codec::Decode;
use protocol::fraud::{FraudProof, UpheldChunk, Verdict, adjudicate};
use protocol::primitives::{Address, H256};
use rusqlite::{Connection, OptionalExtension, params};
use service_shell::http::ApiError;

/// `POST /v1/challenge`.
pub fn challenge(
    conn: &Connection,
    rules: &Rules,
    from: &Address,
    call: &ChallengeCall,
) -> Result<ChallengeResponse, ApiError> {
    let min_bond = rules.config.min_challenger_bond;
    if min_bond > 0 {
        accounts::require_bond(conn, from, min_bond, "submitting a fraud proof")?;
    }
    let proof = &call.proof;
    let target = resolve_target(conn, proof.batch_index, call.header_hash.as_ref())?;
    let data = batches::data(conn, target.view.submission_id)?;
    let batch = Batch::decode(&data).map_err(|e| {
        ApiError::internal(format_args!(
            "stored batch {} no longer decodes: {e}",
            target.view.index
        ))
    })?;
    match adjudicate(rules.genesis(), &batch, proof) {
        Verdict::Rejected { reason } => {
            let details = serde_json::json!({ "rejection": reason });
            Err(ApiError::new(
                error_codes::PROOF_REJECTED,
                format!("fraud proof rejected: {reason}"),
            )
            .with_details(details))
        }
        Verdict::Upheld(upheld) => {
            let ruling = Ruling {
                upheld,
                witness: &proof.witness,
            };
            uphold(conn, rules, from, &target, &ruling)
        }
    }
}

/// The pending batch the proof is against, or why there is none.
fn resolve_target(
    conn: &Connection,
    index: u64,
    header_hash: Option<&H256>,
) -> Result<BatchRow, ApiError> {
    let target = match header_hash {
        None => batches::latest_by_index(conn, index)?.ok_or_else(|| {
            ApiError::new(
                error_codes::NO_SUCH_BATCH,
                format!("no batch {index} has been posted"),
            )
        })?,
        Some(hash) => {
            let row = batches::by_header_hash(conn, hash)?.ok_or_else(|| {
                ApiError::new(
                    error_codes::NO_SUCH_BATCH,
                    format!("no batch with header hash {hash} has been posted"),
                )
            })?;
            if row.view.index != index {
                return Err(ApiError::new(
                    error_codes::HEADER_HASH_MISMATCH,
                    format!(
                        "header hash {hash} is batch {}'s, not batch {index}'s",
                        row.view.index
                    ),
                ));
            }
            row
        }
    };
    match target.view.status {
        BatchStatus::Pending { .. } => Ok(target),
        BatchStatus::Reverted { reverted_block } => Err(ApiError::new(
            error_codes::BATCH_REVERTED,
            format!(
                "batch {index} (header {}) was already reverted at block {reverted_block}; there is nothing left to prove",
                target.view.header_hash
            ),
        )),
        BatchStatus::Finalized { finalized_block } => Err(ApiError::new(
            error_codes::BATCH_FINALIZED,
            format!(
                "batch {index} is already final (since block {finalized_block}); its challenge window closed at block {}",
                target.deadline_block
            ),
        )),
    }
}

/// An upheld proof's chunk, its (committed, re-executed) roots and its witness.
struct Ruling<'a> {
    upheld: UpheldChunk,
    witness: &'a [u8],
}

fn uphold(
    conn: &Connection,
    rules: &Rules,
    challenger: &Address,
    target: &BatchRow,
    ruling: &Ruling<'_>,
) -> Result<ChallengeResponse, ApiError> {
    let mut head = chain::head(conn)?;
    let (block, ts) = (head.number, head.timestamp_ms);
    let upheld = EventKind::ChallengeUpheld {
        batch_index: target.view.index,
        submission_id: target.view.submission_id,
        chunk: ruling.upheld.chunk,
        challenger: *challenger,
        claimed_root: ruling.upheld.claimed_root,
        computed_root: ruling.upheld.computed_root,
        claimed_receipts_root: ruling.upheld.claimed_receipts_root,
        computed_receipts_root: ruling.upheld.computed_receipts_root,
    };
    events::append(conn, block, ts, &upheld)?;
    store_upheld(conn, target, challenger, block, ruling)?;

    let doomed = batches::live_from(conn, target.view.index, i64::MAX as u64)?;
    let mut reverted = Vec::with_capacity(doomed.len());
    for row in &doomed {
        batches::mark_reverted(conn, row.view.submission_id, block)?;
        let event = EventKind::BatchReverted {
            index: row.view.index,
            submission_id: row.view.submission_id,
            header_hash: row.view.header_hash,
        };
        events::append(conn, block, ts, &event)?;
        reverted.push(row.view.index);
    }

    let amount = accounts::take_bond(conn, &target.view.poster)?;
    let share = u128::from(amount) * u128::from(rules.config.slash_share_bps) / 10_000;
    let challenger_reward = u64::try_from(share).map_err(ApiError::internal)?;
    let burned = amount - challenger_reward;
    if challenger_reward > 0 {
        accounts::credit(conn, challenger, challenger_reward)?;
    }
    head.burned = head
        .burned
        .checked_add(burned)
        .ok_or_else(|| ApiError::internal("burn overflow"))?;
    chain::save_head(conn, &head)?;
    let slash = SlashInfo {
        sequencer: target.view.poster,
        amount,
        challenger: *challenger,
        challenger_reward,
        burned,
    };
    let event = EventKind::Slashed {
        sequencer: target.view.poster,
        amount,
        challenger: *challenger,
        challenger_reward,
        burned,
    };
    events::append(conn, block, ts, &event)?;

    // A revert may leave nothing pending in a frozen rollup: claims can open now.
    super::exit::advance(conn, rules, &chain::head(conn)?)?;
    Ok(ChallengeResponse {
        batch_index: target.view.index,
        chunk: ruling.upheld.chunk,
        claimed_root: ruling.upheld.claimed_root,
        computed_root: ruling.upheld.computed_root,
        claimed_receipts_root: ruling.upheld.claimed_receipts_root,
        computed_receipts_root: ruling.upheld.computed_receipts_root,
        reverted,
        slash,
        tip: batches::tip(conn, rules)?,
    })
}

/// Records an upheld proof with its witness (`GET /v1/challenges/{submission_id}`).
fn store_upheld(
    conn: &Connection,
    target: &BatchRow,
    challenger: &Address,
    block: u64,
    ruling: &Ruling<'_>,
) -> Result<(), ApiError> {
    conn.execute(
        "INSERT INTO upheld_proofs (submission_id, batch_index, chunk, challenger, block,
             claimed_root, computed_root, claimed_receipts_root, computed_receipts_root, witness)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            target.view.submission_id,
            target.view.index,
            ruling.upheld.chunk,
            challenger.0,
            block,
            ruling.upheld.claimed_root.0,
            ruling.upheld.computed_root.0,
            ruling.upheld.claimed_receipts_root.0,
            ruling.upheld.computed_receipts_root.0,
            ruling.witness,
        ],
    )?;
    Ok(())
}

/// The upheld proof against submission `submission_id`, if one was upheld.
pub fn upheld(conn: &Connection, submission_id: u64) -> Result<Option<UpheldProof>, ApiError> {
    let row = conn
        .query_row(
            "SELECT batch_index, chunk, challenger, block, claimed_root, computed_root,
                    claimed_receipts_root, computed_receipts_root, witness
             FROM upheld_proofs WHERE submission_id = ?1",
            params![submission_id],
            |r| {
                Ok(UpheldProof {
                    submission_id,
                    block: r.get(3)?,
                    challenger: Address(r.get(2)?),
                    claimed_root: H256(r.get(4)?),
                    computed_root: H256(r.get(5)?),
                    claimed_receipts_root: H256(r.get(6)?),
                    computed_receipts_root: H256(r.get(7)?),
                    proof: FraudProof {
                        batch_index: r.get(0)?,
                        chunk: r.get(1)?,
                        witness: r.get(8)?,
                    },
                })
            },
        )
        .optional()?;
    Ok(row)
}
