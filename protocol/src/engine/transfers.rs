//! Money in and out: L1 deposits credit collateral; withdrawals debit it and write a
//! withdrawal leaf (`0x06 ‖ id`) that the settlement layer pays once the batch is final.
//!
//! A withdrawal may not spend unrealized profit, may not leave collateral negative, and
//! must leave equity ≥ the initial margin of the positions with what the resting orders
//! reserve (`margin::order_margin`, the requirement placement checks):
//! `amount ≤ collateral + min(0, Σ(upnl + unsettled funding))` and
//! `equity − amount ≥ Σ need`. With any position whose oracle price is stale it is refused.

use super::genesis_state::INSURANCE_FUND;
use super::keys::withdrawal_key;
use super::margin::order_margin;
use super::math::{add, sub};
use super::orders::is_stale;
use super::receipt::{Receipt, Status};
use super::records::Withdrawal;
use super::storage::{
    load_account, load_market, load_meta, load_position, store_account, store_meta,
};
use super::{BlockContext, Halt, reject, reject_with};
use crate::action::Withdraw;
use crate::codec::Encode;
use crate::genesis::Genesis;
use crate::primitives::Address;
use crate::state::State;
use crate::units::format_usdc_signed;

/// Credits `amount` to `account` (the insurance fund's address makes it a donation).
/// A zero deposit is accepted and changes nothing.
pub fn deposit<S: State>(st: &mut S, account: &Address, amount: u64) -> Result<Receipt, Halt> {
    if amount == 0 {
        return Ok(Receipt::ok());
    }
    let mut acct = load_account(st, account)?;
    acct.collateral = add(acct.collateral, i128::from(amount))?;
    store_account(st, &acct)?;
    let mut meta = load_meta(st)?;
    meta.total_deposits = meta
        .total_deposits
        .checked_add(u128::from(amount))
        .ok_or(super::math::Overflow)?;
    meta.total_collateral = add(meta.total_collateral, i128::from(amount))?;
    store_meta(st, &meta)?;
    Ok(Receipt::ok())
}

pub fn withdraw<S: State>(
    st: &mut S,
    genesis: &Genesis,
    ctx: &BlockContext,
    w: &Withdraw,
) -> Result<Receipt, Halt> {
    if w.amount == 0 {
        return reject(Status::ZeroAmount);
    }
    debug_assert_ne!(
        w.account, INSURANCE_FUND,
        "admit() refuses the reserved address"
    );
    // An account below zero equity after its liquidation is a loss nobody has absorbed
    // yet (ADL is pending): until it is, no collateral leaves the system.
    if load_meta(st)?.insolvent_accounts > 0 {
        return reject(Status::WithdrawalsPaused);
    }
    let mut acct = load_account(st, &w.account)?;
    for &market in &acct.markets {
        if load_position(st, &w.account, market)?.size != 0
            && is_stale(genesis, ctx, load_market(st, market)?.price_timestamp_ms)
        {
            return reject(Status::StalePrice);
        }
    }
    // The same requirement an order that rests is checked against (docs/PROTOCOL.md
    // Part 4 §8), so the collateral backing resting orders cannot leave.
    let m = order_margin(
        st,
        genesis,
        &w.account,
        acct.collateral,
        &acct.markets,
        None,
    )?;
    let pnl = sub(m.equity, acct.collateral)?;
    let amount = i128::from(w.amount);
    let withdrawable = add(acct.collateral, pnl.min(0))?;
    if amount > withdrawable {
        // The figure quoted is what may be withdrawn now: the lower of this limit and the
        // margin rule's below, so following it never meets the next refusal.
        let margin_room = m.equity.saturating_sub(m.required).max(0);
        return reject_with(
            Status::InsufficientCollateral,
            format!(
                "at most {} USDC can be withdrawn now (collateral {} USDC less unrealized losses {} USDC is {} USDC, and the initial margin of the positions and open orders leaves {} USDC); {} USDC was asked",
                format_usdc_signed(withdrawable.min(margin_room).max(0)),
                format_usdc_signed(acct.collateral),
                format_usdc_signed(pnl.min(0).saturating_neg()),
                format_usdc_signed(withdrawable.max(0)),
                format_usdc_signed(margin_room),
                format_usdc_signed(amount)
            ),
        );
    }
    let left = sub(m.equity, amount)?;
    if left < m.required {
        let cancelling = if acct.open_orders > 0 {
            " (cancelling resting orders frees what they reserve)"
        } else {
            ""
        };
        return reject_with(
            Status::InsufficientMargin,
            format!(
                "withdrawing {} USDC: required {} USDC (initial margin of the positions and of the open orders), available {} USDC (equity after the withdrawal); at most {} USDC can be withdrawn now{cancelling}",
                format_usdc_signed(amount),
                format_usdc_signed(m.required),
                format_usdc_signed(left),
                format_usdc_signed(m.equity.saturating_sub(m.required).max(0))
            ),
        );
    }
    acct.collateral = sub(acct.collateral, amount)?;
    store_account(st, &acct)?;
    let mut meta = load_meta(st)?;
    let id = meta.next_withdrawal_id;
    st.set(
        &withdrawal_key(id),
        Withdrawal {
            account: w.account,
            amount: w.amount,
        }
        .encode(),
    )?;
    meta.next_withdrawal_id = id.checked_add(1).ok_or(super::math::Overflow)?;
    meta.total_withdrawals = meta
        .total_withdrawals
        .checked_add(u128::from(w.amount))
        .ok_or(super::math::Overflow)?;
    meta.total_collateral = sub(meta.total_collateral, amount)?;
    store_meta(st, &meta)?;
    Ok(Receipt {
        withdrawal_id: Some(id),
        ..Receipt::ok()
    })
}
