//! Amounts for people: the protocol's integers (micro-USDC, prices in micro-USDC per whole
//! unit, basis points) written as decimals with thousands separators, by integer math only.
//! The engine uses them for the numbers in its rejection details; `vigil` for everything
//! it prints, so a figure reads the same wherever it appears.

use std::fmt::Write as _;

/// Collateral (a USDC-like token) and prices carry 6 decimals: micro-USDC.
pub const USDC_DECIMALS: u8 = 6;

/// Formats `value` units of 10^-`decimals` with thousands separators, trailing fraction
/// zeros trimmed down to `min_fraction` digits: (100025000, 6, 2) → "100.025".
pub fn format_decimal_wide(value: u128, decimals: u8, min_fraction: u8) -> String {
    let digits = value.to_string();
    let decimals = usize::from(decimals);
    let padded = format!("{digits:0>width$}", width = decimals + 1);
    let (whole, fraction) = padded.split_at(padded.len() - decimals);
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    let keep = fraction
        .trim_end_matches('0')
        .len()
        .max(usize::from(min_fraction).min(decimals));
    if keep > 0 {
        let _ = write!(out, ".{}", &fraction[..keep]);
    }
    out
}

/// Signed micro-USDC (equity, PnL, funding) as "-1,000.250000" or "1,000.250000": all six
/// decimals, as `vigil` prints every USDC amount, so a refusal's figures line up with the
/// account's.
pub fn format_usdc_signed(micro: i128) -> String {
    let sign = if micro < 0 { "-" } else { "" };
    format!(
        "{sign}{}",
        format_decimal_wide(micro.unsigned_abs(), USDC_DECIMALS, USDC_DECIMALS)
    )
}

/// An L1 token amount (micro-USDC) for a message a person reads, with the raw integer the
/// API takes beside it: "1,000.000000 USDC (1000000000 base units)".
pub fn format_usdc_and_raw(micro: u64) -> String {
    let human = format_decimal_wide(u128::from(micro), USDC_DECIMALS, USDC_DECIMALS);
    format!("{human} USDC ({micro} base units)")
}

/// A price (micro-USDC per whole unit) as "50,000" or "50,000.5": no forced decimals,
/// because prices read like quotes rather than balances.
pub fn format_price(micro: u128) -> String {
    format_decimal_wide(micro, USDC_DECIMALS, 0)
}

/// Basis points as a percentage: 1000 → "10%", 25 → "0.25%".
pub fn format_bps(bps: u32) -> String {
    format!("{}%", format_decimal_wide(u128::from(bps), 2, 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_people_write_them() {
        let table: &[(String, &str)] = &[
            (format_decimal_wide(100_025_000, 6, 2), "100.025"),
            (format_decimal_wide(0, 6, 2), "0.00"),
            (format_usdc_signed(-1_000_250_000), "-1,000.250000"),
            (format_usdc_signed(15_300_000_000), "15,300.000000"),
            (
                format_usdc_and_raw(1_000_000),
                "1.000000 USDC (1000000 base units)",
            ),
            (format_price(50_000_500_000), "50,000.5"),
            (format_price(50_000_000_000), "50,000"),
            (format_bps(1_000), "10%"),
            (format_bps(25), "0.25%"),
        ];
        for (got, want) in table {
            assert_eq!(got, want);
        }
    }
}
