//! The deterministic Black-Scholes mark and greeks of a European option on a perp market's
//! index (docs/PROTOCOL.md Part 8 §3), in integer arithmetic only so every node computes
//! the same bits and a fraud proof can re-run it.
//!
//! The index is the option's forward (a perp has no carry Vigil prices), so there is no
//! rate: C = S·Φ(d1) − K·Φ(d2) with d1,2 = ln(S/K)/v ± v/2 and v = σ√t. The call is
//! computed and the put follows from parity, P = C − S + K, exactly.

use super::OptionsError;
use super::fixed::{Fixed, SCALE, ratio_e18, round_div, sqrt_nearest};
use super::normal::{TAIL_CUTOFF, cdf, pdf};
use crate::engine::math::{MAX_PRICE, Overflow, mul};

/// The year of t = time_to_expiry_ms / YEAR_MS: 365 days of 86,400,000 ms.
pub const YEAR_MS: u64 = 31_536_000_000;

/// Theta is quoted per day.
pub const DAY_MS: u64 = 86_400_000;

/// The longest time to expiry priced: ten years.
pub const MAX_TIME_TO_EXPIRY_MS: u64 = 10 * YEAR_MS;

/// Implied volatility counts parts per million: 800,000 is 80 % a year.
pub const VOL_PPM_SCALE: u64 = 1_000_000;

/// The largest implied volatility priced: 500 % a year.
pub const MAX_IMPLIED_VOL_PPM: u64 = 5 * VOL_PPM_SCALE;

/// Vega is quoted per volatility point (1 % = 10,000 ppm).
pub const VOL_POINTS_PER_UNIT: i128 = 100;

/// Gamma is quoted per whole USDC of index: 10^6 price units.
pub const PRICE_UNITS_PER_USDC: i128 = 1_000_000;

/// `YEAR_MS / 10^6`: YEAR_MS carries six trailing zeros, which the variance and time
/// ratios cancel against their own scale to keep every product inside a `u128`.
const YEAR_MS_OVER_1E6: u128 = 31_536;

/// What the mark depends on, in the protocol's units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionInputs {
    /// S: the underlying's index price, micro-USDC per whole unit (1..=MAX_PRICE).
    pub index_price: u64,
    /// K: the strike, in the same units (1..=MAX_PRICE).
    pub strike_price: u64,
    /// T: milliseconds until expiry (0..=MAX_TIME_TO_EXPIRY_MS); 0 prices the payoff.
    pub time_to_expiry_ms: u64,
    /// σ: annualized implied volatility in ppm (0..=MAX_IMPLIED_VOL_PPM).
    pub implied_vol_ppm: u64,
}

/// Marks and greeks of the call and the put on the same inputs. Marks are price units
/// (micro-USDC per whole unit of the underlying); greeks are 18-decimal `Fixed`. Gamma,
/// vega and theta are the same for the call and the put (no rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionQuote {
    /// Nearest price unit (ties up), clamped to [max(S − K, 0), S].
    pub call_mark: u64,
    /// call_mark − S + K exactly (put-call parity), hence within [max(K − S, 0), K].
    pub put_mark: u64,
    /// Φ(d1), in [0, 1].
    pub call_delta: Fixed,
    /// Φ(d1) − 1, in [−1, 0].
    pub put_delta: Fixed,
    /// ∂delta/∂S per whole USDC of index: φ(d1) · 10^6 / (S · v); 0 when v = 0.
    pub gamma_per_usdc: Fixed,
    /// ∂mark/∂σ in price units per volatility point: S · φ(d1) · √t / 100.
    pub vega_per_vol_point: Fixed,
    /// ∂mark/∂(calendar time) in price units per day, ≤ 0: −S · φ(d1) · v · DAY_MS / (2T);
    /// 0 when v = 0.
    pub theta_per_day: Fixed,
}

/// The intermediate values of Part 8 §3, exposed so a second implementation can compare
/// its steps (the worked examples print them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    /// v = σ√t.
    pub total_vol: Fixed,
    /// √t, t in years.
    pub sqrt_years: Fixed,
    /// d1 and d2; ±10 or 0 when v = 0.
    pub d1: Fixed,
    pub d2: Fixed,
}

/// The mark and greeks of `inputs` (Part 8 §3), or the first input out of range.
pub fn quote(inputs: &OptionInputs) -> Result<OptionQuote, OptionsError> {
    let terms = terms(inputs)?;
    quote_from_terms(inputs, &terms).map_err(|Overflow| overflow(inputs))
}

/// v, √t, d1 and d2 of `inputs` (Part 8 §3 steps 1–3), or the first input out of range.
pub fn terms(inputs: &OptionInputs) -> Result<Terms, OptionsError> {
    check_inputs(inputs)?;
    terms_in_range(inputs).map_err(|Overflow| overflow(inputs))
}

fn overflow(inputs: &OptionInputs) -> OptionsError {
    OptionsError::ArithmeticOverflow {
        inputs: format!("{inputs:?}"),
    }
}

fn check_inputs(inputs: &OptionInputs) -> Result<(), OptionsError> {
    let OptionInputs {
        index_price,
        strike_price,
        time_to_expiry_ms,
        implied_vol_ppm,
    } = *inputs;
    if !(1..=MAX_PRICE).contains(&index_price) {
        return Err(OptionsError::IndexPriceOutOfRange { index_price });
    }
    if !(1..=MAX_PRICE).contains(&strike_price) {
        return Err(OptionsError::StrikePriceOutOfRange { strike_price });
    }
    if time_to_expiry_ms > MAX_TIME_TO_EXPIRY_MS {
        return Err(OptionsError::TimeToExpiryOutOfRange { time_to_expiry_ms });
    }
    if implied_vol_ppm > MAX_IMPLIED_VOL_PPM {
        return Err(OptionsError::ImpliedVolOutOfRange { implied_vol_ppm });
    }
    Ok(())
}

/// Steps 1–3 on in-range inputs; `Overflow` here would be a bug.
fn terms_in_range(inputs: &OptionInputs) -> Result<Terms, Overflow> {
    let spot = i128::from(inputs.index_price);
    let strike = i128::from(inputs.strike_price);
    let total_vol = total_vol(inputs.implied_vol_ppm, inputs.time_to_expiry_ms)?;
    let (d1, d2) = if total_vol.0 == 0 {
        degenerate_d(spot, strike)
    } else {
        d1_d2(spot, strike, total_vol)?
    };
    Ok(Terms {
        total_vol,
        sqrt_years: sqrt_years(inputs.time_to_expiry_ms)?,
        d1,
        d2,
    })
}

/// Steps 4–6: marks, delta, and the greeks weighted by φ(d1).
fn quote_from_terms(inputs: &OptionInputs, terms: &Terms) -> Result<OptionQuote, Overflow> {
    let spot = i128::from(inputs.index_price);
    let strike = i128::from(inputs.strike_price);
    let time_ms = i128::from(inputs.time_to_expiry_ms);
    let v = terms.total_vol;
    let call_delta = cdf(terms.d1)?;
    let (call_mark, put_mark) = marks(spot, strike, call_delta, cdf(terms.d2)?)?;
    let density = pdf(terms.d1)?;
    let vega = round_div(
        mul(density.mul_round(terms.sqrt_years)?.0, spot)?,
        VOL_POINTS_PER_UNIT,
    )?;
    let (gamma, theta) = if v.0 == 0 {
        (0, 0)
    } else {
        let gamma = round_div(mul(density.div_round(v)?.0, PRICE_UNITS_PER_USDC)?, spot)?;
        let per_ms = round_div(mul(density.mul_round(v)?.0, spot)?, 2 * time_ms)?;
        (gamma, -mul(per_ms, i128::from(DAY_MS))?)
    };
    Ok(OptionQuote {
        call_mark,
        put_mark,
        call_delta,
        put_delta: call_delta.checked_sub(Fixed::ONE)?,
        gamma_per_usdc: Fixed(gamma),
        vega_per_vol_point: Fixed(vega),
        theta_per_day: Fixed(theta),
    })
}

/// v = σ√t to the nearest 10^-18: √(w) with w = round(σ² · T · 10^18 / 31,536) = v² · 10^36.
/// (σ² · T / YEAR_MS · 10^36, with YEAR_MS's six zeros cancelled against σ's ppm².)
fn total_vol(implied_vol_ppm: u64, time_ms: u64) -> Result<Fixed, Overflow> {
    let vol = u128::from(implied_vol_ppm);
    let variance_e36 = ratio_e18(vol * vol * u128::from(time_ms), YEAR_MS_OVER_1E6)?;
    Ok(Fixed(to_i128(sqrt_nearest(variance_e36))?))
}

/// √t to the nearest 10^-18: √(round(T · 10^30 / 31,536)), the root of t · 10^36.
fn sqrt_years(time_ms: u64) -> Result<Fixed, Overflow> {
    let years_e36 = ratio_e18(u128::from(time_ms) * 1_000_000_000_000, YEAR_MS_OVER_1E6)?;
    Ok(Fixed(to_i128(sqrt_nearest(years_e36))?))
}

/// d1 = q + h, d2 = q − h with q = (ln S − ln K)/v and h = round(v/2), each step rounded.
fn d1_d2(spot: i128, strike: i128, v: Fixed) -> Result<(Fixed, Fixed), Overflow> {
    let log_moneyness = Fixed::from_int(spot)?
        .ln()?
        .checked_sub(Fixed::from_int(strike)?.ln()?)?;
    let q = log_moneyness.div_round(v)?;
    let h = Fixed(round_div(v.0, 2)?);
    Ok((q.checked_add(h)?, q.checked_sub(h)?))
}

/// v = 0 (no time or no volatility left): d1 = d2 = +10, 0 or −10 as S >, = or < K, where
/// Φ is exactly 1, ½ or 0, so the marks are the intrinsic values and delta the payoff's.
fn degenerate_d(spot: i128, strike: i128) -> (Fixed, Fixed) {
    let d = match spot.cmp(&strike) {
        std::cmp::Ordering::Greater => TAIL_CUTOFF,
        std::cmp::Ordering::Equal => Fixed::ZERO,
        std::cmp::Ordering::Less => Fixed(-TAIL_CUTOFF.0),
    };
    (d, d)
}

/// call = clamp(round((S·Φ(d1) − K·Φ(d2)) / 10^18), max(S − K, 0), S); put = call − S + K.
fn marks(spot: i128, strike: i128, n1: Fixed, n2: Fixed) -> Result<(u64, u64), Overflow> {
    let raw = mul(spot, n1.0)?
        .checked_sub(mul(strike, n2.0)?)
        .ok_or(Overflow)?;
    let call = round_div(raw, SCALE)?.clamp((spot - strike).max(0), spot);
    let put = call - spot + strike;
    let to_u64 = |x: i128| u64::try_from(x).map_err(|_| Overflow);
    Ok((to_u64(call)?, to_u64(put)?))
}

fn to_i128(x: u128) -> Result<i128, Overflow> {
    i128::try_from(x).map_err(|_| Overflow)
}
