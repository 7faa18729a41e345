//! `GET /v1/options/chain` and the option positions of `GET /v1/accounts/{a}` (issue #20's
//! read side) against a running sequencer: the devnet schedule lists its series at the first
//! BTC index, a call trades between Alice (short) and Bob (long), and the chain and both
//! accounts show it; every bad query is a 4xx naming the problem and what to ask instead.

use crate::support::*;
use protocol::action::{Action, Order, TimeInForce};
use serde_json::Value;

/// Alice rests an ask for 0.1 of `series` at `premium`; Bob takes it.
async fn trade_call(seq: &crate::support::seq::Seq, series: u32, premium: u64) {
    let order = |key: &k256::ecdsa::SigningKey, is_buy, tif, nonce| {
        sign(
            key,
            Action::Order(Order {
                account: addr(key),
                market: series,
                is_buy,
                price: premium,
                size: ONE_BTC / 10,
                tif,
                reduce_only: false,
                nonce,
                expires_at: FAR,
            }),
        )
    };
    seq.submit(&order(&alice(), false, TimeInForce::Gtc, 11))
        .await;
    let taken = seq.submit(&order(&bob(), true, TimeInForce::Ioc, 12)).await;
    assert_eq!(taken.receipt.fills.len(), 1, "{:?}", taken.receipt);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_and_the_accounts_show_listed_series_and_positions() {
    let (_l1, seq) = funded_pair(|_| {}).await;
    let chain: Value = seq.get("/v1/options/chain?underlying=BTC-PERP").await;
    assert_eq!(chain["underlying"], "BTC-PERP");
    assert_eq!(chain["index_price"], BTC_PRICE);
    let series = chain["series"].as_array().expect("series");
    // The devnet schedule: five strikes 1,000 apart around the index, a call and a put each.
    assert_eq!(series.len(), 10, "{chain}");
    let atm_call = series
        .iter()
        .find(|s| s["strike_price"] == BTC_PRICE && s["kind"] == "call")
        .expect("the at-the-money call");
    let name = atm_call["name"].as_str().expect("name");
    assert!(
        name.starts_with("BTC-") && name.ends_with("-50000-C"),
        "{name}"
    );
    // No implied volatility signed yet: the marks are intrinsic values, parity exact.
    for s in series {
        let strike = s["strike_price"].as_u64().expect("strike");
        let intrinsic = match s["kind"].as_str() {
            Some("call") => BTC_PRICE.saturating_sub(strike),
            _ => strike.saturating_sub(BTC_PRICE),
        };
        assert_eq!(s["mark_price"], intrinsic, "{s}");
        assert!(s["best_bid"].is_null() && s["open_interest"] == 0, "{s}");
    }
    let id = u32::try_from(atm_call["id"].as_u64().expect("id")).expect("u32");
    trade_call(&seq, id, 120_000_000).await;

    let by_id: Value = seq.get("/v1/options/chain?underlying=1").await;
    let traded = by_id["series"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["id"] == id))
        .expect("the traded series")
        .clone();
    assert_eq!(traded["open_interest"], ONE_BTC / 10, "{traded}");
    let expiry = traded["expiry_ms"].as_u64().expect("expiry");
    let one_day: Value = seq
        .get(&format!(
            "/v1/options/chain?underlying=btc-perp&expiry={expiry}"
        ))
        .await;
    assert_eq!(one_day["series"].as_array().map(Vec::len), Some(10));

    for (who, side) in [(alice(), -1i64), (bob(), 1)] {
        let account: Value = seq.get(&format!("/v1/accounts/{}", addr(&who))).await;
        let positions = account["option_positions"].as_array().expect("positions");
        assert_eq!(positions.len(), 1, "{account}");
        let p = &positions[0];
        assert_eq!(p["name"], name);
        assert_eq!(p["size"], side * 1_000, "{p}");
        // Delta with no volatility: a whole contract of an at-the-money call is 1/2.
        assert!(p["greeks"]["delta_e18"].is_string(), "{p}");
        let short_margin = p["initial_margin"].as_i64().expect("margin");
        assert_eq!(
            short_margin > 0,
            side < 0,
            "only the short carries margin: {p}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_bad_chain_query_gets_its_4xx_with_a_next_step() {
    let (_l1, seq) = funded_pair(|_| {}).await;
    // (query, HTTP status, code, phrases the message holds)
    let table: &[(&str, u16, &str, &[&str])] = &[
        (
            "",
            400,
            "invalid_query",
            &["name the underlying", "underlying=BTC-PERP"],
        ),
        (
            "?underlying=DOGE-PERP",
            404,
            "unknown_market",
            &["no market \"DOGE-PERP\"", "BTC-PERP"],
        ),
        (
            "?underlying=ETH-PERP",
            404,
            "unknown_market",
            &["ETH-PERP lists no series", "underlying=BTC-PERP"],
        ),
        (
            "?underlying=BTC-PERP&expiry=soon",
            400,
            "invalid_query",
            &["\"soon\"", "expiry=2026-12-31"],
        ),
        (
            "?underlying=BTC-PERP&expiry=2026-02-30",
            400,
            "invalid_query",
            &["expiry=20261231"],
        ),
        (
            "?underlying=BTC-PERP&expiry=1999-01-01",
            404,
            "unknown_market",
            &["listed expiries", "&expiry="],
        ),
        (
            "?underlying=BTC-PERP&strike=1",
            400,
            "invalid_query",
            &["strike"],
        ),
    ];
    for (query, status, code, phrases) in table {
        let (got, body) = seq.get_raw(&format!("/v1/options/chain{query}")).await;
        assert_eq!(got, *status, "{query}: {body}");
        assert_eq!(body["code"], *code, "{query}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        for phrase in *phrases {
            assert!(
                message.contains(phrase),
                "{query}: {phrase:?} missing: {message}"
            );
        }
    }
}
