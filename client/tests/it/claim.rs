//! `vigil l1 claim` end to end: alice deposits with the CLI, a test-side sequencer posts an
//! honest batch (built with `protocol`) that executes the deposit and her withdrawal, the
//! window passes, and the CLI claims with the proof from a file; a second claim is refused.

use crate::l1::{run, start_l1, u64_of};
use crate::support::import_key;
use contracts_mock::Config;
use protocol::action::{Action, L1Message, Tx, Withdraw};
use protocol::api::settlement::{BondCall, FaucetRequest, MineRequest, PostBatchCall};
use protocol::batch::{Batch, Draft, domain_separator, genesis_tree};
use protocol::codec::Encode;
use protocol::engine::keys::withdrawal_key;
use protocol::genesis::Genesis;
use protocol::primitives::{Address, to_hex};
use protocol::signing::{address_of, sign_action, signing_key_from_bytes};
use service_client::settlement::SettlementClient;

/// Batch 0: the deposit at queue index 0, then alice's signed withdrawal; returns the batch
/// and the encoded proof of withdrawal 0 in its post-state.
fn batch_with_withdrawal(
    genesis: &Genesis,
    alice: &k256::ecdsa::SigningKey,
    deposit: u64,
    withdraw: u64,
    timestamp_ms: u64,
) -> (Batch, Vec<u8>) {
    let account = address_of(alice);
    let action = Action::Withdraw(Withdraw {
        account,
        amount: withdraw,
        nonce: 1,
        expires_at: u64::MAX / 2,
    });
    let txs = vec![
        Tx::L1 {
            queue_index: 0,
            message: L1Message::Deposit {
                account,
                amount: deposit,
            },
        },
        Tx::User {
            action: sign_action(alice, action, &domain_separator(genesis)),
        },
    ];
    let pre = genesis_tree(genesis);
    let draft = Draft::first(genesis, timestamp_ms);
    let mut post = pre.clone();
    let (batch, _) = Batch::execute_and_seal(&mut post, genesis, draft, txs).expect("full tree");
    let proof = post.prove(&withdrawal_key(0)).expect("full tree").encode();
    (batch, proof)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claim_a_finalized_withdrawal_once() {
    let l1 = start_l1(|config: &mut Config| {
        config.challenge_window_blocks = 2;
        config.min_sequencer_bond = 1;
    })
    .await;
    let client = SettlementClient::new(&l1.url);
    let home = tempfile::tempdir().expect("temp dir");
    let h = home.path();

    let secret = [0x11u8; 32];
    let alice = signing_key_from_bytes(&secret).expect("key");
    let alice_address: Address = address_of(&alice);
    import_key(h, "alice", &secret).await;
    run(
        h,
        &l1.url,
        &["l1", "faucet", "--name", "alice", "--amount", "1,000"],
    )
    .await
    .ok();
    run(
        h,
        &l1.url,
        &["l1", "deposit", "--name", "alice", "--amount", "1,000"],
    )
    .await
    .ok();

    let sequencer = signing_key_from_bytes(&[0x5e; 32]).expect("key");
    client
        .faucet(&FaucetRequest {
            address: address_of(&sequencer),
            amount: 10,
        })
        .await
        .expect("faucet");
    let bond = client
        .sign(&sequencer, BondCall { amount: 10 })
        .await
        .expect("sign");
    client.bond(&bond).await.expect("bond");

    let status = client.status().await.expect("status");
    let (batch, proof) = batch_with_withdrawal(
        l1.genesis(),
        &alice,
        1_000_000_000,
        400_000_000,
        status.block.timestamp_ms,
    );
    let post = client
        .sign(&sequencer, PostBatchCall::Batch(Box::new(batch)))
        .await
        .expect("sign");
    let posted = client.post_batch(&post).await.expect("post batch 0");

    let proof_file = h.join("proof.hex");
    std::fs::write(&proof_file, to_hex(&proof)).expect("write proof");
    let proof_arg = format!("@{}", proof_file.display());
    let claim_args = [
        "--json",
        "l1",
        "claim",
        "--name",
        "alice",
        "--batch",
        "0",
        "--withdrawal-id",
        "0",
        "--amount",
        "400",
        "--proof",
        &proof_arg,
    ];
    let early = run(h, &l1.url, &claim_args).await;
    assert_eq!(early.code, 1, "{early:?}");
    assert!(early.stderr.contains("batch_not_final"), "{}", early.stderr);

    let blocks = posted.deadline_block + 1 - client.status().await.expect("status").block.number;
    client
        .mine(&MineRequest {
            blocks,
            timestamp_ms: None,
        })
        .await
        .expect("mine past the window");
    let claimed = run(h, &l1.url, &claim_args).await.json();
    assert_eq!(u64_of(&claimed, "amount"), 400_000_000);
    assert_eq!(claimed["account"], alice_address.to_string());
    let balance = client.account(&alice_address).await.expect("account");
    assert_eq!(
        balance.balance, 400_000_000,
        "1,000 faucet − 1,000 deposit + 400 claimed"
    );

    // The same claim again, now from a claim file: refused, nothing paid twice.
    let claim_file = h.join("claim.json");
    let body = serde_json::json!({
        "batch_index": 0, "withdrawal_id": 0, "account": alice_address,
        "amount": 400_000_000, "proof": to_hex(&proof),
    });
    std::fs::write(&claim_file, body.to_string()).expect("write claim");
    let path = claim_file.display().to_string();
    let again = run(
        h,
        &l1.url,
        &["l1", "claim", "--name", "alice", "--claim-file", &path],
    )
    .await;
    assert_eq!(again.code, 1, "{again:?}");
    assert!(again.stderr.contains("already_claimed"), "{}", again.stderr);
    let after = client.account(&alice_address).await.expect("account");
    assert_eq!(after.balance, 400_000_000);
}
