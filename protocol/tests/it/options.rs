//! The fixed-point Black-Scholes of `protocol::options` against reference values computed
//! outside the project (tests/fixtures/options/reference.py: mpmath, cross-checked with
//! SciPy), within the error bounds docs/PROTOCOL.md Part 8 §4 documents; put-call parity,
//! the greeks' signs, monotonicity (table and property tests), the input bounds' errors,
//! and Part 8's worked examples, which must appear verbatim in the spec.

use proptest::prelude::*;
use protocol::engine::math::MAX_PRICE;
use protocol::options::black_scholes::{
    DAY_MS, MAX_IMPLIED_VOL_PPM, MAX_TIME_TO_EXPIRY_MS, YEAR_MS,
};
use protocol::options::normal::{cdf, pdf};
use protocol::options::{Fixed, OptionInputs, OptionQuote, OptionsError, quote};

const BLACK_SCHOLES_CSV: &str = include_str!("../fixtures/options/black_scholes.csv");
const FUNCTIONS_CSV: &str = include_str!("../fixtures/options/functions.csv");

/// The data rows of a fixture, each split into its header's named columns.
fn rows(csv: &str) -> Vec<Vec<(&str, &str)>> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    lines
        .map(|line| header.iter().copied().zip(line.split(',')).collect())
        .collect()
}

fn field(row: &[(&str, &str)], name: &str) -> i128 {
    let (_, text) = row.iter().find(|(k, _)| *k == name).expect(name);
    text.parse()
        .unwrap_or_else(|e| panic!("{name} = {text}: {e}"))
}

fn inputs_of(row: &[(&str, &str)]) -> OptionInputs {
    let int = |name| u64::try_from(field(row, name)).expect(name);
    OptionInputs {
        index_price: int("index_price"),
        strike_price: int("strike_price"),
        time_to_expiry_ms: int("time_to_expiry_ms"),
        implied_vol_ppm: int("implied_vol_ppm"),
    }
}

/// (what, computed, reference, bound): |computed − reference| ≤ bound, all in one unit.
fn within(failures: &mut Vec<String>, inputs: &OptionInputs, checks: &[(&str, i128, i128, i128)]) {
    for &(what, got, want, bound) in checks {
        if got.abs_diff(want) > bound.unsigned_abs() {
            failures.push(format!(
                "{inputs:?}: {what} = {got}, reference {want}, error {} > bound {bound}",
                got.abs_diff(want)
            ));
        }
    }
}

#[test]
fn every_grid_point_is_within_the_documented_error_bound() {
    let table = rows(BLACK_SCHOLES_CSV);
    assert!(table.len() > 1_500, "the whole grid ({} rows)", table.len());
    let mut failures = Vec::new();
    for row in &table {
        let inputs = inputs_of(row);
        let q = quote(&inputs).unwrap_or_else(|e| panic!("{inputs:?}: {e}"));
        let f = |name| field(row, name);
        let mark_bound = f("bound_mark_e6");
        within(
            &mut failures,
            &inputs,
            &[
                (
                    "call",
                    i128::from(q.call_mark) * 1_000_000,
                    f("call_e6"),
                    mark_bound,
                ),
                (
                    "put",
                    i128::from(q.put_mark) * 1_000_000,
                    f("put_e6"),
                    mark_bound,
                ),
                (
                    "delta",
                    q.call_delta.0,
                    f("call_delta_e18"),
                    f("bound_delta_e18"),
                ),
                (
                    "gamma",
                    q.gamma_per_usdc.0,
                    f("gamma_per_usdc_e18"),
                    f("bound_gamma_e18"),
                ),
                (
                    "vega",
                    q.vega_per_vol_point.0,
                    f("vega_per_vol_point_e18"),
                    f("bound_vega_e18"),
                ),
                (
                    "theta",
                    q.theta_per_day.0,
                    f("theta_per_day_e18"),
                    f("bound_theta_e18"),
                ),
            ],
        );
        check_shape(&inputs, &q);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Parity exactly, and the signs and ranges every quote must have.
fn check_shape(inputs: &OptionInputs, q: &OptionQuote) {
    let (spot, strike) = (
        i128::from(inputs.index_price),
        i128::from(inputs.strike_price),
    );
    let (call, put) = (i128::from(q.call_mark), i128::from(q.put_mark));
    assert_eq!(call - put, spot - strike, "parity {inputs:?}");
    assert!(
        call >= (spot - strike).max(0) && call <= spot,
        "call range {inputs:?}"
    );
    assert!(
        put >= (strike - spot).max(0) && put <= strike,
        "put range {inputs:?}"
    );
    assert!((0..=Fixed::ONE.0).contains(&q.call_delta.0), "{inputs:?}");
    assert_eq!(q.put_delta.0, q.call_delta.0 - Fixed::ONE.0, "{inputs:?}");
    assert!(q.gamma_per_usdc.0 >= 0, "gamma ≥ 0 {inputs:?}");
    assert!(q.vega_per_vol_point.0 >= 0, "vega ≥ 0 {inputs:?}");
    assert!(q.theta_per_day.0 <= 0, "theta ≤ 0 {inputs:?}");
}

#[test]
fn the_functions_are_within_their_documented_bounds() {
    let table = rows(FUNCTIONS_CSV);
    let mut failures = Vec::new();
    for row in &table {
        let (_, name) = row[0];
        let x = Fixed(field(row, "x_e18"));
        let got = match name {
            "cdf" => cdf(x),
            "pdf" => pdf(x),
            "ln" => x.ln(),
            "exp" => x.exp(),
            other => panic!("unknown function {other}"),
        }
        .unwrap_or_else(|_| panic!("{name}({})", x.0));
        let (want, bound) = (field(row, "exact_e18"), field(row, "bound_e18"));
        if got.0.abs_diff(want) > bound.unsigned_abs() {
            failures.push(format!("{name}({}) = {}, reference {want}", x.0, got.0));
        }
    }
    assert!(table.len() > 1_000, "{} rows", table.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn out_of_range_inputs_are_refused_with_the_value_and_the_range() {
    let ok = OptionInputs {
        index_price: 100_000_000_000,
        strike_price: 100_000_000_000,
        time_to_expiry_ms: DAY_MS,
        implied_vol_ppm: 800_000,
    };
    let cases: Vec<(OptionInputs, OptionsError, &str)> = vec![
        (
            OptionInputs {
                index_price: 0,
                ..ok
            },
            OptionsError::IndexPriceOutOfRange { index_price: 0 },
            "index price 0 is outside 1..=1000000000000000",
        ),
        (
            OptionInputs {
                index_price: MAX_PRICE + 1,
                ..ok
            },
            OptionsError::IndexPriceOutOfRange {
                index_price: MAX_PRICE + 1,
            },
            "1000000000000001",
        ),
        (
            OptionInputs {
                strike_price: 0,
                ..ok
            },
            OptionsError::StrikePriceOutOfRange { strike_price: 0 },
            "strike price 0 is outside",
        ),
        (
            OptionInputs {
                time_to_expiry_ms: MAX_TIME_TO_EXPIRY_MS + 1,
                ..ok
            },
            OptionsError::TimeToExpiryOutOfRange {
                time_to_expiry_ms: MAX_TIME_TO_EXPIRY_MS + 1,
            },
            "315360000001 ms is beyond the 315360000000 ms",
        ),
        (
            OptionInputs {
                implied_vol_ppm: MAX_IMPLIED_VOL_PPM + 1,
                ..ok
            },
            OptionsError::ImpliedVolOutOfRange {
                implied_vol_ppm: MAX_IMPLIED_VOL_PPM + 1,
            },
            "5000001 ppm is above 5000000 ppm",
        ),
    ];
    for (inputs, error, message) in cases {
        assert_eq!(quote(&inputs), Err(error.clone()));
        assert!(error.to_string().contains(message), "{error}");
    }
    let corners = [1, MAX_PRICE];
    for (spot, strike) in corners
        .iter()
        .flat_map(|s| corners.iter().map(move |k| (*s, *k)))
    {
        for (time_to_expiry_ms, implied_vol_ppm) in [
            (0, 0),
            (1, 1),
            (MAX_TIME_TO_EXPIRY_MS, MAX_IMPLIED_VOL_PPM),
            (1, MAX_IMPLIED_VOL_PPM),
        ] {
            let inputs = OptionInputs {
                index_price: spot,
                strike_price: strike,
                time_to_expiry_ms,
                implied_vol_ppm,
            };
            check_shape(
                &inputs,
                &quote(&inputs).expect("the domain's corners price"),
            );
        }
    }
}

#[test]
fn at_expiry_or_without_volatility_the_mark_is_the_payoff() {
    // (spot, strike, time, vol, call, put, delta ×10^18)
    let table: &[(u64, u64, u64, u64, u64, u64, i128)] = &[
        (110, 100, 0, 800_000, 10, 0, Fixed::ONE.0),
        (90, 100, 0, 800_000, 0, 10, 0),
        (100, 100, 0, 800_000, 0, 0, Fixed::HALF.0),
        (110, 100, YEAR_MS, 0, 10, 0, Fixed::ONE.0),
        (100, 100, YEAR_MS, 0, 0, 0, Fixed::HALF.0),
    ];
    for &(spot, strike, time_to_expiry_ms, implied_vol_ppm, call, put, delta) in table {
        let q = quote(&OptionInputs {
            index_price: spot,
            strike_price: strike,
            time_to_expiry_ms,
            implied_vol_ppm,
        })
        .unwrap();
        assert_eq!(
            (q.call_mark, q.put_mark, q.call_delta.0),
            (call, put, delta)
        );
        assert_eq!((q.gamma_per_usdc.0, q.theta_per_day.0), (0, 0));
    }
}

fn inputs() -> impl Strategy<Value = OptionInputs> {
    (
        1..=MAX_PRICE,
        1..=MAX_PRICE,
        0..=MAX_TIME_TO_EXPIRY_MS,
        0..=MAX_IMPLIED_VOL_PPM,
    )
        .prop_map(
            |(index_price, strike_price, time_to_expiry_ms, implied_vol_ppm)| OptionInputs {
                index_price,
                strike_price,
                time_to_expiry_ms,
                implied_vol_ppm,
            },
        )
}

/// Near the money, where the marks move: the strike within a factor 2 of the index.
fn near_money_inputs() -> impl Strategy<Value = OptionInputs> {
    (
        1_000u64..=MAX_PRICE / 4,
        500u64..=2_000,
        0..=2 * YEAR_MS,
        0..=2_000_000u64,
    )
        .prop_map(
            |(index_price, permille, time_to_expiry_ms, implied_vol_ppm)| OptionInputs {
                index_price,
                strike_price: index_price / 1_000 * permille,
                time_to_expiry_ms,
                implied_vol_ppm,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn parity_ranges_and_signs_hold_everywhere(inputs in inputs()) {
        check_shape(&inputs, &quote(&inputs).unwrap());
    }

    /// The call rises with the index, the volatility and the time, and falls with the
    /// strike (the put the other way in the strike); delta rises with the index. Each
    /// comparison allows the one price unit (10^-15 of delta) that rounding can cost.
    #[test]
    fn marks_and_delta_are_monotone(base in near_money_inputs(), step in 1u64..1_000_000) {
        let q = quote(&base).unwrap();
        let bumped = |f: &dyn Fn(&mut OptionInputs)| {
            let mut i = base;
            f(&mut i);
            quote(&i).unwrap()
        };
        let up_spot = bumped(&|i| i.index_price += step);
        prop_assert!(up_spot.call_mark + 1 >= q.call_mark);
        prop_assert!(up_spot.call_delta.0 + 1_000 >= q.call_delta.0);
        let up_strike = bumped(&|i| i.strike_price += step);
        prop_assert!(up_strike.call_mark <= q.call_mark + 1);
        prop_assert!(up_strike.put_mark + 1 >= q.put_mark);
        let up_vol = bumped(&|i| i.implied_vol_ppm += step);
        prop_assert!(up_vol.call_mark + 1 >= q.call_mark);
        prop_assert!(up_vol.put_mark + 1 >= q.put_mark);
        let up_time = bumped(&|i| i.time_to_expiry_ms += step);
        prop_assert!(up_time.call_mark + 1 >= q.call_mark);
    }
}

/// Part 8 §5's worked examples: (S, K, T ms, σ ppm) of the rows the spec prints.
const WORKED_EXAMPLES: &[(u64, u64, u64, u64)] = &[
    (100_000_000_000, 100_000_000_000, 30 * DAY_MS, 800_000),
    (100_000_000_000, 90_000_000_000, 7 * DAY_MS, 600_000),
    (3_000_000_000, 3_500_000_000, DAY_MS, 1_200_000),
    (100_000_000_000, 100_000_500_000, 60_000, 500_000),
    (50_000_000_000, 50_000_000_000, YEAR_MS, 0),
    (100_000_000_000, 95_000_000_000, 0, 800_000),
];

/// A worked example as the spec's two table rows: the terms, then the quote.
fn worked_example_rows(&(spot, strike, time, vol): &(u64, u64, u64, u64)) -> [String; 2] {
    let inputs = OptionInputs {
        index_price: spot,
        strike_price: strike,
        time_to_expiry_ms: time,
        implied_vol_ppm: vol,
    };
    let t = protocol::options::terms(&inputs).unwrap();
    let q = quote(&inputs).unwrap();
    [
        format!(
            "| {spot} | {strike} | {time} | {vol} | {} | {} | {} | {} |",
            t.total_vol.0, t.sqrt_years.0, t.d1.0, t.d2.0
        ),
        format!(
            "| {spot} | {strike} | {time} | {vol} | {} | {} | {} | {} | {} | {} |",
            q.call_mark,
            q.put_mark,
            q.call_delta.0,
            q.gamma_per_usdc.0,
            q.vega_per_vol_point.0,
            q.theta_per_day.0
        ),
    ]
}

/// Part 8 §2's function examples, as the spec prints them.
fn function_example_lines() -> Vec<String> {
    let one = Fixed::ONE.0;
    vec![
        format!("ln({}) = {}", 10 * one, Fixed(10 * one).ln().unwrap().0),
        format!("exp({}) = {}", one, Fixed::ONE.exp().unwrap().0),
        format!("exp({}) = {}", -one, Fixed(-one).exp().unwrap().0),
        format!("φ({}) = {}", one, pdf(Fixed::ONE).unwrap().0),
        format!("Φ({}) = {}", one, cdf(Fixed::ONE).unwrap().0),
        format!("Φ({}) = {}", -3 * one, cdf(Fixed(-3 * one)).unwrap().0),
    ]
}

#[test]
fn part_8_worked_examples_appear_in_the_spec() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/PROTOCOL.md");
    let spec = std::fs::read_to_string(&path).unwrap();
    let mut expected: Vec<String> = WORKED_EXAMPLES
        .iter()
        .flat_map(worked_example_rows)
        .collect();
    expected.extend(function_example_lines());
    let missing: Vec<&String> = expected
        .iter()
        .filter(|l| !spec.contains(l.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "docs/PROTOCOL.md Part 8 should show these lines (the code computes them):\n{}",
        expected.join("\n")
    );
}
