//! The units table: human amounts to integers and back, including the inputs that must be
//! refused, each with an error naming the problem.

use vigil_client::units::{
    format_size, format_size_fixed, format_usdc_fixed, format_utc, parse_decimal, parse_usdc,
    parse_utc_ms,
};

/// Parses `input` with `decimals` and compares with `expect`: `Ok(value)`, or `Err(part)`
/// where `part` must appear in the error message.
fn check(input: &str, decimals: u8, expect: Result<u64, &str>) {
    let got = parse_decimal(input, decimals);
    match (&got, expect) {
        (Ok(v), Ok(want)) => assert_eq!(*v, want, "{input:?} with {decimals} decimals"),
        (Err(e), Err(part)) => assert!(
            e.to_string().contains(part),
            "{input:?}: error {e:?} should mention {part:?}"
        ),
        _ => panic!("{input:?} with {decimals} decimals: got {got:?}, want {expect:?}"),
    }
}

#[test]
fn parse_table() {
    // USDC (6 decimals) and prices in micro-USDC.
    check("0", 6, Ok(0));
    check("1", 6, Ok(1_000_000));
    check("0.5", 6, Ok(500_000));
    check(".5", 6, Ok(500_000));
    check("1.", 6, Ok(1_000_000));
    check("1,000.25", 6, Ok(1_000_250_000));
    check("50000", 6, Ok(50_000_000_000));
    check("50,000", 6, Ok(50_000_000_000));
    check("1,234,567.000001", 6, Ok(1_234_567_000_001));
    check("0.000001", 6, Ok(1));
    check(" 42 ", 6, Ok(42_000_000));
    check("+3", 6, Ok(3_000_000));
    check("007", 6, Ok(7_000_000));
    // Sizes: BTC with 3 size decimals, a coin with none.
    check("0.5", 3, Ok(500));
    check("0.001", 3, Ok(1));
    check("12", 0, Ok(12));
    // The largest u64 is reachable exactly, one more is not.
    check("18446744073709.551615", 6, Ok(u64::MAX));
    check("18446744073709.551616", 6, Err("too large"));
    check("18446744073709551615", 0, Ok(u64::MAX));
    check("99999999999999999999999", 0, Err("too large"));
    // Refusals, each naming the problem.
    check("", 6, Err("empty"));
    check("   ", 6, Err("empty"));
    check("-1", 6, Err("negative"));
    check(
        "1.0000001",
        6,
        Err("7 decimal places; this unit has at most 6"),
    );
    check("0.5", 0, Err("at most 0"));
    check("1,00", 6, Err("thousands separators"));
    check(",100", 6, Err("thousands separators"));
    check("1000,000", 6, Err("thousands separators"));
    check("1,000,", 6, Err("thousands separators"));
    check("0.1,5", 6, Err("unexpected character ','"));
    check("1.2.3", 6, Err("unexpected character '.'"));
    check("1e6", 6, Err("unexpected character 'e'"));
    check("$5", 6, Err("unexpected character '$'"));
    check("1 000", 6, Err("unexpected character ' '"));
    check(".", 6, Err("no digits"));
}

#[test]
fn format_table() {
    let cases: &[(u64, &str)] = &[
        (0, "0.000000"),
        (1, "0.000001"),
        (500_000, "0.500000"),
        (1_000_250_000, "1,000.250000"),
        (999_999_000_000, "999,999.000000"),
        (1_234_567_890_123, "1,234,567.890123"),
        (u64::MAX, "18,446,744,073,709.551615"),
    ];
    for (micro, text) in cases {
        assert_eq!(format_usdc_fixed(*micro), *text, "{micro}");
        assert_eq!(parse_usdc(text), Ok(*micro), "{text} parses back");
    }
    assert_eq!(format_size(500, 3), "0.5");
    assert_eq!(format_size(1_000, 3), "1");
    assert_eq!(format_size(12, 0), "12");
    assert_eq!(format_size(1_234_001, 3), "1,234.001");
}

/// Fixed precision: every decimal of the unit, so a column of figures lines up.
/// Unix milliseconds → UTC to the second: the epoch, leap days, century rules, and
/// milliseconds dropped rather than rounded.
#[test]
fn utc_table() {
    let table: [(u64, &str); 6] = [
        (0, "1970-01-01 00:00:00"),
        (946_684_799_999, "1999-12-31 23:59:59"),
        (951_868_799_000, "2000-02-29 23:59:59"),
        (1_735_648_496_000, "2024-12-31 12:34:56"),
        (4_107_542_400_000, "2100-03-01 00:00:00"),
        (4_107_542_399_000, "2100-02-28 23:59:59"),
    ];
    for (ms, text) in table {
        assert_eq!(format_utc(ms), text, "{ms}");
        let to_the_second = ms / 1_000 * 1_000;
        assert_eq!(parse_utc_ms(text), Ok(to_the_second), "{text} parses back");
        let iso = format!("{}Z", text.replacen(' ', "T", 1));
        assert_eq!(parse_utc_ms(&iso), Ok(to_the_second), "{iso} parses back");
    }
}

#[test]
fn utc_times_that_are_refused() {
    // (input, a part of the error)
    let table = [
        ("2026-02-30 00:00:00", "not a date in the calendar"),
        ("2026-13-01 00:00:00", "give a UTC time"),
        ("2026-12-06 24:00:00", "give a UTC time"),
        ("tomorrow", "give a UTC time"),
        ("2026-12-06", "give a UTC time"),
    ];
    for (input, part) in table {
        let err = parse_utc_ms(input).unwrap_err();
        assert!(err.contains(part), "{input:?}: {err}");
    }
    assert_eq!(parse_utc_ms("4102444800000"), Ok(4_102_444_800_000));
}

#[test]
fn fixed_format_table() {
    let usdc: &[(i128, &str)] = &[
        (0, "0.000000"),
        (3_861_066_222, "3,861.066222"),
        (1_404_955_550, "1,404.955550"),
        (-2_500_000, "-2.500000"),
    ];
    for (micro, text) in usdc {
        assert_eq!(format_usdc_fixed(*micro), *text, "{micro}");
    }
    let sizes: &[(i128, u8, &str)] = &[
        (5_000, 4, "0.5000"),
        (-5_000, 4, "-0.5000"),
        (12, 0, "12"),
        (1_234_001, 3, "1,234.001"),
    ];
    for (lots, decimals, text) in sizes {
        assert_eq!(format_size_fixed(*lots, *decimals), *text, "{lots}");
    }
}

mod properties {
    use proptest::prelude::*;
    use vigil_client::units::{format_decimal, parse_decimal};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Formatting then parsing is the identity, for any value and unit.
        #[test]
        fn format_then_parse_round_trips(value: u64, decimals in 0u8..=18, min in 0u8..=6) {
            let text = format_decimal(value, decimals, min);
            prop_assert_eq!(parse_decimal(&text, decimals), Ok(value), "{}", text);
        }

        /// Parsing "whole.fraction" agrees with the naive u128 sum, or says "too large"
        /// exactly when that sum does not fit in a u64.
        #[test]
        fn parse_agrees_with_naive_arithmetic(
            whole in 0u64..=u64::MAX,
            fraction_digits in proptest::collection::vec(0u8..10, 0..=6),
            decimals in 6u8..=9,
        ) {
            let fraction: String = fraction_digits.iter().map(|d| char::from(b'0' + d)).collect();
            let text = if fraction.is_empty() { whole.to_string() } else { format!("{whole}.{fraction}") };
            let mut fraction_value: u128 = 0;
            for i in 0..usize::from(decimals) {
                fraction_value = fraction_value * 10 + u128::from(*fraction_digits.get(i).unwrap_or(&0));
            }
            let naive = u128::from(whole) * 10u128.pow(u32::from(decimals)) + fraction_value;
            match parse_decimal(&text, decimals) {
                Ok(v) => prop_assert_eq!(u128::from(v), naive),
                Err(e) => {
                    prop_assert!(naive > u128::from(u64::MAX), "{} refused: {}", text, e);
                    prop_assert!(e.to_string().contains("too large"), "{}", e);
                }
            }
        }
    }
}
