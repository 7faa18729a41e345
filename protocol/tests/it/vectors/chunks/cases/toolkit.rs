//! The `toolkit_client_orders` case (Part 4 §20): alice's good-till-time ask has expired by
//! the chunk's timestamp and the first transaction's sweep removes it (reason `expired`);
//! bob's ask carries client id 7: a second order with that id is refused, he shrinks it in
//! place (keeping its priority), moves its price (a new place in the book), and cancels it
//! by client id; a cancel of an id nobody uses is refused.

use super::super::world::{ALICE, BOB, BTC, BTC_UNIT, CAROL, USD, World};
use super::{BTC_50K, Case, MILLION_USD, btc_world};
use protocol::action::{
    Action, BulkModify, CancelByClientId, ClientOrder, ModifyItem, ModifyItems, ModifyOrder,
    NO_EXPIRY, TimeInForce, Tx,
};
use protocol::engine::Status;

fn ask(w: &mut World, trader: usize, (price, client_id): (u64, u128), expires_at: u64) -> Tx {
    let account = w.address(trader);
    let action = Action::ClientOrder(ClientOrder {
        signer: account,
        account,
        market: BTC,
        is_buy: false,
        price,
        size: BTC_UNIT,
        tif: TimeInForce::Gtc,
        reduce_only: false,
        client_id,
        nonce: w.nonce(trader),
        expires_at,
    });
    w.sign(trader, action)
}

fn modify(w: &mut World, trader: usize, client_id: u128, price: u64, size: u64) -> Tx {
    let account = w.address(trader);
    let action = Action::ModifyOrder(ModifyOrder {
        signer: account,
        account,
        client_id,
        price,
        size,
        nonce: w.nonce(trader),
        expires_at: w.expires_at(),
    });
    w.sign(trader, action)
}

fn cancel(w: &mut World, trader: usize, client_id: u128) -> Tx {
    let account = w.address(trader);
    let action = Action::CancelByClientId(CancelByClientId {
        signer: account,
        account,
        client_id,
        nonce: w.nonce(trader),
        expires_at: w.expires_at(),
    });
    w.sign(trader, action)
}

pub fn toolkit_client_orders() -> Case {
    let mut w = btc_world(&[ALICE, BOB, CAROL], MILLION_USD);
    let expiry = w.now + 500;
    let gtt = ask(&mut w, ALICE, (BTC_50K, 1), expiry);
    let tagged = ask(&mut w, BOB, (BTC_50K + 100 * USD, 7), NO_EXPIRY);
    w.setup([gtt, tagged]);
    w.now = expiry + 1;
    let mut case = Case::start(
        &w,
        "toolkit_client_orders",
        "client orders: alice's good-till-time ask expired 1 ms before the chunk and the first \
         transaction's sweep removes it; bob's client id 7 is taken, shrunk in place, repriced \
         and cancelled by client id; an unknown client id is refused",
    );
    let price = w.price(BTC, BTC_50K);
    let why = "an oracle update 1 ms after alice's expiresAt: its sweep removes her ask (expired)";
    case.push(Status::Ok, why, price);
    let again = ask(&mut w, BOB, (BTC_50K + 200 * USD, 7), NO_EXPIRY);
    let why = "bob's second order with client id 7 while the first rests: refused";
    case.push(Status::ClientIdTaken, why, again);
    let shrink = modify(&mut w, BOB, 7, BTC_50K + 100 * USD, BTC_UNIT / 2);
    let why = "bob halves order 7 at the same price: rewritten in place, priority kept";
    case.push(Status::Ok, why, shrink);
    let reprice = modify(&mut w, BOB, 7, BTC_50K + 150 * USD, BTC_UNIT / 2);
    let why = "bob moves order 7 to 50,150: placed again, same order id, a new time priority";
    case.push(Status::Ok, why, reprice);
    let unknown = cancel(&mut w, CAROL, 7);
    let why = "carol cancels client id 7, which is bob's, not hers: refused";
    case.push(Status::ClientOrderNotFound, why, unknown);
    let gone = cancel(&mut w, BOB, 7);
    case.push(Status::Ok, "bob cancels order 7 by its client id", gone);
    case
}

/// A `BulkModify` of bob's asks, by client id.
fn bulk(w: &mut World, trader: usize, items: Vec<ModifyItem>) -> Tx {
    let account = w.address(trader);
    let action = Action::BulkModify(BulkModify {
        signer: account,
        account,
        items: ModifyItems(items),
        nonce: w.nonce(trader),
        expires_at: w.expires_at(),
    });
    w.sign(trader, action)
}

/// The `toolkit_bulk_modify` case (Part 4 §27): bob's asks 7 (50,100) and 8 (50,200), carol's
/// bid at 49,900. One action moves ask 7 to 50,050 and halves ask 8 in place; an item naming
/// its order both ways, a move of ask 7 onto carol's bid (the book would cross) and an
/// unknown client id are each refused whole.
pub fn toolkit_bulk_modify() -> Case {
    let mut w = btc_world(&[ALICE, BOB, CAROL], MILLION_USD);
    let seven = ask(&mut w, BOB, (BTC_50K + 100 * USD, 7), NO_EXPIRY);
    let eight = ask(&mut w, BOB, (BTC_50K + 200 * USD, 8), NO_EXPIRY);
    let bid = w.order_tx(
        CAROL,
        BTC,
        (true, BTC_50K - 100 * USD, BTC_UNIT),
        TimeInForce::Gtc,
    );
    w.setup([seven, eight, bid]);
    w.now += 10;
    let mut case = Case::start(
        &w,
        "toolkit_bulk_modify",
        "bulk modify: bob moves ask 7 to 50,050 and halves ask 8 in place in one action; an \
         item with a client id and an order nonce, a move onto carol's 49,900 bid (a crossed \
         book) and an unknown client id are each refused whole",
    );
    let txs = [
        (
            vec![
                ModifyItem::by_client_id(7, BTC_50K + 50 * USD, 0),
                ModifyItem::by_client_id(8, 0, BTC_UNIT / 2),
            ],
            Status::Ok,
            "ask 7 to 50,050 (a new place), ask 8 halved (priority kept)",
        ),
        (
            vec![ModifyItem {
                order_nonce: 1,
                ..ModifyItem::by_client_id(7, BTC_50K + 60 * USD, 0)
            }],
            Status::BulkModifyItemInvalid,
            "a client id and an order nonce in one item",
        ),
        (
            vec![
                ModifyItem::by_client_id(8, BTC_50K + 300 * USD, 0),
                ModifyItem::by_client_id(7, BTC_50K - 100 * USD, 0),
            ],
            Status::PostOnlyWouldCross,
            "ask 7 onto carol's bid: the book would cross, so ask 8 stays too",
        ),
        (
            vec![
                ModifyItem::by_client_id(7, BTC_50K + 70 * USD, 0),
                ModifyItem::by_client_id(99, BTC_50K, 0),
            ],
            Status::ClientOrderNotFound,
            "item 2 names no order: item 1 is undone",
        ),
    ];
    for (items, status, why) in txs {
        let tx = bulk(&mut w, BOB, items);
        case.push(status, why, tx);
    }
    case
}
