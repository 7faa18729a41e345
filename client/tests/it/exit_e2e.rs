//! Exit mode end to end over HTTP (`network`): traders trade through the real sequencer, a
//! verifier follows, every batch finalizes; then the sequencer goes silent for good. A
//! trader forces a withdrawal; nobody includes it; the settlement layer freezes the rollup
//! once the deadline plus the freeze delay have passed. Every trader then claims with the
//! real `vigil exit claim`, which finds the sequencer dead and takes its proof from the
//! verifier (as does `vigil l1 claim` for a finalized withdrawal). Each claim records exactly the equity the engine computes over a replica
//! rebuilt from the settlement layer's batches, a second claim is refused, the payout pays
//! each exactly that, and the L1 supply is conserved.

use crate::network::trading::trade;
use crate::network::*;
use crate::support::run_off_runtime;
use contracts_mock::config::short_exit::{EXIT_CLAIM_PERIOD_BLOCKS, FREEZE_DELAY_BLOCKS};
use protocol::action::{Action, Withdraw};
use protocol::api::settlement::{ExitPhase, ExitStatus, ForceCall};
use protocol::batch::{Batch, execute_batch, genesis_tree};
use protocol::codec::Decode;
use protocol::engine::exit::exit_valuation;
use protocol::primitives::to_hex;
use protocol::signing::address_of;
use protocol::tree::Tree;
use protocol::workload::Workload;

/// The state after every live batch, re-executed from genesis with `protocol`.
async fn replica(net: &Network) -> Tree {
    let genesis = &net.workload.genesis;
    let mut tree = genesis_tree(genesis);
    let tip = net
        .l1_status()
        .await
        .tip
        .index
        .expect("batches were posted");
    for index in 0..=tip {
        let view = net.l1.batch(index, true).await.expect("batch");
        let batch = Batch::decode(&view.data.expect("data")).expect("a batch");
        execute_batch(&mut tree, genesis, &batch).expect("a full tree executes");
    }
    tree
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_sequencer_freezes_the_rollup_and_every_account_exits_with_its_equity() {
    let mut net = Network::start_with(
        Workload::new(21, 4),
        None,
        contracts_mock::Config::set_short_exit_clock,
    )
    .await;
    trade(&net).await;
    wait_for("the trades to be posted", || net.settled()).await;
    let dir = tempfile::tempdir().expect("dir");
    let key = verifier_key(9);
    fund(&net.l1, &address_of(&key), VERIFIER_FUNDS).await;
    let verifier = Verifier::start(Verifier::config(&net, &dir, &key)).await;
    verifier.wait_on_tip(&net).await;
    net.mine(WINDOW + 1).await;
    let finalized = net.l1_status().await.finalized_index;
    assert_eq!(
        finalized,
        net.l1_status().await.tip.index,
        "everything final"
    );
    wait_for("the verifier to see the finalization", || async {
        (verifier.status().await.finalized_batch == finalized).then_some(())
    })
    .await;

    // The sequencer goes silent; trader 1 forces a withdrawal that nobody includes.
    let seq_url = net.seq.base_url().to_string();
    net.stop_sequencer().await;
    let trader = &net.workload.traders[1];
    let withdraw = Action::Withdraw(Withdraw {
        account: trader.address,
        amount: 1_000_000,
        nonce: 99,
        expires_at: u64::MAX / 2,
    });
    let call = net
        .l1
        .sign(
            &trader.key,
            ForceCall {
                action: net.sign(&trader.key, withdraw),
            },
        )
        .await
        .expect("sign");
    let forced = net.l1.force(&call).await.expect("forced");
    net.mine(forced.deadline_block + FREEZE_DELAY_BLOCKS - net.l1_status().await.block.number)
        .await;
    let live: ExitStatus = net.l1.exit().await.expect("exit");
    assert_eq!(
        (live.phase, live.freezes_at_block),
        (
            ExitPhase::Live,
            Some(forced.deadline_block + FREEZE_DELAY_BLOCKS + 1)
        )
    );
    net.mine(1).await;
    let exit = net.l1.exit().await.expect("exit");
    assert_eq!(exit.phase, ExitPhase::Claiming, "{exit:?}");
    let tree = replica(&net).await;
    assert_eq!(exit.exit_root, Some(tree.root()));

    // Every trader claims through the CLI; the dead sequencer is skipped for the verifier.
    let home = tempfile::tempdir().expect("home");
    let mut owed = Vec::new();
    for (i, t) in net.workload.traders.iter().enumerate() {
        let name = format!("t{i}");
        let hex = to_hex(&t.key.to_bytes());
        let args = ["keys", "import", "--name", &name, "--private-key", &hex];
        run_off_runtime(home.path(), Some(net.l1.base_url()), &args)
            .await
            .ok();
        let claim = [
            "--sequencer-url",
            &seq_url,
            "--json",
            "exit",
            "claim",
            "--name",
            &name,
            "--node",
            verifier.client.base_url(),
        ];
        let answer = run_off_runtime(home.path(), Some(net.l1.base_url()), &claim)
            .await
            .json();
        // The exit valuation: the cross equity plus each isolated position's (Part 4 §26).
        let equity = exit_valuation(&mut tree.clone(), &net.workload.genesis, &t.address)
            .expect("valuation")
            .equity;
        assert_eq!(
            crate::rollup::int(&answer["claim"]["equity"]),
            equity,
            "{answer}"
        );
        owed.push((t.address, u64::try_from(equity.max(0)).expect("fits")));
        let again = run_off_runtime(home.path(), Some(net.l1.base_url()), &claim).await;
        assert_eq!(again.code, 1, "{again:?}");
        assert!(again.stderr.contains("already claimed"), "{}", again.stderr);
    }

    // Trader 0's finalized withdrawal (id 0) is claimed with the verifier's proof too.
    let t0 = net.workload.traders[0].address;
    let l1_before = net.l1.account(&t0).await.expect("account").balance;
    let withdrawal = [
        "--sequencer-url",
        &seq_url,
        "l1",
        "claim",
        "--withdrawal-id",
        "0",
        "--name",
        "t0",
        "--node",
        verifier.client.base_url(),
    ];
    run_off_runtime(home.path(), Some(net.l1.base_url()), &withdrawal)
        .await
        .ok();
    let l1_after = net.l1.account(&t0).await.expect("account").balance;
    assert_eq!(
        l1_after,
        l1_before + 1_000_000_000,
        "the 1,000 USDC withdrawal"
    );

    let mut before = Vec::new();
    for (address, _) in &owed {
        before.push(net.l1.account(address).await.expect("account").balance);
    }
    net.mine(EXIT_CLAIM_PERIOD_BLOCKS + 1).await;
    let paid = net.l1.exit().await.expect("exit");
    assert_eq!(paid.phase, ExitPhase::Paid, "{paid:?}");
    for ((address, owed), before) in owed.iter().zip(before) {
        let after = net.l1.account(address).await.expect("account").balance;
        assert_eq!(after, before + owed, "{address} is paid exactly its equity");
    }
    let status = net.l1_status().await;
    assert!(status.supply.conserved, "{:?}", status.supply);
    verifier.shutdown().await;
    net.shutdown().await;
}
