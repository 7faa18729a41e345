//! Checked fixed-point arithmetic with explicit rounding directions.
//!
//! Every money and size computation of the engine goes through these helpers, in `i128`.
//! Overflow is never silent: it surfaces as [`Overflow`], which the engine turns into an
//! `arithmetic_overflow` rejection (the transaction is a no-op). Genesis validation and
//! `MAX_PRICE` keep realistic parameters far from those limits.
//!
//! Rounding is always chosen at the call site to favour the system: amounts paid *to* a
//! trader round down (`floor_div`), amounts charged *to* a trader round up (`ceil_div`).

/// Basis points per unit.
pub const BPS: i128 = 10_000;

/// The funding index counts micro-USDC per whole unit of the base asset, times this scale,
/// so that sub-micro funding accrues without being lost to rounding.
pub const FUNDING_INDEX_SCALE: i128 = 1_000_000;

/// The largest price (micro-USDC per whole unit) an oracle update may set: 10^15, i.e.
/// one billion USD per unit. Bounds every product below so i128 never overflows in
/// practice: |size| ≤ 2^63 and price ≤ 10^15 give notionals below 10^34.
pub const MAX_PRICE: u64 = 1_000_000_000_000_000;

/// An arithmetic result did not fit; the action is rejected as `arithmetic_overflow`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

pub fn add(a: i128, b: i128) -> Result<i128, Overflow> {
    a.checked_add(b).ok_or(Overflow)
}

pub fn sub(a: i128, b: i128) -> Result<i128, Overflow> {
    a.checked_sub(b).ok_or(Overflow)
}

pub fn mul(a: i128, b: i128) -> Result<i128, Overflow> {
    a.checked_mul(b).ok_or(Overflow)
}

/// ⌊n / d⌋ (toward −∞). `d` must be positive; zero is reported as overflow.
pub fn floor_div(n: i128, d: i128) -> Result<i128, Overflow> {
    if d <= 0 {
        return Err(Overflow);
    }
    let q = n / d;
    Ok(if n % d != 0 && n < 0 { q - 1 } else { q })
}

/// ⌈n / d⌉ (toward +∞). `d` must be positive; zero is reported as overflow.
pub fn ceil_div(n: i128, d: i128) -> Result<i128, Overflow> {
    if d <= 0 {
        return Err(Overflow);
    }
    let q = n / d;
    Ok(if n % d != 0 && n > 0 { q + 1 } else { q })
}

/// n / d truncated toward zero. `d` must be nonzero.
pub fn trunc_div(n: i128, d: i128) -> Result<i128, Overflow> {
    n.checked_div(d).ok_or(Overflow)
}

/// 10^decimals: the number of size units in one whole unit of the base asset.
pub fn size_scale(size_decimals: u8) -> Result<i128, Overflow> {
    10i128.checked_pow(u32::from(size_decimals)).ok_or(Overflow)
}

/// A fee of `bps` on the notional `price × size / 10^dec`, rounded up (charged to a trader).
pub fn fee(price: u64, size: u64, bps: u32, size_decimals: u8) -> Result<i128, Overflow> {
    let raw = mul(mul(i128::from(price), i128::from(size))?, i128::from(bps))?;
    ceil_div(raw, mul(size_scale(size_decimals)?, BPS)?)
}

/// The long side of a signed size: `max(size, 0)`, what it contributes to open interest.
pub fn long_part(size: i128) -> i128 {
    size.max(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_directions() {
        let cases: &[(i128, i128, i128, i128, i128)] = &[
            // n, d, floor, ceil, trunc
            (7, 2, 3, 4, 3),
            (-7, 2, -4, -3, -3),
            (6, 3, 2, 2, 2),
            (-6, 3, -2, -2, -2),
            (0, 5, 0, 0, 0),
            (-1, 1_000_000, -1, 0, 0),
        ];
        for &(n, d, f, c, t) in cases {
            assert_eq!(floor_div(n, d), Ok(f), "floor {n}/{d}");
            assert_eq!(ceil_div(n, d), Ok(c), "ceil {n}/{d}");
            assert_eq!(trunc_div(n, d), Ok(t), "trunc {n}/{d}");
        }
        assert_eq!(floor_div(1, 0), Err(Overflow));
        assert_eq!(mul(i128::MAX, 2), Err(Overflow));
    }

    #[test]
    fn fees_round_up() {
        // 0.5 BTC (5000 units at 4 decimals) at 50,000 USD, 5 bps: 12.5 USD exactly.
        assert_eq!(fee(50_000_000_000, 5_000, 5, 4), Ok(12_500_000));
        // 1 unit at 1 micro with 1 bps is a tiny fraction of a micro: rounds up to 1.
        assert_eq!(fee(1, 1, 1, 0), Ok(1));
        assert_eq!(fee(1, 1, 0, 0), Ok(0));
        assert_eq!(size_scale(40), Err(Overflow));
    }
}
