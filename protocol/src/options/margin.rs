//! The margin a short option position holds in the cross-margin account
//! (docs/PROTOCOL.md Part 8 §8): the mark plus a conservative move of the underlying,
//! pure and in the protocol's integer units, written to plug into the engine's margin
//! check later (not yet called by the STF). Long options need only their premium.
//!
//! Everything rounds up: margin is charged to the trader (Part 4 §5).

use super::payoff::{OptionKind, out_of_the_money};
use crate::engine::math::{BPS, Overflow, ceil_div, mul, size_scale};

/// Parameters of the short-option margin rule, in basis points of the index (call) or
/// of the index and strike (put).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShortOptionMargin {
    /// The move the margin covers: this fraction of the index, less the amount out of the
    /// money (e.g. 1500 = 15 %).
    pub underlying_bps: u32,
    /// The least margin beyond the mark: this fraction of the index for a call, of the
    /// strike for a put, so a far out-of-the-money short still holds something (e.g. 1000).
    pub floor_bps: u32,
}

/// Margin per whole unit of a short option, in price units, rounded up:
/// mark + max(⌈S · underlying_bps / 10⁴⌉ − OTM, ⌈B · floor_bps / 10⁴⌉), B = S for a call and
/// K for a put. Long options need none beyond the premium they paid.
pub fn short_margin_per_unit(
    rule: ShortOptionMargin,
    kind: OptionKind,
    index_price: u64,
    strike_price: u64,
    mark: u64,
) -> Result<i128, Overflow> {
    let part = |price: u64, bps: u32| ceil_div(mul(i128::from(price), i128::from(bps))?, BPS);
    let cover = part(index_price, rule.underlying_bps)?
        - i128::from(out_of_the_money(kind, index_price, strike_price));
    let floor_base = match kind {
        OptionKind::Call => index_price,
        OptionKind::Put => strike_price,
    };
    let floor = part(floor_base, rule.floor_bps)?;
    i128::from(mark)
        .checked_add(cover.max(floor))
        .ok_or(Overflow)
}

/// The margin a short position of `size` contracts (size units; the sign is ignored)
/// must hold, in micro-USDC: ⌈|size| · short_margin_per_unit / 10^size_decimals⌉.
pub fn short_position_margin(
    rule: ShortOptionMargin,
    kind: OptionKind,
    index_price: u64,
    strike_price: u64,
    mark: u64,
    size: i128,
    size_decimals: u8,
) -> Result<i128, Overflow> {
    let per_unit = short_margin_per_unit(rule, kind, index_price, strike_price, mark)?;
    ceil_div(
        mul(size.checked_abs().ok_or(Overflow)?, per_unit)?,
        size_scale(size_decimals)?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use OptionKind::{Call, Put};

    const RULE: ShortOptionMargin = ShortOptionMargin {
        underlying_bps: 1_500,
        floor_bps: 1_000,
    };

    #[test]
    fn the_larger_of_the_covered_move_and_the_floor_plus_the_mark() {
        // (kind, index, strike, mark, per-unit margin): S = 100 USDC (10^8 price units).
        let table: &[(OptionKind, u64, u64, u64, i128)] = &[
            // At the money: 15 % of S covers more than the 10 % floor.
            (
                Call,
                100_000_000,
                100_000_000,
                4_000_000,
                4_000_000 + 15_000_000,
            ),
            (
                Put,
                100_000_000,
                100_000_000,
                4_000_000,
                4_000_000 + 15_000_000,
            ),
            // 2 USDC out of the money: 15 − 2 = 13 USDC still above the floor.
            (
                Call,
                100_000_000,
                102_000_000,
                3_000_000,
                3_000_000 + 13_000_000,
            ),
            (
                Put,
                100_000_000,
                98_000_000,
                3_000_000,
                3_000_000 + 13_000_000,
            ),
            // Far out of the money the floor binds: 10 % of S (call), of K (put).
            (Call, 100_000_000, 150_000_000, 10_000, 10_000 + 10_000_000),
            (Put, 100_000_000, 50_000_000, 10_000, 10_000 + 5_000_000),
            // In the money nothing is subtracted: the mark carries the intrinsic value.
            (
                Call,
                100_000_000,
                80_000_000,
                20_500_000,
                20_500_000 + 15_000_000,
            ),
            // Rounding up: 15 % of 7 price units is 1.05 → 2; the floor 0.7 → 1.
            (Call, 7, 7, 0, 2),
            (Put, 7, 1, 0, 1),
        ];
        for &(kind, index, strike, mark, expected) in table {
            let got = short_margin_per_unit(RULE, kind, index, strike, mark);
            assert_eq!(got, Ok(expected), "{kind:?} S={index} K={strike}");
        }
    }

    #[test]
    fn a_position_holds_its_share_rounded_up() {
        let per_unit = |size, decimals| {
            short_position_margin(
                RULE,
                Call,
                100_000_000,
                100_000_000,
                4_000_000,
                size,
                decimals,
            )
        };
        assert_eq!(per_unit(-1_000, 3), Ok(19_000_000));
        assert_eq!(per_unit(1_000, 3), Ok(19_000_000), "the sign is ignored");
        assert_eq!(per_unit(-1, 3), Ok(19_000));
        assert_eq!(per_unit(-1, 9), Ok(1), "a sliver still holds a unit");
        assert_eq!(per_unit(0, 3), Ok(0));
        assert_eq!(per_unit(i128::MIN, 0), Err(Overflow));
    }
}
