//! Stages 2 and 3 of a liquidation (docs/PROTOCOL.md Part 4 §11): what the book did not
//! absorb goes to the insurance fund at the takeover price (the mark, or the bankruptcy
//! price when that is worse for the fund), as far as the fund's collateral covers the
//! loss against the mark; the rest is auto-deleveraged against the best-ranked opposite
//! positions at the same price, so the fund never goes below zero.
//!
//! ADL walks the `0x09` index (`keys::adl_key`) one `first_with_prefix` probe at a time:
//! a position closed to zero leaves the index, so the next probe finds the next one. At
//! most `ADL_MAX_COUNTERPARTIES` positions per action keep the witness small; what is
//! left stays with the account (marked insolvent) for further `Liquidate` actions.

use super::Halt;
use super::genesis_state::INSURANCE_FUND;
use super::isolated::{balance, credit};
use super::keys::{ADL_LONG, ADL_SHORT, adl_side_prefix};
use super::margin::position_risk;
use super::math::{Overflow, add, ceil_div, floor_div, long_part, mul, size_scale, sub};
use super::position::apply_trade;
use super::receipt::{ClosedPosition, Deleveraged, LiquidationOutcome};
use super::records::{Account, MarketState, Position};
use super::storage::{load_account, load_position, store_account, store_position};
use crate::genesis::MarketParams;
use crate::primitives::Address;
use crate::state::State;

/// The most counterparty positions one `Liquidate` deleverages (the witness bound, §14).
pub const ADL_MAX_COUNTERPARTIES: usize = 4;

/// The price at which closing all of `pos` leaves `collateral` at exactly zero:
/// `(cost − C × scale) / size`, rounded up for a long and down for a short, i.e. to the
/// side where the account's collateral ends at 0 or just above, never below.
pub fn bankruptcy_price(collateral: i128, pos: &Position, scale: i128) -> Result<i128, Overflow> {
    let n = sub(pos.cost, mul(collateral, scale)?)?;
    if pos.size > 0 {
        ceil_div(n, pos.size)
    } else {
        // n / size with size < 0 is (−n) / |size|; the helpers take positive divisors.
        let neg = |x: i128| x.checked_neg().ok_or(Overflow);
        floor_div(neg(n)?, neg(pos.size)?)
    }
}

/// If a balance (an account's collateral or an isolated margin) is negative (only by the per-close rounding of realizations),
/// the market's pnl pool pays the difference, where rounding residues live (§5). Returns
/// the credit, for `meta.total_collateral`.
pub fn credit_residue(balance: &mut i128, ms: &mut MarketState) -> Result<i128, Overflow> {
    if *balance >= 0 {
        return Ok(0);
    }
    let credit = balance.checked_neg().ok_or(Overflow)?;
    ms.pnl_pool = sub(ms.pnl_pool, credit)?;
    *balance = 0;
    Ok(credit)
}

/// The liquidated account and the insurance fund, held in memory for stages 2 and 3.
pub struct Backstop<'a> {
    pub acct: &'a mut Account,
    pub pos: &'a mut Position,
    pub fund: &'a mut Account,
    pub ms: &'a mut MarketState,
    /// Net change of all collateral (for `meta.total_collateral`).
    pub collateral_change: i128,
}

impl Backstop<'_> {
    /// Stages 2 and 3 on the whole remaining position. Returns the size closed.
    pub fn run<S: State>(
        &mut self,
        st: &mut S,
        params: &MarketParams,
        market: u32,
        out: &mut LiquidationOutcome,
    ) -> Result<u64, Halt> {
        let scale = size_scale(params.size_decimals)?;
        let held = self.pos.size.unsigned_abs();
        if held == 0 {
            return Ok(0);
        }
        let mark = i128::from(self.ms.mark_price);
        let bankrupt = bankruptcy_price(balance(self.acct, self.pos), self.pos, scale)?;
        let price = if self.pos.size > 0 {
            mark.max(bankrupt)
        } else {
            mark.min(bankrupt).max(0)
        };
        let price = u64::try_from(price).map_err(|_| Overflow)?;
        let mut fund_pos = load_position(st, &INSURANCE_FUND, market)?;
        let take = self
            .fund_capacity(params, &fund_pos, price, scale)?
            .min(held);
        if take > 0 {
            let size = self.signed(take)?;
            let (a, f) = self.close_against(&mut fund_pos, take, price, scale)?;
            credit(self.acct, self.pos, a)?;
            self.fund.collateral = add(self.fund.collateral, f)?;
            store_position(st, self.fund, market, &fund_pos)?;
            out.closed.push(ClosedPosition {
                market,
                size,
                price,
                fee: 0,
            });
        }
        let adl = self.deleverage(st, market, price, scale, out)?;
        u64::try_from(add(i128::try_from(take).map_err(|_| Overflow)?, adl)?)
            .map_err(|_| Overflow.into())
    }

    /// `size` in the direction of the account's position (what a taker-over receives).
    fn signed(&self, size: u128) -> Result<i128, Overflow> {
        let s = i128::try_from(size).map_err(|_| Overflow)?;
        Ok(s * self.pos.size.signum())
    }

    /// How much the fund takes at `price`: all of it at the mark; otherwise the most lots
    /// whose loss against the mark, `⌈|price − m| × x / scale⌉`, fits in
    /// `A = max(0, fund collateral + min(0, fund's pnl in this market))`.
    fn fund_capacity(
        &self,
        params: &MarketParams,
        fund_pos: &Position,
        price: u64,
        scale: i128,
    ) -> Result<u128, Halt> {
        let gap = i128::from(price.abs_diff(self.ms.mark_price));
        if gap == 0 {
            return Ok(self.pos.size.unsigned_abs());
        }
        let pnl = position_risk(params, self.ms, fund_pos)?;
        let pnl = add(pnl.upnl, pnl.funding)?;
        let room = add(self.fund.collateral, pnl.min(0))?.max(0);
        let lot = i128::from(params.lot_size.max(1));
        let lots = floor_div(mul(room, scale)?, mul(gap, lot)?)?;
        Ok(mul(lots, lot)?.unsigned_abs())
    }

    /// Closes `size` of the account's position at `price` into `other`, which trades the
    /// other way (the fund taking over, or a counterparty reducing). Updates open
    /// interest and the pnl pool; returns both settlements (account, other).
    fn close_against(
        &mut self,
        other: &mut Position,
        size: u128,
        price: u64,
        scale: i128,
    ) -> Result<(i128, i128), Overflow> {
        let delta = self.signed(size)?;
        let (acct_before, other_before) = (self.pos.size, other.size);
        let idx = self.ms.funding_index;
        let a = apply_trade(self.pos, -delta, price, idx, scale)?.total()?;
        let o = apply_trade(other, delta, price, idx, scale)?.total()?;
        let oi = add(
            sub(long_part(self.pos.size), long_part(acct_before))?,
            sub(long_part(other.size), long_part(other_before))?,
        )?;
        self.ms.long_open_interest =
            u64::try_from(add(i128::from(self.ms.long_open_interest), oi)?)
                .map_err(|_| Overflow)?;
        self.ms.pnl_pool = sub(self.ms.pnl_pool, add(a, o)?)?;
        self.collateral_change = add(self.collateral_change, add(a, o)?)?;
        Ok((a, o))
    }

    /// Stage 3: closes what is left against the first-ranked opposite positions, at most
    /// `ADL_MAX_COUNTERPARTIES` of them. Stops early when the index side is empty or a
    /// counterparty's collateral would end negative (it owes funding beyond its profit:
    /// it must be liquidated first). Returns the size closed.
    fn deleverage<S: State>(
        &mut self,
        st: &mut S,
        market: u32,
        price: u64,
        scale: i128,
        out: &mut LiquidationOutcome,
    ) -> Result<i128, Halt> {
        let side = if self.pos.size > 0 {
            ADL_SHORT
        } else {
            ADL_LONG
        };
        let mut closed = 0i128;
        for _ in 0..ADL_MAX_COUNTERPARTIES {
            if self.pos.size == 0 {
                break;
            }
            let Some((key, owner)) = st.first_with_prefix(&adl_side_prefix(market, side))? else {
                break;
            };
            let owner = Address(owner.as_slice().try_into().map_err(|_| {
                crate::state::StateError::Malformed {
                    key,
                    reason: "an ADL index value must be a 20-byte address".into(),
                }
            })?);
            let mut cp_acct = load_account(st, &owner)?;
            let mut cp_pos = load_position(st, &owner, market)?;
            let size = cp_pos.size.unsigned_abs().min(self.pos.size.unsigned_abs());
            let delta = self.signed(size)?;
            let mut trial = cp_pos.clone();
            let saved = (self.pos.clone(), self.ms.clone(), self.collateral_change);
            let (a, o) = self.close_against(&mut trial, size, price, scale)?;
            // An isolated counterparty settles into its position's margin.
            let mut cp_after = cp_acct.clone();
            credit(&mut cp_after, &mut trial, o)?;
            if balance(&cp_after, &trial) < 0 {
                // Undo the trial: nothing of this counterparty moves.
                (*self.pos, *self.ms, self.collateral_change) = saved;
                break;
            }
            cp_pos = trial;
            cp_acct = cp_after;
            credit(self.acct, self.pos, a)?;
            store_position(st, &mut cp_acct, market, &cp_pos)?;
            store_account(st, &cp_acct)?;
            out.deleveraged.push(Deleveraged {
                account: owner,
                size: delta,
                price,
            });
            closed = add(closed, i128::try_from(size).map_err(|_| Overflow)?)?;
        }
        Ok(closed)
    }
}
