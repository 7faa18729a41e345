//! The engine's key layout: every record lives under a 32-byte key `kind(1) ‖ ...`,
//! zero-padded on the right. Exported because the sequencer's read API and the settlement
//! layer (withdrawal proofs) address the same leaves.
//!
//! Accounts, positions and nonce sets are keyed by a hash of the owner so that keys spread
//! evenly over the tree. Book orders and the per-account order index are keyed in the
//! clear, in the order the engine needs to walk them: the best order of a book side is
//! the first key under `0x03 ‖ market ‖ side`, and an account's orders (in one market, or
//! in all) are the keys under `0x04 ‖ owner-hash ‖ [market]`. See docs/PROTOCOL.md Part 4 §2.

use super::owner_hash::{owner_hash, owner_market_hash};
use crate::primitives::{Address, H256};
use crate::state::Key;

pub const KIND_ACCOUNT: u8 = 0x01;
pub const KIND_POSITION: u8 = 0x02;
pub const KIND_BOOK_ORDER: u8 = 0x03;
pub const KIND_ORDER_INDEX: u8 = 0x04;
pub const KIND_MARKET: u8 = 0x05;
pub const KIND_WITHDRAWAL: u8 = 0x06;
pub const KIND_META: u8 = 0x07;
pub const KIND_NONCES: u8 = 0x08;
pub const KIND_ADL_INDEX: u8 = 0x09;
pub const KIND_INSOLVENT: u8 = 0x0a;
pub const KIND_AGENT: u8 = 0x0b;
pub const KIND_DEAD_MAN: u8 = 0x0c;
pub const KIND_DEAD_MAN_DUE: u8 = 0x0d;
pub const KIND_OPTION_SERIES: u8 = 0x0e;
pub const KIND_OPTION_LISTING: u8 = 0x0f;
pub const KIND_ORACLE_PRICES: u8 = 0x10;
pub const KIND_ORDER_EXPIRY: u8 = 0x13;
pub const KIND_OPTION_EXPIRY: u8 = 0x11;
pub const KIND_CLIENT_ID: u8 = 0x14;

/// How many bytes of keccak256(owner) a client-id key keeps, leaving room for the 16-byte
/// client id in the clear. The leaf repeats the owner, which the engine checks.
const CLIENT_ID_OWNER_BYTES: usize = 15;
pub const KIND_TRIGGER_BOOK: u8 = 0x15;
pub const KIND_TRIGGER_INDEX: u8 = 0x16;
pub const KIND_TP_SL: u8 = 0x17;
pub const KIND_LEVERAGE: u8 = 0x1b;
pub const KIND_TRIGGER_COUNT: u8 = 0x1c;

/// Trigger-book direction byte: orders that fire when the mark rises to their trigger
/// (`mark ≥ trigger`, lowest trigger first) and when it falls to it (`mark ≤ trigger`,
/// highest first). Each is walked on its own prefix, so the next order to fire is its
/// first key.
pub const TRIGGER_RISE: u8 = 0;
pub const TRIGGER_FALL: u8 = 1;

/// How many bytes of keccak256(owner) the trigger index keeps, leaving room for
/// `market ‖ nonce ‖ leg` in the clear.
const TRIGGER_INDEX_OWNER_BYTES: usize = 18;
pub const KIND_IMPLIED_VOL: u8 = 0x12;

/// How many bytes of keccak256(owner) an agent key keeps, leaving room for the agent's
/// address in the clear (so an account's agents are one prefix walk). The leaf repeats the
/// owner, which the engine checks, so a prefix collision can only hide an approval.
const AGENT_OWNER_BYTES: usize = 11;

/// ADL index side byte: longs and shorts of one market are ranked apart.
pub const ADL_LONG: u8 = 0;
pub const ADL_SHORT: u8 = 1;

/// Book side byte: bids sort before asks but each side is walked on its own prefix.
pub const SIDE_BID: u8 = 0;
pub const SIDE_ASK: u8 = 1;

/// How many bytes of keccak256(owner) the order index keeps: enough to rule out
/// collisions (152 bits) while leaving room for `market ‖ nonce` in the clear.
const ORDER_INDEX_OWNER_BYTES: usize = 19;

fn key_with(kind: u8, body: &[u8]) -> Key {
    let mut k = [0u8; 32];
    k[0] = kind;
    k[1..1 + body.len()].copy_from_slice(body);
    H256(k)
}

/// `0x01 ‖ keccak256(owner)[..31]` → `Account`.
pub fn account_key(owner: &Address) -> Key {
    key_with(KIND_ACCOUNT, &owner_hash(owner).0[..31])
}

/// `0x02 ‖ keccak256(owner ‖ market_be4)[..31]` → `Position`.
pub fn position_key(owner: &Address, market: u32) -> Key {
    key_with(KIND_POSITION, &owner_market_hash(owner, market).0[..31])
}

/// The 8-byte priority component of a book key: asks ascend by price, bids by
/// `u64::MAX − price`, so the first key of either side is its best price.
pub fn price_priority(side: u8, price: u64) -> u64 {
    if side == SIDE_BID {
        u64::MAX - price
    } else {
        price
    }
}

/// `0x03 ‖ market(4) ‖ side(1)`: the prefix of one side of one market's book.
pub fn book_side_prefix(market: u32, side: u8) -> [u8; 6] {
    let mut p = [0u8; 6];
    p[0] = KIND_BOOK_ORDER;
    p[1..5].copy_from_slice(&market.to_be_bytes());
    p[5] = side;
    p
}

/// `0x03 ‖ market(4) ‖ side(1) ‖ priority(8) ‖ seq(8) ‖ 0(10)` → `BookOrder`.
pub fn book_key(market: u32, side: u8, price: u64, seq: u64) -> Key {
    let mut k = [0u8; 32];
    k[..6].copy_from_slice(&book_side_prefix(market, side));
    k[6..14].copy_from_slice(&price_priority(side, price).to_be_bytes());
    k[14..22].copy_from_slice(&seq.to_be_bytes());
    H256(k)
}

/// The parts of a book key: (market, side, price, seq), or `None` if `key` is not one.
pub fn parse_book_key(key: &Key) -> Option<(u32, u8, u64, u64)> {
    let k = &key.0;
    if k[0] != KIND_BOOK_ORDER || k[5] > SIDE_ASK || k[22..].iter().any(|b| *b != 0) {
        return None;
    }
    let market = u32::from_be_bytes(k[1..5].try_into().expect("4 bytes"));
    let side = k[5];
    let priority = u64::from_be_bytes(k[6..14].try_into().expect("8 bytes"));
    let seq = u64::from_be_bytes(k[14..22].try_into().expect("8 bytes"));
    Some((market, side, price_priority(side, priority), seq))
}

/// `0x04 ‖ keccak256(owner)[..19]`: the prefix of all of `owner`'s order-index entries.
pub fn account_orders_prefix(owner: &Address) -> [u8; 20] {
    let mut p = [0u8; 20];
    p[0] = KIND_ORDER_INDEX;
    p[1..].copy_from_slice(&owner_hash(owner).0[..ORDER_INDEX_OWNER_BYTES]);
    p
}

/// `0x04 ‖ keccak256(owner)[..19] ‖ market(4)`: `owner`'s orders in one market.
pub fn account_market_orders_prefix(owner: &Address, market: u32) -> [u8; 24] {
    let mut p = [0u8; 24];
    p[..20].copy_from_slice(&account_orders_prefix(owner));
    p[20..].copy_from_slice(&market.to_be_bytes());
    p
}

/// `0x04 ‖ keccak256(owner)[..19] ‖ market(4) ‖ nonce(8)` → the order's book key.
/// An order's id is `(owner, nonce)`; the market is part of the key so that liquidation
/// can cancel one market's orders and `CancelAll` all of them by prefix.
pub fn order_index_key(owner: &Address, market: u32, nonce: u64) -> Key {
    let mut k = [0u8; 32];
    k[..24].copy_from_slice(&account_market_orders_prefix(owner, market));
    k[24..].copy_from_slice(&nonce.to_be_bytes());
    H256(k)
}

/// `0x05 ‖ market(4)` → `MarketState`.
pub fn market_key(market: u32) -> Key {
    key_with(KIND_MARKET, &market.to_be_bytes())
}

/// `0x10 ‖ market(4)` → `OraclePrices`: each genesis oracle signer's latest price for
/// the market (docs/PROTOCOL.md Part 4 §7).
pub fn oracle_prices_key(market: u32) -> Key {
    key_with(KIND_ORACLE_PRICES, &market.to_be_bytes())
}

/// `0x0e`: the prefix of every option series leaf (the chain view walks it).
pub const OPTION_SERIES_PREFIX: [u8; 1] = [KIND_OPTION_SERIES];

/// `0x0e ‖ series_id(4)` → `OptionSeries` (docs/PROTOCOL.md Part 8 §9).
pub fn option_series_key(series_id: u32) -> Key {
    key_with(KIND_OPTION_SERIES, &series_id.to_be_bytes())
}

/// The series id of an option series key (its bytes 1..5).
pub fn option_series_id(key: &Key) -> u32 {
    u32::from_be_bytes(key.0[1..5].try_into().expect("4 bytes"))
}

/// `0x0f` → `OptionListing`: the listing progress of every genesis option schedule.
pub fn option_listing_key() -> Key {
    key_with(KIND_OPTION_LISTING, &[])
}

/// `0x12 ‖ market(4)` → `ImpliedVols`: each oracle signer's latest implied volatility for
/// the options on `market`, and their median (docs/PROTOCOL.md Part 8 §10).
pub fn implied_vol_key(market: u32) -> Key {
    key_with(KIND_IMPLIED_VOL, &market.to_be_bytes())
}

/// `0x06 ‖ id(8)` → `Withdrawal`. The settlement layer pays a withdrawal against a Merkle
/// proof of exactly this leaf.
pub fn withdrawal_key(id: u64) -> Key {
    key_with(KIND_WITHDRAWAL, &id.to_be_bytes())
}

/// `0x07` → `Meta`: the one chain-wide record.
pub fn meta_key() -> Key {
    key_with(KIND_META, &[])
}

/// `0x08 ‖ keccak256(owner)[..31]` → `NonceSet`. Apart from the account leaf so that
/// makers' account leaves, which every fill touches, stay small in witnesses.
pub fn nonce_set_key(owner: &Address) -> Key {
    key_with(KIND_NONCES, &owner_hash(owner).0[..31])
}

/// `0x09 ‖ market(4) ‖ side(1)`: the prefix of one side of one market's ADL index.
pub fn adl_side_prefix(market: u32, side: u8) -> [u8; 6] {
    let mut p = [KIND_ADL_INDEX, 0, 0, 0, 0, side];
    p[1..5].copy_from_slice(&market.to_be_bytes());
    p
}

/// `0x09 ‖ market(4) ‖ side(1) ‖ rank(8) ‖ keccak256(owner)[..18]` → `owner(20)`: one
/// trader position in the auto-deleveraging order (the first key is ADL'd first). The
/// rank is computed by `liquidation::adl_rank`; ties fall to the owner hash.
pub fn adl_key(market: u32, side: u8, rank: u64, owner: &Address) -> Key {
    let mut body = [0u8; 31];
    body[..4].copy_from_slice(&market.to_be_bytes());
    body[4] = side;
    body[5..13].copy_from_slice(&rank.to_be_bytes());
    body[13..31].copy_from_slice(&owner_hash(owner).0[..18]);
    key_with(KIND_ADL_INDEX, &body)
}

/// (market, side, rank) of an ADL index key (`adl_key`'s layout).
pub fn parse_adl_key(key: &Key) -> (u32, u8, u64) {
    let k = &key.0;
    let market = u32::from_be_bytes([k[1], k[2], k[3], k[4]]);
    let mut rank = [0u8; 8];
    rank.copy_from_slice(&k[6..14]);
    (market, k[5], u64::from_be_bytes(rank))
}

/// `0x0a ‖ keccak256(owner)[..31]` → `owner(20)`: the account ended a liquidation below
/// zero equity (counted in `Meta.insolvent_accounts`, which pauses withdrawals).
pub fn insolvent_key(owner: &Address) -> Key {
    key_with(KIND_INSOLVENT, &owner_hash(owner).0[..31])
}

/// `0x0b ‖ keccak256(owner)[..11]`: the prefix of all of `owner`'s agent approvals.
pub fn account_agents_prefix(owner: &Address) -> [u8; 12] {
    let mut p = [0u8; 12];
    p[0] = KIND_AGENT;
    p[1..].copy_from_slice(&owner_hash(owner).0[..AGENT_OWNER_BYTES]);
    p
}

/// `0x0b ‖ keccak256(owner)[..11] ‖ agent(20)` → `AgentApproval`.
pub fn agent_key(owner: &Address, agent: &Address) -> Key {
    let mut k = [0u8; 32];
    k[..12].copy_from_slice(&account_agents_prefix(owner));
    k[12..].copy_from_slice(&agent.0);
    H256(k)
}

/// `0x0c ‖ keccak256(owner)[..31]` → `DeadManSwitch`: the account's scheduled cancel-all.
pub fn dead_man_key(owner: &Address) -> Key {
    key_with(KIND_DEAD_MAN, &owner_hash(owner).0[..31])
}

/// `0x0d`: the prefix of the dead-man due index, whose first key is the switch due first.
pub const DEAD_MAN_DUE_PREFIX: [u8; 1] = [KIND_DEAD_MAN_DUE];

/// `0x0d ‖ time(8) ‖ owner(20) ‖ 0(3)` → `owner(20)`: one scheduled switch in the order
/// the sweep fires them (time, then owner address, both in the clear).
pub fn dead_man_due_key(time_ms: u64, owner: &Address) -> Key {
    let mut body = [0u8; 28];
    body[..8].copy_from_slice(&time_ms.to_be_bytes());
    body[8..].copy_from_slice(&owner.0);
    key_with(KIND_DEAD_MAN_DUE, &body)
}

/// The time of a due-index key (its bytes 1..9).
pub fn dead_man_due_time(key: &Key) -> u64 {
    u64::from_be_bytes(key.0[1..9].try_into().expect("8 bytes"))
}

/// `0x13`: the prefix of the order-expiry index, whose first key is the resting order
/// that expires first.
pub const ORDER_EXPIRY_PREFIX: [u8; 1] = [KIND_ORDER_EXPIRY];

/// `0x13 ‖ expires_at(8) ‖ market(4) ‖ side(1) ‖ priority(8) ‖ seq(8) ‖ 0(2)` → `owner(20)`:
/// one good-till-time order in the order the expiry sweep removes them (its time, then its
/// book key, whose bytes 1..22 follow the time).
pub fn order_expiry_key(expires_at_ms: u64, book_key: &Key) -> Key {
    let mut k = [0u8; 32];
    k[0] = KIND_ORDER_EXPIRY;
    k[1..9].copy_from_slice(&expires_at_ms.to_be_bytes());
    k[9..30].copy_from_slice(&book_key.0[1..22]);
    H256(k)
}

/// The (expiry time, book key) an expiry-index key names.
pub fn parse_order_expiry_key(key: &Key) -> (u64, Key) {
    let time = u64::from_be_bytes(key.0[1..9].try_into().expect("8 bytes"));
    let mut book = [0u8; 32];
    book[0] = KIND_BOOK_ORDER;
    book[1..22].copy_from_slice(&key.0[9..30]);
    (time, H256(book))
}

/// `0x11`: the prefix of the option expiry index (the settlement sweep walks it).
pub const OPTION_EXPIRY_PREFIX: [u8; 1] = [KIND_OPTION_EXPIRY];

/// `0x11 ‖ expiry_ms(8) ‖ series_id(4)` → `series_id(4)`: one listed series not yet
/// settled, in the order the settlement sweep takes them (docs/PROTOCOL.md Part 8 §13).
pub fn option_expiry_key(expiry_ms: u64, series_id: u32) -> Key {
    let mut body = [0u8; 12];
    body[..8].copy_from_slice(&expiry_ms.to_be_bytes());
    body[8..].copy_from_slice(&series_id.to_be_bytes());
    key_with(KIND_OPTION_EXPIRY, &body)
}

/// The (expiry, series id) an option-expiry key names.
pub fn parse_option_expiry_key(key: &Key) -> (u64, u32) {
    let expiry = u64::from_be_bytes(key.0[1..9].try_into().expect("8 bytes"));
    let id = u32::from_be_bytes(key.0[9..13].try_into().expect("4 bytes"));
    (expiry, id)
}

/// `0x14 ‖ keccak256(owner)[..15] ‖ client_id(16)` → `owner(20) ‖ market(4) ‖ nonce(8)`:
/// the open order `owner` tagged with `client_id` (`ClientOrder`).
pub fn client_id_key(owner: &Address, client_id: u128) -> Key {
    let mut k = [0u8; 32];
    k[0] = KIND_CLIENT_ID;
    k[1..16].copy_from_slice(&owner_hash(owner).0[..CLIENT_ID_OWNER_BYTES]);
    k[16..].copy_from_slice(&client_id.to_be_bytes());
    H256(k)
}

/// `0x15 ‖ market(4) ‖ direction(1)`: one direction of one market's trigger book.
pub fn trigger_side_prefix(market: u32, direction: u8) -> [u8; 6] {
    let mut p = [KIND_TRIGGER_BOOK, 0, 0, 0, 0, direction];
    p[1..5].copy_from_slice(&market.to_be_bytes());
    p
}

/// The 8-byte priority of a trigger key: rising triggers ascend by price, falling ones by
/// `u64::MAX − price`, so the first key of a direction is the one the mark reaches first.
pub fn trigger_priority(direction: u8, trigger_price: u64) -> u64 {
    if direction == TRIGGER_RISE {
        trigger_price
    } else {
        u64::MAX - trigger_price
    }
}

/// `0x15 ‖ market(4) ‖ direction(1) ‖ priority(8) ‖ seq(8) ‖ 0(10)` → `TriggerRecord`.
pub fn trigger_key(market: u32, direction: u8, trigger_price: u64, seq: u64) -> Key {
    let mut k = [0u8; 32];
    k[..6].copy_from_slice(&trigger_side_prefix(market, direction));
    k[6..14].copy_from_slice(&trigger_priority(direction, trigger_price).to_be_bytes());
    k[14..22].copy_from_slice(&seq.to_be_bytes());
    H256(k)
}

/// The parts of a trigger key: (market, direction, trigger price, seq), or `None`.
pub fn parse_trigger_key(key: &Key) -> Option<(u32, u8, u64, u64)> {
    let k = &key.0;
    if k[0] != KIND_TRIGGER_BOOK || k[5] > TRIGGER_FALL || k[22..].iter().any(|b| *b != 0) {
        return None;
    }
    let market = u32::from_be_bytes(k[1..5].try_into().expect("4 bytes"));
    let direction = k[5];
    let priority = u64::from_be_bytes(k[6..14].try_into().expect("8 bytes"));
    let seq = u64::from_be_bytes(k[14..22].try_into().expect("8 bytes"));
    Some((
        market,
        direction,
        trigger_priority(direction, priority),
        seq,
    ))
}

/// `0x16 ‖ keccak256(owner)[..18]`: the prefix of all of `owner`'s trigger orders.
pub fn account_triggers_prefix(owner: &Address) -> [u8; 19] {
    let mut p = [0u8; 19];
    p[0] = KIND_TRIGGER_INDEX;
    p[1..].copy_from_slice(&owner_hash(owner).0[..TRIGGER_INDEX_OWNER_BYTES]);
    p
}

/// The (market, nonce, leg) an index key of `account_triggers_prefix` names.
pub fn parse_trigger_index_key(key: &Key) -> (u32, u64, u8) {
    let k = &key.0;
    let market = u32::from_be_bytes([k[19], k[20], k[21], k[22]]);
    let mut nonce = [0u8; 8];
    nonce.copy_from_slice(&k[23..31]);
    (market, u64::from_be_bytes(nonce), k[31])
}

/// `0x16 ‖ keccak256(owner)[..18] ‖ market(4) ‖ nonce(8) ‖ leg(1)` → the trigger key. A
/// `TriggerOrder` is leg 0; a `TpSl`'s take-profit and stop-loss are legs 1 and 2 of its
/// nonce.
pub fn trigger_index_key(owner: &Address, market: u32, nonce: u64, leg: u8) -> Key {
    let mut k = [0u8; 32];
    k[..19].copy_from_slice(&account_triggers_prefix(owner));
    k[19..23].copy_from_slice(&market.to_be_bytes());
    k[23..31].copy_from_slice(&nonce.to_be_bytes());
    k[31] = leg;
    H256(k)
}

/// `0x17 ‖ keccak256(owner ‖ market_be4)[..31]` → `TpSlLink`: the TP/SL pair attached to
/// the position.
pub fn tp_sl_key(owner: &Address, market: u32) -> Key {
    key_with(KIND_TP_SL, &owner_market_hash(owner, market).0[..31])
}

/// `0x1c ‖ keccak256(owner)[..31]` → `owner(20) ‖ count(4)`: how many trigger orders (each TP/SL leg counts
/// one) `owner` has waiting; absent when none (`engine::triggers`).
pub fn trigger_count_key(owner: &Address) -> Key {
    key_with(KIND_TRIGGER_COUNT, &owner_hash(owner).0[..31])
}

/// `0x1b ‖ keccak256(owner ‖ market_be4)[..31]` → `LeverageSetting`: the account's
/// leverage in the market (absent: the market's maximum).
pub fn leverage_key(owner: &Address, market: u32) -> Key {
    key_with(KIND_LEVERAGE, &owner_market_hash(owner, market).0[..31])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_prices_sort_first_on_both_sides() {
        assert!(book_key(1, SIDE_ASK, 100, 9) < book_key(1, SIDE_ASK, 101, 0));
        assert!(book_key(1, SIDE_BID, 101, 9) < book_key(1, SIDE_BID, 100, 0));
        // Time priority within a level.
        assert!(book_key(1, SIDE_BID, 100, 1) < book_key(1, SIDE_BID, 100, 2));
        assert_eq!(
            parse_book_key(&book_key(7, SIDE_BID, 123, 45)),
            Some((7, SIDE_BID, 123, 45))
        );
        assert!(
            book_key(7, SIDE_BID, 5, 1)
                .0
                .starts_with(&book_side_prefix(7, SIDE_BID))
        );
    }

    #[test]
    fn the_trigger_the_mark_reaches_first_sorts_first() {
        // Rising: the lowest trigger first; falling: the highest first; then time.
        assert!(trigger_key(1, TRIGGER_RISE, 100, 9) < trigger_key(1, TRIGGER_RISE, 101, 0));
        assert!(trigger_key(1, TRIGGER_FALL, 101, 9) < trigger_key(1, TRIGGER_FALL, 100, 0));
        assert!(trigger_key(1, TRIGGER_FALL, 100, 1) < trigger_key(1, TRIGGER_FALL, 100, 2));
        assert_eq!(
            parse_trigger_key(&trigger_key(7, TRIGGER_FALL, 123, 45)),
            Some((7, TRIGGER_FALL, 123, 45))
        );
        let a = Address([3; 20]);
        assert_eq!(trigger_index_key(&a, 2, 9, 1).0[31], 1);
        assert!(
            trigger_index_key(&a, 2, 9, 1)
                .0
                .starts_with(&account_triggers_prefix(&a))
        );
    }

    #[test]
    fn keys_carry_their_kind_and_order_index_nests_by_market() {
        let a = Address([9; 20]);
        assert_eq!(account_key(&a).0[0], KIND_ACCOUNT);
        assert_eq!(position_key(&a, 1).0[0], KIND_POSITION);
        assert_ne!(position_key(&a, 1), position_key(&a, 2));
        assert_eq!(nonce_set_key(&a).0[0], KIND_NONCES);
        assert_eq!(
            withdrawal_key(0x0102).0[..9],
            [KIND_WITHDRAWAL, 0, 0, 0, 0, 0, 0, 1, 2]
        );
        assert_eq!(meta_key().0, {
            let mut k = [0u8; 32];
            k[0] = KIND_META;
            k
        });
        let k = order_index_key(&a, 3, 77);
        assert!(k.0.starts_with(&account_market_orders_prefix(&a, 3)));
        assert!(k.0.starts_with(&account_orders_prefix(&a)));
        assert_eq!(k.0[24..], 77u64.to_be_bytes());
    }

    #[test]
    fn expiry_keys_sort_by_time_then_book_key_and_name_their_order() {
        let book = book_key(3, SIDE_ASK, 500, 12);
        let k = order_expiry_key(1_000, &book);
        assert_eq!(parse_order_expiry_key(&k), (1_000, book));
        assert!(k < order_expiry_key(1_001, &book_key(0, SIDE_BID, 1, 0)));
        assert!(k < order_expiry_key(1_000, &book_key(3, SIDE_ASK, 500, 13)));
        let a = Address([9; 20]);
        assert_eq!(client_id_key(&a, 5).0[0], KIND_CLIENT_ID);
        assert_eq!(client_id_key(&a, 5).0[16..], 5u128.to_be_bytes());
    }
}
