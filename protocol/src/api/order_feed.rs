//! An account's order events, the feeds' `orders` channel (`stream::OrderUpdate`), from one
//! transaction and its receipt: which order a transaction places itself, which order
//! entries the trigger orders it fired become ([`fired_orders`]), and what each event of an
//! order (placed or rejected, filled, cancelled with its reason) shows. The one home of that
//! derivation: the sequencer's journal records the placements it finds here (its own, a
//! fired trigger's from the terms it keeps) and reads its events back through these
//! constructors (`journal::order_feed`), and a verifier derives a finalized batch's events
//! with [`tx_order_events`] from its own re-execution, so both feeds send the same events
//! for the same transactions.
//!
//! Pure: what an event needs beyond the transaction and its receipt (the side and limit
//! price of an order a cancellation or a modify names, the order a client id names, a
//! fired trigger order's terms) is asked of the caller (`Resting`; a verifier reads them
//! from the state before the transaction).

use super::history::{AccountFill, Role, Side};
use super::stream::{OrderEvent, OrderUpdate};
use crate::action::{Action, L1Message, Order, TimeInForce, Tx};
use crate::engine::records::LEG_ORDER;
use crate::engine::{CancelledOrder, Fill, Receipt, Status, TriggerEvent, TriggerOutcome};
use crate::primitives::{Address, H256};

/// Where a transaction stands: its `seq`, its hash, its batch and the batch's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxAt {
    pub seq: u64,
    pub tx_hash: H256,
    pub batch_index: u64,
    pub timestamp_ms: u64,
}

/// An order's terms as an event shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Terms {
    pub market: u32,
    pub nonce: u64,
    pub side: Side,
    pub price: u64,
    pub size: u64,
}

/// The action a transaction carries (a user's, or a forced one from L1), if any.
pub fn action_of(tx: &Tx) -> Option<&Action> {
    match tx {
        Tx::User { action }
        | Tx::L1 {
            message: L1Message::Forced { action },
            ..
        } => Some(&action.action),
        Tx::L1 { .. } => None,
    }
}

/// The order a transaction places itself: an `Order`, or an `AgentOrder`'s or a
/// `ClientOrder`'s order.
pub fn placed_order(tx: &Tx) -> Option<Order> {
    match action_of(tx)? {
        Action::Order(o) => Some(o.clone()),
        Action::AgentOrder(o) => Some(o.order()),
        Action::ClientOrder(o) => Some(o.order()),
        _ => None,
    }
}

/// The side an order of `is_buy` is on.
pub fn side(is_buy: bool) -> Side {
    if is_buy { Side::Buy } else { Side::Sell }
}

/// An order's placement at `at`; its refusal when `rejected` names why (the receipt's
/// status code).
pub fn placement(at: TxAt, terms: Terms, rejected: Option<String>) -> OrderUpdate {
    OrderUpdate {
        seq: at.seq,
        tx_hash: at.tx_hash,
        batch_index: at.batch_index,
        timestamp_ms: at.timestamp_ms,
        market: terms.market,
        nonce: terms.nonce,
        event: match rejected {
            Some(_) => OrderEvent::Rejected,
            None => OrderEvent::Placed,
        },
        side: Some(terms.side),
        price: terms.price,
        size: terms.size,
        role: None,
        fee: None,
        reason: rejected,
    }
}

/// A fill of an account's order, as that order's event.
pub fn fill_event(f: &AccountFill) -> OrderUpdate {
    OrderUpdate {
        seq: f.seq,
        tx_hash: f.tx_hash,
        batch_index: f.batch_index,
        timestamp_ms: f.timestamp_ms,
        market: f.market,
        nonce: f.order_nonce,
        event: OrderEvent::Filled,
        side: Some(f.side),
        price: f.price,
        size: f.size,
        role: Some(f.role),
        fee: Some(f.fee),
        reason: None,
    }
}

/// A cancellation at `at` of order `nonce` in `market` with `remaining` left, for
/// `reason`; `entry` is the side and limit price of the order it ended (`None`: unknown,
/// shown without a side at price 0).
pub fn cancellation(
    at: TxAt,
    (market, nonce, remaining): (u32, u64, u64),
    reason: String,
    entry: Option<(Side, u64)>,
) -> OrderUpdate {
    OrderUpdate {
        seq: at.seq,
        tx_hash: at.tx_hash,
        batch_index: at.batch_index,
        timestamp_ms: at.timestamp_ms,
        market,
        nonce,
        event: OrderEvent::Cancelled,
        side: entry.map(|(side, _)| side),
        price: entry.map_or(0, |(_, price)| price),
        size: remaining,
        role: None,
        fee: None,
        reason: Some(reason),
    }
}

/// A fill at `at` as its maker's or its taker's `AccountFill`.
pub fn account_fill(at: TxAt, fill: &Fill, role: Role) -> (Address, AccountFill) {
    let (account, buys, fee, counterparty, order_nonce) = match role {
        Role::Maker => (
            fill.maker,
            !fill.taker_is_buy,
            fill.maker_fee,
            fill.taker,
            fill.maker_nonce,
        ),
        Role::Taker => (
            fill.taker,
            fill.taker_is_buy,
            fill.taker_fee,
            fill.maker,
            fill.taker_nonce,
        ),
    };
    let fill = AccountFill {
        seq: at.seq,
        tx_hash: at.tx_hash,
        batch_index: at.batch_index,
        timestamp_ms: at.timestamp_ms,
        market: fill.market,
        side: side(buys),
        role,
        price: fill.price,
        size: fill.size,
        fee,
        counterparty,
        order_nonce,
    };
    (account, fill)
}

/// The side and limit price of the order `(account, market, nonce)` as its newest entry
/// has them (a cancellation shows them; a modify keeps the side), if the caller knows it
/// (a verifier: from a placement or modify earlier in the batch, or the book in the state
/// before the transaction).
pub trait Resting {
    fn entry(&mut self, account: &Address, market: u32, nonce: u64) -> Option<(Side, u64)>;
    /// The order's newest entry is now `entry` (placed or modified by this transaction).
    fn record(&mut self, account: &Address, market: u32, nonce: u64, entry: (Side, u64));
    /// The open order `account` tagged `client_id` before this transaction, as
    /// `(market, nonce)` (what a `ModifyOrder` names).
    fn client_order(&mut self, account: &Address, client_id: u128) -> Option<(u32, u64)>;
    /// The terms the `TriggerOrder` `fired` names waited with, before this transaction
    /// fired it.
    fn trigger(&mut self, fired: &TriggerEvent) -> Option<TriggerTerms>;
}

/// A waiting `TriggerOrder`'s terms, as it set them (`price` 0: a market kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TriggerTerms {
    pub is_buy: bool,
    pub price: u64,
    pub size: u64,
    pub reduce_only: bool,
}

/// The order entry a fired `TriggerOrder` becomes: `idx` is its place among the
/// transaction's entries (1 + its place in `triggered`: 0 is the transaction's own order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FiredOrder {
    pub idx: u64,
    pub account: Address,
    pub terms: Terms,
    pub tif: TimeInForce,
    pub reduce_only: bool,
    /// The placement's status (refused: a `rejected` entry).
    pub status: Status,
    /// Whether any of it rested on the book.
    pub rested: bool,
}

/// Each `TriggerOrder` `receipt`'s transaction fired, as the order entry it becomes, with
/// the terms `terms_of` gives for it (one it gives none for is left out). A limit kind
/// keeps its limit price (placed GTC). A market kind had no price of its own (placed IOC at
/// the mark ± the slippage bound, `engine::triggers::execution_price`): its entry shows
/// what it executed at, the average price of its fills in this transaction (rounded down to
/// a price unit), or its trigger price when nothing filled. TP/SL legs close the position
/// with no terms of their own and are left out.
pub fn fired_orders<E>(
    receipt: &Receipt,
    mut terms_of: impl FnMut(&TriggerEvent) -> Result<Option<TriggerTerms>, E>,
) -> Result<Vec<FiredOrder>, E> {
    let fired = receipt
        .triggered
        .iter()
        .enumerate()
        .filter(|(_, e)| e.outcome == TriggerOutcome::Fired && e.leg == LEG_ORDER);
    let mut out = Vec::new();
    for (i, e) in fired {
        let Some(t) = terms_of(e)? else {
            continue;
        };
        let market_kind = t.price == 0;
        let price = if market_kind {
            average_fill_price(receipt, e).unwrap_or(e.trigger_price)
        } else {
            t.price
        };
        out.push(FiredOrder {
            idx: i as u64 + 1,
            account: e.account,
            terms: Terms {
                market: e.market,
                nonce: e.nonce,
                side: side(t.is_buy),
                price,
                size: t.size,
            },
            tif: if market_kind {
                TimeInForce::Ioc
            } else {
                TimeInForce::Gtc
            },
            reduce_only: t.reduce_only,
            status: e.status,
            rested: e.order.as_ref().is_some_and(|o| o.resting > 0),
        });
    }
    Ok(out)
}

/// The average price of the fills of the order `fired` placed (it is their taker), rounded
/// down; `None` when it filled nothing.
fn average_fill_price(receipt: &Receipt, fired: &TriggerEvent) -> Option<u64> {
    let (notional, size) = receipt
        .fills
        .iter()
        .filter(|f| {
            f.market == fired.market && f.taker == fired.account && f.taker_nonce == fired.nonce
        })
        .try_fold((0u128, 0u128), |(n, s), f| {
            let size = u128::from(f.size);
            Some((
                n.checked_add(u128::from(f.price) * size)?,
                s.checked_add(size)?,
            ))
        })?;
    notional
        .checked_div(size)
        .and_then(|p| u64::try_from(p).ok())
}

/// Every order event transaction `tx` (at `at`, with `receipt`) makes, each with the
/// account it belongs to, in the order the sequencer's feed sends one transaction's:
/// the order it places (placed or rejected), an accepted `ModifyOrder`'s or `BulkModify`'s
/// new entries (each order it changed, `placed` again with its new price and unfilled
/// size, on its side; one the caller does not know is left out, as the sequencer's journal
/// leaves out one it has no entry of), each `TriggerOrder` it fired ([`fired_orders`],
/// with the terms `resting` gives), then every fill (the maker's and the taker's event),
/// then every cancellation.
pub fn tx_order_events(
    at: TxAt,
    tx: &Tx,
    receipt: &Receipt,
    resting: &mut impl Resting,
) -> Vec<(Address, OrderUpdate)> {
    let mut events = Vec::new();
    if let Some(o) = placed_order(tx) {
        let terms = Terms {
            market: o.market,
            nonce: o.nonce,
            side: side(o.is_buy),
            price: o.price,
            size: o.size,
        };
        resting.record(&o.account, o.market, o.nonce, (terms.side, o.price));
        events.push((o.account, placement(at, terms, rejected(receipt.status))));
    }
    events.extend(modified(at, tx, receipt, resting));
    let fired = fired_orders(receipt, |e| {
        Ok::<_, std::convert::Infallible>(resting.trigger(e))
    });
    for f in fired.unwrap_or_else(|never| match never {}) {
        let t = f.terms;
        resting.record(&f.account, t.market, t.nonce, (t.side, t.price));
        events.push((f.account, placement(at, t, rejected(f.status))));
    }
    for fill in &receipt.fills {
        for role in [Role::Maker, Role::Taker] {
            let (account, fill) = account_fill(at, fill, role);
            events.push((account, fill_event(&fill)));
        }
    }
    for c in &receipt.cancelled {
        events.push((c.account, cancelled(at, c, resting)));
    }
    events
}

/// A `ModifyOrder`'s or a `BulkModify`'s new entries: each order it changed (the
/// modify's, by its client id; a bulk modify's, as its receipt names them), on the side it
/// had, with its new price and unfilled size. An accepted modify only, as the journal has.
fn modified(
    at: TxAt,
    tx: &Tx,
    receipt: &Receipt,
    resting: &mut impl Resting,
) -> Vec<(Address, OrderUpdate)> {
    if !receipt.status.is_ok() {
        return Vec::new();
    }
    let (account, changed): (Address, Vec<(u32, u64, u64, u64)>) = match action_of(tx) {
        Some(Action::ModifyOrder(m)) => match resting.client_order(&m.account, m.client_id) {
            Some((market, nonce)) => (m.account, vec![(market, nonce, m.price, m.size)]),
            None => return Vec::new(),
        },
        Some(Action::BulkModify(b)) => {
            let items = receipt.modified.iter();
            (
                b.account,
                items
                    .map(|m| (m.market, m.nonce, m.price, m.size))
                    .collect(),
            )
        }
        _ => return Vec::new(),
    };
    let mut events = Vec::new();
    for (market, nonce, price, size) in changed {
        let Some((side, _)) = resting.entry(&account, market, nonce) else {
            continue;
        };
        resting.record(&account, market, nonce, (side, price));
        let terms = Terms {
            market,
            nonce,
            side,
            price,
            size,
        };
        events.push((account, placement(at, terms, None)));
    }
    events
}

/// Why a placement with `status` was refused (its code), if it was.
pub fn rejected(status: Status) -> Option<String> {
    (!status.is_ok()).then(|| status.code().to_string())
}

fn cancelled(at: TxAt, c: &CancelledOrder, resting: &mut impl Resting) -> OrderUpdate {
    let entry = resting.entry(&c.account, c.market, c.nonce);
    let order = (c.market, c.nonce, c.remaining);
    cancellation(at, order, c.reason.name().to_string(), entry)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::{BulkModify, ModifyItems, Signature, SignedAction, TimeInForce};
    use crate::engine::{CancelReason, ModifiedOrder};
    use std::collections::BTreeMap;

    const ME: Address = Address([1; 20]);
    const AT: TxAt = TxAt {
        seq: 9,
        tx_hash: H256([2; 32]),
        batch_index: 3,
        timestamp_ms: 4,
    };

    /// Entries known by `(account, market, nonce)`; client ids of open orders; waiting
    /// trigger orders' terms.
    #[derive(Default)]
    struct Known(
        BTreeMap<(Address, u32, u64), (Side, u64)>,
        BTreeMap<(Address, u128), (u32, u64)>,
        BTreeMap<(Address, u32, u64), TriggerTerms>,
    );

    impl Resting for Known {
        fn entry(&mut self, account: &Address, market: u32, nonce: u64) -> Option<(Side, u64)> {
            self.0.get(&(*account, market, nonce)).copied()
        }
        fn record(&mut self, account: &Address, market: u32, nonce: u64, entry: (Side, u64)) {
            self.0.insert((*account, market, nonce), entry);
        }
        fn client_order(&mut self, account: &Address, client_id: u128) -> Option<(u32, u64)> {
            self.1.get(&(*account, client_id)).copied()
        }
        fn trigger(&mut self, fired: &TriggerEvent) -> Option<TriggerTerms> {
            self.2
                .get(&(fired.account, fired.market, fired.nonce))
                .copied()
        }
    }

    fn user(action: Action) -> Tx {
        Tx::User {
            action: SignedAction {
                action,
                signature: Signature([0; 65]),
            },
        }
    }

    fn kinds(events: &[(Address, OrderUpdate)]) -> Vec<(OrderEvent, u64, Option<Side>, u64)> {
        let kind = |(_, e): &(Address, OrderUpdate)| (e.event, e.nonce, e.side, e.price);
        events.iter().map(kind).collect()
    }

    /// A fee-free fill in market 1 where `ME` takes (with its order `nonces.1`) from
    /// another account's order `nonces.0`.
    fn my_take(nonces: (u64, u64), taker_is_buy: bool, price: u64, size: u64) -> Fill {
        Fill {
            market: 1,
            maker: Address([3; 20]),
            maker_nonce: nonces.0,
            taker: ME,
            taker_nonce: nonces.1,
            price,
            size,
            taker_is_buy,
            maker_fee: 0,
            taker_fee: 0,
        }
    }

    #[test]
    fn an_order_places_fills_and_a_cancel_shows_the_entry_it_ended() {
        let order = Order {
            account: ME,
            market: 1,
            is_buy: true,
            price: 100,
            size: 5,
            tif: TimeInForce::Gtc,
            reduce_only: false,
            nonce: 7,
            expires_at: u64::MAX,
        };
        let mut receipt = Receipt::ok();
        receipt.fills.push(Fill {
            taker_fee: 1,
            ..my_take((1, 7), true, 99, 2)
        });
        // Self-trade prevention ends the account's own resting ask 6, known from before.
        receipt.cancelled.push(CancelledOrder {
            market: 1,
            account: ME,
            nonce: 6,
            remaining: 3,
            reason: CancelReason::SelfTrade,
        });
        let mut known = Known::default();
        known.record(&ME, 1, 6, (Side::Sell, 101));
        let events = tx_order_events(AT, &user(Action::Order(order)), &receipt, &mut known);
        assert_eq!(
            kinds(&events),
            [
                (OrderEvent::Placed, 7, Some(Side::Buy), 100),
                (OrderEvent::Filled, 1, Some(Side::Sell), 99),
                (OrderEvent::Filled, 7, Some(Side::Buy), 99),
                (OrderEvent::Cancelled, 6, Some(Side::Sell), 101),
            ]
        );
        assert!(
            events
                .iter()
                .all(|(_, e)| e.seq == AT.seq && e.tx_hash == AT.tx_hash)
        );
        assert_eq!(events[3].1.reason.as_deref(), Some("self_trade"));
        assert_eq!(known.entry(&ME, 1, 7), Some((Side::Buy, 100)), "recorded");
    }

    #[test]
    fn a_bulk_modify_places_each_known_order_again_on_its_side() {
        let bulk = BulkModify {
            signer: ME,
            account: ME,
            items: ModifyItems(Vec::new()),
            nonce: 8,
            expires_at: u64::MAX,
        };
        let mut receipt = Receipt::ok();
        for nonce in [4, 5] {
            receipt.modified.push(ModifiedOrder {
                market: 1,
                nonce,
                price: 90,
                size: 2,
                kept_priority: false,
            });
        }
        let mut known = Known::default();
        known.record(&ME, 1, 4, (Side::Sell, 95));
        let events = tx_order_events(AT, &user(Action::BulkModify(bulk)), &receipt, &mut known);
        // Order 5 is unknown (as an order with no entry in the journal): left out.
        assert_eq!(
            kinds(&events),
            [(OrderEvent::Placed, 4, Some(Side::Sell), 90)]
        );
        assert_eq!(
            known.entry(&ME, 1, 4),
            Some((Side::Sell, 90)),
            "the new price"
        );
    }

    #[test]
    fn a_modify_places_its_client_ids_order_again_and_a_refused_one_nothing() {
        let modify = |client_id| {
            user(Action::ModifyOrder(crate::action::ModifyOrder {
                signer: ME,
                account: ME,
                client_id,
                price: 80,
                size: 1,
                nonce: 9,
                expires_at: u64::MAX,
            }))
        };
        let mut known = Known::default();
        known.record(&ME, 2, 4, (Side::Buy, 85));
        known.1.insert((ME, 77), (2, 4));
        let events = tx_order_events(AT, &modify(77), &Receipt::ok(), &mut known);
        assert_eq!(
            kinds(&events),
            [(OrderEvent::Placed, 4, Some(Side::Buy), 80)]
        );
        assert_eq!(events[0].1.size, 1);
        let refused = Receipt::with_status(Status::BadSignature);
        assert!(tx_order_events(AT, &modify(77), &refused, &mut known).is_empty());
        assert!(tx_order_events(AT, &modify(78), &Receipt::ok(), &mut known).is_empty());
    }

    #[test]
    fn fired_trigger_orders_are_placed_with_the_terms_they_waited_with() {
        let fired = |nonce, leg, resting| TriggerEvent {
            market: 1,
            account: ME,
            nonce,
            leg,
            trigger_price: 70,
            mark_price: 70,
            outcome: TriggerOutcome::Fired,
            status: Status::Ok,
            order: Some(crate::engine::OrderOutcome {
                filled: 0,
                resting,
                cancelled: 0,
            }),
        };
        let mut receipt = Receipt::ok();
        // A market kind that filled 1 at 72 and 3 at 68 (average 69); a limit kind that
        // rested; a TP/SL leg and a trigger order nobody knows the terms of: left out.
        receipt.triggered = vec![
            fired(1, 0, 0),
            fired(2, 0, 4),
            fired(3, 1, 0),
            fired(4, 0, 0),
        ];
        for (price, size) in [(72, 1), (68, 3)] {
            receipt.fills.push(my_take((9, 1), false, price, size));
        }
        let mut known = Known::default();
        let terms = |is_buy, price| TriggerTerms {
            is_buy,
            price,
            size: 4,
            reduce_only: false,
        };
        known.2.insert((ME, 1, 1), terms(false, 0));
        known.2.insert((ME, 1, 2), terms(true, 65));
        known.2.insert((ME, 1, 3), terms(false, 0));
        let tif = |f: &FiredOrder| (f.idx, f.tif, f.rested);
        let orders = fired_orders(&receipt, |e| Ok::<_, ()>(known.trigger(e))).unwrap();
        assert_eq!(
            orders.iter().map(tif).collect::<Vec<_>>(),
            [(1, TimeInForce::Ioc, false), (2, TimeInForce::Gtc, true)]
        );
        // A price update fires them; any transaction without an order of its own will do.
        let tx = Tx::L1 {
            queue_index: 0,
            message: L1Message::Deposit {
                account: ME,
                amount: 1,
            },
        };
        let events = tx_order_events(AT, &tx, &receipt, &mut known);
        assert_eq!(
            kinds(&events)[..2],
            [
                (OrderEvent::Placed, 1, Some(Side::Sell), 69),
                (OrderEvent::Placed, 2, Some(Side::Buy), 65),
            ]
        );
        assert_eq!(known.entry(&ME, 1, 2), Some((Side::Buy, 65)), "recorded");
    }
}
