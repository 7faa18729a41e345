//! The standard normal density φ and distribution Φ in 18-decimal fixed point
//! (docs/PROTOCOL.md Part 8 §2.5–2.6): the two functions Black-Scholes weighs its terms with.
//!
//! Φ uses two expansions, each where it is accurate in fixed point: near the centre
//! (|x| < 2) Marsaglia's series Φ(x) = ½ + φ(x)·(x + x³/3 + x⁵/(3·5) + …), whose terms are
//! all of one sign; in the tails the upper tail is φ(x)·R(x), with Laplace's continued
//! fraction for the Mills ratio R(x) = 1/(x + 1/(x + 2/(x + 3/(x + …)))) evaluated from a
//! fixed depth. Neither multiplies φ by anything large, which keeps the error absolute
//! and below 10^-17.

use super::fixed::{Fixed, MAX_SERIES_TERMS, SCALE, round_div};
use crate::engine::math::Overflow;

/// 1/√(2π) with 18 decimals (0.398942280401432677939…, rounded up).
pub const INV_SQRT_2PI: Fixed = Fixed(398_942_280_401_432_678);

/// Beyond ±10 the density is below 7.7 · 10^-23 and the distribution within 7.7 · 10^-24 of
/// 0 or 1, both under half a unit: φ = 0 and Φ = 0 or 1 there exactly.
pub const TAIL_CUTOFF: Fixed = Fixed(10 * SCALE);

/// Where Φ switches from the central series to the continued fraction.
pub const SERIES_LIMIT: Fixed = Fixed(2 * SCALE);

/// Depth of the Mills-ratio continued fraction: at x = 2, where it converges slowest, 120
/// levels leave a truncation error below 7 · 10^-20 in Φ.
pub const MILLS_RATIO_DEPTH: i128 = 120;

/// φ(x) = e^(−x²/2)/√(2π), with x²/2 rounded once: round(x·x / (2·10^18)).
pub fn pdf(x: Fixed) -> Result<Fixed, Overflow> {
    if x.0.unsigned_abs() >= TAIL_CUTOFF.0.unsigned_abs() {
        return Ok(Fixed::ZERO);
    }
    let half_square = round_div(x.0 * x.0, 2 * SCALE)?;
    Fixed(-half_square).exp()?.mul_round(INV_SQRT_2PI)
}

/// Φ(x), the probability that a standard normal variable is at most x.
pub fn cdf(x: Fixed) -> Result<Fixed, Overflow> {
    if x <= Fixed(-TAIL_CUTOFF.0) {
        return Ok(Fixed::ZERO);
    }
    if x >= TAIL_CUTOFF {
        return Ok(Fixed::ONE);
    }
    let a = Fixed(x.0.abs());
    if a < SERIES_LIMIT {
        return Fixed::HALF.checked_add(pdf(x)?.mul_round(central_series(x)?)?);
    }
    let upper_tail = pdf(a)?.mul_round(mills_ratio(a)?)?;
    if x.0 < 0 {
        Ok(upper_tail)
    } else {
        Fixed::ONE.checked_sub(upper_tail)
    }
}

/// x + x³/3 + x⁵/(3·5) + …: term_n = round(term_{n−1} · x² / ((2n+1) · 10^18)), until a
/// term rounds to zero.
fn central_series(x: Fixed) -> Result<Fixed, Overflow> {
    let x2 = x.mul_round(x)?.0;
    let mut term = x.0;
    let mut sum = x.0;
    for n in 1..=MAX_SERIES_TERMS {
        term = round_div(term * x2, (2 * n + 1) * SCALE)?;
        if term == 0 {
            break;
        }
        sum += term;
    }
    Ok(Fixed(sum))
}

/// R(a) for a ≥ 2, bottom-up: t = a; for k = DEPTH down to 1: t = a + round(k·10^36 / t);
/// then R = round(10^36 / t).
fn mills_ratio(a: Fixed) -> Result<Fixed, Overflow> {
    let mut t = a.0;
    for k in (1..=MILLS_RATIO_DEPTH).rev() {
        t = a.0 + round_div(k * SCALE * SCALE, t)?;
    }
    round_div(SCALE * SCALE, t).map(Fixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symmetric_and_pinned_at_the_centre_and_tails() {
        assert_eq!(cdf(Fixed::ZERO), Ok(Fixed::HALF));
        assert_eq!(pdf(Fixed::ZERO), Ok(INV_SQRT_2PI));
        assert_eq!(cdf(TAIL_CUTOFF), Ok(Fixed::ONE));
        assert_eq!(cdf(Fixed(-TAIL_CUTOFF.0)), Ok(Fixed::ZERO));
        assert_eq!(pdf(TAIL_CUTOFF), Ok(Fixed::ZERO));
        assert_eq!(cdf(Fixed(i128::MIN)), Ok(Fixed::ZERO));
        assert_eq!(pdf(Fixed(i128::MIN)), Ok(Fixed::ZERO));
        for x in [1, SCALE / 3, SCALE, 2 * SCALE - 1, 2 * SCALE, 7 * SCALE] {
            let (up, down) = (cdf(Fixed(x)).unwrap(), cdf(Fixed(-x)).unwrap());
            // Both branches compute ½ ± the same magnitude, so Φ(x) + Φ(−x) = 1 exactly.
            assert_eq!(up.0 + down.0, SCALE, "x = {x}");
            assert_eq!(pdf(Fixed(x)), pdf(Fixed(-x)));
        }
    }
}
