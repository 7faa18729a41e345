//! The SQLite store's findings log. (That the store reopens as the replica's snapshot
//! after every journal page is tested in the production world of the simulation,
//! `client/tests/it/simulation/verifier_core.rs`.)

use protocol::workload::Workload;
use verifier::core::Finding;
use verifier::store::Store;

#[test]
fn findings_are_stored_in_order() {
    let dir = tempfile::tempdir().expect("dir");
    let genesis = Workload::new(42, 2).genesis;
    let (mut store, _) = Store::open(dir.path(), &genesis).expect("open");
    let findings: Vec<(u64, Finding)> = (1..=3)
        .map(|seq| {
            (
                seq,
                Finding::Halted {
                    reason: format!("reason {seq}"),
                },
            )
        })
        .collect();
    store.commit(&[], &findings).expect("commit");
    let stored = store.findings(2).expect("read");
    let reasons: Vec<_> = stored
        .iter()
        .map(|(seq, f)| (*seq, f["reason"].as_str().unwrap_or_default().to_string()))
        .collect();
    assert_eq!(
        reasons,
        vec![(2, "reason 2".into()), (3, "reason 3".into())]
    );
    assert!(stored.iter().all(|(_, f)| f["kind"] == "halted"));
}
