//! The enumerated facts of the protocol, each kept in one table, checked by enumerating
//! the table: `Fault::TABLE` (journal codes, names, parsing) and `ActionKind::TABLE`
//! (encoding tags, EIP-712 type strings and hashes, forced inclusion, key bounds). Nothing
//! here hard-codes how many rows a table has.

use protocol::action::{
    Action, ActionKind, AgentOrder, BoundSizes, BulkModify, Forcible, MAX_BULK_MODIFY_ITEMS,
    ModifyItem, ModifyItems, Signature, SignedAction,
};
use protocol::codec::{Decode, Encode};
use protocol::engine::bounds::max_touched_keys;
use protocol::engine::records::MAX_OPEN_ORDERS;
use protocol::fault::Fault;
use protocol::primitives::{Address, keccak256};
use protocol::signing::type_hash;
use protocol::workload::Workload;
use serde_json::json;
use std::collections::BTreeSet;

/// Codes are 1-based and rise with the rows; a branch may leave a gap for codes another
/// branch holds (`bulk-priority` is 17 while 15 and 16 are the risk branch's).
#[test]
fn fault_codes_are_one_based_unique_and_round_trip() {
    let mut last = 0;
    for (i, row) in Fault::TABLE.iter().enumerate() {
        let fault = row.fault;
        assert!(fault.code() > last, "{fault}: rows in code order");
        last = fault.code();
        assert_eq!(Fault::from_code(fault.code()), Some(fault));
        assert_eq!(fault.row(), row);
        assert_eq!(Fault::ALL[i], fault);
    }
    assert_eq!(Fault::ALL.len(), Fault::TABLE.len());
    assert_eq!(Fault::from_code(0), None, "0 is the journal's 'no fault'");
    assert_eq!(Fault::from_code(last + 1), None);
}

#[test]
fn fault_names_are_unique_and_parse_display_and_serialize_alike() {
    let names: BTreeSet<_> = Fault::ALL.iter().map(|f| f.name()).collect();
    assert_eq!(names.len(), Fault::ALL.len(), "names unique");
    for fault in Fault::ALL {
        assert_eq!(fault.name().parse::<Fault>(), Ok(fault));
        assert_eq!(fault.to_string(), fault.name());
        assert_eq!(
            serde_json::to_value(fault).unwrap(),
            serde_json::json!(fault.name())
        );
        assert!(!fault.effect().is_empty(), "{fault}: says what it does");
        assert!(Fault::names().contains(fault.name()));
    }
    let err = "steal".parse::<Fault>().unwrap_err();
    assert!(err.starts_with("unknown fault \"steal\""), "{err}");
    assert!(err.ends_with(&Fault::names()), "{err}");
}

#[test]
fn only_the_reporting_faults_leave_the_state_alone() {
    for fault in Fault::ALL {
        let reports_only = matches!(fault, Fault::WrongRoot | Fault::WrongReceipt);
        assert_eq!(fault.corrupts_state(), !reports_only, "{fault}");
    }
}

/// The address the examples act for, and the other party (an agent, a signer or the
/// account liquidated) of those that name one.
const ACCOUNT: &str = "0x0707070707070707070707070707070707070707";
const OTHER: &str = "0x0909090909090909090909090909090909090909";
const LIQUIDATED: &str = "0x0808080808080808080808080808080808080808";

/// An example action of `kind` (the one place the test names each kind's fields): one row
/// per kind, its message as the wire JSON (`reduceOnly` where the kind has it).
fn example(kind: ActionKind, reduce_only: bool) -> Action {
    let message = match kind {
        ActionKind::Order => {
            json!({"account": ACCOUNT, "market": 1, "isBuy": true, "price": 50_000, "size": 3, "tif": 1, "reduceOnly": reduce_only, "nonce": 9, "expiresAt": 1_000})
        }
        ActionKind::Cancel => {
            json!({"account": ACCOUNT, "market": 0, "orderNonce": 4, "nonce": 5, "expiresAt": 1_000})
        }
        ActionKind::CancelAll => json!({"account": ACCOUNT, "nonce": 6, "expiresAt": 1_000}),
        ActionKind::Withdraw => {
            json!({"account": ACCOUNT, "amount": 10, "nonce": 7, "expiresAt": 1_000})
        }
        ActionKind::Liquidate => {
            json!({"liquidator": ACCOUNT, "account": LIQUIDATED, "market": 1, "nonce": 8, "expiresAt": 1_000})
        }
        ActionKind::PriceUpdate => json!({"market": 0, "price": 49_000, "timestampMs": 1_000}),
        ActionKind::ApproveAgent => {
            json!({"account": ACCOUNT, "agent": OTHER, "name": "bot ✓", "validUntil": 2_000, "nonce": 10, "expiresAt": 1_000})
        }
        ActionKind::RevokeAgent => {
            json!({"account": ACCOUNT, "agent": OTHER, "nonce": 11, "expiresAt": 1_000})
        }
        ActionKind::AgentOrder => {
            let Action::Order(order) = example(ActionKind::Order, reduce_only) else {
                unreachable!("an Order example")
            };
            return Action::AgentOrder(AgentOrder::new(Address([9; 20]), order));
        }
        ActionKind::AgentCancel => {
            json!({"agent": OTHER, "account": ACCOUNT, "market": 0, "orderNonce": 4, "nonce": 12, "expiresAt": 1_000})
        }
        ActionKind::AgentCancelAll => {
            json!({"agent": OTHER, "account": ACCOUNT, "nonce": 13, "expiresAt": 1_000})
        }
        ActionKind::ImpliedVolUpdate => json!({"market": 1, "volPpm": 800_000, "timestampMs": 16}),
        ActionKind::ScheduleCancel => {
            json!({"account": ACCOUNT, "time": 30_000, "nonce": 14, "expiresAt": 1_000})
        }
        ActionKind::AgentScheduleCancel => {
            json!({"agent": OTHER, "account": ACCOUNT, "time": 0, "nonce": 15, "expiresAt": 1_000})
        }
        // u128 members beyond 2^64 as decimal strings (JSON numbers stop there).
        ActionKind::ClientOrder => {
            json!({"signer": OTHER, "account": ACCOUNT, "market": 1, "isBuy": false, "price": 50_000, "size": 3, "tif": 0, "reduceOnly": reduce_only, "clientId": (u128::MAX - 1).to_string(), "nonce": 16, "expiresAt": 1_000})
        }
        ActionKind::CancelByClientId => {
            json!({"signer": ACCOUNT, "account": ACCOUNT, "clientId": (1u128 << 100).to_string(), "nonce": 17, "expiresAt": 1_000})
        }
        ActionKind::ModifyOrder => {
            json!({"signer": ACCOUNT, "account": ACCOUNT, "clientId": 5, "price": 51_000, "size": 2, "nonce": 18, "expiresAt": 1_000})
        }
        ActionKind::TriggerOrder => {
            json!({"signer": OTHER, "account": ACCOUNT, "market": 1, "isBuy": false, "kind": 1, "triggerPrice": 48_000, "price": 47_000, "size": 3, "reduceOnly": reduce_only, "nonce": 16, "expiresAt": 1_000})
        }
        ActionKind::TpSl => {
            json!({"signer": ACCOUNT, "account": ACCOUNT, "market": 1, "takeProfit": 55_000, "stopLoss": 45_000, "nonce": 17, "expiresAt": 1_000})
        }
        ActionKind::SetLeverage => {
            json!({"signer": ACCOUNT, "account": ACCOUNT, "market": 1, "leverage": 5, "nonce": 19, "expiresAt": 1_000})
        }
        ActionKind::SetMarginMode => {
            json!({"signer": ACCOUNT, "account": ACCOUNT, "market": 1, "isolated": true, "nonce": 20, "expiresAt": 1_000})
        }
        ActionKind::IsolatedMargin => {
            json!({"signer": ACCOUNT, "account": ACCOUNT, "market": 1, "isAdd": true, "amount": 25_000_000, "nonce": 21, "expiresAt": 1_000})
        }
        ActionKind::BulkModify => json!({"signer": OTHER, "account": ACCOUNT, "items": [
            {"market": 0, "orderNonce": 0, "clientId": u128::MAX.to_string(), "price": 51_000, "size": 0},
            {"market": 2, "orderNonce": 7, "clientId": 0, "price": 0, "size": 4},
        ], "nonce": 22, "expiresAt": 1_000}),
    };
    let action = json!({"type": kind.name(), "message": message});
    serde_json::from_value(action).unwrap_or_else(|e| panic!("{kind:?} example: {e}"))
}

/// A kind whose members reference a struct type includes that struct's own type string,
/// and the item count is refused outside 1..=16 in bytes and in JSON alike.
#[test]
fn bulk_modify_includes_its_item_type_and_bounds_its_items() {
    assert!(
        ActionKind::BulkModify
            .type_string()
            .ends_with(&format!("){}", ModifyItem::TYPE_STRING)),
        "{}",
        ActionKind::BulkModify.type_string()
    );
    let Action::BulkModify(mut b) = example(ActionKind::BulkModify, false) else {
        unreachable!()
    };
    let item = b.items.0[0].clone();
    for (n, ok) in [(0, false), (1, true), (MAX_BULK_MODIFY_ITEMS, true)] {
        b.items = ModifyItems(vec![item.clone(); n]);
        let action = Action::BulkModify(b.clone());
        assert_eq!(Action::decode(&action.encode()).is_ok(), ok, "{n} items");
        let json = serde_json::to_value(&b).unwrap();
        let parsed = serde_json::from_value::<BulkModify>(json);
        assert_eq!(parsed.is_ok(), ok, "{n} items: {parsed:?}");
    }
    let mut json = serde_json::to_value(&b).unwrap();
    let first = json["items"][0].clone();
    json["items"].as_array_mut().unwrap().push(first);
    let err = serde_json::from_value::<BulkModify>(json)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("17 items; a BulkModify changes 1 to 16 orders"),
        "{err}"
    );
}

#[test]
fn action_tags_names_and_type_hashes_come_from_one_table() {
    let mut names = BTreeSet::new();
    for (i, row) in ActionKind::TABLE.iter().enumerate() {
        let kind = row.kind;
        assert_eq!(
            usize::from(kind.tag()),
            i,
            "{}: rows in tag order",
            row.name
        );
        assert_eq!(ActionKind::from_tag(kind.tag()), Some(kind));
        assert_eq!(ActionKind::from_name(row.name), Some(kind));
        assert!(names.insert(row.name), "{}: names unique", row.name);
        assert!(
            row.type_string.starts_with(&format!("{}(", row.name)),
            "{}: {}",
            row.name,
            row.type_string
        );
        assert_eq!(
            row.type_hash,
            keccak256(row.type_string.as_bytes()),
            "{}",
            row.name
        );
        assert!(ActionKind::names().contains(row.name));
    }
    let past = u8::try_from(ActionKind::TABLE.len()).unwrap();
    assert_eq!(ActionKind::from_tag(past), None);
}

#[test]
fn every_action_kind_round_trips_through_bytes_and_json() {
    for row in ActionKind::TABLE {
        let action = example(row.kind, false);
        assert_eq!(action.kind(), row.kind);
        assert_eq!(action.type_name(), row.name);
        let bytes = action.encode();
        assert_eq!(bytes[0], row.kind.tag(), "{}: tag first", row.name);
        assert_eq!(Action::decode(&bytes), Ok(action.clone()), "{}", row.name);
        assert_eq!(type_hash(&action), row.type_hash);
        let signed = SignedAction {
            action,
            signature: Signature([1; 65]),
        };
        let json = serde_json::to_value(&signed).unwrap();
        assert_eq!(json["type"], row.name);
        let back: SignedAction = serde_json::from_value(json).unwrap();
        assert_eq!(back, signed, "{}", row.name);
    }
}

#[test]
fn touched_key_bounds_are_positive_and_the_largest_bounds_every_transaction() {
    let genesis = Workload::new(1, 1).genesis;
    let sizes = BoundSizes {
        markets: genesis.markets.len(),
        fills: genesis.max_fills_per_order as usize,
        open_orders: MAX_OPEN_ORDERS as usize,
    };
    let smallest = BoundSizes {
        markets: 1,
        fills: 0,
        open_orders: 0,
    };
    for row in ActionKind::TABLE {
        assert!(row.kind.max_touched(smallest) > 0, "{}", row.name);
        assert!(
            row.kind.max_touched(sizes) < max_touched_keys(&genesis),
            "{}: a forced one (+1) still fits the batch bound",
            row.name
        );
    }
}

#[test]
fn only_actions_that_get_a_user_out_may_be_forced() {
    for row in ActionKind::TABLE {
        for reduce_only in [false, true] {
            let action = example(row.kind, reduce_only);
            let expected = match row.forcible {
                Forcible::Always => true,
                Forcible::Never => false,
                Forcible::IfReduceOnly => reduce_only,
            };
            match action.check_forcible() {
                Ok(()) => assert!(expected, "{} forced", row.name),
                Err(e) => {
                    assert!(!expected, "{} refused: {e}", row.name);
                    assert!(
                        e.to_string()
                            .starts_with(&format!("{} cannot be forced", row.name))
                    );
                }
            }
        }
    }
    // The rule itself, stated once more by hand so a table edit cannot change it silently.
    let forcible: Vec<_> = ActionKind::TABLE
        .iter()
        .filter(|row| row.forcible != Forcible::Never)
        .map(|row| row.name)
        .collect();
    assert_eq!(
        forcible,
        ["Order", "Cancel", "CancelAll", "Withdraw", "PriceUpdate"]
    );
}
