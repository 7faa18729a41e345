//! Fault injection: the ways a cheating or buggy sequencer corrupts its state, so that the
//! fraud-proof path can be demonstrated (`--inject-fault`) and tested end to end.
//!
//! Each fault runs after a chunk has executed honestly and corrupts the state the way the
//! named bug would have (the sequencer then keeps building on it), except `WrongRoot` and
//! `WrongReceipt`, which leave the state alone and only misreport the checkpoint or the
//! chunk's receipts. None of this is reachable from the STF itself.

mod options;
mod risk;

use crate::action::{Action, Liquidate, Tx, Withdraw};
use crate::batch::receipts_root;
use crate::codec::{Decode, Encode};
use crate::engine::keys::{
    KIND_ADL_INDEX, KIND_LEVERAGE, account_agents_prefix, adl_key, parse_adl_key, position_key,
};
use crate::engine::records::Position;
use crate::engine::records::{AgentApproval, LeverageSetting};
use crate::engine::storage::{load_account, load_position, store_account, store_position};
use crate::engine::view::is_liquidatable;
use crate::engine::{self, BlockContext, Receipt, Status};
use crate::genesis::Genesis;
use crate::primitives::{Address, H256, keccak256_concat};
use crate::state::{State, StateError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What the faulty sequencer does wrong. The discriminant is the fault's code in the
/// sequencer's journal (0 there means "no fault"), so it must never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[repr(u8)]
pub enum Fault {
    /// Posts a checkpoint root that no execution produced.
    WrongRoot = 1,
    /// Credits collateral from nothing (1,000,000 USDC) and keeps building on it.
    Mint = 2,
    /// Books a fill one tick worse for the taker than the maker's price.
    BadFill = 3,
    /// Liquidates an account whose equity is above its maintenance margin.
    SkipLiquidationCheck = 4,
    /// Commits a receipt root in which the chunk's first action's outcome is flipped
    /// (accepted reported as rejected, or rejected as accepted); the state stays honest.
    WrongReceipt = 5,
    /// Pays out a Withdraw signed by one of the account's agent keys (which the STF refuses
    /// as `agent_not_permitted`): the bug that would let a bot's key drain the account.
    /// Injected after a chunk holding an accepted agent action of that account.
    AgentWithdraw = 6,
    /// Fires a dead-man's switch before its time: cancels the orders of the account whose
    /// scheduled switch is due first, although the batch is still before its time (the
    /// STF fires a switch only at a batch timestamp at or after it). Injected after a chunk
    /// once some switch is scheduled.
    DeadManEarly = 7,
    /// Removes a good-till-time order before its time: takes the resting order that
    /// expires first off the book although the batch is not past its `expiresAt` (the STF
    /// removes it only at a batch timestamp after it). Injected after a chunk once some
    /// `ClientOrder` with an expiry rests.
    ExpireEarly = 8,
    /// Fires a stop early: takes the first trigger order whose trigger the mark has not
    /// reached off the trigger book and places its order (the STF fires a trigger only
    /// when a price update's mark reaches it). Injected after a chunk once some trigger
    /// order waits.
    StopEarly = 9,
    /// Forgets a leverage setting: deletes the first stored `SetLeverage` leaf, so that
    /// account's new risk in that market is held only to the market's initial margin
    /// (the STF keeps a lower leverage until the account changes it). Injected after a
    /// chunk once some account has set a leverage below the maximum.
    LeverageDropped = 10,
    /// Ranks auto-deleveraging wrongly: files the first position of the ADL index (`0x09`)
    /// at the other end of its market side, so a later ADL reduces the wrong counterparties
    /// first (the STF files every trader position at its rank, Part 4 §11). Injected after
    /// a chunk once some trader holds a position.
    AdlMisranked = 11,
    /// Settles an option series at a wrong price: writes a settlement price one strike
    /// step above the right one into the series next to settle (above its strike when its
    /// expiry has not fixed one yet, settling it early), so its payouts are wrong (the STF
    /// fixes the underlying's index at expiry, Part 8 §13). Injected after a chunk once
    /// some series is listed.
    OptionSettlementPrice = 12,
    /// Marks options wrongly: lowers an optioned market's implied volatility to a tenth,
    /// so its series' marks are too low and every short's margin is understated (the STF
    /// keeps the median of the signed vols, Part 8 §10). Injected after a chunk once some
    /// implied volatility is posted.
    OptionMark = 13,
    /// Spills an isolated position onto its cross account: debits the cross collateral of
    /// an account in isolated margin somewhere (up to [`SPILLED_MICRO_USDC`]) and credits
    /// that position's isolated margin (one with size if the account has one, else a flat
    /// isolated leaf), as a sequencer would that charged the position's losses to the rest
    /// of the account (the STF never does, Part 4 §26). Injected after a chunk with an
    /// accepted action of such an account.
    IsolatedSpill = 14,
    /// Skips a due liquidation step: of the chunk's first accepted `Liquidate` that
    /// closed size, books the closes for the counterparties (the book's makers, the
    /// insurance fund, the deleveraged positions) but leaves the liquidated account
    /// holding what its book leg, backstop and ADL closed, at their prices (the STF closes
    /// it, Part 4 §11). Injected after a chunk with such a liquidation, so it needs an
    /// account below maintenance margin at a chunk boundary and a `Liquidate` of it.
    LiquidationSkipped = 15,
    /// Ignores a circuit breaker: places a risk-increasing order for an account acting in
    /// the chunk in a market whose breaker has tripped (one lot, resting at the far edge
    /// of the price band, on the side that adds to its position), which the STF refuses
    /// as `market_halted` in reduce-only mode (Part 4 §7.1). Injected after a chunk with
    /// an accepted action while some market is tripped by a price move.
    CircuitBreakerIgnored = 16,
    /// Keeps a repriced order's time priority: puts an order that an accepted
    /// `BulkModify` of the chunk moved to a new price at the front of its price level
    /// (sequence 0), ahead of orders that were there first, as a sequencer that applied the
    /// items as in-place rewrites would (the STF re-queues a moved order at the back of
    /// its level, Part 4 §27). Injected after a chunk with such a `BulkModify`.
    BulkPriority = 17,
    /// Lets a short option open without margin: of the chunk's first accepted order
    /// selling an option series whose best bid still rests, sells that whole bid level for
    /// the same account with the taker's margin check skipped, leaving the account short
    /// and below the initial margin the short-option rule demands (the STF refuses such an
    /// order as `insufficient_margin`, Part 8 §8, §12). Injected after a chunk with such a
    /// sale once the sale is one the STF would refuse.
    OptionShortUnmargined = 18,
}

/// What a fault falsifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corrupts {
    /// The state: the sequencer keeps building on it and reports its root.
    State,
    /// Only the reported checkpoint root.
    ReportedRoot,
    /// Only the reported receipt root of the chunk.
    ReportedReceipts,
}

/// One row of [`Fault::TABLE`]: everything said about a fault besides its behaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultRow {
    pub fault: Fault,
    /// The name on the command line, in JSON and in messages (kebab-case).
    pub name: &'static str,
    /// What the fault does, as the demo tells it.
    pub effect: &'static str,
    /// The state (the sequencer keeps building on it), or only a reported root.
    pub corrupts: Corrupts,
}

/// What an `AgentWithdraw` fault pays out: 100 USDC in micro-units.
pub const AGENT_WITHDRAWN_MICRO_USDC: u64 = 100_000_000;

/// Collateral a `Mint` fault creates: 1,000,000 USDC in micro-units.
pub const MINTED_MICRO_USDC: i128 = 1_000_000_000_000;

impl Fault {
    /// Every fault, in code order: the one place a fault kind is described. Adding a
    /// fault is a variant, a row here and its arm in [`corrupt`].
    pub const TABLE: [FaultRow; 18] = [
        FaultRow {
            fault: Fault::WrongRoot,
            name: "wrong-root",
            effect: "a checkpoint root that no execution produces",
            corrupts: Corrupts::ReportedRoot,
        },
        FaultRow {
            fault: Fault::Mint,
            name: "mint",
            effect: "1,000,000 USDC of collateral minted from nothing",
            corrupts: Corrupts::State,
        },
        FaultRow {
            fault: Fault::BadFill,
            name: "bad-fill",
            effect: "a fill booked one tick worse for the taker than the maker's price",
            corrupts: Corrupts::State,
        },
        FaultRow {
            fault: Fault::SkipLiquidationCheck,
            name: "skip-liquidation-check",
            effect: "a healthy account liquidated",
            corrupts: Corrupts::State,
        },
        FaultRow {
            fault: Fault::WrongReceipt,
            name: "wrong-receipt",
            effect: "a receipt committed with the action's outcome flipped (accepted shown as rejected, or the reverse)",
            corrupts: Corrupts::ReportedReceipts,
        },
        FaultRow {
            fault: Fault::AgentWithdraw,
            name: "agent-withdraw",
            effect: "100 USDC paid out on an agent key's Withdraw (agents may only trade)",
            corrupts: Corrupts::State,
        },
        FaultRow {
            fault: Fault::DeadManEarly,
            name: "dead-man-early",
            effect: "a dead-man's switch fired before its time (an account's orders cancelled early)",
            corrupts: Corrupts::State,
        },
        FaultRow {
            fault: Fault::ExpireEarly,
            name: "expire-early",
            effect: "a good-till-time order taken off the book before its expiry",
            corrupts: Corrupts::State,
        },
        FaultRow {
            fault: Fault::StopEarly,
            name: "stop-early",
            effect: "a trigger order fired before the mark reached its trigger price",
            corrupts: Corrupts::State,
        },
        FaultRow {
            fault: Fault::LeverageDropped,
            name: "leverage-dropped",
            effect: "an account's lower leverage forgotten (its new risk held only to the market's initial margin)",
            corrupts: Corrupts::State,
        },
        FaultRow {
            fault: Fault::AdlMisranked,
            name: "adl-misranked",
            effect: "a position filed at the wrong end of the auto-deleveraging queue (ADL would reduce the wrong counterparty first)",
            corrupts: Corrupts::State,
        },
        FaultRow {
            fault: Fault::OptionSettlementPrice,
            name: "option-settlement-price",
            effect: "an option series settled at a wrong price (one strike step above the index at expiry), so its payouts are wrong",
            corrupts: Corrupts::State,
        },
        FaultRow {
            fault: Fault::OptionMark,
            name: "option-mark",
            effect: "option marks computed from an implied volatility lowered to a tenth (every short's margin understated)",
            corrupts: Corrupts::State,
        },
        FaultRow {
            fault: Fault::IsolatedSpill,
            name: "isolated-spill",
            effect: "an isolated position's loss charged to the account's cross collateral",
            corrupts: Corrupts::State,
        },
        FaultRow {
            fault: Fault::LiquidationSkipped,
            name: "liquidation-skipped",
            effect: "a due liquidation step skipped (the account keeps the size its liquidation closed)",
            corrupts: Corrupts::State,
        },
        FaultRow {
            fault: Fault::CircuitBreakerIgnored,
            name: "circuit-breaker-ignored",
            effect: "a risk-increasing order accepted in a market whose circuit breaker has tripped (reduce-only mode)",
            corrupts: Corrupts::State,
        },
        FaultRow {
            fault: Fault::BulkPriority,
            name: "bulk-priority",
            effect: "an order a bulk modify repriced put at the front of its new price level (time priority it had lost)",
            corrupts: Corrupts::State,
        },
        FaultRow {
            fault: Fault::OptionShortUnmargined,
            name: "option-short-unmargined",
            effect: "a short option sale filled without its margin (the account left below the short-option initial margin)",
            corrupts: Corrupts::State,
        },
    ];

    /// Every fault, in code order (the faults of [`Fault::TABLE`]).
    pub const ALL: [Fault; Fault::TABLE.len()] = {
        let mut all = [Fault::WrongRoot; Fault::TABLE.len()];
        let mut i = 0;
        while i < all.len() {
            all[i] = Fault::TABLE[i].fault;
            i += 1;
        }
        all
    };

    /// This fault's row of [`Fault::TABLE`] (rows are in code order; codes may skip
    /// numbers another branch holds).
    pub fn row(self) -> &'static FaultRow {
        Fault::TABLE
            .iter()
            .find(|row| row.fault == self)
            .expect("every fault has its row")
    }

    pub fn name(self) -> &'static str {
        self.row().name
    }

    /// What the fault does, in words.
    pub fn effect(self) -> &'static str {
        self.row().effect
    }

    /// Whether the fault changes the state (the sequencer keeps building on it) or only
    /// the reported root.
    pub fn corrupts_state(self) -> bool {
        self.row().corrupts == Corrupts::State
    }

    /// The journal code (never 0, which the journal uses for "no fault").
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The fault with journal code `code`, if any.
    pub fn from_code(code: u8) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.code() == code)
    }

    /// Every fault's name, comma-separated, for help texts and error messages.
    pub fn names() -> String {
        Fault::TABLE.map(|row| row.name).join(", ")
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown fault {s:?}; expected one of {}", Fault::names()))
    }
}

/// The root a `WrongRoot` sequencer reports instead of `root`.
pub fn wrong_root(root: &H256) -> H256 {
    keccak256_concat(&[b"vigil-fault-wrong-root", &root.0])
}

/// The (checkpoint, receipt root) a sequencer posts for a chunk once `fault` has been
/// applied to it: `honest_root` is the root the chunk's honest execution gave,
/// `state_root` the root after the fault ran, `receipts` the chunk's honest receipts.
pub fn reported_roots(
    fault: Fault,
    honest_root: H256,
    state_root: H256,
    receipts: &[Receipt],
) -> (H256, H256) {
    match fault.row().corrupts {
        Corrupts::State => (state_root, receipts_root(receipts)),
        Corrupts::ReportedRoot => (wrong_root(&honest_root), receipts_root(receipts)),
        Corrupts::ReportedReceipts => (honest_root, receipts_root(&flip_first(receipts))),
    }
}

/// `WrongReceipt`'s lie: the first receipt's outcome flipped (ok becomes
/// `insufficient_margin`, a rejection becomes ok).
fn flip_first(receipts: &[Receipt]) -> Vec<Receipt> {
    let mut lie = receipts.to_vec();
    if let Some(first) = lie.first_mut() {
        first.status = if first.status.is_ok() {
            Status::InsufficientMargin
        } else {
            Status::Ok
        };
    }
    lie
}

/// What a fault sees of the chunk it corrupts: the rules, the block time, the chunk's
/// transactions and their honest receipts (the inputs of [`corrupt`], in one place for
/// the faults that read them).
#[derive(Clone, Copy)]
struct Executed<'a> {
    genesis: &'a Genesis,
    ctx: &'a BlockContext,
    txs: &'a [Tx],
    receipts: &'a [Receipt],
}

/// What a fault did (a sentence for the log), or `None` when the chunk offered it nothing
/// to corrupt.
pub type Corrupted = Result<Option<String>, StateError>;

/// Corrupts `state` after a chunk (`txs` with their honest `receipts`) executed. Returns
/// what was done, or `None` when this chunk offers nothing to corrupt (no signer, no fill,
/// no healthy position); the caller then tries again on a later chunk.
pub fn corrupt<S: State>(
    state: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    fault: Fault,
    txs: &[Tx],
    receipts: &[Receipt],
) -> Corrupted {
    let chunk = Executed {
        genesis,
        ctx,
        txs,
        receipts,
    };
    match fault {
        Fault::WrongRoot => Ok(Some("reported a wrong checkpoint root".into())),
        Fault::Mint => mint(state, txs),
        Fault::BadFill => bad_fill(state, &chunk),
        Fault::SkipLiquidationCheck => liquidate_healthy(state, &chunk),
        Fault::WrongReceipt => Ok(receipts.first().map(|r| {
            format!(
                "committed the chunk's first receipt with its outcome flipped (was {})",
                r.status.code()
            )
        })),
        Fault::AgentWithdraw => agent_withdraw(state, &chunk),
        Fault::DeadManEarly => Ok(engine::fire_dead_man_early(state, ctx)?.map(|owner| {
            format!(
                "fired {owner}'s dead-man's switch before its time (batch at {} ms)",
                ctx.timestamp_ms
            )
        })),
        Fault::ExpireEarly => Ok(
            engine::expire_order_early(state, ctx)?.map(|(owner, nonce)| {
                format!(
                    "removed {owner}'s order {nonce} before its expiry (batch at {} ms)",
                    ctx.timestamp_ms
                )
            }),
        ),
        Fault::StopEarly => Ok(engine::fire_trigger_early(state, genesis, ctx)?.map(
            |(owner, nonce)| {
                format!("fired {owner}'s trigger order {nonce} before the mark reached it")
            },
        )),
        Fault::LeverageDropped => drop_leverage(state),
        Fault::AdlMisranked => misrank_adl(state),
        Fault::OptionSettlementPrice => options::misprice_settlement(state, genesis),
        Fault::OptionMark => options::lower_implied_vol(state, genesis),
        Fault::IsolatedSpill => spill_isolated(state, txs, receipts),
        Fault::LiquidationSkipped => risk::skip_liquidation(state, receipts),
        Fault::CircuitBreakerIgnored => risk::ignore_breaker(state, &chunk),
        Fault::BulkPriority => bulk_priority(state, txs, receipts),
        Fault::OptionShortUnmargined => options::unmargined_short(state, &chunk),
    }
}

/// `BulkPriority`: the first order an accepted `BulkModify` of the chunk moved (a
/// `modified` entry of its receipt without `kept_priority`) that still rests, and whose
/// level's front slot is free, goes to the front of its price level.
fn bulk_priority<S: State>(state: &mut S, txs: &[Tx], receipts: &[Receipt]) -> Corrupted {
    for (tx, receipt) in txs.iter().zip(receipts) {
        let Tx::User { action } = tx else { continue };
        let Action::BulkModify(b) = &action.action else {
            continue;
        };
        if !receipt.status.is_ok() {
            continue;
        }
        for m in receipt.modified.iter().filter(|m| !m.kept_priority) {
            if let Some(price) = engine::steal_priority(state, &b.account, m.market, m.nonce)? {
                return Ok(Some(format!(
                    "put {}'s bulk-modified order {} in market {} at the front of its level {price}",
                    b.account, m.nonce, m.market
                )));
            }
        }
    }
    Ok(None)
}

/// The accounts of the chunk's accepted user actions, in order (one per action).
fn accepted_actors<'a>(
    txs: &'a [Tx],
    receipts: &'a [Receipt],
) -> impl Iterator<Item = Address> + 'a {
    txs.iter()
        .zip(receipts)
        .filter_map(|(tx, receipt)| match tx {
            Tx::User { action } if receipt.status.is_ok() => action.action.acting_account(),
            _ => None,
        })
}

/// The most `IsolatedSpill` moves from cross collateral into an isolated margin: 1 USDC.
pub const SPILLED_MICRO_USDC: i128 = 1_000_000;

/// `IsolatedSpill`: for the first account acting in the chunk (an accepted action) that
/// has cross collateral and an isolated leaf, moves up to [`SPILLED_MICRO_USDC`] of that
/// collateral into the leaf's margin (a leaf with size first).
fn spill_isolated<S: State>(state: &mut S, txs: &[Tx], receipts: &[Receipt]) -> Corrupted {
    for account in accepted_actors(txs, receipts) {
        let mut acct = load_account(state, &account)?;
        let spilled = acct.collateral.min(SPILLED_MICRO_USDC);
        if spilled <= 0 {
            continue;
        }
        let mut isolated = Vec::new();
        for &market in &acct.markets {
            let pos = load_position(state, &account, market)?;
            if pos.isolated.is_some() {
                isolated.push((market, pos));
            }
        }
        // A position with size if there is one, else a flat isolated leaf.
        isolated.sort_by_key(|(_, pos)| pos.size == 0);
        let Some((market, mut pos)) = isolated.into_iter().next() else {
            continue;
        };
        acct.collateral -= spilled;
        pos.isolated = pos.isolated.map(|m| m.saturating_add(spilled));
        // Written as a corrupt sequencer would: around `store_position`'s return rule.
        state.set(&position_key(&account, market), pos.encode())?;
        store_account(state, &acct)?;
        return Ok(Some(format!(
            "charged {spilled} micro-USDC of {account}'s isolated position in market {market} to its cross collateral"
        )));
    }
    Ok(None)
}

/// `AdlMisranked`: moves the first ADL index entry to the opposite end of its market
/// side (rank `u64::MAX`, or 0 if it was already last).
fn misrank_adl<S: State>(state: &mut S) -> Corrupted {
    let Some((key, bytes)) = state.first_with_prefix(&[KIND_ADL_INDEX])? else {
        return Ok(None);
    };
    let Ok(owner) = <[u8; 20]>::try_from(bytes.as_slice()).map(Address) else {
        return Ok(None);
    };
    let (market, side, rank) = parse_adl_key(&key);
    let wrong = if rank == u64::MAX { 0 } else { u64::MAX };
    state.delete(&key)?;
    state.set(&adl_key(market, side, wrong, &owner), bytes)?;
    Ok(Some(format!(
        "filed {owner}'s position in market {market} at ADL rank {wrong} instead of {rank}"
    )))
}

/// `LeverageDropped`: deletes the first leverage leaf (`0x1b`), if any.
fn drop_leverage<S: State>(state: &mut S) -> Corrupted {
    let Some((key, bytes)) = state.first_with_prefix(&[KIND_LEVERAGE])? else {
        return Ok(None);
    };
    let Ok(setting) = LeverageSetting::decode(&bytes) else {
        return Ok(None);
    };
    state.delete(&key)?;
    Ok(Some(format!(
        "forgot {}'s {}x leverage in market {}",
        setting.owner, setting.leverage, setting.market
    )))
}

/// `AgentWithdraw`: for the first account acting in the chunk (an accepted action) that
/// has approved an agent, pays out a withdrawal of [`AGENT_WITHDRAWN_MICRO_USDC`] as if
/// that agent's Withdraw had been accepted (the STF refuses it as `agent_not_permitted`,
/// so an honest chunk never holds that withdrawal).
fn agent_withdraw<S: State>(state: &mut S, chunk: &Executed<'_>) -> Corrupted {
    for account in accepted_actors(chunk.txs, chunk.receipts) {
        if !has_agent(state, &account)? {
            continue;
        }
        let w = Withdraw {
            account,
            amount: AGENT_WITHDRAWN_MICRO_USDC,
            nonce: 0,
            expires_at: chunk.ctx.timestamp_ms,
        };
        if engine::withdraw_without_signer_check(state, chunk.genesis, chunk.ctx, &w)?
            .status
            .is_ok()
        {
            return Ok(Some(format!(
                "paid {AGENT_WITHDRAWN_MICRO_USDC} micro-USDC of {account} to its agent's Withdraw"
            )));
        }
    }
    Ok(None)
}

/// Whether `account` has approved some agent (its first approval leaf).
fn has_agent<S: State>(state: &mut S, account: &Address) -> Result<bool, StateError> {
    let found = state.first_with_prefix(&account_agents_prefix(account))?;
    Ok(found
        .is_some_and(|(_, bytes)| AgentApproval::decode(&bytes).is_ok_and(|a| a.owner == *account)))
}

/// `Mint`: credits the chunk's first user signer with collateral from nothing.
fn mint<S: State>(state: &mut S, txs: &[Tx]) -> Corrupted {
    let Some(account) = txs.iter().find_map(user_signer) else {
        return Ok(None);
    };
    let mut acct = load_account(state, &account)?;
    acct.collateral = acct.collateral.saturating_add(MINTED_MICRO_USDC);
    store_account(state, &acct)?;
    Ok(Some(format!(
        "minted {MINTED_MICRO_USDC} micro-USDC to {account}"
    )))
}

/// `BadFill`: books one of the chunk's fills one tick worse for its taker.
fn bad_fill<S: State>(state: &mut S, chunk: &Executed<'_>) -> Corrupted {
    // A fill that closed the taker's position leaves nothing to misbook (an empty
    // position is deleted, cost and all), so take the first whose taker still holds one.
    let mut found = None;
    for fill in chunk.receipts.iter().flat_map(|r| r.fills.iter()) {
        let pos = load_position(state, &fill.taker, fill.market)?;
        if pos.size != 0 {
            found = Some((fill, pos));
            break;
        }
    }
    let Some((fill, pos)) = found else {
        return Ok(None);
    };
    let Some(params) = chunk.genesis.market(fill.market) else {
        return Ok(None);
    };
    let mut acct = load_account(state, &fill.taker)?;
    // One tick worse for the taker: a buyer paid more, a seller received less. Cost is
    // the signed sum of price × size, so both mean cost + tick × size.
    let delta = i128::from(params.tick_size) * i128::from(fill.size);
    let corrupted = Position {
        cost: pos.cost.saturating_add(delta),
        ..pos
    };
    store_position(state, &mut acct, fill.market, &corrupted)?;
    store_account(state, &acct)?;
    Ok(Some(format!(
        "booked {}'s fill of {} at one tick off {}",
        fill.taker, fill.size, fill.price
    )))
}

/// `SkipLiquidationCheck`: liquidates a healthy account among the chunk's fill parties.
fn liquidate_healthy<S: State>(state: &mut S, chunk: &Executed<'_>) -> Corrupted {
    let candidates = chunk
        .receipts
        .iter()
        .flat_map(|r| r.fills.iter())
        .flat_map(|f| [(f.taker, f.market), (f.maker, f.market)]);
    for (account, market) in candidates {
        if load_position(state, &account, market)?.size == 0 || account == engine::INSURANCE_FUND {
            continue;
        }
        if is_liquidatable(state, chunk.genesis, chunk.ctx, &account).unwrap_or(true) {
            continue;
        }
        let l = Liquidate {
            liquidator: account,
            account,
            market,
            nonce: 0,
            expires_at: chunk.ctx.timestamp_ms,
        };
        let receipt = engine::liquidate_without_health_check(state, chunk.genesis, chunk.ctx, &l)?;
        if receipt.status.is_ok() {
            return Ok(Some(format!(
                "liquidated healthy account {account} in market {market}"
            )));
        }
    }
    Ok(None)
}

fn user_signer(tx: &Tx) -> Option<Address> {
    match tx {
        Tx::User { action } => action.action.claimed_signer(),
        Tx::L1 { .. } => None,
    }
}
