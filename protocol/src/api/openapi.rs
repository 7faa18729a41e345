//! OpenAPI schemas (behind the `openapi` feature) for the types the HTTP DTOs carry that
//! live outside `api`: hashes, addresses and signatures (hex strings), and the engine's,
//! batch's and genesis's serde types. The DTOs in `api` derive theirs (`utoipa::ToSchema`);
//! these are written out here so the consensus modules carry no documentation attributes.
//!
//! Fixed-width byte strings get their exact pattern. Values whose JSON is defined by the
//! engine (receipts, account views, genesis) are objects described by where their fields
//! are specified (docs/PROTOCOL.md), so a document never contradicts the code's serde
//! shape, at the cost of less detail than a derived schema would give.

use crate::action::{ActionKind, L1Message, Signature, SignedAction};
use crate::batch::Batch;
use crate::engine::Receipt;
use crate::engine::view::{
    AccountView, AgentsView, BookDepth, BookLevel, BreakerView, TriggersView,
};
use crate::fraud::FraudProof;
use crate::genesis::{Genesis, MarketParams};
use crate::primitives::{Address, H256};
use std::borrow::Cow;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

/// A `0x`-prefixed hex string of exactly `bytes` bytes.
fn hex_string(bytes: usize, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^0x[0-9a-fA-F]{{{}}}$", bytes * 2)))
        .description(Some(description))
        .into()
}

/// A JSON object whose fields a section of the spec defines.
fn described_object(description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
        .into()
}

fn integer(minimum: Option<i64>) -> ObjectBuilder {
    let mut b = ObjectBuilder::new().schema_type(Type::Integer);
    if let Some(min) = minimum {
        b = b.minimum(Some(min));
    }
    b
}

/// Implements `PartialSchema` and `ToSchema` (named after the type) from a schema function.
macro_rules! schema_of {
    ($($ty:ty => $name:literal, $schema:expr;)*) => {$(
        impl PartialSchema for $ty {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }
        impl ToSchema for $ty {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
        }
    )*};
}

schema_of! {
    H256 => "H256", hex_string(32, "A 32-byte hash (keccak256), 0x-hex.");
    Address => "Address", hex_string(20, "A 20-byte Ethereum address, 0x-hex (any case).");
    Signature => "Signature", hex_string(65, "A 65-byte ECDSA signature r ‖ s ‖ v, 0x-hex.");
    SignedAction => "SignedAction", signed_action();
    L1Message => "L1Message", described_object(
        "An L1 queue message: {\"deposit\": {account, amount}} or {\"forced\": {action}} \
         (docs/PROTOCOL.md, L1 messages).");
    Receipt => "Receipt", described_object(
        "What happened to a transaction: status (the engine's stable code), detail, fills, \
         cancelled orders, the order's outcome, withdrawal_id, liquidation, and when \
         present agent, dead_man, triggered, settled, and modified (a BulkModify's orders \
         [{market, nonce, price, size, kept_priority}] in item order, Part 4 §27) \
         (docs/PROTOCOL.md Part 4, receipts).");
    AccountView => "AccountView", described_object(
        "An account at the current state: address, collateral, equity, initial and \
         maintenance margin, order margin, liquidatable markets, positions, open orders, \
         leverage per market [{market, leverage, max_leverage, initial_margin_bps}], \
         margin mode per market [{market, mode (cross, isolated), isolated_margin, \
         isolated_equity, isolated_maintenance_margin}]; collateral, equity and the margins \
         are the cross account's (micro-USDC integers; docs/spec/sequencer.md; leverage: \
         docs/PROTOCOL.md Part 4 §22; isolated margin: §26).");
    AgentsView => "AgentsView", described_object(
        "An account's agent keys: account, and agents [{agent, name, valid_until (ms, 0 = \
         until revoked), active}] in agent-address order (docs/PROTOCOL.md Part 4 §18).");
    TriggersView => "TriggersView", described_object(
        "An account's trigger orders and TP/SL legs waiting for the mark: account, and \
         triggers [{market, nonce, leg (order, take_profit, stop_loss), is_buy, kind (0 \
         stop-market, 1 stop-limit, 2 take-profit-market, 3 take-profit-limit), \
         trigger_price, price, size (0: the whole position), reduce_only}] \
         (docs/PROTOCOL.md Part 4 §21).");
    BookLevel => "BookLevel", book_level();
    BookDepth => "BookDepth", book_depth();
    BreakerView => "BreakerView", described_object(
        "A market's circuit breaker: {\"state\": \"open\"} or {\"state\": \"reduce_only\", \
         reason, since_ms, resumes_at_ms, detail} (docs/PROTOCOL.md Part 4 §7.1).");
    MarketParams => "MarketParams", described_object(
        "A market's genesis terms: id, symbol, size decimals, tick and lot size, margin and \
         fee rates, funding and breaker parameters (docs/PROTOCOL.md, genesis).");
    Genesis => "Genesis", described_object(
        "The chain's parameters and markets (docs/PROTOCOL.md, genesis).");
    FraudProof => "FraudProof", fraud_proof();
    Batch => "Batch", described_object(
        "A batch as JSON: header, transactions, checkpoints and receipt roots \
         (docs/PROTOCOL.md, batches); `{\"data\": \"0x…\"}` posts the canonical bytes instead.");
}

/// `{"type", "message", "signature"}`; `type` is one of the action kinds' names, read from
/// `ActionKind::TABLE` so a new kind appears in every document without an edit here.
fn signed_action() -> RefOr<Schema> {
    let names: Vec<&str> = ActionKind::TABLE.iter().map(|row| row.name).collect();
    let kind = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(
            "A signed action: its EIP-712 primary type, the message's fields \
             (docs/PROTOCOL.md Part 2) and the signature.",
        ))
        .property("type", kind)
        .property("message", ObjectBuilder::new().schema_type(Type::Object))
        .property("signature", Signature::schema())
        .required("type")
        .required("message")
        .required("signature")
        .into()
}

fn book_level() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("price", integer(Some(0)))
        .property("size", integer(Some(0)))
        .property("orders", integer(Some(0)))
        .required("price")
        .required("size")
        .required("orders")
        .into()
}

fn book_depth() -> RefOr<Schema> {
    let side = || ArrayBuilder::new().items(book_level());
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("market", integer(Some(0)))
        .property("bids", side())
        .property("asks", side())
        .required("market")
        .required("bids")
        .required("asks")
        .into()
}

fn fraud_proof() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("batch_index", integer(Some(0)))
        .property("chunk", integer(Some(0)))
        .property(
            "witness",
            ObjectBuilder::new()
                .schema_type(SchemaType::new(Type::String))
                .pattern(Some("^0x([0-9a-fA-F]{2})*$")),
        )
        .required("batch_index")
        .required("chunk")
        .required("witness")
        .into()
}
