//! The options module's fixed-point number: an `i128` counting 10^-18 ("18 decimals"), with
//! the elementary functions Black-Scholes needs (ln, exp, square root) done in integer
//! arithmetic only, so every node computes the same bits (docs/PROTOCOL.md Part 8 §2).
//!
//! Every operation rounds once, to the nearest integer with ties away from zero
//! ([`round_div`]), and every step is checked: a result that does not fit is
//! [`Overflow`], never a wrapped value. The input bounds of `black_scholes` keep every
//! intermediate far inside `i128`, so there `Overflow` would be a bug.

use crate::engine::math::Overflow;

/// 10^18: the fixed-point scale (one unit of `Fixed` is 10^-18).
pub const SCALE: i128 = 1_000_000_000_000_000_000;

/// ln 2 with 36 decimals, so `k · ln 2` stays exact to 10^-18 for every binary exponent
/// `k` the functions below meet (|k| ≤ 128).
pub const LN2_E36: i128 = 693_147_180_559_945_309_417_232_121_458_176_568;

/// Taylor and atanh series stop at the first term that rounds to zero; this cap is never
/// reached over the functions' domains (exp stops by its 15th term, ln by its 19th, Φ's
/// central series by its 26th); it only bounds the loop.
pub const MAX_SERIES_TERMS: i128 = 100;

/// exp's largest argument: e^40 · 10^18 ≈ 2.4 · 10^35 still fits an `i128`.
pub const EXP_MAX: Fixed = Fixed(40 * SCALE);

/// Below this exp returns 0: e^-60 ≈ 8.8 · 10^-27 is far below half a unit (5 · 10^-19).
pub const EXP_MIN: Fixed = Fixed(-60 * SCALE);

/// A real number as an integer count of 10^-18.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fixed(pub i128);

impl Fixed {
    pub const ZERO: Fixed = Fixed(0);
    pub const ONE: Fixed = Fixed(SCALE);
    pub const HALF: Fixed = Fixed(SCALE / 2);

    /// The whole number `n` (n · 10^18).
    pub fn from_int(n: i128) -> Result<Fixed, Overflow> {
        n.checked_mul(SCALE).map(Fixed).ok_or(Overflow)
    }

    pub fn checked_add(self, other: Fixed) -> Result<Fixed, Overflow> {
        self.0.checked_add(other.0).map(Fixed).ok_or(Overflow)
    }

    pub fn checked_sub(self, other: Fixed) -> Result<Fixed, Overflow> {
        self.0.checked_sub(other.0).map(Fixed).ok_or(Overflow)
    }

    /// round(a · b / 10^18).
    pub fn mul_round(self, other: Fixed) -> Result<Fixed, Overflow> {
        let product = self.0.checked_mul(other.0).ok_or(Overflow)?;
        round_div(product, SCALE).map(Fixed)
    }

    /// round(a · 10^18 / b); `b = 0` is `Overflow`.
    pub fn div_round(self, other: Fixed) -> Result<Fixed, Overflow> {
        let numerator = self.0.checked_mul(SCALE).ok_or(Overflow)?;
        round_div(numerator, other.0).map(Fixed)
    }

    /// e^x (Part 8 §2.3): x = k · ln 2 + r with k = round(x / ln 2), |r| ≤ ln2/2; e^r by
    /// its Taylor series; then the binary shift by k (exact for k ≥ 0, rounded for k < 0).
    pub fn exp(self) -> Result<Fixed, Overflow> {
        if self > EXP_MAX {
            return Err(Overflow);
        }
        if self < EXP_MIN {
            return Ok(Fixed::ZERO);
        }
        let k = round_div(self.0.checked_mul(SCALE).ok_or(Overflow)?, LN2_E36)?;
        let r = self.0 - round_div(k.checked_mul(LN2_E36).ok_or(Overflow)?, SCALE)?;
        let mut term = SCALE;
        let mut sum = SCALE;
        for i in 1..=MAX_SERIES_TERMS {
            term = round_div(term.checked_mul(r).ok_or(Overflow)?, i * SCALE)?;
            if term == 0 {
                break;
            }
            sum += term;
        }
        let shift = u32::try_from(k.unsigned_abs()).map_err(|_| Overflow)?;
        if k >= 0 {
            let scaled = sum.checked_shl(shift).ok_or(Overflow)?;
            // checked_shl only refuses shifts ≥ 128; a lost high bit shows in the way back.
            if scaled >> shift != sum {
                return Err(Overflow);
            }
            Ok(Fixed(scaled))
        } else {
            round_div(sum, 1i128.checked_shl(shift).ok_or(Overflow)?).map(Fixed)
        }
    }

    /// ln x for x > 0 (Part 8 §2.2): x = 2^k · m with m in [1, 2); ln m = 2 atanh(z),
    /// z = (m − 1)/(m + 1) ≤ 1/3, by its odd power series; ln x = k · ln 2 + ln m.
    /// x ≤ 0 has no logarithm and is `Overflow`.
    pub fn ln(self) -> Result<Fixed, Overflow> {
        if self.0 <= 0 {
            return Err(Overflow);
        }
        let (k, m) = normalize_binary(self.0)?;
        let z = round_div((m - SCALE) * SCALE, m + SCALE)?;
        let z2 = Fixed(z).mul_round(Fixed(z))?.0;
        let mut term = z;
        let mut sum = z;
        for n in 1..=MAX_SERIES_TERMS {
            term = Fixed(term).mul_round(Fixed(z2))?.0;
            if term == 0 {
                break;
            }
            sum += round_div(term, 2 * n + 1)?;
        }
        let k_ln2 = round_div(k.checked_mul(LN2_E36).ok_or(Overflow)?, SCALE)?;
        k_ln2.checked_add(2 * sum).map(Fixed).ok_or(Overflow)
    }
}

/// Splits x > 0 into (k, m) with x ≈ 2^k · m and m in [10^18, 2 · 10^18]: for x ≥ 10^18,
/// k is the largest with 2^k · 10^18 ≤ x and m = round(x / 2^k) (which may round up to
/// exactly 2 · 10^18); for x < 10^18, k = −j for the smallest j with x · 2^j ≥ 10^18 and
/// m = x · 2^j exactly.
fn normalize_binary(x: i128) -> Result<(i128, i128), Overflow> {
    // 2^59 < 10^18 < 2^60, so the bit lengths give k within one; the comparison settles it.
    let guess = i128::from(x.ilog2()) - i128::from(SCALE.ilog2());
    if x >= SCALE {
        let k = if SCALE << guess > x { guess - 1 } else { guess };
        Ok((k, round_div(x, 1i128 << k)?))
    } else {
        let j = -guess;
        let j = if x << j < SCALE { j + 1 } else { j };
        Ok((-j, x << j))
    }
}

/// n / d rounded to the nearest integer, ties away from zero: sign(n·d) · ⌊(|n| + ⌊|d|/2⌋) / |d|⌋.
/// d = 0 is `Overflow`.
pub fn round_div(n: i128, d: i128) -> Result<i128, Overflow> {
    if d == 0 {
        return Err(Overflow);
    }
    let (n_abs, d_abs) = (n.unsigned_abs(), d.unsigned_abs());
    // |n| ≤ 2^127 and ⌊|d|/2⌋ ≤ 2^126, so the sum fits a u128.
    let magnitude = (n_abs + d_abs / 2) / d_abs;
    let magnitude = i128::try_from(magnitude).map_err(|_| Overflow)?;
    Ok(if (n < 0) != (d < 0) {
        -magnitude
    } else {
        magnitude
    })
}

/// round(n · 10^18 / d) for unsigned n and d > 0, computed as q · 10^18 + round(r · 10^18 / d)
/// with (q, r) = (⌊n/d⌋, n mod d), so n · 10^18 itself never has to fit.
pub fn ratio_e18(n: u128, d: u128) -> Result<u128, Overflow> {
    if d == 0 {
        return Err(Overflow);
    }
    let whole = (n / d).checked_mul(SCALE as u128).ok_or(Overflow)?;
    let rest = (n % d).checked_mul(SCALE as u128).ok_or(Overflow)?;
    whole.checked_add((rest + d / 2) / d).ok_or(Overflow)
}

/// The integer nearest to √n: r = ⌊√n⌋, plus one when n − r² > r (then n > (r + ½)²).
/// Exact; a half can never tie, since (r + ½)² is not an integer.
pub fn sqrt_nearest(n: u128) -> u128 {
    let r = n.isqrt();
    if n - r * r > r { r + 1 } else { r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_is_to_nearest_with_ties_away_from_zero() {
        // (n, d, expected)
        let table: &[(i128, i128, i128)] = &[
            (5, 2, 3),
            (-5, 2, -3),
            (5, -2, -3),
            (7, 3, 2),
            (8, 3, 3),
            (-8, 3, -3),
            (1, 2, 1),
            (0, 7, 0),
            (i128::MAX, 1, i128::MAX),
        ];
        for &(n, d, expected) in table {
            assert_eq!(round_div(n, d), Ok(expected), "{n}/{d}");
        }
        assert_eq!(round_div(1, 0), Err(Overflow));
        assert_eq!(round_div(i128::MIN, -1), Err(Overflow));
    }

    #[test]
    fn exact_values_are_exact() {
        assert_eq!(Fixed::ZERO.exp(), Ok(Fixed::ONE));
        assert_eq!(Fixed::ONE.ln(), Ok(Fixed::ZERO));
        assert_eq!(Fixed(2 * SCALE).ln(), Ok(Fixed(693_147_180_559_945_309)));
        assert_eq!(
            sqrt_nearest(4 * SCALE as u128 * SCALE as u128),
            2 * SCALE as u128
        );
        assert_eq!(sqrt_nearest(2), 1);
        assert_eq!(sqrt_nearest(3), 2);
        assert_eq!(sqrt_nearest(u128::MAX), 1 << 64);
        assert_eq!(ratio_e18(1, 3), Ok(333_333_333_333_333_333));
        assert_eq!(ratio_e18(2, 3), Ok(666_666_666_666_666_667));
    }

    #[test]
    fn out_of_domain_arguments_are_refused() {
        assert_eq!(Fixed::ZERO.ln(), Err(Overflow));
        assert_eq!(Fixed(-1).ln(), Err(Overflow));
        assert_eq!(Fixed(EXP_MAX.0 + 1).exp(), Err(Overflow));
        assert!(EXP_MAX.exp().is_ok());
        assert_eq!(Fixed(EXP_MIN.0 - 1).exp(), Ok(Fixed::ZERO));
        assert_eq!(Fixed(i128::MAX).mul_round(Fixed(2 * SCALE)), Err(Overflow));
        assert_eq!(Fixed::ONE.div_round(Fixed::ZERO), Err(Overflow));
        assert_eq!(ratio_e18(u128::MAX, 1), Err(Overflow));
    }

    #[test]
    fn ln_covers_every_binary_exponent_of_positive_values() {
        for x in [1, 2, 3, SCALE - 1, SCALE + 1, i128::MAX / 2, i128::MAX] {
            assert!(Fixed(x).ln().is_ok(), "ln({x})");
        }
    }
}
