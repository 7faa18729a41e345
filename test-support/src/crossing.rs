//! The crossing order flow the throughput benches drive (the sequencer's `throughput` and
//! `vigil`'s `feed`): every order either rests or fills at once, so a run measures the
//! matching path at a steady book depth. One definition, so both benches load the
//! sequencer with the same flow.

use k256::ecdsa::SigningKey;
use protocol::action::{Action, Order, SignedAction, TimeInForce};
use protocol::primitives::H256;
use protocol::signing::{address_of, sign_action};

/// Order `i` of the flow over `traders` in `market` at `price`, signed under `domain`:
/// trader `i % n` places it, even traders resting a one-unit GTC ask and odd ones lifting
/// it with a one-unit IOC bid; each trader's nonces count up from `first_nonce`.
pub fn crossing_order(
    traders: &[SigningKey],
    market: u32,
    price: u64,
    first_nonce: u64,
    i: usize,
    domain: &H256,
) -> SignedAction {
    let t = i % traders.len();
    let key = &traders[t];
    let seller = t.is_multiple_of(2);
    let tif = if seller {
        TimeInForce::Gtc
    } else {
        TimeInForce::Ioc
    };
    let guard = (first_nonce + (i / traders.len()) as u64, u64::MAX / 2);
    let order = Order::plain(address_of(key), market, (!seller, price, 1), tif, guard);
    let action = Action::Order(order);
    sign_action(key, action, domain)
}
