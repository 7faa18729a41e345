//! `vigil demo fraud`: the whole story for every fault kind through the library (each on
//! its own throwaway devnet), every step recorded; and the real binary's `--json` timeline.

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
}
