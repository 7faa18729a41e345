//! Exit mode, the escape hatch (docs/spec/settlement.md §12): when the sequencer (and every
//! other proposer) leaves a queue message overdue for the freeze delay, the rollup freezes
//! for good and every account is paid its equity at the last finalized root, from escrow,
//! with no one's cooperation.
//!
//! The phases, each entered by `advance` (run at the end of mining and of a challenge):
//! 1. **frozen** in block `max(e + D, last tip change) + F + 1` for the oldest unconsumed
//!    message (enqueued at e): no batch, deposit or forced action is accepted any more;
//! 2. **claiming** once no batch is pending (pending ones still finalize or are reverted):
//!    the exit root is the tip's root, deposits no live batch consumed are refunded, and
//!    claims are registered for P blocks;
//! 3. **paid** after P blocks: registered claims are paid `min(1, pool / owed)` of what they
//!    are owed, the pool being escrow minus what finalized withdrawals may still claim;
//!    later claims are paid at once, at that ratio, never more than what is left.
//!
//! The decisions (`freeze_block`, `payout_ratio`, `pay`) are pure functions of loaded rows;
//! the rest loads and stores.

use super::chain::{self, Head};
use super::queue::{self, Queued};
use super::{accounts, batches, events};
use crate::error_codes;
use crate::rules::Rules;
use protocol::action::L1Message;
use protocol::api::settlement::{EventKind, ExitClaimCall, ExitClaimView, ExitPhase, ExitStatus};
use protocol::codec::Decode;
use protocol::engine::INSURANCE_FUND;
use protocol::engine::exit::exit_valuation;
use protocol::engine::view::ViewError;
use protocol::primitives::{Address, H256};
use protocol::state::StateError;
use protocol::tree::Tree;
use rusqlite::{Connection, OptionalExtension, params};
use service_shell::http::ApiError;

/// The stored exit state (absent while the rollup is live).
#[derive(Debug, Clone, PartialEq, Eq)]
struct ExitRow {
    frozen_block: u64,
    overdue_queue_index: u64,
    opened_block: Option<u64>,
    exit_batch_index: Option<u64>,
    exit_root: Option<H256>,
    claim_deadline_block: Option<u64>,
    refunded_deposits: u64,
    refunded_amount: u64,
    total_withdrawals: Option<u64>,
    paid_block: Option<u64>,
    ratio: Option<(u64, u64)>,
}

/// The block the rollup freezes in: the oldest unconsumed message, enqueued at
/// `enqueued_block`, overdue after `enqueued_block + D`, with the tip last changed (a batch
/// posted or reverted) at `last_tip_change_block`; frozen once `F` more blocks pass.
pub fn freeze_block(enqueued_block: u64, last_tip_change_block: u64, rules: &Rules) -> u64 {
    queue::deadline(rules, enqueued_block)
        .max(last_tip_change_block)
        .saturating_add(rules.config.freeze_delay_blocks)
        .saturating_add(1)
}

/// What each unit owed is paid, as `(numerator, denominator)`: all of it when the pool
/// covers every claim, else `pool / owed_total`.
pub fn payout_ratio(owed_total: u64, pool: u64) -> (u64, u64) {
    if owed_total <= pool {
        (1, 1)
    } else {
        (pool, owed_total)
    }
}

/// `floor(owed × numerator / denominator)`: never more than `owed`.
pub fn pay(owed: u64, (numerator, denominator): (u64, u64)) -> u64 {
    let paid = u128::from(owed) * u128::from(numerator) / u128::from(denominator.max(1));
    u64::try_from(paid).unwrap_or(owed).min(owed)
}

fn load(conn: &Connection) -> Result<Option<ExitRow>, ApiError> {
    Ok(conn
        .query_row(
            "SELECT frozen_block, overdue_queue_index, opened_block, exit_batch_index, exit_root,
                    claim_deadline_block, refunded_deposits, refunded_amount, total_withdrawals,
                    paid_block, payout_numerator, payout_denominator
             FROM exit_state WHERE id = 0",
            [],
            |r| {
                let root: Option<[u8; 32]> = r.get(4)?;
                let num: Option<u64> = r.get(10)?;
                let den: Option<u64> = r.get(11)?;
                Ok(ExitRow {
                    frozen_block: r.get(0)?,
                    overdue_queue_index: r.get(1)?,
                    opened_block: r.get(2)?,
                    exit_batch_index: r.get(3)?,
                    exit_root: root.map(H256),
                    claim_deadline_block: r.get(5)?,
                    refunded_deposits: r.get(6)?,
                    refunded_amount: r.get(7)?,
                    total_withdrawals: r.get(8)?,
                    paid_block: r.get(9)?,
                    ratio: num.zip(den),
                })
            },
        )
        .optional()?)
}

fn store(conn: &Connection, row: &ExitRow) -> Result<(), ApiError> {
    conn.execute(
        "INSERT OR REPLACE INTO exit_state (id, frozen_block, overdue_queue_index, opened_block,
             exit_batch_index, exit_root, claim_deadline_block, refunded_deposits, refunded_amount,
             total_withdrawals, paid_block, payout_numerator, payout_denominator)
         VALUES (0, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            row.frozen_block,
            row.overdue_queue_index,
            row.opened_block,
            row.exit_batch_index,
            row.exit_root.map(|h| h.0),
            row.claim_deadline_block,
            row.refunded_deposits,
            row.refunded_amount,
            row.total_withdrawals,
            row.paid_block,
            row.ratio.map(|r| r.0),
            row.ratio.map(|r| r.1),
        ],
    )?;
    Ok(())
}

/// The oldest message no live batch consumed, if any.
fn oldest_unconsumed(conn: &Connection, rules: &Rules) -> Result<Option<Queued>, ApiError> {
    queue::get(conn, batches::tip(conn, rules)?.queue_end)
}

/// The last block a batch was posted or reverted in (0 if never).
fn last_tip_change(conn: &Connection) -> Result<u64, ApiError> {
    // Two index lookups (mining asks this every block while a message waits).
    let posted: u64 = conn.query_row(
        "SELECT COALESCE(MAX(posted_block), 0) FROM batches",
        [],
        |r| r.get(0),
    )?;
    let reverted: u64 = conn.query_row(
        "SELECT COALESCE(MAX(settled_block), 0) FROM batches WHERE status = 'reverted'",
        [],
        |r| r.get(0),
    )?;
    Ok(posted.max(reverted))
}

/// While live: the block the rollup will freeze in if nothing is posted, if a message is
/// waiting at all.
fn pending_freeze(conn: &Connection, rules: &Rules) -> Result<Option<(u64, u64)>, ApiError> {
    let Some(oldest) = oldest_unconsumed(conn, rules)? else {
        return Ok(None);
    };
    let at = freeze_block(oldest.block, last_tip_change(conn)?, rules);
    Ok(Some((at, oldest.index)))
}

/// Refuses `what` once the rollup is frozen (batches, deposits and forced actions).
pub fn require_live(conn: &Connection, what: &str) -> Result<(), ApiError> {
    match load(conn)? {
        None => Ok(()),
        Some(row) => Err(ApiError::new(
            error_codes::ROLLUP_FROZEN,
            format!(
                "the rollup froze at block {} (queue message {} stayed overdue with no batch posted): {what} is no longer accepted; exit claims: GET /v1/exit",
                row.frozen_block, row.overdue_queue_index
            ),
        )),
    }
}

/// Moves exit mode forward to the head block: freeze, open, pay, as far as is due.
pub fn advance(conn: &Connection, rules: &Rules, head: &Head) -> Result<(), ApiError> {
    let mut row = match load(conn)? {
        Some(row) => row,
        None => match pending_freeze(conn, rules)? {
            Some((at, queue_index)) if head.number >= at => {
                let row = ExitRow {
                    frozen_block: at,
                    overdue_queue_index: queue_index,
                    opened_block: None,
                    exit_batch_index: None,
                    exit_root: None,
                    claim_deadline_block: None,
                    refunded_deposits: 0,
                    refunded_amount: 0,
                    total_withdrawals: None,
                    paid_block: None,
                    ratio: None,
                };
                events::append(
                    conn,
                    at,
                    head.timestamp_ms,
                    &EventKind::RollupFrozen { queue_index },
                )?;
                row
            }
            _ => return Ok(()),
        },
    };
    if row.opened_block.is_none() && batches::pending_count(conn)? == 0 {
        open(conn, rules, head, &mut row)?;
    }
    if let (Some(deadline), None) = (row.claim_deadline_block, row.paid_block)
        && head.number > deadline
    {
        payout(conn, head, &mut row, deadline + 1)?;
    }
    store(conn, &row)
}

/// Fixes the exit root and refunds the deposits no live batch consumed.
fn open(conn: &Connection, rules: &Rules, head: &Head, row: &mut ExitRow) -> Result<(), ApiError> {
    let settled: u64 = conn.query_row(
        "SELECT COALESCE(MAX(settled_block), 0) FROM batches",
        [],
        |r| r.get(0),
    )?;
    let at = row.frozen_block.max(settled);
    let tip = batches::tip(conn, rules)?;
    let claim_deadline_block = at.saturating_add(rules.config.exit_claim_period_blocks);
    row.opened_block = Some(at);
    row.exit_batch_index = tip.index;
    row.exit_root = Some(tip.state_root);
    row.claim_deadline_block = Some(claim_deadline_block);
    let event = EventKind::ExitOpened {
        exit_batch_index: tip.index,
        exit_root: tip.state_root,
        claim_deadline_block,
    };
    events::append(conn, at, head.timestamp_ms, &event)?;
    let mut escrow_head = chain::head(conn)?;
    for index in tip.queue_end..queue::length(conn)? {
        let Some(q) = queue::get(conn, index)? else {
            break;
        };
        let message = L1Message::decode(&q.message)
            .map_err(|e| ApiError::internal(format_args!("queue {index}: {e}")))?;
        let L1Message::Deposit { amount, .. } = message else {
            continue;
        };
        escrow_head.escrow = escrow_head
            .escrow
            .checked_sub(amount)
            .ok_or_else(|| ApiError::internal("escrow below an unconsumed deposit"))?;
        accounts::credit(conn, &q.sender, amount)?;
        row.refunded_deposits += 1;
        row.refunded_amount = row.refunded_amount.saturating_add(amount);
        let event = EventKind::DepositRefunded {
            queue_index: index,
            sender: q.sender,
            amount,
        };
        events::append(conn, at, head.timestamp_ms, &event)?;
    }
    chain::save_head(conn, &escrow_head)
}

/// Escrow that finalized withdrawals not yet claimed may still take.
fn withdrawal_reserve(conn: &Connection, row: &ExitRow) -> Result<u64, ApiError> {
    let claimed: u64 = conn.query_row("SELECT COALESCE(SUM(amount), 0) FROM claims", [], |r| {
        r.get(0)
    })?;
    Ok(row.total_withdrawals.unwrap_or(0).saturating_sub(claimed))
}

/// Pays every registered claim at the ratio the pool allows.
fn payout(conn: &Connection, head: &Head, row: &mut ExitRow, at: u64) -> Result<(), ApiError> {
    let owed: Vec<(Vec<u8>, u64)> = conn
        .prepare("SELECT account, owed FROM exit_claims WHERE paid IS NULL ORDER BY account")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let owed_total = owed
        .iter()
        .try_fold(0u64, |sum, (_, o)| sum.checked_add(*o));
    let owed_total = owed_total.ok_or_else(|| ApiError::internal("owed total overflow"))?;
    let mut l1 = chain::head(conn)?;
    let pool = l1.escrow.saturating_sub(withdrawal_reserve(conn, row)?);
    let ratio = payout_ratio(owed_total, pool);
    let mut paid_total = 0u64;
    for (account, owed) in &owed {
        let paid = pay(*owed, ratio);
        paid_total += paid;
        let address = Address(account.as_slice().try_into().map_err(ApiError::internal)?);
        accounts::credit(conn, &address, paid)?;
        conn.execute(
            "UPDATE exit_claims SET paid = ?1, paid_block = ?2 WHERE account = ?3",
            params![paid, at, account],
        )?;
    }
    assert!(
        paid_total <= pool,
        "exit payout {paid_total} exceeds its pool {pool}"
    );
    l1.escrow -= paid_total;
    chain::save_head(conn, &l1)?;
    row.paid_block = Some(at);
    row.ratio = Some(ratio);
    let event = EventKind::ExitPaid {
        claims: owed.len() as u64,
        owed_total,
        paid_total,
        numerator: ratio.0,
        denominator: ratio.1,
    };
    events::append(conn, at, head.timestamp_ms, &event)?;
    Ok(())
}

/// Why a witness does not value the account at the exit root.
fn witness_error(e: ViewError) -> ApiError {
    match e {
        ViewError::State(StateError::WitnessIncomplete { .. }) => ApiError::new(
            error_codes::WITNESS_INCOMPLETE,
            format!(
                "the witness does not hold every leaf the valuation reads: {e}; fetch it from a node: GET /v1/exit/proof/{{account}}"
            ),
        ),
        other => ApiError::new(
            error_codes::INVALID_WITNESS,
            format!("the witness cannot be valued: {other}"),
        ),
    }
}

/// `POST /v1/exit/claim`.
pub fn claim(
    conn: &Connection,
    rules: &Rules,
    from: &Address,
    call: &ExitClaimCall,
) -> Result<ExitClaimView, ApiError> {
    let mut row = open_row(conn, rules)?;
    if call.account == INSURANCE_FUND {
        return Err(ApiError::new(
            error_codes::RESERVED_ACCOUNT,
            "the insurance fund cannot claim: its equity covers accounts with negative equity",
        ));
    }
    if let Some(done) = claim_view(conn, &call.account)? {
        return Err(ApiError::new(
            error_codes::ALREADY_CLAIMED,
            format!(
                "{} already claimed its exit at block {}",
                call.account, done.claimed_block
            ),
        ));
    }
    let mut witness = Tree::from_witness_bytes(&call.witness).map_err(|e| {
        ApiError::new(
            error_codes::MALFORMED_WITNESS,
            format!("the witness does not decode: {e}"),
        )
    })?;
    let root = row.exit_root.unwrap_or_default();
    if witness.root() != root {
        return Err(ApiError::new(
            error_codes::WITNESS_ROOT_MISMATCH,
            format!(
                "the witness hashes to {}, not the exit root {root}",
                witness.root()
            ),
        ));
    }
    let valuation =
        exit_valuation(&mut witness, rules.genesis(), &call.account).map_err(witness_error)?;
    let equity = i64::try_from(valuation.equity).map_err(|_| {
        ApiError::new(
            error_codes::EQUITY_OUT_OF_RANGE,
            format!("equity {} does not fit the ledger", valuation.equity),
        )
    })?;
    let owed = u64::try_from(valuation.equity.max(0)).map_err(ApiError::internal)?;
    let total = u64::try_from(valuation.total_withdrawals).map_err(ApiError::internal)?;
    assert!(
        row.total_withdrawals.is_none_or(|t| t == total),
        "one root, one meta leaf"
    );
    row.total_withdrawals = Some(total);
    let head = chain::head(conn)?;
    let paid = match row.ratio {
        Some(ratio) => Some(pay_late(conn, &row, &call.account, owed, ratio)?),
        None => None,
    };
    conn.execute(
        "INSERT INTO exit_claims (account, equity, owed, paid, claimed_by, block, paid_block) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![call.account.0, equity, owed, paid, from.0, head.number, paid.map(|_| head.number)],
    )?;
    store(conn, &row)?;
    let event = EventKind::ExitClaimed {
        account: call.account,
        equity,
        owed,
        paid,
        claimed_by: *from,
    };
    events::append(conn, head.number, head.timestamp_ms, &event)?;
    claim_view(conn, &call.account)?.ok_or_else(|| ApiError::internal("claim vanished"))
}

/// The exit row if claims are open, else the refusal that says when they will be.
fn open_row(conn: &Connection, rules: &Rules) -> Result<ExitRow, ApiError> {
    match load(conn)? {
        Some(row) if row.opened_block.is_some() => Ok(row),
        Some(row) => Err(ApiError::new(
            error_codes::EXIT_NOT_OPEN,
            format!(
                "the rollup froze at block {}, but {} batch(es) are still pending: claims open once they are final or reverted",
                row.frozen_block,
                batches::pending_count(conn)?
            ),
        )),
        None => {
            let when = match pending_freeze(conn, rules)? {
                Some((at, q)) => format!(
                    "it freezes at block {at} unless a batch consumes queue message {q} first"
                ),
                None => "no queue message is waiting, so it cannot freeze now".to_string(),
            };
            Err(ApiError::new(
                error_codes::EXIT_NOT_OPEN,
                format!("the rollup is live, so there are no exit claims: {when}"),
            ))
        }
    }
}

/// A claim after the payout: paid at once at the payout's ratio, capped by the pool left.
fn pay_late(
    conn: &Connection,
    row: &ExitRow,
    account: &Address,
    owed: u64,
    ratio: (u64, u64),
) -> Result<u64, ApiError> {
    let mut l1 = chain::head(conn)?;
    let left = l1.escrow.saturating_sub(withdrawal_reserve(conn, row)?);
    let paid = pay(owed, ratio).min(left);
    l1.escrow -= paid;
    chain::save_head(conn, &l1)?;
    accounts::credit(conn, account, paid)?;
    Ok(paid)
}

/// `GET /v1/exit/claims/{account}` (`None`: not claimed).
pub fn claim_view(conn: &Connection, account: &Address) -> Result<Option<ExitClaimView>, ApiError> {
    Ok(conn
        .query_row(
            "SELECT equity, owed, paid, claimed_by, block, paid_block FROM exit_claims WHERE account = ?1",
            [account.0],
            |r| {
                Ok(ExitClaimView {
                    account: *account,
                    equity: r.get(0)?,
                    owed: r.get(1)?,
                    paid: r.get(2)?,
                    claimed_by: Address(r.get(3)?),
                    claimed_block: r.get(4)?,
                    paid_block: r.get(5)?,
                })
            },
        )
        .optional()?)
}

/// `GET /v1/exit`.
pub fn status(conn: &Connection, rules: &Rules) -> Result<ExitStatus, ApiError> {
    let row = load(conn)?;
    let (claims, owed_total, paid_total): (u64, u64, u64) = conn.query_row(
        "SELECT COUNT(*), COALESCE(SUM(owed), 0), COALESCE(SUM(paid), 0) FROM exit_claims",
        [],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let Some(row) = row else {
        return Ok(ExitStatus {
            phase: ExitPhase::Live,
            freezes_at_block: pending_freeze(conn, rules)?.map(|(at, _)| at),
            ..ExitStatus::default()
        });
    };
    let phase = match (row.opened_block, row.paid_block) {
        (None, _) => ExitPhase::Frozen,
        (Some(_), None) => ExitPhase::Claiming,
        (Some(_), Some(_)) => ExitPhase::Paid,
    };
    Ok(ExitStatus {
        phase,
        freezes_at_block: None,
        frozen_block: Some(row.frozen_block),
        overdue_queue_index: Some(row.overdue_queue_index),
        exit_batch_index: row.exit_batch_index,
        exit_root: row.exit_root,
        opened_block: row.opened_block,
        claim_deadline_block: row.claim_deadline_block,
        paid_block: row.paid_block,
        refunded_deposits: row.refunded_deposits,
        refunded_amount: row.refunded_amount,
        claims,
        owed_total,
        withdrawal_reserve: match row.total_withdrawals {
            Some(_) => Some(withdrawal_reserve(conn, &row)?),
            None => None,
        },
        payout_numerator: row.ratio.map(|r| r.0),
        payout_denominator: row.ratio.map(|r| r.1),
        paid_total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ratio_pays_in_full_when_covered_and_pro_rata_otherwise() {
        for (owed_total, pool, owed, expect) in [
            (100, 100, 40, 40),
            (100, 1_000, 40, 40),
            (100, 50, 40, 20),
            (3, 2, 1, 0),
            (0, 0, 0, 0),
            (u64::MAX, u64::MAX - 1, u64::MAX, u64::MAX - 1),
        ] {
            let ratio = payout_ratio(owed_total, pool);
            assert_eq!(pay(owed, ratio), expect, "{owed_total} {pool} {owed}");
        }
    }
}
