//! Power loss under the settlement layer's store: `Ledger` (the functions the HTTP handlers
//! run, one SQLite transaction per call) on the database the service opens, over the
//! recording VFS shim (`test_support::CrashDisk`). 1,000 faucet calls are acknowledged one
//! by one; then, at every sync of the run, what a power loss would leave is reopened as the
//! service opens it, and the minted total is the total of a prefix of the calls that
//! includes every acknowledged one, with the supply still conserved.

use contracts_mock::{Config, Ledger};
use protocol::api::settlement::FaucetRequest;
use protocol::primitives::Address;
use protocol::workload::Workload;
use std::path::PathBuf;
use test_support::CrashDisk;

const CALLS: u64 = 1_000;
const VARIANT_EVERY: usize = 7;

fn config(disk: &CrashDisk) -> Config {
    Config::new(PathBuf::from(disk.dir_uri()), Workload::new(7, 1).genesis)
}

/// Call `i` mints `i + 1` micro-USDC, so every prefix of the calls has its own total.
fn minted_after(calls: u64) -> u64 {
    calls * (calls + 1) / 2
}

#[test]
fn every_acknowledged_call_survives_power_loss_at_every_sync() {
    let disk = CrashDisk::new(true);
    let mut ledger = Ledger::open(config(&disk)).expect("the ledger opens");
    let base = ledger.status().expect("status").supply.minted;
    let mut acked_at = Vec::new();
    for i in 0..CALLS {
        let address = Address([u8::try_from(i % 200).expect("fits"); 20]);
        ledger
            .faucet(&FaucetRequest {
                address,
                amount: i + 1,
            })
            .expect("the faucet pays");
        acked_at.push(disk.op_count());
    }
    drop(ledger);
    let (syncs, images) = disk.every_crash_point(&acked_at, VARIANT_EVERY, |image, due, what| {
        let ledger = Ledger::open(config(image))
            .unwrap_or_else(|e| panic!("{what}: the store does not reopen: {e}"));
        let supply = ledger.status().expect("status").supply;
        assert!(supply.conserved, "{what}: supply not conserved: {supply:?}");
        let minted = supply
            .minted
            .checked_sub(base)
            .expect("never below genesis");
        let kept = (0..=CALLS).find(|&n| minted_after(n) == minted);
        assert!(
            kept.is_some_and(|n| n >= due as u64),
            "{what}: {minted} minted, not a prefix holding the {due} acknowledged calls"
        );
    });
    assert!(
        syncs >= CALLS as usize,
        "one sync at least per call: {syncs}"
    );
    eprintln!(
        "power loss: {CALLS} acknowledged faucet calls, {syncs} syncs, {images} crash images reopened"
    );
}
