//! Human units in and out: "0.5" BTC, "50000" USD, "1,000.25" USDC become the protocol's
//! integers (base lots of 10^-size_decimals, micro-USDC) and back.
//!
//! Integer math only, no floats: a decimal string is split at its point, each side parsed
//! as digits, and the fraction right-padded to the unit's decimals. More fraction digits
//! than the unit carries is an error rather than a silent rounding, because a trader who
//! types "0.1234567" USDC meant something the chain cannot hold.

pub use protocol::units::{USDC_DECIMALS, format_decimal_wide, format_price};

/// The names `watch` still prints USDC with: both are `format_usdc_fixed`, so its lines
/// carry the same six decimals as every other command (one formatter, no 2-decimal twin).
pub use format_usdc_fixed as format_usdc;
pub use format_usdc_fixed as format_usdc_signed;

/// Why a typed amount is not a valid number of the unit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitsError {
    #[error("empty amount")]
    Empty,
    #[error("amount {input:?} is negative; amounts here are never below zero")]
    Negative { input: String },
    #[error("amount {input:?} has an unexpected character {found:?}")]
    InvalidCharacter { input: String, found: char },
    #[error("amount {input:?} has no digits")]
    NoDigits { input: String },
    #[error(
        "amount {input:?} has misplaced thousands separators (use groups of three, e.g. 1,000.25)"
    )]
    MisplacedSeparator { input: String },
    #[error("amount {input:?} has {got} decimal places; this unit has at most {max}")]
    TooManyDecimals { input: String, got: usize, max: u8 },
    #[error("amount {input:?} is too large")]
    TooLarge { input: String },
}

/// Parses a non-negative decimal like "1,000.25" into integer units of 10^-`decimals`.
/// Commas are thousands separators in the integer part only, in groups of three.
pub fn parse_decimal(input: &str, decimals: u8) -> Result<u64, UnitsError> {
    let text = input.trim();
    if text.is_empty() {
        return Err(UnitsError::Empty);
    }
    if text.starts_with('-') {
        return Err(UnitsError::Negative {
            input: input.into(),
        });
    }
    let text = text.strip_prefix('+').unwrap_or(text);
    if let Some(found) = text
        .chars()
        .find(|c| !c.is_ascii_digit() && *c != ',' && *c != '.')
    {
        return Err(UnitsError::InvalidCharacter {
            input: input.into(),
            found,
        });
    }
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, ""),
    };
    if let Some(found) = fraction.chars().find(|c| !c.is_ascii_digit()) {
        return Err(UnitsError::InvalidCharacter {
            input: input.into(),
            found,
        });
    }
    if whole.is_empty() && fraction.is_empty() {
        return Err(UnitsError::NoDigits {
            input: input.into(),
        });
    }
    let whole_digits = strip_separators(whole).ok_or_else(|| UnitsError::MisplacedSeparator {
        input: input.into(),
    })?;
    if fraction.len() > usize::from(decimals) {
        return Err(UnitsError::TooManyDecimals {
            input: input.into(),
            got: fraction.len(),
            max: decimals,
        });
    }
    let too_large = || UnitsError::TooLarge {
        input: input.into(),
    };
    let scale = 10u64
        .checked_pow(u32::from(decimals))
        .ok_or_else(too_large)?;
    let mut whole_value: u64 = 0;
    for digit in whole_digits.bytes() {
        whole_value = whole_value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(digit - b'0')))
            .ok_or_else(too_large)?;
    }
    let mut fraction_value: u64 = 0;
    for i in 0..usize::from(decimals) {
        let digit = fraction.as_bytes().get(i).map_or(0, |d| d - b'0');
        // At most `decimals` digits, so this stays below `scale` and cannot overflow.
        fraction_value = fraction_value * 10 + u64::from(digit);
    }
    whole_value
        .checked_mul(scale)
        .and_then(|v| v.checked_add(fraction_value))
        .ok_or_else(too_large)
}

/// The integer part's digits without separators, or `None` if the commas do not form
/// groups of three (so "1,00" or ",100" is refused rather than guessed at).
fn strip_separators(whole: &str) -> Option<String> {
    if !whole.contains(',') {
        return Some(whole.to_string());
    }
    let groups: Vec<&str> = whole.split(',').collect();
    let first_ok = (1..=3).contains(&groups[0].len());
    let rest_ok = groups[1..].iter().all(|g| g.len() == 3);
    (first_ok && rest_ok).then(|| groups.concat())
}

/// A USDC amount ("1,000.25") in micro-USDC.
pub fn parse_usdc(input: &str) -> Result<u64, UnitsError> {
    parse_decimal(input, USDC_DECIMALS)
}

/// A price in USD per whole unit of the base asset ("50000") in micro-USDC.
pub fn parse_price(input: &str) -> Result<u64, UnitsError> {
    parse_decimal(input, USDC_DECIMALS)
}

/// A size in whole units of the base asset ("0.5" BTC) in base lots of 10^-size_decimals.
pub fn parse_size(input: &str, size_decimals: u8) -> Result<u64, UnitsError> {
    parse_decimal(input, size_decimals)
}

/// Formats `value` units of 10^-`decimals` with thousands separators, trailing fraction
/// zeros trimmed down to `min_fraction` digits: (100025000, 6, 2) → "100.025".
pub fn format_decimal(value: u64, decimals: u8, min_fraction: u8) -> String {
    format_decimal_wide(u128::from(value), decimals, min_fraction)
}

/// A price in micro-USDC at exactly `decimals` decimals, rounded half up: a market's
/// prices printed at its tick's precision line up in columns, computed ones (an average
/// entry, a liquidation price) included. (57119047619, 0) → "57,119"; (2999950000, 2) →
/// "2,999.95".
pub fn format_price_fixed(micro: u128, decimals: u8) -> String {
    let decimals = decimals.min(USDC_DECIMALS);
    let step = 10u128.pow(u32::from(USDC_DECIMALS - decimals));
    let rounded = micro.saturating_add(step / 2) / step;
    format_decimal_wide(rounded, decimals, decimals)
}

/// The decimals a tick of `tick_size` micro-USDC needs: 1,000,000 (one dollar) → 0,
/// 10,000 (a cent) → 2.
pub fn tick_decimals(tick_size: u64) -> u8 {
    let mut decimals = USDC_DECIMALS;
    let mut tick = tick_size;
    while decimals > 0 && tick != 0 && tick.is_multiple_of(10) {
        tick /= 10;
        decimals -= 1;
    }
    decimals
}

/// A size in base lots as whole units ("0.5").
pub fn format_size(lots: u64, size_decimals: u8) -> String {
    format_decimal(lots, size_decimals, 0)
}

/// A signed size in base lots ("-0.25" for a short of a quarter unit).
pub fn format_size_signed(lots: i128, size_decimals: u8) -> String {
    let sign = if lots < 0 { "-" } else { "" };
    format!(
        "{sign}{}",
        format_decimal_wide(lots.unsigned_abs(), size_decimals, 0)
    )
}

/// Signed micro-USDC with all six decimals ("1,404.955550", "-3.000000"), so amounts in a
/// column line up on their points. The one USDC formatter: every amount of USDC `vigil`
/// prints (tables, outcomes, refusals, the demos, the bench) goes through it, so a figure
/// reads the same in `account`, `withdraw`, `force` and `l1`.
pub fn format_usdc_fixed(micro: impl Into<i128>) -> String {
    let micro: i128 = micro.into();
    let sign = if micro < 0 { "-" } else { "" };
    format!(
        "{sign}{}",
        format_decimal_wide(micro.unsigned_abs(), USDC_DECIMALS, USDC_DECIMALS)
    )
}

/// A signed size in base lots with all of the market's decimals ("-0.5000" for a short of
/// half a BTC on a 4-decimal market).
pub fn format_size_fixed(lots: i128, size_decimals: u8) -> String {
    let sign = if lots < 0 { "-" } else { "" };
    format!(
        "{sign}{}",
        format_decimal_wide(lots.unsigned_abs(), size_decimals, size_decimals)
    )
}

/// Unix milliseconds as a UTC time to the second, "2025-03-01 14:05:09" (the proleptic
/// Gregorian calendar, by integer math: days since the epoch to a civil date).
pub fn format_utc(ms: u64) -> String {
    let secs = ms / 1_000;
    let (days, of_day) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = protocol::engine::option_view::civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        of_day / 3_600,
        of_day % 3_600 / 60,
        of_day % 60
    )
}

/// A UTC time as Unix milliseconds: `2026-12-06T10:00:00Z`, `2026-12-06 10:00:00` (UTC, to
/// the second), or a bare number of milliseconds. The inverse of [`format_utc`].
pub fn parse_utc_ms(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if let Ok(ms) = text.parse::<u64>() {
        return Ok(ms);
    }
    let usage = || {
        format!(
            "{text:?}: give a UTC time like 2026-12-06T10:00:00Z (or 2026-12-06 10:00:00), or Unix milliseconds"
        )
    };
    let body = text.strip_suffix('Z').unwrap_or(text);
    let (date, time) = body.split_once(['T', ' ']).ok_or_else(usage)?;
    let numbers = |part: &str, sep: char| -> Option<Vec<u64>> {
        part.split(sep).map(|n| n.parse::<u64>().ok()).collect()
    };
    let (Some(d), Some(t)) = (numbers(date, '-'), numbers(time, ':')) else {
        return Err(usage());
    };
    let (&[year, month, day], &[hour, minute, second]) = (d.as_slice(), t.as_slice()) else {
        return Err(usage());
    };
    if !(1970..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return Err(usage());
    }
    // Howard Hinnant's `days_from_civil` (years starting in March), as `format_utc` inverts.
    let y = if month <= 2 { year - 1 } else { year };
    let (era, yoe) = (y / 400, y % 400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe)
        .checked_sub(719_468)
        .ok_or_else(usage)?;
    let ms = (days * 86_400 + hour * 3_600 + minute * 60 + second) * 1_000;
    // 31 February and the like land in the next month: refuse them.
    let canonical = format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}");
    if format_utc(ms) != canonical {
        return Err(format!("{text:?} is not a date in the calendar"));
    }
    Ok(ms)
}
