//! What an option pays at expiry (docs/PROTOCOL.md Part 8 §7): the intrinsic value and the
//! cash a position settles for, pure and in the protocol's integer units, written to plug
//! into the engine's settlement sweep later (not yet called by the STF).
//!
//! Rounding follows Part 4 §5: an amount paid to a trader rounds down, an amount charged
//! to a trader rounds up, so settling both sides of every contract never creates money.

use crate::engine::math::{Overflow, floor_div, mul, size_scale};

/// A call pays max(S − K, 0) per whole unit at expiry; a put max(K − S, 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OptionKind {
    Call,
    Put,
}

/// The intrinsic value per whole unit of the underlying, in price units.
pub fn intrinsic_value(kind: OptionKind, index_price: u64, strike_price: u64) -> u64 {
    match kind {
        OptionKind::Call => index_price.saturating_sub(strike_price),
        OptionKind::Put => strike_price.saturating_sub(index_price),
    }
}

/// How far out of the money, per whole unit: what the holder would need the index to
/// move before the option paid anything.
pub fn out_of_the_money(kind: OptionKind, index_price: u64, strike_price: u64) -> u64 {
    match kind {
        OptionKind::Call => strike_price.saturating_sub(index_price),
        OptionKind::Put => index_price.saturating_sub(strike_price),
    }
}

/// The cash a position of `size` contracts (size units, 10^size_decimals per whole unit;
/// positive long, negative short) settles for at `settlement_price`, in micro-USDC: a long receives
/// ⌊size · intrinsic / scale⌋, a short pays ⌈|size| · intrinsic / scale⌉ (returned negative).
pub fn expiry_settlement(
    kind: OptionKind,
    settlement_price: u64,
    strike_price: u64,
    size: i128,
    size_decimals: u8,
) -> Result<i128, Overflow> {
    let value = mul(
        size,
        i128::from(intrinsic_value(kind, settlement_price, strike_price)),
    )?;
    // One floor for both signs: a long's credit rounds down, a short's debit rounds up.
    floor_div(value, size_scale(size_decimals)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use OptionKind::{Call, Put};

    /// (kind, settlement, strike, size, size decimals, intrinsic, OTM, cash)
    type Row = (OptionKind, u64, u64, i128, u8, u64, u64, i128);

    #[test]
    fn intrinsic_values_and_settlements() {
        let table: &[Row] = &[
            (
                Call,
                110_000_000,
                100_000_000,
                1_000,
                3,
                10_000_000,
                0,
                10_000_000,
            ),
            (
                Call,
                110_000_000,
                100_000_000,
                -1_000,
                3,
                10_000_000,
                0,
                -10_000_000,
            ),
            (Call, 90_000_000, 100_000_000, 1_000, 3, 0, 10_000_000, 0),
            (Call, 100_000_000, 100_000_000, -5, 0, 0, 0, 0),
            (
                Put,
                90_000_000,
                100_000_000,
                2_500,
                3,
                10_000_000,
                0,
                25_000_000,
            ),
            (Put, 110_000_000, 100_000_000, -2_500, 3, 0, 10_000_000, 0),
            (
                Call,
                110_000_000,
                100_000_000,
                1,
                0,
                10_000_000,
                0,
                10_000_000,
            ),
            (
                Put,
                90_000_000,
                100_000_000,
                333,
                3,
                10_000_000,
                0,
                3_330_000,
            ),
            (Put, 100_000_001, 100_000_000, 1, 3, 0, 1, 0),
            // A tenth of a unit worth 1: the long receives 0, the short pays 1.
            (Call, 100_000_001, 100_000_000, 1, 1, 1, 0, 0),
            (Call, 100_000_001, 100_000_000, -1, 1, 1, 0, -1),
        ];
        for &(kind, settlement, strike, size, decimals, intrinsic, otm, cash) in table {
            assert_eq!(intrinsic_value(kind, settlement, strike), intrinsic);
            assert_eq!(out_of_the_money(kind, settlement, strike), otm);
            let got = expiry_settlement(kind, settlement, strike, size, decimals);
            assert_eq!(got, Ok(cash), "{kind:?} {settlement} {strike} {size}");
        }
    }

    #[test]
    fn a_short_never_pays_less_than_the_long_receives() {
        for size in 1..200i128 {
            for decimals in 0..4u8 {
                let long = expiry_settlement(Call, 123_456_789, 100_000_007, size, decimals);
                let short = expiry_settlement(Call, 123_456_789, 100_000_007, -size, decimals);
                let (long, short) = (long.unwrap(), short.unwrap());
                assert!(long >= 0 && long + short <= 0 && long + short >= -1);
            }
        }
        assert_eq!(
            expiry_settlement(Call, u64::MAX, 0, i128::MAX, 0),
            Err(Overflow)
        );
    }
}
