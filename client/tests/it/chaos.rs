//! `vigil chaos`, short: the real `vigil` binary runs 20 kill -9 cycles over the real
//! `vigil-contracts-mock`, `vigil-sequencer` and `vigil-verifier` binaries (each service
//! killed at least once with this seed), and every guarantee holds: nothing acknowledged
//! lost, doubled or changed, every replay equal, the verifier agreeing, posting going on.
//!
//! The service binaries are the ones `cargo test --workspace` just built beside `vigil`
//! (their crates' own tests need them). When this crate's tests run alone they may be
//! missing or older than their sources; then they are built first, with the profile and
//! target dir of this test.

use super::support::vigil;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

const SERVICES: [&str; 3] = ["vigil-contracts-mock", "vigil-sequencer", "vigil-verifier"];
/// What the service binaries are built from (their crates and every library they link).
const SOURCES: [&str; 7] = [
    "contracts-mock/src",
    "sequencer/src",
    "verifier/src",
    "protocol/src",
    "service-shell/src",
    "service-client/src",
    "libsecp-recovery/src",
];
/// Chosen so that each of the three services is killed at least once in 20 cycles.
const SEED: &str = "7";

#[test]
fn twenty_kill_9_cycles_keep_every_guarantee() {
    let bin_dir = service_binaries();
    let home = tempfile::tempdir().expect("temp dir");
    let report = vigil(
        home.path(),
        None,
        &[
            "chaos",
            "--cycles",
            "20",
            "--seed",
            SEED,
            "--traders",
            "4",
            "--bin-dir",
            &bin_dir.to_string_lossy(),
            "--json",
        ],
    )
    .json();
    let field = |name: &str| {
        report[name]
            .as_u64()
            .unwrap_or_else(|| panic!("{name} in {report}"))
    };
    let findings = &report["findings"];
    let found = |name: &str| {
        findings[name]
            .as_u64()
            .unwrap_or_else(|| panic!("{name} in {report}"))
    };
    assert_eq!(report["ok"], true, "{report:#}");
    assert_eq!(field("cycles"), 20);
    for role in ["settlement", "sequencer", "verifier"] {
        assert!(
            report["kills"][role].as_u64() >= Some(1),
            "{role} killed: {report}"
        );
    }
    assert!(field("acknowledged") > 20, "the load got through: {report}");
    for problem in [
        "lost",
        "duplicated",
        "changed_receipts",
        "lookup_mismatches",
    ] {
        assert_eq!(found(problem), 0, "{problem}: {report:#}");
    }
    assert!(
        found("replays") >= 2 && found("replays") == found("replays_equal"),
        "{report:#}"
    );
    assert!(
        found("l1_batches") > 0 && found("verifier_disagreements") == 0,
        "{report:#}"
    );
    assert_eq!(report["restart"]["count"], 20);
}

/// The directory holding the three service binaries, fresh.
pub(crate) fn service_binaries() -> PathBuf {
    let dir = Path::new(env!("CARGO_BIN_EXE_vigil"))
        .parent()
        .expect("vigil lives in a directory")
        .to_path_buf();
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace");
    let newest_source = SOURCES
        .iter()
        .filter_map(|s| newest_in(&workspace.join(s)))
        .max();
    let stale = SERVICES.iter().any(|name| {
        let built = std::fs::metadata(dir.join(name))
            .and_then(|m| m.modified())
            .ok();
        built.is_none() || built < newest_source
    });
    if stale {
        // The profile this test was built with: its binary sits in target/<profile dir>.
        let profile = if dir.ends_with("release") {
            "release"
        } else {
            "test"
        };
        let status = Command::new(env!("CARGO"))
            .current_dir(workspace)
            .args(["build", "--locked", "--bins", "--profile", profile])
            .args(
                SERVICES
                    .map(|s| ["-p", s.trim_start_matches("vigil-")])
                    .concat(),
            )
            .status()
            .expect("run cargo");
        assert!(status.success(), "building the service binaries failed");
    }
    dir
}

/// The newest modification time of any file under `dir` (bounded: source trees are small).
fn newest_in(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    let mut pending = vec![dir.to_path_buf()];
    for _ in 0..10_000 {
        let Some(next) = pending.pop() else { break };
        for entry in std::fs::read_dir(&next).ok()?.flatten() {
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                pending.push(entry.path());
            } else {
                newest = newest.max(meta.modified().ok());
            }
        }
    }
    newest
}
