//! Properties over random keys and actions: struct hashes agree with the naive reference
//! encoder, signing then verifying returns the signer, and changing any one byte of a
//! signed field, or of r, s or v, makes verification fail (except rewriting v = 27/28 as
//! the equivalent 0/1).

use super::typed_data::Types;
use proptest::prelude::*;
use protocol::action::{
    Action, AgentCancel, AgentCancelAll, AgentOrder, AgentScheduleCancel, ApproveAgent, BulkModify,
    Cancel, CancelAll, CancelByClientId, ClientOrder, ImpliedVolUpdate, IsolatedMargin, Liquidate,
    ModifyItem, ModifyItems, ModifyOrder, Order, PriceUpdate, RevokeAgent, ScheduleCancel,
    SetLeverage, SetMarginMode, SignedAction, TimeInForce, TpSl, TriggerKind, TriggerOrder,
    Withdraw,
};
use protocol::codec::{Decode, Encode};
use protocol::signing::{
    address_of, domain_separator, sign_action, signing_key_from_bytes, struct_hash, verify_action,
};
use protocol::{Address, H256};

fn address() -> impl Strategy<Value = Address> {
    any::<[u8; 20]>().prop_map(Address)
}

fn tif() -> impl Strategy<Value = TimeInForce> {
    (0u8..=3).prop_map(|v| TimeInForce::from_u8(v).expect("0..=3 is a valid tif"))
}

/// Any action, with every field drawn over its full range.
fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (
            address(),
            any::<u32>(),
            any::<bool>(),
            any::<u64>(),
            any::<u64>(),
            tif(),
            any::<bool>(),
            any::<u64>(),
            any::<u64>()
        )
            .prop_map(
                |(account, market, is_buy, price, size, tif, reduce_only, nonce, expires_at)| {
                    Action::Order(Order {
                        account,
                        market,
                        is_buy,
                        price,
                        size,
                        tif,
                        reduce_only,
                        nonce,
                        expires_at,
                    })
                }
            ),
        (
            address(),
            any::<u32>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>()
        )
            .prop_map(|(account, market, order_nonce, nonce, expires_at)| {
                Action::Cancel(Cancel {
                    account,
                    market,
                    order_nonce,
                    nonce,
                    expires_at,
                })
            }),
        (address(), any::<u64>(), any::<u64>()).prop_map(|(account, nonce, expires_at)| {
            Action::CancelAll(CancelAll {
                account,
                nonce,
                expires_at,
            })
        }),
        (address(), any::<u64>(), any::<u64>(), any::<u64>()).prop_map(
            |(account, amount, nonce, expires_at)| {
                Action::Withdraw(Withdraw {
                    account,
                    amount,
                    nonce,
                    expires_at,
                })
            }
        ),
        (
            address(),
            address(),
            any::<u32>(),
            any::<u64>(),
            any::<u64>()
        )
            .prop_map(|(liquidator, account, market, nonce, expires_at)| {
                Action::Liquidate(Liquidate {
                    liquidator,
                    account,
                    market,
                    nonce,
                    expires_at,
                })
            }),
        (any::<u32>(), any::<u64>(), any::<u64>()).prop_map(|(market, price, timestamp_ms)| {
            Action::PriceUpdate(PriceUpdate {
                market,
                price,
                timestamp_ms,
            })
        }),
        (any::<u32>(), any::<u64>(), any::<u64>()).prop_map(|(market, vol_ppm, timestamp_ms)| {
            Action::ImpliedVolUpdate(ImpliedVolUpdate {
                market,
                vol_ppm,
                timestamp_ms,
            })
        }),
        agent_action(),
        client_action(),
    ]
}

/// Any of the client-order kinds (client ids over the full 128 bits).
fn client_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (
            (address(), address(), any::<u32>(), any::<bool>()),
            (any::<[u64; 4]>(), tif(), any::<bool>(), any::<u128>())
        )
            .prop_map(
                |((signer, account, market, is_buy), (n, tif, reduce_only, client_id))| {
                    Action::ClientOrder(ClientOrder {
                        signer,
                        account,
                        market,
                        is_buy,
                        price: n[0],
                        size: n[1],
                        tif,
                        reduce_only,
                        client_id,
                        nonce: n[2],
                        expires_at: n[3],
                    })
                }
            ),
        (address(), address(), any::<u128>(), any::<[u64; 2]>()).prop_map(
            |(signer, account, client_id, n)| {
                Action::CancelByClientId(CancelByClientId {
                    signer,
                    account,
                    client_id,
                    nonce: n[0],
                    expires_at: n[1],
                })
            }
        ),
        (address(), address(), any::<u128>(), any::<[u64; 4]>()).prop_map(
            |(signer, account, client_id, n)| {
                Action::ModifyOrder(ModifyOrder {
                    signer,
                    account,
                    client_id,
                    price: n[0],
                    size: n[1],
                    nonce: n[2],
                    expires_at: n[3],
                })
            }
        ),
        (
            address(),
            address(),
            prop::collection::vec((any::<u32>(), any::<[u64; 3]>(), any::<u128>()), 1..=3),
            any::<[u64; 2]>()
        )
            .prop_map(|(signer, account, items, n)| {
                let items = items
                    .into_iter()
                    .map(|(market, m, client_id)| ModifyItem {
                        market,
                        order_nonce: m[0],
                        client_id,
                        price: m[1],
                        size: m[2],
                    })
                    .collect();
                Action::BulkModify(BulkModify {
                    signer,
                    account,
                    items: ModifyItems(items),
                    nonce: n[0],
                    expires_at: n[1],
                })
            }),
    ]
}

/// Any of the agent kinds and the dead-man kinds (names of up to 32 bytes, multi-byte characters included).
fn agent_action() -> impl Strategy<Value = Action> {
    let name = "[a-zA-Z0-9 ✓é]{0,10}";
    prop_oneof![
        (address(), address(), name, any::<[u64; 3]>()).prop_map(|(account, agent, name, n)| {
            Action::ApproveAgent(ApproveAgent {
                account,
                agent,
                name,
                valid_until: n[0],
                nonce: n[1],
                expires_at: n[2],
            })
        }),
        (address(), address(), any::<[u64; 2]>()).prop_map(|(account, agent, n)| {
            Action::RevokeAgent(RevokeAgent {
                account,
                agent,
                nonce: n[0],
                expires_at: n[1],
            })
        }),
        (
            address(),
            address(),
            any::<u32>(),
            any::<bool>(),
            any::<[u64; 4]>(),
            tif(),
            any::<bool>()
        )
            .prop_map(|(agent, account, market, is_buy, n, tif, reduce_only)| {
                Action::AgentOrder(AgentOrder {
                    agent,
                    account,
                    market,
                    is_buy,
                    price: n[0],
                    size: n[1],
                    tif,
                    reduce_only,
                    nonce: n[2],
                    expires_at: n[3],
                })
            }),
        (address(), address(), any::<u32>(), any::<[u64; 3]>()).prop_map(
            |(agent, account, market, n)| {
                Action::AgentCancel(AgentCancel {
                    agent,
                    account,
                    market,
                    order_nonce: n[0],
                    nonce: n[1],
                    expires_at: n[2],
                })
            }
        ),
        (address(), address(), any::<[u64; 2]>()).prop_map(|(agent, account, n)| {
            Action::AgentCancelAll(AgentCancelAll {
                agent,
                account,
                nonce: n[0],
                expires_at: n[1],
            })
        }),
        (address(), any::<[u64; 3]>()).prop_map(|(account, n)| {
            Action::ScheduleCancel(ScheduleCancel {
                account,
                time: n[0],
                nonce: n[1],
                expires_at: n[2],
            })
        }),
        (address(), address(), any::<[u64; 3]>()).prop_map(|(agent, account, n)| {
            Action::AgentScheduleCancel(AgentScheduleCancel {
                agent,
                account,
                time: n[0],
                nonce: n[1],
                expires_at: n[2],
            })
        }),
        (
            (address(), address(), any::<u32>(), any::<bool>()),
            (0u8..4, any::<[u64; 5]>(), any::<bool>())
        )
            .prop_map(
                |((signer, account, market, is_buy), (kind, n, reduce_only))| {
                    Action::TriggerOrder(TriggerOrder {
                        signer,
                        account,
                        market,
                        is_buy,
                        kind: TriggerKind::from_u8(kind).expect("0..4"),
                        trigger_price: n[0],
                        price: n[1],
                        size: n[2],
                        reduce_only,
                        nonce: n[3],
                        expires_at: n[4],
                    })
                }
            ),
        (address(), address(), any::<u32>(), any::<[u64; 4]>()).prop_map(
            |(signer, account, market, n)| {
                Action::TpSl(TpSl {
                    signer,
                    account,
                    market,
                    take_profit: n[0],
                    stop_loss: n[1],
                    nonce: n[2],
                    expires_at: n[3],
                })
            }
        ),
        (address(), address(), any::<[u32; 2]>(), any::<[u64; 2]>()).prop_map(
            |(signer, account, m, n)| {
                Action::SetLeverage(SetLeverage {
                    signer,
                    account,
                    market: m[0],
                    leverage: m[1],
                    nonce: n[0],
                    expires_at: n[1],
                })
            }
        ),
        (
            address(),
            address(),
            any::<(u32, bool)>(),
            any::<[u64; 2]>()
        )
            .prop_map(|(signer, account, (market, isolated), n)| {
                Action::SetMarginMode(SetMarginMode {
                    signer,
                    account,
                    market,
                    isolated,
                    nonce: n[0],
                    expires_at: n[1],
                })
            }),
        (
            address(),
            address(),
            any::<(u32, bool)>(),
            any::<[u64; 3]>()
        )
            .prop_map(|(signer, account, (market, is_add), n)| {
                Action::IsolatedMargin(IsolatedMargin {
                    signer,
                    account,
                    market,
                    is_add,
                    amount: n[0],
                    nonce: n[1],
                    expires_at: n[2],
                })
            }),
    ]
}

/// Makes `action` claim `signer` as its signer (the oracle, for price updates).
fn claimed_by(action: Action, signer: Address) -> Action {
    match action {
        Action::Order(o) => Action::Order(Order {
            account: signer,
            ..o
        }),
        Action::Cancel(c) => Action::Cancel(Cancel {
            account: signer,
            ..c
        }),
        Action::CancelAll(c) => Action::CancelAll(CancelAll {
            account: signer,
            ..c
        }),
        Action::Withdraw(w) => Action::Withdraw(Withdraw {
            account: signer,
            ..w
        }),
        Action::Liquidate(l) => Action::Liquidate(Liquidate {
            liquidator: signer,
            ..l
        }),
        price_update @ Action::PriceUpdate(_) => price_update,
        vol_update @ Action::ImpliedVolUpdate(_) => vol_update,
        Action::ApproveAgent(a) => Action::ApproveAgent(ApproveAgent {
            account: signer,
            ..a
        }),
        Action::RevokeAgent(r) => Action::RevokeAgent(RevokeAgent {
            account: signer,
            ..r
        }),
        Action::AgentOrder(o) => Action::AgentOrder(AgentOrder { agent: signer, ..o }),
        Action::AgentCancel(c) => Action::AgentCancel(AgentCancel { agent: signer, ..c }),
        Action::AgentCancelAll(c) => Action::AgentCancelAll(AgentCancelAll { agent: signer, ..c }),
        Action::ScheduleCancel(c) => Action::ScheduleCancel(ScheduleCancel {
            account: signer,
            ..c
        }),
        Action::AgentScheduleCancel(c) => {
            Action::AgentScheduleCancel(AgentScheduleCancel { agent: signer, ..c })
        }
        Action::ClientOrder(o) => Action::ClientOrder(ClientOrder { signer, ..o }),
        Action::CancelByClientId(c) => Action::CancelByClientId(CancelByClientId { signer, ..c }),
        Action::ModifyOrder(m) => Action::ModifyOrder(ModifyOrder { signer, ..m }),
        Action::TriggerOrder(t) => Action::TriggerOrder(TriggerOrder { signer, ..t }),
        Action::TpSl(t) => Action::TpSl(TpSl { signer, ..t }),
        Action::SetLeverage(l) => Action::SetLeverage(SetLeverage { signer, ..l }),
        Action::SetMarginMode(m) => Action::SetMarginMode(SetMarginMode { signer, ..m }),
        Action::IsolatedMargin(m) => Action::IsolatedMargin(IsolatedMargin { signer, ..m }),
        Action::BulkModify(b) => Action::BulkModify(BulkModify { signer, ..b }),
    }
}

/// The action with byte `index` of its canonical field encoding (after the tag) xored with
/// `mask`. Bool and tif bytes only accept some values, so if the mask makes the encoding
/// invalid, the lowest bit alone is flipped instead (0↔1, 2↔3 stay valid). A name's length
/// prefix or a byte inside a multi-byte character may have no valid flip at all: then the
/// next byte is tried (the last byte, an expiry, always has one).
fn flip_field_byte(action: &Action, index: usize, mask: u8) -> Action {
    let bytes = action.encode();
    let first = 1 + index % (bytes.len() - 1);
    let flipped = |at: usize, m: u8| {
        let mut b = bytes.clone();
        b[at] ^= m;
        Action::decode(&b).ok()
    };
    (first..bytes.len())
        .find_map(|at| flipped(at, mask).or_else(|| flipped(at, 1)))
        .expect("flipping the lowest bit of the last byte keeps the encoding valid")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn struct_hash_matches_the_naive_reference(action in action()) {
        let type_string = action.kind().type_string();
        let wire = serde_json::to_value(&action).expect("actions serialize");
        let naive = Types::default().with(type_string).hash_struct(action.type_name(), &wire["message"]);
        prop_assert_eq!(struct_hash(&action), H256(naive));
    }

    #[test]
    fn sign_verify_and_any_single_byte_change_fails(
        secret in any::<[u8; 32]>().prop_filter_map("valid private key", |b| signing_key_from_bytes(&b).ok()),
        action in action(),
        chain_id in any::<u64>(),
        contract in address(),
        field_byte in any::<usize>(),
        sig_byte in 0usize..65,
        mask in 1u8..=255,
    ) {
        let signer = address_of(&secret);
        let domain = domain_separator(chain_id, &contract);
        let signed = sign_action(&secret, claimed_by(action, signer), &domain);
        prop_assert_eq!(verify_action(&signed, &domain, &[signer]), Ok(signer));

        let changed = flip_field_byte(&signed.action, field_byte, mask);
        prop_assert_ne!(&changed, &signed.action);
        let tampered = SignedAction { action: changed, signature: signed.signature };
        prop_assert!(verify_action(&tampered, &domain, &[signer]).is_err());

        let mut sig = signed.signature;
        sig.0[sig_byte] ^= mask;
        let tampered = SignedAction { action: signed.action.clone(), signature: sig };
        if sig.0[64] == signed.signature.0[64] - 27 {
            // 27 → 0 or 28 → 1: the other spelling of the same parity, equally valid.
            prop_assert_eq!(verify_action(&tampered, &domain, &[signer]), Ok(signer));
        } else {
            prop_assert!(verify_action(&tampered, &domain, &[signer]).is_err());
        }
    }
}
