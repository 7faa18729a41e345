//! Non-trading actions and common checks: cancels, the open-order limit, the nonce
//! window, expiry, signatures, the reserved address, oracle updates, staleness, and the
//! canonical receipt encoding.

use super::*;
use TimeInForce::{Gtc, Ioc};
use protocol::codec::Encode;
use protocol::engine::{CancelReason, INSURANCE_FUND};

#[test]
fn cancel_and_cancel_all() {
    let a = addr(1);
    let mut sim = toy_sim(1, 1_000 * USD);
    sim.price(BTC, 50_000_000_000);
    let mut nonces = vec![];
    for price in [90, 91, 92] {
        let o = sim.order_msg(a, TOY, (true, price * 1_000_000, 1), Gtc);
        nonces.push(o.nonce);
        sim.act(Action::Order(o));
    }
    sim.order(a, BTC, (true, 49_000_000_000, 1), Gtc);
    expect(&sim.cancel(a, TOY, 999), Status::OrderNotFound);
    expect(&sim.cancel(a, BTC, nonces[0]), Status::OrderNotFound);
    expect(&sim.cancel(a, 7, nonces[0]), Status::UnknownMarket);
    let r = sim.cancel(a, TOY, nonces[1]);
    assert_eq!(
        (r.cancelled[0].nonce, r.cancelled[0].reason),
        (nonces[1], CancelReason::User)
    );
    assert_eq!(sim.account(a).open_orders, 3);
    let r = sim.cancel_all(a);
    assert_eq!(r.cancelled.len(), 3);
    let acct = sim.account(a);
    assert_eq!((acct.open_orders, acct.markets.len()), (0, 0));
    assert!(sim.view(a).open_orders.is_empty());
    assert_eq!(
        sim.cancel_all(a).status,
        Status::Ok,
        "nothing to cancel is fine"
    );
}

#[test]
fn open_order_limit() {
    let a = addr(1);
    let mut sim = toy_sim(1, 1_000 * USD);
    for _ in 0..64 {
        expect(&sim.order(a, TOY, (true, 90_000_000, 1), Gtc), Status::Ok);
    }
    expect(
        &sim.order(a, TOY, (true, 90_000_000, 1), Gtc),
        Status::TooManyOpenOrders,
    );
    expect(&sim.order(a, TOY, (true, 90_000_000, 1), Ioc), Status::Ok);
    assert_eq!(sim.view(a).open_orders.len(), 64);
}

#[test]
fn nonce_window_through_the_engine() {
    let a = addr(1);
    let mut sim = toy_sim(1, 1_000 * USD);
    let cancel_all = |nonce| {
        Action::CancelAll(CancelAll {
            account: a,
            nonce,
            expires_at: u64::MAX,
        })
    };
    for n in (101..=164).rev() {
        expect(&sim.act(cancel_all(n)), Status::Ok);
    }
    expect(&sim.act(cancel_all(150)), Status::NonceAlreadyUsed);
    expect(&sim.act(cancel_all(100)), Status::NonceTooLow);
    expect(&sim.act(cancel_all(101)), Status::NonceAlreadyUsed);
    expect(&sim.act(cancel_all(165)), Status::Ok);
    expect(&sim.act(cancel_all(101)), Status::NonceTooLow);
    // A rejected action does not consume its nonce.
    let bad = Order {
        market: 9,
        nonce: 500,
        ..sim.order_msg(a, TOY, (true, P100, 1), Gtc)
    };
    expect(&sim.act(Action::Order(bad.clone())), Status::UnknownMarket);
    expect(
        &sim.act(Action::Order(Order { market: TOY, ..bad })),
        Status::Ok,
    );
}

#[test]
fn signatures_and_reserved_account() {
    let a = addr(1);
    let mut sim = toy_sim(1, 1_000 * USD);
    let o = sim.order_msg(a, TOY, (true, P100, 1), Gtc);
    let r = sim.apply(signed(Action::Order(o.clone())), Err(SignatureError::HighS));
    assert_eq!(r.status, Status::BadSignature);
    assert!(r.detail.unwrap().contains("high half"));
    let mismatch = SignatureError::SignerMismatch {
        recovered: addr(9),
        claimed: a,
    };
    let r = sim.apply(signed(Action::Order(o.clone())), Err(mismatch));
    assert_eq!(r.status, Status::SignerMismatch);
    assert!(r.detail.unwrap().contains(&addr(9).to_string()));
    expect(
        &sim.apply(signed(Action::Order(o.clone())), Ok(addr(9))),
        Status::SignerMismatch,
    );
    let fund_order = Order {
        account: INSURANCE_FUND,
        ..o
    };
    expect(
        &sim.apply(signed(Action::Order(fund_order)), Ok(INSURANCE_FUND)),
        Status::ReservedAccount,
    );
    expect(
        &sim.liquidate(a, INSURANCE_FUND, TOY),
        Status::ReservedAccount,
    );
}

#[test]
fn oracle_updates() {
    let mut sim = Sim::new();
    let update = |market, price, timestamp_ms| {
        Action::PriceUpdate(PriceUpdate {
            market,
            price,
            timestamp_ms,
        })
    };
    expect(
        &sim.apply(signed(update(TOY, P100, 1_000)), Ok(addr(1))),
        Status::NotOracle,
    );
    let not_oracle = SignatureError::SignerMismatch {
        recovered: addr(1),
        claimed: ORACLE,
    };
    expect(
        &sim.apply(signed(update(TOY, P100, 1_000)), Err(not_oracle)),
        Status::NotOracle,
    );
    expect(&sim.act(update(TOY, 0, 1_000)), Status::InvalidPrice);
    expect(&sim.act(update(9, P100, 1_000)), Status::UnknownMarket);
    expect(
        &sim.act(update(TOY, P100, 1_001)),
        Status::OraclePriceFromFuture,
    );
    expect(&sim.act(update(TOY, P100, 1_000)), Status::Ok);
    let replay = sim.act(update(TOY, P100, 1_000));
    expect(&replay, Status::OraclePriceNotNewer);
    assert_eq!(sim.market(TOY).mark_price, P100);
}

#[test]
fn stale_price_allows_only_risk_reducing_orders() {
    let (a, b) = (addr(1), addr(2));
    let mut sim = toy_sim(2, 1_000 * USD);
    sim.order(b, TOY, (false, P100, 1), Gtc);
    sim.order(a, TOY, (true, P100, 1), Ioc); // a long 1, b short 1
    sim.order(b, TOY, (true, 99_000_000, 1), Gtc);
    sim.now += 60_001;
    expect(&sim.order(a, TOY, (true, P100, 1), Ioc), Status::StalePrice);
    expect(
        &sim.order(a, TOY, (false, 99_000_000, 1), Ioc),
        Status::StalePrice,
    );
    let closing = sim.order_msg(a, TOY, (false, 99_000_000, 1), Ioc);
    let r = sim.reduce_only(closing);
    assert_eq!(fills(&r), vec![(b, 99_000_000, 1)]);
    assert_eq!(sim.position(a, TOY).size, 0);
    assert_eq!(sim.position(b, TOY).size, 0);
}

#[test]
fn receipts_have_a_canonical_encoding() {
    let (a, b) = (addr(1), addr(2));
    let mut sim = toy_sim(2, 1_000 * USD);
    sim.order(a, TOY, (false, P100, 1), Gtc);
    let r = sim.order(b, TOY, (true, P100, 1), Ioc);
    let bytes = r.encode();
    // status(2) + fills count(4) + one fill(4+20+8+20+8+8+8+1+16+16) + cancelled(4)
    // + order(1+24) + withdrawal(1) + liquidation(1)
    assert_eq!(bytes.len(), 2 + 4 + 109 + 4 + 25 + 1 + 1);
    assert_eq!(&bytes[..2], &[0, 0]);
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(serde_json::from_str::<Receipt>(&json).unwrap(), r);
}
