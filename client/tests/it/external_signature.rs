//! An order signed by an external EIP-712 implementation is accepted by a devnet sequencer.
//!
//! The order below and its signature were produced by eth-account 0.14.0 (Python,
//! `encode_typed_data` + `Account.sign_message`; script in docs/PROTOCOL.md Part 2 §8) with
//! the typed data of DESIGN §2 on the devnet's domain {Vigil, 1, 31337,
//! 0x5FbDB2315678afecb367f032d93F642f64180aa3}, independently of our code. The test checks
//! our digest equals eth-account's, funds the signer through the settlement layer, and
//! posts eth-account's exact JSON bytes to the sequencer: the order must rest on the book.
//! Then the account approves an agent key and the agent's order rests for the account,
//! both again eth-account's bytes (vectors 9 and 11 of docs/PROTOCOL.md Part 2 §6.1), the
//! dead-man's switch (14–15), the oracle's implied volatility for options (16), the
//! client-order kinds signed by the account and by its agent (20–23) and the trigger
//! orders (24–26), leverage settings (30–31), margin modes and isolated margin (32–35) and
//! a bulk modify (36).

use protocol::action::{Action, Order, PriceUpdate, SignedAction, TimeInForce};
use protocol::api::sequencer::TxAccepted;
use protocol::api::settlement::{DepositCall, FaucetRequest};
use protocol::primitives::{Address, H256};
use protocol::signing::{domain_separator, sign_action, signing_digest};
use service_client::settlement::SettlementClient;
use std::time::Duration;
use vigil_client::devnet::poll::{Poll, poll_until};
use vigil_client::devnet::{Devnet, DevnetConfig, keys};
use vigil_client::keystore::parse_private_key;
use vigil_client::sequencer::SequencerClient;

/// The signer: the key eth-account used (a well-known test key; never use it for money).
const KEY: &str = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
const ADDRESS: &str = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23";

/// eth-account's output: the wire JSON of `POST /v1/tx`, the domain separator and the digest.
const ORDER_JSON: &str = r#"{"type":"Order","message":{"account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":1,"isBuy":true,"price":49000000000,"size":5000,"tif":0,"reduceOnly":false,"nonce":1,"expiresAt":18446744073709551615},"signature":"0xf90ceef0365f19b142aaae33a21c85caad8c772747d0bd5863fb55a46aba946c37b78b0b2fece4aee8f915eb8deefef0c1cb8b49cecf1641a4f0dbdc23e061661b"}"#;
/// eth-account's `ApproveAgent` (signed by the account) and `AgentOrder` (signed by the
/// agent, keccak256("cow") = the EIP-712 specification's example key): vectors 9 and 11.
const APPROVE_AGENT_JSON: &str = r#"{"type":"ApproveAgent","message":{"account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","agent":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","name":"market maker","validUntil":0,"nonce":2,"expiresAt":18446744073709551615},"signature":"0x5c030e816f7dd4aff3a9a564579cf92e7c0b3137c5958ff48bcdd9f50f86721a199015e886f206cacb3f0d817d4d5eacd9e8acc165b4b01a4616c8e36e19f2e41b"}"#;
const AGENT_ORDER_JSON: &str = r#"{"type":"AgentOrder","message":{"agent":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":1,"isBuy":true,"price":49000000000,"size":5000,"tif":0,"reduceOnly":false,"nonce":3,"expiresAt":18446744073709551615},"signature":"0xf2c7f1e57bd373e57c87efb0a7c62605bf266f3f935f6739ab2025b23fa87a5b39a998f871ebb9d374dd7954d174abdf95fadce50d1d32a2dada10b5c2fef4d11c"}"#;
const AGENT: &str = "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826";
/// eth-account's `ScheduleCancel` (the account's dead-man's switch at 2100-01-01) and
/// `AgentScheduleCancel` (its agent clearing it): docs/PROTOCOL.md Part 2 §6.1, 14–15.
const SCHEDULE_CANCEL_JSON: &str = r#"{"type":"ScheduleCancel","message":{"account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","time":4102444800000,"nonce":7,"expiresAt":18446744073709551615},"signature":"0x68d647817f337d29fab0119d5dcdeda991bb30b0fe23764ef0693d2e8b0eafe154efb08ee1161e97561c8f8f03eae069cb795778decd3b6068729e0cc715a3d31c"}"#;
const AGENT_SCHEDULE_CANCEL_JSON: &str = r#"{"type":"AgentScheduleCancel","message":{"agent":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","time":0,"nonce":8,"expiresAt":18446744073709551615},"signature":"0xe34b5cb3ce5f3ab7aed40f38fdc7ad4101487b66ca6d1a8a33df58609e250d191af7329003a3bf35628fd0cf773ea3e3f575d2b59c2a52fbfbce385c012c62a21b"}"#;
/// eth-account's client-order kinds (docs/PROTOCOL.md Part 2 §6.1, 20–23): the account's
/// bid with a client id above 2^64, its agent's good-till-time bid, the agent's modify of
/// it, the account's cancel by client id.
const CLIENT_ORDER_JSON: &str = r#"{"type":"ClientOrder","message":{"signer":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":1,"isBuy":true,"price":48000000000,"size":1000,"tif":0,"reduceOnly":false,"clientId":"170141183460469231731687303715884105733","nonce":20,"expiresAt":18446744073709551615},"signature":"0x12c0a0274b22a3c895c5f581b1203fcd09dbab9bb02fd682dc1ee220493c7dc7028b68cf6c69e99cc2f33d8c4ea1e576209351299e85f0d9f7aca91632000b6c1c"}"#;
const AGENT_CLIENT_ORDER_JSON: &str = r#"{"type":"ClientOrder","message":{"signer":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":1,"isBuy":true,"price":47000000000,"size":1000,"tif":0,"reduceOnly":false,"clientId":"21","nonce":21,"expiresAt":4102444800000},"signature":"0x5ac45f79aa3e08c5bd1779d4dce43b9fe2c4e5a9b00cc4773010abf583cd6a71707980a348edf67e038ec016d946b5ea779ba5577960b88f22baff6638c6a8fe1c"}"#;
const AGENT_MODIFY_JSON: &str = r#"{"type":"ModifyOrder","message":{"signer":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","clientId":"21","price":47500000000,"size":500,"nonce":22,"expiresAt":18446744073709551615},"signature":"0xaf4bc7062cdc8d4aa0f0d3af9814519da976e4a177e13cb65c67d17ec6d6b38631f5808eabb6b5e67c07ce0c39dbcdba8665c6546662c10c0d8b85dd95e188de1c"}"#;
const CANCEL_BY_CLIENT_ID_JSON: &str = r#"{"type":"CancelByClientId","message":{"signer":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","clientId":"170141183460469231731687303715884105733","nonce":23,"expiresAt":18446744073709551615},"signature":"0x012962716abc3561aaef5bb9fd04ac54533c4bffc8ebc6fc211791b70a5943a446411e9f7bd63aa00aa07c16e5e715942b47dcbcbef44526e12819a613efddbc1c"}"#;

/// eth-account's `BulkModify` (vector 36, signed by the agent; `items` an EIP-712 array of
/// `ModifyItem` structs): the account's devnet bid (order 1) to 48,500 by market and nonce,
/// the agent's bid (client id 21) shrunk to 400 in place.
const BULK_MODIFY_JSON: &str = r#"{"type":"BulkModify","message":{"signer":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","items":[{"market":1,"orderNonce":1,"clientId":0,"price":48500000000,"size":0},{"market":0,"orderNonce":0,"clientId":21,"price":0,"size":400}],"nonce":36,"expiresAt":18446744073709551615},"signature":"0x0cc7100e87aacc5c01bb7c42160bc6adab7c1c630fcc875593099f02277e48c45edf6f2b8a7e644a5b41409c654f6779fa130048d4f5017cc51454fc3e2b5eca1b"}"#;

/// eth-account's trigger orders and TP/SL: the account's stop-limit (vector 24), its
/// agent's take-profit (25: `signer` names the agent) and the account's TP/SL (26):
/// docs/PROTOCOL.md Part 2 §6.1.
const TRIGGER_ORDER_JSON: &str = r#"{"type":"TriggerOrder","message":{"signer":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":1,"isBuy":false,"kind":1,"triggerPrice":45000000000,"price":44900000000,"size":5000,"reduceOnly":false,"nonce":9,"expiresAt":18446744073709551615},"signature":"0xb14a9525d881c4960cf0dd9b9c02dbdbc3c204375426c0007222094960962fd477ce6d52c3755875db5783f0ec11f25b27e046a1f8b11ba8d4fb178a247dd8fa1c"}"#;
const AGENT_TRIGGER_ORDER_JSON: &str = r#"{"type":"TriggerOrder","message":{"signer":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":1,"isBuy":false,"kind":2,"triggerPrice":60000000000,"price":0,"size":5000,"reduceOnly":true,"nonce":10,"expiresAt":18446744073709551615},"signature":"0xe799d5516a7517d5af653d4bd88eebbcf0a1b932dccec11b9c4b7d3f47b7a15e66b2393cc3a73a90ddaf05e9309629ea96db22fb9e5dc2a298516f0a25967f521c"}"#;
const TP_SL_JSON: &str = r#"{"type":"TpSl","message":{"signer":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":1,"takeProfit":55000000000,"stopLoss":45000000000,"nonce":11,"expiresAt":18446744073709551615},"signature":"0x5931ceabefa852cda16f2ae299c30d7d16f548daf7ba95751f2b8de003ec4738149beecf0efaa50c978984507608b13fd8851820049a7dc4b274851a759f3fe11c"}"#;
/// eth-account's `ImpliedVolUpdate` (BTC-PERP's options at 80 %, signed by the devnet's
/// oracle signer 0): docs/PROTOCOL.md Part 2 §6.1, vector 16.
/// eth-account's leverage settings: a flat account's 5x in BTC-PERP (vector 30; the key
/// of keccak256("flat"), an account with no orders or positions) and the account's
/// agent's 3x in ETH-PERP (31: `signer` names the agent).
const SET_LEVERAGE_JSON: &str = r#"{"type":"SetLeverage","message":{"signer":"0x481a1E1D28653Cd5d48D32eb20F1aB90d1F2a3e8","account":"0x481a1E1D28653Cd5d48D32eb20F1aB90d1F2a3e8","market":1,"leverage":5,"nonce":30,"expiresAt":18446744073709551615},"signature":"0xe35246f3783e7e21244d0e9ec48783221260d1efc6af6e3f2b84e16504593c9453a108bbc4f02e6f73ea323b74e2009ca4ef9ac43a2537e00dd352e4fb12c67a1b"}"#;
const FLAT: &str = "0x481a1E1D28653Cd5d48D32eb20F1aB90d1F2a3e8";
const AGENT_SET_LEVERAGE_JSON: &str = r#"{"type":"SetLeverage","message":{"signer":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":2,"leverage":3,"nonce":31,"expiresAt":18446744073709551615},"signature":"0x3f1f7301f123cd9037095cd9022d4cbbeb2c3e9c33127af44b9e31cb722563dd14928732a41d15ed2d044bece1604d06931e46638f8e01218d8f0c1e7f6166d01c"}"#;
/// eth-account's margin modes and isolated margin (docs/PROTOCOL.md Part 2 §6.1, 32–35):
/// the flat account's ETH-PERP isolated (32), the agent isolating the account's ETH-PERP
/// (33), the account adding 25 USDC to that position (34), its agent moving 10 back (35).
const FLAT_ISOLATED_JSON: &str = r#"{"type":"SetMarginMode","message":{"signer":"0x481a1E1D28653Cd5d48D32eb20F1aB90d1F2a3e8","account":"0x481a1E1D28653Cd5d48D32eb20F1aB90d1F2a3e8","market":2,"isolated":true,"nonce":32,"expiresAt":18446744073709551615},"signature":"0x897edf746527438e0df556c1767f19e514be9f9774746a39d366cb81b66d3eaf638d2ab6e6e7053a5a873f3e4c75189ed23ac5468d90a7e460a08c04949e24931b"}"#;
const AGENT_ISOLATED_JSON: &str = r#"{"type":"SetMarginMode","message":{"signer":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":2,"isolated":true,"nonce":33,"expiresAt":18446744073709551615},"signature":"0x7ff7d8557703e09637bea015041f37f7abd53227bc99ff40651b20b22c6eddc70506f1642489a2d3344fc57f66df33462b15ea5cd3761b71884e499a39f5a6551b"}"#;
const ISOLATED_ADD_JSON: &str = r#"{"type":"IsolatedMargin","message":{"signer":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":2,"isAdd":true,"amount":25000000,"nonce":34,"expiresAt":18446744073709551615},"signature":"0x5cdd816909a6f1c0c5b50e5249268ed8990540af9bb7e912343e5977bf7371ce01ccff6a7487c0f4c460e823229a0b92621badb4a5935c3a41553dd23d8b119c1b"}"#;
const AGENT_ISOLATED_REMOVE_JSON: &str = r#"{"type":"IsolatedMargin","message":{"signer":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826","account":"0x2c7536E3605D9C16a7a3D7b1898e529396a65c23","market":2,"isAdd":false,"amount":10000000,"nonce":35,"expiresAt":18446744073709551615},"signature":"0x4a56721db399017613c8dd3f3d904f100b8e890d741046ce4e0df0d4035e8fe36ff6870b7ad049f1e16822507df342df131581b546beb09961dd40d01c99c0111b"}"#;
const IMPLIED_VOL_JSON: &str = r#"{"type":"ImpliedVolUpdate","message":{"market":1,"volPpm":800000,"timestampMs":1780272000000},"signature":"0xc3a91aed95486960d5790a3a6eaf75f4d721da21f6b4ee6848023b251949f5975b6d90aef2f5fe36be4504391fec844acb7ca58b553c2d57ca00f8536fa2f1b91b"}"#;
const DOMAIN_SEPARATOR: &str = "0x61420cb39f00ebfebb7de7f043d6ee29d262489cbe9de3da87540755e0dc70b6";
const DIGEST: &str = "0xc02b43f8aab3c6eb4cbcd23f45d76e329b9db0c3845ed42abd0cb6732b2a1e7e";

/// 10,000 USDC of margin for a 0.5 BTC bid at 49,000 (10% initial margin: 2,450 USDC).
const DEPOSIT: u64 = 10_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_signed_by_eth_account_is_accepted_by_the_devnet() {
    let dir = tempfile::tempdir().expect("temp dir");
    let net = Devnet::start(DevnetConfig::fast(dir.path().to_path_buf()))
        .await
        .expect("devnet starts");
    let m = net.manifest().clone();
    let account: Address = ADDRESS.parse().expect("address");

    // Our digest of eth-account's message, on the devnet's own domain, is eth-account's.
    let domain = domain_separator(m.chain_id, &m.verifying_contract);
    assert_eq!(domain.to_string(), DOMAIN_SEPARATOR, "devnet domain");
    let order: SignedAction = serde_json::from_str(ORDER_JSON).expect("wire JSON");
    assert_eq!(signing_digest(&order.action, &domain).to_string(), DIGEST);

    // Fund the signer on L1 and deposit into the rollup (our L1 call signing; the order's
    // signature below stays eth-account's).
    let key = parse_private_key(KEY).expect("key");
    let l1 = SettlementClient::new(&m.l1_url);
    l1.faucet(&FaucetRequest {
        address: account,
        amount: DEPOSIT,
    })
    .await
    .expect("faucet");
    let deposit = l1
        .sign(
            &key,
            DepositCall {
                account,
                amount: DEPOSIT,
            },
        )
        .await
        .expect("sign the deposit");
    l1.deposit(&deposit).await.expect("deposit");
    let seq = SequencerClient::new(&m.sequencer_url);
    poll_until(
        "the deposit credited on L2",
        Duration::from_secs(60),
        Duration::from_millis(50),
        || async {
            match seq.account(&account).await {
                Ok(a) if a.collateral == i128::from(DEPOSIT) => Poll::Ready(()),
                Ok(a) => Poll::Pending(format!("collateral {}", a.collateral)),
                Err(e) => Poll::Pending(e.to_string()),
            }
        },
    )
    .await
    .expect("deposit credited");

    // A fresh BTC price from the devnet oracle, so the bid is inside the price band.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_millis() as u64;
    let price = sign_action(
        &keys::oracle_key(),
        Action::PriceUpdate(PriceUpdate {
            market: 1,
            price: 50_000_000_000,
            timestamp_ms: now_ms,
        }),
        &domain,
    );
    seq.submit(&price).await.expect("price update accepted");

    // eth-account's bytes, exactly as a wallet would send them.
    let (status, body) = post_tx(&m.sequencer_url, ORDER_JSON).await;
    assert_eq!(status, 200, "{body}");
    let accepted: TxAccepted = serde_json::from_str(&body).expect("a receipt");
    assert_eq!(accepted.receipt.status.code(), "ok", "{body}");
    let outcome = accepted.receipt.order.expect("an order outcome");
    assert_eq!((outcome.filled, outcome.resting), (0, 5_000), "{body}");
    assert_ne!(accepted.hash, H256::ZERO);

    let view = seq.account(&account).await.expect("account");
    assert_eq!(view.open_orders.len(), 1, "{view:?}");
    let agent_bid = agent_trades_for_the_account(&m.sequencer_url, &seq, &account).await;
    let resting = &view.open_orders[0];
    assert_eq!(
        (
            resting.market,
            resting.nonce,
            resting.is_buy,
            resting.price,
            resting.remaining
        ),
        (1, 1, true, 49_000_000_000, 5_000)
    );
    assert_eq!(agent_bid, 3, "the agent's order is the account's order 3");
    dead_man_set_and_cleared(&m.sequencer_url, &seq, &account).await;
    client_orders_by_account_and_agent(&m.sequencer_url, &seq, &account).await;
    bulk_modified(&m.sequencer_url, &seq, &account).await;
    triggers_filed(&m.sequencer_url, &seq, &account).await;
    leverage_set(&m.sequencer_url, &seq, &account).await;
    isolated_margin_moved(&m.sequencer_url, &seq, &account, &domain).await;
    // The oracle's implied volatility, eth-account's bytes: accepted (the devnet's signer 0).
    let vol = post_raw(&m.sequencer_url, IMPLIED_VOL_JSON).await;
    assert_eq!(vol.receipt.agent, None);
    net.shutdown().await.expect("clean shutdown");
}

/// Posts `body` (a wallet's exact bytes) to `POST /v1/tx`: the HTTP status and the body.
async fn post_tx(sequencer_url: &str, body: &'static str) -> (reqwest::StatusCode, String) {
    let http = reqwest::Client::new();
    let response = test_support::json_post(&http, format!("{sequencer_url}/v1/tx"), body)
        .send()
        .await
        .expect("POST /v1/tx");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

/// Posts `body` and expects the engine's refusal: HTTP 422 naming `code` (so the signature
/// verified). Returns the response body.
async fn refused(sequencer_url: &str, body: &'static str, code: &str) -> String {
    let (status, text) = post_tx(sequencer_url, body).await;
    assert_eq!(status, 422, "{text}");
    assert!(text.contains(code), "{text}");
    text
}

/// Posts `body` (a wallet's exact bytes) to `POST /v1/tx` and returns the receipt.
async fn post_raw(sequencer_url: &str, body: &'static str) -> TxAccepted {
    let (status, text) = post_tx(sequencer_url, body).await;
    assert_eq!(status, 200, "{text}");
    let accepted: TxAccepted = serde_json::from_str(&text).expect("a receipt");
    assert_eq!(accepted.receipt.status.code(), "ok", "{text}");
    accepted
}

/// eth-account's approval, then the agent's order: it rests as the account's, its receipt
/// names the agent, and the read API lists the agent. Returns the agent order's nonce.
async fn agent_trades_for_the_account(
    sequencer_url: &str,
    seq: &SequencerClient,
    account: &Address,
) -> u64 {
    let agent: Address = AGENT.parse().expect("agent address");
    let approved = post_raw(sequencer_url, APPROVE_AGENT_JSON).await;
    assert_eq!(
        approved.receipt.agent, None,
        "the account signed its approval"
    );
    let listed = seq.agents(account).await.expect("agents");
    let rows: Vec<_> = listed.agents.iter().map(|a| (a.agent, a.active)).collect();
    assert_eq!(rows, vec![(agent, true)]);
    assert_eq!(listed.agents[0].name, "market maker");

    let placed = post_raw(sequencer_url, AGENT_ORDER_JSON).await;
    assert_eq!(
        placed.receipt.agent,
        Some(agent),
        "the receipt names the agent"
    );
    let outcome = placed.receipt.order.expect("an order outcome");
    assert_eq!((outcome.filled, outcome.resting), (0, 5_000));
    let view = seq.account(account).await.expect("account");
    let nonces: Vec<u64> = view.open_orders.iter().map(|o| o.nonce).collect();
    assert!(nonces.contains(&3), "{nonces:?}");
    3
}

/// eth-account's dead-man's switch, then its agent clearing it: the read API shows the
/// switch, then none, and the account's orders stay.
async fn dead_man_set_and_cleared(sequencer_url: &str, seq: &SequencerClient, account: &Address) {
    let set = post_raw(sequencer_url, SCHEDULE_CANCEL_JSON).await;
    assert_eq!(set.receipt.agent, None, "the account signed its switch");
    let view = seq.account(account).await.expect("account");
    assert_eq!(view.dead_man_at_ms, Some(4_102_444_800_000));
    let cleared = post_raw(sequencer_url, AGENT_SCHEDULE_CANCEL_JSON).await;
    let agent: Address = AGENT.parse().expect("agent address");
    assert_eq!(cleared.receipt.agent, Some(agent), "the agent cleared it");
    let view = seq.account(account).await.expect("account");
    assert_eq!(view.dead_man_at_ms, None);
    assert_eq!(view.open_orders.len(), 2, "clearing cancels nothing");
}

/// eth-account's client-order kinds: the account's bid and its agent's rest with their
/// client ids, the agent modifies its bid (new price and size, same order id), and the
/// account cancels its bid by client id. Receipts name the agent where it signed.
async fn client_orders_by_account_and_agent(
    sequencer_url: &str,
    seq: &SequencerClient,
    account: &Address,
) {
    let agent: Address = AGENT.parse().expect("agent address");
    let own = post_raw(sequencer_url, CLIENT_ORDER_JSON).await;
    assert_eq!(own.receipt.agent, None);
    assert_eq!(own.receipt.order.map(|o| o.resting), Some(1_000));
    let by_agent = post_raw(sequencer_url, AGENT_CLIENT_ORDER_JSON).await;
    assert_eq!(by_agent.receipt.agent, Some(agent));
    let modified = post_raw(sequencer_url, AGENT_MODIFY_JSON).await;
    assert_eq!(modified.receipt.agent, Some(agent));
    assert_eq!(modified.receipt.order.map(|o| o.resting), Some(500));
    let cancelled = post_raw(sequencer_url, CANCEL_BY_CLIENT_ID_JSON).await;
    let gone: Vec<u64> = cancelled
        .receipt
        .cancelled
        .iter()
        .map(|c| c.nonce)
        .collect();
    assert_eq!(gone, vec![20], "the account's bid, found by its client id");
    let view = seq.account(account).await.expect("account");
    let agents_bid = view.open_orders.iter().find(|o| o.nonce == 21);
    let shown = agents_bid.map(|o| (o.price, o.remaining));
    assert_eq!(shown, Some((47_500_000_000, 500)), "{view:?}");
}
/// eth-account's bulk modify (vector 36), after the client orders: accepted for the
/// account with the agent named; order 1 moved to 48,500 (to the back of that level), the
/// agent's bid 21 shrunk to 400 in place; the read API shows both.
async fn bulk_modified(sequencer_url: &str, seq: &SequencerClient, account: &Address) {
    let agent: Address = AGENT.parse().expect("agent address");
    let bulk = post_raw(sequencer_url, BULK_MODIFY_JSON).await;
    assert_eq!(bulk.receipt.agent, Some(agent), "the agent signed");
    let modified: Vec<_> = bulk
        .receipt
        .modified
        .iter()
        .map(|m| (m.market, m.nonce, m.price, m.size, m.kept_priority))
        .collect();
    assert_eq!(
        modified,
        vec![
            (1, 1, 48_500_000_000, 5_000, false),
            (1, 21, 47_500_000_000, 400, true)
        ]
    );
    let view = seq.account(account).await.expect("account");
    let shown = |nonce: u64| {
        view.open_orders
            .iter()
            .find(|o| o.nonce == nonce)
            .map(|o| (o.price, o.remaining))
    };
    assert_eq!(shown(1), Some((48_500_000_000, 5_000)), "{view:?}");
    assert_eq!(shown(21), Some((47_500_000_000, 400)), "{view:?}");
}

/// eth-account's leverage settings: the agent's 3x in ETH-PERP (no ETH risk) is accepted
/// and named on the receipt; the flat account's 5x in BTC-PERP is accepted too (HTTP 200,
/// `ok`: with no orders or positions it needs no margin). The read API shows the account
/// at 3x in ETH-PERP and BTC-PERP still at its 10x maximum, and the flat account at 5x in
/// BTC-PERP.
async fn leverage_set(sequencer_url: &str, seq: &SequencerClient, account: &Address) {
    let by_agent = post_raw(sequencer_url, AGENT_SET_LEVERAGE_JSON).await;
    let agent: Address = AGENT.parse().expect("agent address");
    assert_eq!(by_agent.receipt.agent, Some(agent), "the agent signed");
    let flat_set = post_raw(sequencer_url, SET_LEVERAGE_JSON).await;
    assert_eq!(
        flat_set.receipt.agent, None,
        "the flat account signed itself"
    );
    let shown = |view: protocol::api::sequencer::AccountResponse| -> Vec<(u32, u32, u32)> {
        view.leverage
            .iter()
            .map(|l| (l.market, l.leverage, l.max_leverage))
            .collect()
    };
    let view = seq.account(account).await.expect("account");
    assert_eq!(shown(view), vec![(1, 10, 10), (2, 3, 10)]);
    let flat: Address = FLAT.parse().expect("flat address");
    let view = seq.account(&flat).await.expect("flat account");
    assert_eq!(shown(view), vec![(1, 5, 10), (2, 10, 10)]);
}

/// eth-account's margin modes and isolated margin: the flat account and (by the agent) the
/// account put ETH-PERP in isolated margin; after an ETH price and a small ETH long of the
/// account's (bought from dev account 0 with our signing), the account adds 25 USDC and
/// its agent removes 10: all four HTTP 200, `ok`, and the read API shows both isolated.
async fn isolated_margin_moved(
    sequencer_url: &str,
    seq: &SequencerClient,
    account: &Address,
    domain: &H256,
) {
    let flat = post_raw(sequencer_url, FLAT_ISOLATED_JSON).await;
    assert_eq!(flat.receipt.agent, None, "the flat account signed itself");
    let agent: Address = AGENT.parse().expect("agent address");
    let by_agent = post_raw(sequencer_url, AGENT_ISOLATED_JSON).await;
    assert_eq!(by_agent.receipt.agent, Some(agent), "the agent signed");
    const ETH_PRICE: u64 = 3_000_000_000;
    let now_ms = contracts_mock::now_ms();
    let price = Action::PriceUpdate(PriceUpdate {
        market: 2,
        price: ETH_PRICE,
        timestamp_ms: now_ms,
    });
    seq.submit(&sign_action(&keys::oracle_key(), price, domain))
        .await
        .expect("ETH price accepted");
    let maker = keys::account_key(0);
    let leg = |key: &k256::ecdsa::SigningKey, is_buy: bool, tif: TimeInForce| {
        let order = Order {
            account: protocol::signing::address_of(key),
            market: 2,
            is_buy,
            price: ETH_PRICE,
            size: 100,
            tif,
            reduce_only: false,
            nonce: now_ms,
            expires_at: now_ms + 60_000,
        };
        sign_action(key, Action::Order(order), domain)
    };
    let key = parse_private_key(KEY).expect("key");
    seq.submit(&leg(&maker, false, TimeInForce::Gtc))
        .await
        .expect("dev0's ETH ask rests");
    let bought = seq
        .submit(&leg(&key, true, TimeInForce::Ioc))
        .await
        .expect("the account's ETH buy");
    assert_eq!(bought.receipt.fills.len(), 1, "{bought:?}");
    let added = post_raw(sequencer_url, ISOLATED_ADD_JSON).await;
    assert_eq!(added.receipt.agent, None);
    let removed = post_raw(sequencer_url, AGENT_ISOLATED_REMOVE_JSON).await;
    assert_eq!(removed.receipt.agent, Some(agent));
    let isolated = |view: protocol::api::sequencer::AccountResponse| {
        view.margin_modes
            .iter()
            .filter(|m| m.mode == protocol::engine::view::MarginMode::Isolated)
            .map(|m| (m.market, m.isolated_margin > 0))
            .collect::<Vec<_>>()
    };
    let view = seq.account(account).await.expect("account");
    assert_eq!(
        isolated(view),
        vec![(2, true)],
        "the account's ETH long has margin"
    );
    let flat: Address = FLAT.parse().expect("flat address");
    let view = seq.account(&flat).await.expect("flat account");
    assert_eq!(
        isolated(view),
        vec![(2, false)],
        "flat: isolated with no margin"
    );
}

/// eth-account's trigger orders: the account's stop-limit and its agent's take-profit are
/// filed (the read API lists both; the agent's receipt names it); the TP/SL reaches the
/// engine's position check (no position: `no_position`, so its signature verified).
async fn triggers_filed(sequencer_url: &str, seq: &SequencerClient, account: &Address) {
    let own = post_raw(sequencer_url, TRIGGER_ORDER_JSON).await;
    assert_eq!(own.receipt.agent, None, "the account signed its stop");
    let by_agent = post_raw(sequencer_url, AGENT_TRIGGER_ORDER_JSON).await;
    let agent: Address = AGENT.parse().expect("agent address");
    assert_eq!(by_agent.receipt.agent, Some(agent), "the agent signed");
    let listed = seq.triggers(account).await.expect("triggers");
    let rows: Vec<_> = listed
        .triggers
        .iter()
        .map(|t| (t.nonce, t.trigger_price))
        .collect();
    assert_eq!(rows, vec![(9, 45_000_000_000), (10, 60_000_000_000)]);
    refused(sequencer_url, TP_SL_JSON, "no_position").await;
}
