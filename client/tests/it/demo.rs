//! `vigil demo fraud`: the whole story for every fault kind through the library (each on
//! its own throwaway devnet), every step recorded; and the real binary's `--json` output
//! of each demo, every amount in it following docs/JSON.md (read from the doc's own
//! table, so the two cannot drift).

use protocol::fault::Fault;
use vigil_client::demo::story::STEPS;
use vigil_client::demo::{FraudDemoConfig, run_fraud_demo};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_is_caught_slashed_reverted_and_resequenced() {
    for fault in Fault::ALL {
        let timeline = run_fraud_demo(&FraudDemoConfig::new(fault))
            .await
            .unwrap_or_else(|e| panic!("{fault}: {e}\n{}", e.timeline.render_text()));
        for step in STEPS {
            assert!(timeline.has(step), "{fault}: no {step} step");
        }
        let steps: Vec<_> = timeline.entries().iter().map(|e| e.step.as_str()).collect();
        let order: Vec<_> = steps
            .iter()
            .filter(|s| STEPS.contains(s))
            .copied()
            .collect();
        assert_eq!(order, STEPS, "{fault}: steps in story order");
        let blocks: Vec<u64> = timeline.entries().iter().map(|e| e.l1_block).collect();
        assert!(
            blocks.windows(2).all(|w| w[0] <= w[1]),
            "{fault}: {blocks:?}"
        );
        let upheld =
            &timeline.entries()[steps.iter().position(|s| *s == "challenge_upheld").unwrap()];
        let reward = upheld.details["challenger_reward"].as_u64().unwrap();
        assert!(reward > 0, "{fault}: the challenger was paid");
        assert_eq!(
            upheld.details["challenger_balance_after"].as_u64(),
            Some(
                upheld.details["challenger_balance_before"]
                    .as_u64()
                    .unwrap()
                    + reward
            )
        );
    }
}

/// The step names of a `--json` demo's timeline, in order.
fn timeline_steps(value: &serde_json::Value) -> Vec<&str> {
    value["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .map(|e| e["step"].as_str().expect("a step name"))
        .collect()
}

#[test]
fn the_binary_prints_a_json_timeline_and_exits_0() {
    let home = tempfile::tempdir().expect("temp dir");
    let run = crate::support::vigil(
        home.path(),
        None,
        &["--json", "demo", "fraud", "--fault", "mint"],
    );
    let value = run.json();
    assert_eq!(value["ok"], true);
    assert_eq!(value["fault"], "mint");
    let steps = timeline_steps(&value);
    for step in STEPS {
        assert!(steps.contains(&step), "no {step} in {steps:?}");
    }
    demo_amounts_follow_the_schema(&value);
    every_amount_has_its_decimal(&value, "");
}

/// The amount fields docs/JSON.md lists: the last column of its *Amounts* table.
fn documented_amounts() -> Vec<String> {
    let doc = include_str!("../../../docs/JSON.md");
    let section = doc.split("## Amounts").nth(1).expect("an Amounts section");
    let rows = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2);
    let fields: Vec<String> = rows
        .flat_map(|row| {
            let last = row.trim_end_matches('|').rsplit('|').next().unwrap_or("");
            let names: Vec<String> = last
                .split('`')
                .skip(1)
                .step_by(2)
                .map(str::to_string)
                .collect();
            names
        })
        .collect();
    assert!(fields.len() > 40, "{fields:?}");
    fields
}

/// Every documented amount in `value` that holds a raw integer has its `_decimal` string
/// beside it, and every object naming a market has its id and symbol.
fn every_amount_has_its_decimal(value: &serde_json::Value, at: &str) {
    let fields = documented_amounts();
    walk_amounts(value, at, &fields);
}

fn walk_amounts(value: &serde_json::Value, at: &str, fields: &[String]) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                let raw = v.is_i64() || v.is_u64();
                if raw && fields.contains(key) {
                    let decimal = map.get(&format!("{key}_decimal"));
                    assert!(
                        decimal.is_some_and(serde_json::Value::is_string),
                        "{at}/{key}: {v} has no {key}_decimal string: {value}"
                    );
                }
                walk_amounts(v, &format!("{at}/{key}"), fields);
            }
            if map.contains_key("market") {
                for named in ["market_id", "market_symbol"] {
                    assert!(map.contains_key(named), "{at}: no {named}: {value}");
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_amounts(item, &format!("{at}/{i}"), fields);
            }
        }
        _ => {}
    }
}

/// docs/JSON.md in the demo's timeline (a breaking change from strings): each amount a
/// raw integer with its `_decimal`, the account under `account`, sizes named by market.
fn demo_amounts_follow_the_schema(value: &serde_json::Value) {
    let details = |step: &str| {
        value["timeline"]
            .as_array()
            .and_then(|t| t.iter().find(|e| e["step"] == step))
            .map(|e| e["details"].clone())
            .unwrap_or_else(|| panic!("no {step} step in {value}"))
    };
    // (step, pointer into its details, the raw integer's pointer has a `_decimal` beside it)
    let table = [
        ("devnet", "/accounts/0/collateral"),
        ("devnet", "/accounts/1/collateral"),
        ("trade", "/size"),
        ("challenge_upheld", "/slashed"),
        ("challenge_upheld", "/challenger_reward"),
        ("challenge_upheld", "/burned"),
        ("withdrawal_claimed", "/amount"),
        ("withdrawal_claimed", "/balance_after"),
    ];
    for (step, pointer) in table {
        let d = details(step);
        let raw = d.pointer(pointer);
        assert!(
            raw.is_some_and(serde_json::Value::is_u64),
            "{step}{pointer} is a raw integer: {d}"
        );
        let decimal = d.pointer(&format!("{pointer}_decimal"));
        assert!(
            decimal
                .and_then(|v| v.as_str())
                .is_some_and(|s| s.contains('.')),
            "{step}{pointer}_decimal: {d}"
        );
    }
    let devnet = details("devnet");
    assert!(devnet.pointer("/accounts/0/account").is_some(), "{devnet}");
    assert!(devnet.pointer("/accounts/0/address").is_none(), "{devnet}");
    assert_eq!(details("trade")["market_symbol"], "BTC-PERP");
}

/// `vigil demo escape --json`: both acts, every step in story order, exit 0.
#[test]
fn the_escape_demo_tells_both_acts_and_exits_0() {
    let home = tempfile::tempdir().expect("temp dir");
    let run = crate::support::vigil(home.path(), None, &["--json", "demo", "escape"]);
    let value = run.json();
    assert_eq!(
        (value["ok"].clone(), value["demo"].clone()),
        (true.into(), "escape".into())
    );
    let steps = timeline_steps(&value);
    assert_eq!(
        steps,
        vigil_client::demo::escape::STEPS,
        "every step, in order"
    );
    every_amount_has_its_decimal(&value, "");
}

/// `vigil demo options --json`: the chain, a call and a put traded, positions and margin;
/// every step ran (the demo checks each one's outcome itself and says `ok` only then).
#[test]
fn the_options_demo_trades_a_call_and_a_put_and_exits_0() {
    let home = tempfile::tempdir().expect("temp dir");
    let run = crate::support::vigil(home.path(), None, &["--json", "demo", "options"]);
    let value = run.json();
    assert_eq!(
        (value["ok"].clone(), value["demo"].clone()),
        (true.into(), "options".into()),
        "{value}"
    );
    let commands: Vec<String> = value["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            let words: Vec<&str> = s["command"].as_str().unwrap_or("").split(' ').collect();
            words[..3.min(words.len())].join(" ")
        })
        .collect();
    let expected = [
        "vigil options chain",
        "vigil order sell",
        "vigil order buy",
        "vigil order buy",
        "vigil order sell",
        "vigil options chain",
        "vigil positions --name",
        "vigil account --name",
    ];
    assert_eq!(commands, expected, "every step, in order");
    every_amount_has_its_decimal(&value, "");
    // A series order names its series by id and name; its fill's size in its decimals.
    let bought = &value["steps"][2]["output"];
    assert!(bought["market_id"].as_u64() >= Some(1 << 31), "{bought}");
    let command = value["steps"][2]["command"].as_str().unwrap_or("");
    let series = command.split(' ').nth(3).expect("vigil order buy SERIES");
    assert_eq!(bought["market_symbol"], series, "{bought}");
    assert_eq!(
        bought["receipt"]["order"]["filled_decimal"], "0.1000",
        "{bought}"
    );
    let held = &value["steps"][6]["output"]["option_positions"][0];
    assert_eq!(held["size_decimal"], "0.1000", "{held}");
}
