//! `vigil verify tx`, the real binary against the whole system over HTTP (`network`): the
//! settlement layer and the real sequencer with the `wrong-receipt` fault from batch 1 and
//! no verifier, so the lie stays on the chain. An honest batch-0 transaction is committed
//! (exit 0, and its printed proof checks against the posted header with hashing alone); the
//! transaction whose receipt the faulty batch misreports is caught (exit 1: the batch
//! commits a receipt root honest execution contradicts, and the sequencer reports a
//! receipt the batch did not commit); a transaction after the bad batch cannot be checked
//! until it is reverted (exit 1).

use crate::network::observe::{faulty_chain_posted, first_bad_chunk};
use crate::network::trading::trade;
use crate::network::{Network, wait_for};
use crate::support::run_off_runtime;
use protocol::api::sequencer::TxAccepted;
use protocol::batch::{Batch, ReceiptProof};
use protocol::codec::Decode;
use protocol::fault::Fault;
use protocol::primitives::H256;
use protocol::workload::Workload;
use sequencer::FaultPlan;
use std::path::Path;

async fn verify(net: &Network, home: &Path, hash: &H256) -> crate::support::Run {
    let hash = hash.to_string();
    let args = [
        "--json",
        "--sequencer-url",
        net.seq.base_url(),
        "verify",
        "tx",
        hash.as_str(),
    ];
    run_off_runtime(home, Some(net.l1.base_url()), &args).await
}

/// The first transaction the sequencer put in batch `index`.
async fn first_in_batch(net: &Network, index: u64) -> H256 {
    wait_for("a transaction of the batch", || async {
        let page = net.seq.txs(None, 1_000).await.ok()?;
        page.txs
            .into_iter()
            .find(|t| t.batch_index == index && t.position == 0)
            .map(|t| t.hash)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_tx_proves_honest_receipts_and_catches_a_misreported_one() {
    let plan = FaultPlan {
        fault: Fault::WrongReceipt,
        from_batch: 1,
    };
    let net = Network::start(Workload::new(5, 4), Some(plan)).await;
    let acked: Vec<TxAccepted> = trade(&net).await;
    let last = faulty_chain_posted(&net).await;
    let (bad, chunk) = first_bad_chunk(&net)
        .await
        .expect("the lie is on the chain");
    assert_eq!(chunk, 0, "wrong-receipt flips the first receipt it meets");
    assert!(last > bad, "later batches are posted on top of batch {bad}");
    let home = tempfile::tempdir().expect("home");

    // An honest batch: committed, and the printed proof holds against the posted header.
    let honest = first_in_batch(&net, bad - 1).await;
    let run = verify(&net, home.path(), &honest).await;
    assert_eq!(run.code, 0, "{} {}", run.stdout, run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["check"]["verdict"], "committed", "{report}");
    assert_eq!(report["reported_matches"], true, "{report}");
    let proof: ReceiptProof =
        serde_json::from_value(report["check"]["proof"].clone()).expect("a receipt proof");
    let posted = net.l1.batch(bad - 1, true).await.expect("batch");
    let header = Batch::decode(&posted.data.expect("data"))
        .expect("batch")
        .header;
    assert_eq!(proof.verify(&header), Ok(()));

    // The misreported receipt: the faulty batch's first transaction.
    let lied_about = first_in_batch(&net, bad).await;
    assert!(
        acked.iter().any(|a| a.hash == lied_about),
        "one of the trades"
    );
    let run = verify(&net, home.path(), &lied_about).await;
    assert_eq!(run.code, 1, "{} {}", run.stdout, run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(report["ok"], false, "{report}");
    let check = &report["check"];
    assert_eq!(check["verdict"], "wrong_commitment", "{report}");
    assert_eq!(check["chunk"], 0, "{report}");
    assert_eq!(
        check["claimed_root"], check["computed_root"],
        "the state is honest"
    );
    assert_ne!(
        check["claimed_receipts_root"],
        check["computed_receipts_root"]
    );
    assert_eq!(
        report["reported_receipt"], check["receipt"],
        "the sequencer reports the honest receipt, which the batch did not commit"
    );
    assert!(
        run.stderr.contains(&format!("batch {bad} commits a wrong")),
        "{}",
        run.stderr
    );

    // After the bad batch nothing can be checked until it is reverted.
    let later = first_in_batch(&net, last).await;
    let run = verify(&net, home.path(), &later).await;
    assert_eq!(run.code, 1, "{} {}", run.stdout, run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(
        report["check"]["verdict"], "earlier_batch_wrong",
        "{report}"
    );
    assert_eq!(report["check"]["batch_index"], bad, "{report}");

    // Unknown to the sequencer and no batch named: a usage error that says what to add.
    let run = verify(&net, home.path(), &H256([7; 32])).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--batch N"), "{}", run.stderr);
    net.shutdown().await;
}
