//! The human-units rules of trading commands, as tables: market lookup, sizes on the lot,
//! prices on the tick, the `@ PRICE` words, a market order's worst price inside the band,
//! and the signed formats used by `account` and `positions`.

use protocol::api::sequencer::MarketInfo;
use protocol::genesis::Genesis;
use protocol::primitives::Address;
use vigil_client::commands::market::{
    find, parse_order_price, parse_order_size, price_words, worst_price,
};
use vigil_client::units::{format_price, format_size_signed, format_usdc_fixed};

/// The devnet markets with BTC marked at `mark` micro-USDC and ETH unpriced.
fn markets(mark: u64) -> Vec<MarketInfo> {
    Genesis::devnet(1, Address([1; 20]), Address([2; 20]))
        .markets
        .into_iter()
        .map(|params| MarketInfo {
            mark_price: if params.id == 1 { mark } else { 0 },
            index_price: if params.id == 1 { mark } else { 0 },
            params,
            price_timestamp_ms: 0,
            funding_index: 0,
            long_open_interest: 0,
            breaker: Default::default(),
        })
        .collect()
}

/// `Ok(value)` or `Err(part of the message)`.
fn check<T: PartialEq + std::fmt::Debug, E: std::fmt::Display>(
    what: &str,
    got: Result<T, E>,
    expect: Result<T, &str>,
) {
    match (got, expect) {
        (Ok(v), Ok(want)) => assert_eq!(v, want, "{what}"),
        (Err(e), Err(part)) => assert!(e.to_string().contains(part), "{what}: {e}"),
        (got, expect) => panic!(
            "{what}: got {:?}, want {expect:?}",
            got.map_err(|e| e.to_string())
        ),
    }
}

#[test]
fn markets_by_symbol_or_id() {
    let all = markets(50_000_000_000);
    let id = |text: &str| find(&all, text).map(|m| m.params.id);
    check("BTC-PERP", id("BTC-PERP"), Ok(1));
    check("eth-perp", id("eth-perp"), Ok(2));
    check("2", id("2"), Ok(2));
    check(
        "DOGE",
        id("DOGE"),
        Err("unknown market \"DOGE\" (markets: BTC-PERP, ETH-PERP)"),
    );
    check("9", id("9"), Err("unknown market"));
}

#[test]
fn sizes_and_prices_on_lot_and_tick() {
    let all = markets(50_000_000_000);
    let (btc, eth) = (&all[0], &all[1]);
    check("0.5 BTC", parse_order_size(btc, "0.5"), Ok(5_000));
    check("1,000 BTC", parse_order_size(btc, "1,000"), Ok(10_000_000));
    check("0.0001 BTC", parse_order_size(btc, "0.0001"), Ok(1));
    check(
        "0.00001 BTC",
        parse_order_size(btc, "0.00001"),
        Err("at most 4"),
    );
    check("0 BTC", parse_order_size(btc, "0"), Err("positive"));
    check(
        "x BTC",
        parse_order_size(btc, "x"),
        Err("bad size for BTC-PERP"),
    );
    check("0.001 ETH", parse_order_size(eth, "0.001"), Ok(1));
    check("50000", parse_order_price(btc, "50000"), Ok(50_000_000_000));
    check(
        "50,001",
        parse_order_price(btc, "50,001"),
        Ok(50_001_000_000),
    );
    check(
        "50000.5",
        parse_order_price(btc, "50000.5"),
        Err("not on BTC-PERP's tick of 1"),
    );
    check(
        "3000.01 ETH",
        parse_order_price(eth, "3000.01"),
        Ok(3_000_010_000),
    );
    check(
        "3000.001 ETH",
        parse_order_price(eth, "3000.001"),
        Err("e.g. 3,000 or 3,000.01"),
    );
    check("0", parse_order_price(btc, "0"), Err("positive"));
}

#[test]
fn price_words_forms() {
    let words = |w: &[&str]| {
        let owned: Vec<String> = w.iter().map(|s| s.to_string()).collect();
        price_words(&owned).map(|p| p.map(str::to_string))
    };
    check("none", words(&[]), Ok(None));
    check("@ 5", words(&["@", "5"]), Ok(Some("5".into())));
    check("@5", words(&["@5"]), Ok(Some("5".into())));
    check("5", words(&["5"]), Ok(Some("5".into())));
    check("@", words(&["@"]), Err("expected `@ PRICE`"));
    check("at 5", words(&["at", "5"]), Err("expected `@ PRICE`"));
}

#[test]
fn market_orders_stay_inside_the_band() {
    let all = markets(50_000_500_000);
    let btc = &all[0];
    // Band 10%: 55,000.55 rounds down to the tick, 45,000.45 rounds up.
    check("buy", worst_price(btc, true, None), Ok(55_000_000_000));
    check("sell", worst_price(btc, false, None), Ok(45_001_000_000));
    check(
        "buy 1%",
        worst_price(btc, true, Some(100)),
        Ok(50_500_000_000),
    );
    check(
        "wider than the band",
        worst_price(btc, true, Some(5_000)),
        Ok(55_000_000_000),
    );
    check(
        "no mark",
        worst_price(&all[1], true, None),
        Err("no oracle price yet"),
    );
}

#[test]
fn signed_formats() {
    assert_eq!(format_usdc_fixed(-1_000_250_000_i128), "-1,000.250000");
    assert_eq!(format_usdc_fixed(5_i128), "0.000005");
    assert_eq!(format_usdc_fixed(0_i128), "0.000000");
    assert_eq!(format_size_signed(-5_000, 4), "-0.5");
    assert_eq!(format_size_signed(12_345, 4), "1.2345");
    assert_eq!(format_price(50_000_000_000), "50,000");
    assert_eq!(format_price(3_000_010_000), "3,000.01");
}

/// `vigil markets` shows the circuit breaker in its `state` column, and a `/v1/markets`
/// answer without `breaker` (an older sequencer) still reads, as open.
#[test]
fn markets_table_shows_the_breaker() {
    use protocol::engine::view::{BreakerView, MarketMode};
    let mut all = markets(50_000_000_000);
    all[1].breaker = BreakerView {
        state: MarketMode::ReduceOnly,
        reason: Some("price_move".into()),
        since_ms: Some(5_000),
        resumes_at_ms: Some(35_000),
        detail: None,
    };
    let text = vigil_client::commands::markets_table(&all);
    assert!(text.contains("state"), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("BTC-PERP") && l.ends_with("open")),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l.contains("ETH-PERP")
            && l.contains("reduce-only (price_move since 1970-01-01 00:00:05 UTC; resumes with a fresh in-bound price from 1970-01-01 00:00:35 UTC)")),
        "{text}"
    );
    let mut old = serde_json::to_value(&all[0]).unwrap();
    old.as_object_mut().unwrap().remove("breaker");
    let read: MarketInfo = serde_json::from_value(old).unwrap();
    assert_eq!(read.breaker.state, MarketMode::Open);
}
