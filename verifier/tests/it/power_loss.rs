//! Power loss under the verifier's store: `Store::open` and `Store::commit` (one SQLite
//! transaction per page of findings) over the recording VFS shim
//! (`test_support::CrashDisk`). 1,000 findings are committed one by one; then, at every
//! sync of the run, what a power loss would leave is reopened with `Store::open`, and the
//! stored findings are a prefix of what was committed that holds every acknowledged one.

use protocol::primitives::H256;
use protocol::workload::Workload;
use std::path::Path;
use test_support::CrashDisk;
use verifier::core::Finding;
use verifier::store::Store;

const COMMITS: u64 = 1_000;
const VARIANT_EVERY: usize = 7;

fn finding(index: u64) -> (u64, Finding) {
    let finding = Finding::BatchVerified {
        index,
        submission_id: index,
        post_state_root: H256([u8::try_from(index % 251).expect("fits"); 32]),
        txs: 1,
    };
    (index + 1, finding)
}

#[test]
fn every_acknowledged_commit_survives_power_loss_at_every_sync() {
    let genesis = Workload::new(42, 2).genesis;
    let disk = CrashDisk::new(true);
    let (mut store, _) = Store::open(Path::new(&disk.dir_uri()), &genesis).expect("open");
    let mut acked_at = Vec::new();
    for index in 0..COMMITS {
        store.commit(&[], &[finding(index)]).expect("commit");
        acked_at.push(disk.op_count());
    }
    drop(store);
    let (syncs, images) = disk.every_crash_point(&acked_at, VARIANT_EVERY, |image, due, what| {
        let (store, _) = Store::open(Path::new(&image.dir_uri()), &genesis)
            .unwrap_or_else(|e| panic!("{what}: the store does not reopen: {e}"));
        let stored = store.findings(u32::MAX).expect("findings");
        assert!(
            stored.len() >= due,
            "{what}: {} of {due} acknowledged findings",
            stored.len()
        );
        for (i, (seq, record)) in stored.iter().enumerate() {
            assert_eq!(
                (*seq, &record["index"]),
                (i as u64 + 1, &serde_json::json!(i)),
                "{what}: finding {i}"
            );
        }
    });
    assert!(
        syncs >= COMMITS as usize,
        "one sync at least per commit: {syncs}"
    );
    eprintln!(
        "power loss: {COMMITS} acknowledged commits, {syncs} syncs, {images} crash images reopened"
    );
}
