//! The perpetual-futures exchange engine: Vigil's state transition function (DESIGN §4).
//!
//! `apply_tx` applies one batch transaction to any `State` (full tree, pruned witness, or
//! `MapState`) and returns a `Receipt`. Every business outcome is a receipt; `Err` means
//! only that the storage failed (a witness did not cover the step). A rejected
//! transaction leaves the state byte-for-byte unchanged (its writes undone from the state's
//! undo log), which the sequencer relies on to drop rejected actions from batches.
//!
//! Map: `keys` (layout) → `records` (values) → `storage` (typed access) → `math`,
//! `position`, `funding`, `margin` (the money rules) → `book`, `orders`, `matching`,
//! `cancels`, `liquidation`, `transfers`, `oracle` (with `option_listing`), `option_vol`,
//! `agents`, `dead_man`, `expiry`, `client_orders`, `bulk_modify`, `triggers`, `leverage`,
//! `isolated` (the actions) →
//! `invariants`, `view`
//! (read-only). The normative description is docs/PROTOCOL.md Part 4.

pub mod agents;
mod backstop;
mod book;
pub mod bounds;
pub mod breaker;
mod bulk_modify;
mod cancels;
mod client_orders;
pub mod dead_man;
pub mod exit;
pub mod expiry;
mod funding;
mod genesis_state;
pub mod invariants;
mod isolated;
pub mod keys;
pub mod leverage;
mod liquidation;
mod margin;
pub mod mark;
mod matching;
pub mod math;
mod nonces;
pub mod option_expiry;
mod option_liquidation;
pub mod option_listing;
mod option_orders;
pub mod option_quote;
pub mod option_records;
pub mod option_risk;
pub mod option_view;
mod option_vol;
mod oracle;
mod orders;
mod owner_hash;
mod position;
mod receipt;
pub mod records;
pub mod solvency;
pub(crate) mod storage;
mod transfers;
pub mod triggers;
pub mod view;

pub use backstop::ADL_MAX_COUNTERPARTIES;
pub use genesis_state::{INSURANCE_FUND, init_genesis};
pub use liquidation::LIQUIDATOR_SHARE_BPS;
pub use margin::AccountRisk;
pub use option_liquidation::option_liquidation_paths;
pub use receipt::{
    CancelReason, CancelledOrder, ClosedPosition, Deleveraged, Fill, LiquidationOutcome,
    ModifiedOrder, OptionSettlement, OrderOutcome, Receipt, Status, TriggerEvent, TriggerOutcome,
};

use crate::action::{Action, L1Message, SignedFor, Signing, Tx};
use crate::genesis::Genesis;
use crate::primitives::Address;
use crate::signing::SignatureError;
use crate::state::{State, StateError};
use math::Overflow;

/// The batch's block context. Time inside the STF is only ever this timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BlockContext {
    pub timestamp_ms: u64,
}

/// Why an action stopped early: a business rejection (undone, rejected receipt) or a
/// storage failure (undone, `Err`).
#[derive(Debug)]
pub(crate) enum Halt {
    Reject(Status),
    RejectWith(Status, String),
    State(StateError),
}

impl From<StateError> for Halt {
    fn from(e: StateError) -> Self {
        Halt::State(e)
    }
}

impl From<Overflow> for Halt {
    fn from(_: Overflow) -> Self {
        Halt::Reject(Status::ArithmeticOverflow)
    }
}

/// Rejects with `status`, its rule (`Status::message`) followed by `numbers`: the figures
/// a person needs to see why and what would pass.
pub(crate) fn reject_with<T>(status: Status, numbers: String) -> Result<T, Halt> {
    Err(Halt::RejectWith(
        status,
        format!("{}: {numbers}", status.message()),
    ))
}

/// Shorthand for rejecting with `status`.
pub(crate) fn reject<T>(status: Status) -> Result<T, Halt> {
    Err(Halt::Reject(status))
}

/// Applies one batch transaction.
///
/// `signer` is the outcome of signature verification for `Tx::User` and
/// `L1Message::Forced` (for `PriceUpdate`: `Ok(oracle)` iff the oracle signed it); it is
/// ignored for deposits. L1 transactions are never dropped: one whose `queue_index` is
/// the expected one advances `meta.next_queue_index` even if its forced action is
/// rejected (the action itself changes nothing); one with any other index is rejected as
/// `queue_index_mismatch` and changes nothing.
pub fn apply_tx<S: State>(
    state: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    tx: &Tx,
    signer: &Result<Address, SignatureError>,
) -> Result<Receipt, StateError> {
    match tx {
        Tx::User { action } => atomically(state, |st| {
            let swept = dead_man::sweep(st, ctx)?;
            let expired = sweeps(st, genesis, ctx)?;
            let mut receipt = apply_action(st, genesis, ctx, &action.action, signer)?;
            triggers::drop_closed(st, &mut receipt)?;
            Ok(swept.onto(expired.onto(receipt)))
        }),
        Tx::L1 {
            queue_index,
            message,
        } => {
            let mut meta = storage::load_meta(state)?;
            if meta.next_queue_index != *queue_index {
                let detail = format!(
                    "queue index {queue_index}, expected {}",
                    meta.next_queue_index
                );
                return Ok(Receipt::rejected(Status::QueueIndexMismatch, Some(detail)));
            }
            let receipt = atomically(state, |st| {
                let swept = dead_man::sweep(st, ctx)?;
                let expired = sweeps(st, genesis, ctx)?;
                let receipt = match message {
                    L1Message::Deposit { account, amount } => {
                        transfers::deposit(st, account, *amount)?
                    }
                    L1Message::Forced { action } => {
                        let mut receipt = apply_action(st, genesis, ctx, &action.action, signer)?;
                        triggers::drop_closed(st, &mut receipt)?;
                        receipt
                    }
                };
                Ok(swept.onto(expired.onto(receipt)))
            })?;
            meta = storage::load_meta(state)?;
            meta.next_queue_index = queue_index.saturating_add(1);
            storage::store_meta(state, &meta)?;
            Ok(receipt)
        }
    }
}

/// The sweeps after the dead-man's: good-till-time orders, then expired option series
/// (Part 8 §13). Their removed orders, in that order.
fn sweeps<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
) -> Result<expiry::Expired, Halt> {
    let mut expired = expiry::sweep(st, ctx)?;
    let (removed, settled) = option_expiry::sweep(st, genesis, ctx)?;
    expired.0.extend(removed);
    expired.1 = settled;
    Ok(expired)
}

/// Fault injection only (`protocol::fault`): liquidates without the health check, the
/// way a faulty sequencer would. Never reachable from `apply_tx`.
pub(crate) fn liquidate_without_health_check<S: State>(
    state: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    l: &crate::action::Liquidate,
) -> Result<Receipt, StateError> {
    atomically(state, |st| {
        liquidation::liquidate_checked(st, genesis, ctx, l, false)
    })
}

/// Fault injection only (`protocol::fault`): places `o` as if its market's circuit breaker
/// had not tripped (the breaker state is cleared for the placement and put back after it),
/// the way a sequencer that ignores the breaker would. Never reachable from `apply_tx`.
pub(crate) fn place_ignoring_breaker<S: State>(
    state: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    o: &crate::action::Order,
) -> Result<Receipt, StateError> {
    atomically(state, |st| {
        let tripped = storage::load_market(st, o.market)?;
        let open = records::MarketState {
            breaker_reason: records::BREAKER_NONE,
            ..tripped.clone()
        };
        storage::store_market(st, o.market, &open)?;
        let receipt = orders::place(st, genesis, ctx, o)?;
        let mut after = storage::load_market(st, o.market)?;
        after.breaker_reason = tripped.breaker_reason;
        storage::store_market(st, o.market, &after)?;
        Ok(receipt)
    })
}

/// How much [`place_unmargined`] lifts the taker's collateral while it places: 10^12 USDC,
/// above any margin a devnet-sized order can require, far below where `i128` sums overflow.
const UNMARGINED_CUSHION_MICRO_USDC: i128 = 1_000_000_000_000_000_000;

/// Fault injection only (`protocol::fault`, `option-short-unmargined`): places `o` with
/// its taker's margin checks passed whatever the account's margin, the way a sequencer that
/// skips the short-option margin would. The account's collateral is lifted by
/// [`UNMARGINED_CUSHION_MICRO_USDC`] for the placement and lowered by it after, so every
/// fill, premium and fee is the STF's own. Kept (`Some`, its receipt) only when it filled
/// and left the account short in `o.market` and below its initial margin, an order the STF
/// refuses as `insufficient_margin`; otherwise nothing changes (`None`). Never reachable
/// from `apply_tx`.
pub(crate) fn place_unmargined<S: State>(
    state: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    o: &crate::action::Order,
) -> Result<Option<Receipt>, StateError> {
    let section = state.begin();
    let receipt = atomically(state, |st| {
        shift_collateral(st, &o.account, UNMARGINED_CUSHION_MICRO_USDC)?;
        let receipt = orders::place(st, genesis, ctx, o)?;
        shift_collateral(st, &o.account, -UNMARGINED_CUSHION_MICRO_USDC)?;
        Ok(receipt)
    })?;
    let unmargined = receipt.status.is_ok()
        && !receipt.fills.is_empty()
        && storage::load_position(state, &o.account, o.market)?.size < 0
        && below_initial_margin(state, genesis, &o.account)?;
    if unmargined {
        state.commit(section);
        return Ok(Some(receipt));
    }
    state.rollback(section)?;
    Ok(None)
}

/// Adds `delta` to `account`'s collateral (the leaf only: `meta.total_collateral` is not
/// moved, as the cushion is taken back within the same section).
fn shift_collateral<S: State>(st: &mut S, account: &Address, delta: i128) -> Result<(), Halt> {
    let mut acct = storage::load_account(st, account)?;
    acct.collateral = math::add(acct.collateral, delta)?;
    storage::store_account(st, &acct)?;
    Ok(())
}

/// Whether `account`'s equity is below its initial margin at the rate the taker check of
/// `orders::place` uses (its leverage settings); an overflow counts as not below.
fn below_initial_margin<S: State>(
    st: &mut S,
    genesis: &Genesis,
    account: &Address,
) -> Result<bool, StateError> {
    let acct = storage::load_account(st, account)?;
    let markets = (acct.collateral, acct.markets.as_slice());
    match margin::account_risk(
        st,
        genesis,
        account,
        markets,
        None,
        margin::InitialRate::Leverage,
    ) {
        Ok(risk) => Ok(risk.equity < risk.initial),
        Err(Halt::State(e)) => Err(e),
        Err(_) => Ok(false),
    }
}

/// Fault injection only (`protocol::fault`): pays out a withdrawal whoever signed it, the
/// way a sequencer that lets agent keys withdraw would. Never reachable from `apply_tx`.
pub(crate) fn withdraw_without_signer_check<S: State>(
    state: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    w: &crate::action::Withdraw,
) -> Result<Receipt, StateError> {
    atomically(state, |st| transfers::withdraw(st, genesis, ctx, w))
}

/// Fault injection only (`protocol::fault`): fires the first scheduled dead-man's switch
/// if it is not yet due at `ctx`, the way a sequencer with a clock bug would. Returns the
/// account it fired. Never reachable from `apply_tx`.
pub(crate) fn fire_dead_man_early<S: State>(
    state: &mut S,
    ctx: &BlockContext,
) -> Result<Option<Address>, StateError> {
    let Some((key, owner)) = dead_man::first_due(state)? else {
        return Ok(None);
    };
    if keys::dead_man_due_time(&key) <= ctx.timestamp_ms {
        return Ok(None);
    }
    let receipt = atomically(state, |st| {
        dead_man::fire(st, &owner)?;
        Ok(Receipt::ok())
    })?;
    Ok(receipt.status.is_ok().then_some(owner))
}

/// Fault injection only (`protocol::fault`): removes the resting order that expires first
/// although the batch is not past its good-till-time, the way a sequencer with a clock bug
/// would. Returns the order's (account, nonce). Never reachable from `apply_tx`.
pub(crate) fn expire_order_early<S: State>(
    state: &mut S,
    ctx: &BlockContext,
) -> Result<Option<(Address, u64)>, StateError> {
    let Some((time, book_key)) = expiry::first_entry(state)? else {
        return Ok(None);
    };
    if time < ctx.timestamp_ms {
        return Ok(None);
    }
    let mut removed = None;
    atomically(state, |st| {
        let order = expiry::remove_expired(st, &book_key)?;
        removed = Some((order.account, order.nonce));
        Ok(Receipt::ok())
    })?;
    Ok(removed)
}
/// Fault injection only (`protocol::fault`): fires the first trigger order (markets in
/// genesis order, rising direction first) that the market's mark has *not* reached, the
/// way a sequencer that compares the wrong way would. Returns (account, nonce) of the
/// order fired. Never reachable from `apply_tx`.
pub(crate) fn fire_trigger_early<S: State>(
    state: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
) -> Result<Option<(Address, u64)>, StateError> {
    for params in &genesis.markets {
        let mark = storage::load_market(state, params.id)?.mark_price;
        for dir in [keys::TRIGGER_RISE, keys::TRIGGER_FALL] {
            let prefix = keys::trigger_side_prefix(params.id, dir);
            let Some((key, bytes)) = state.first_with_prefix(&prefix)? else {
                continue;
            };
            let record: records::TriggerRecord = storage::decode_at(&key, &bytes)?;
            if triggers::is_reached(dir, record.trigger_price, mark) {
                continue;
            }
            atomically(state, |st| {
                let mut receipt = Receipt::ok();
                triggers::fire(
                    st,
                    genesis,
                    ctx,
                    params.id,
                    mark,
                    &key,
                    &record,
                    &mut receipt,
                )?;
                Ok(receipt)
            })?;
            return Ok(Some((record.owner, record.nonce)));
        }
    }
    Ok(None)
}

/// Fault injection only (`protocol::fault`): puts the order `(owner, nonce)` in `market`
/// at the front of its price level, the way a sequencer that let a `BulkModify`'s
/// repriced order keep (or jump to) time priority would. Returns its price, or `None`
/// when it no longer rests or the front slot is taken. Never reachable from `apply_tx`.
pub(crate) fn steal_priority<S: State>(
    state: &mut S,
    owner: &Address,
    market: u32,
    nonce: u64,
) -> Result<Option<u64>, StateError> {
    bulk_modify::steal_priority(state, owner, market, nonce)
}

/// Runs `f`; on any rejection or storage error, undoes its writes (the state's undo log,
/// `crate::state`), so the state is as it was.
fn atomically<S: State>(
    st: &mut S,
    f: impl FnOnce(&mut S) -> Result<Receipt, Halt>,
) -> Result<Receipt, StateError> {
    let mark = st.begin();
    match f(st) {
        Ok(receipt) => {
            st.commit(mark);
            Ok(receipt)
        }
        Err(halt) => {
            st.rollback(mark)?;
            match halt {
                Halt::Reject(status) => Ok(Receipt::rejected(status, None)),
                Halt::RejectWith(status, detail) => Ok(Receipt::rejected(status, Some(detail))),
                Halt::State(e) => Err(e),
            }
        }
    }
}

/// The signature outcome as a rejection: `signer_mismatch` (with both addresses) or
/// `bad_signature`, and `signer_mismatch` if the verified signer is not `claimed`.
fn check_signer(signer: &Result<Address, SignatureError>, claimed: &Address) -> Result<(), Halt> {
    match signer {
        Ok(a) if a == claimed => Ok(()),
        Ok(a) => Err(Halt::RejectWith(
            Status::SignerMismatch,
            format!("signer mismatch: recovered {a}, message says {claimed}"),
        )),
        Err(e @ SignatureError::SignerMismatch { .. }) => {
            Err(Halt::RejectWith(Status::SignerMismatch, e.to_string()))
        }
        Err(e) => Err(Halt::RejectWith(Status::BadSignature, e.to_string())),
    }
}

/// The address that really signed, when the signature is valid but not `claimed`'s.
fn other_signer(signer: &Result<Address, SignatureError>, claimed: &Address) -> Option<Address> {
    match signer {
        Ok(a) if a != claimed => Some(*a),
        Err(SignatureError::SignerMismatch { recovered, .. }) => Some(*recovered),
        _ => None,
    }
}

/// [`check_signer`] for an action only the account's own key may sign: a valid signature
/// by one of `claimed`'s approved agents (expired or not) is `agent_not_permitted`, so the
/// bot operator learns why, rather than a bare `signer_mismatch`. One leaf read, then stop.
fn check_own_key<S: State>(
    st: &mut S,
    signer: &Result<Address, SignatureError>,
    claimed: &Address,
) -> Result<(), Halt> {
    if let Some(recovered) = other_signer(signer, claimed)
        && agents::approval(st, claimed, &recovered)?.is_some()
    {
        return reject_with(
            Status::AgentNotPermitted,
            format!("signed by {recovered}, an agent of {claimed}"),
        );
    }
    check_signer(signer, claimed)
}

/// The checks every user action passes first, in this order: signature (an agent's
/// signature is `agent_not_permitted`), reserved address, expiry, nonce. The nonce is
/// consumed here; a later rejection restores it.
fn admit<S: State>(
    st: &mut S,
    ctx: &BlockContext,
    signer: &Result<Address, SignatureError>,
    actor: &Address,
    nonce: u64,
    expires_at: u64,
) -> Result<(), Halt> {
    check_own_key(st, signer, actor)?;
    if *actor == INSURANCE_FUND {
        return reject(Status::ReservedAccount);
    }
    if expires_at < ctx.timestamp_ms {
        return reject(Status::Expired);
    }
    nonces::use_nonce(st, actor, nonce)
}

/// The checks of an agent kind, in this order: signature (by the agent), reserved address,
/// expiry, the approval (`agent_not_approved`, `agent_expired`), then the account's nonce
/// (an order's id is `(account, nonce)` whoever signs).
fn admit_agent<S: State>(
    st: &mut S,
    ctx: &BlockContext,
    signer: &Result<Address, SignatureError>,
    call: &SignedFor,
) -> Result<(), Halt> {
    check_signer(signer, &call.signer)?;
    if call.account == INSURANCE_FUND {
        return reject(Status::ReservedAccount);
    }
    if call.expires_at < ctx.timestamp_ms {
        return reject(Status::Expired);
    }
    agents::check_approved(st, ctx, &call.account, &call.signer)?;
    nonces::use_nonce(st, &call.account, call.nonce)
}

/// The checks the action's kind declares for its signer ([`Signing`]): [`admit`] for a kind
/// only its own key may sign, [`admit_agent`] for an agent kind, either for a kind whose
/// `signer` may be the account itself or one of its agents, none here for the oracle's
/// kinds (their handlers check the oracle). The agent that signed, for the receipt.
fn admit_signing<S: State>(
    st: &mut S,
    ctx: &BlockContext,
    signer: &Result<Address, SignatureError>,
    signing: Signing,
) -> Result<Option<Address>, Halt> {
    match signing {
        Signing::Oracle => Ok(None),
        Signing::Own {
            key,
            nonce,
            expires_at,
        } => {
            admit(st, ctx, signer, &key, nonce, expires_at)?;
            Ok(None)
        }
        Signing::AccountOrAgent(call) if call.signer == call.account => {
            admit(st, ctx, signer, &call.account, call.nonce, call.expires_at)?;
            Ok(None)
        }
        Signing::Agent(call) | Signing::AccountOrAgent(call) => {
            admit_agent(st, ctx, signer, &call)?;
            Ok(Some(call.signer))
        }
    }
}

/// A signed action: the checks its kind declares for its signer, then the action's own
/// rules, with the agent (if one signed) on the receipt.
fn apply_action<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    action: &Action,
    signer: &Result<Address, SignatureError>,
) -> Result<Receipt, Halt> {
    let agent = admit_signing(st, ctx, signer, action.signing())?;
    let mut receipt = match action {
        Action::PriceUpdate(update) => oracle::price_update(st, genesis, ctx, update, signer),
        Action::ImpliedVolUpdate(update) => {
            option_vol::implied_vol_update(st, genesis, ctx, update, signer)
        }
        Action::Order(o) => orders::place(st, genesis, ctx, o),
        Action::Cancel(c) => cancels::cancel(st, genesis, c),
        Action::CancelAll(c) => cancels::cancel_all(st, &c.account),
        Action::Withdraw(w) => transfers::withdraw(st, genesis, ctx, w),
        Action::Liquidate(l) => liquidation::liquidate(st, genesis, ctx, l),
        Action::ApproveAgent(a) => agents::approve(st, ctx, a),
        Action::RevokeAgent(r) => agents::revoke(st, r),
        Action::AgentOrder(o) => orders::place(st, genesis, ctx, &o.order()),
        Action::AgentCancel(c) => cancels::cancel(st, genesis, &c.cancel()),
        Action::AgentCancelAll(c) => cancels::cancel_all(st, &c.account),
        Action::ScheduleCancel(c) => dead_man::schedule(st, ctx, c),
        Action::AgentScheduleCancel(c) => dead_man::schedule(st, ctx, &c.schedule()),
        Action::ClientOrder(o) => client_orders::place(st, genesis, ctx, o),
        Action::CancelByClientId(c) => client_orders::cancel(st, genesis, ctx, c),
        Action::ModifyOrder(m) => client_orders::modify(st, genesis, ctx, m),
        Action::TriggerOrder(t) => triggers::place(st, genesis, t),
        Action::TpSl(t) => triggers::set_tp_sl(st, genesis, t),
        // A trading setting: the account's agents may change it (no money moves).
        Action::SetLeverage(l) => leverage::set(st, genesis, l),
        // Trading settings: the money stays in the account, so its agents may move it.
        Action::SetMarginMode(m) => isolated::set_mode(st, genesis, m),
        Action::IsolatedMargin(m) => isolated::move_margin(st, genesis, ctx, m),
        Action::BulkModify(b) => bulk_modify::apply(st, genesis, ctx, b),
    }?;
    if agent.is_some() {
        receipt.agent = agent;
    }
    Ok(receipt)
}
