//! The touched-path bound of `engine::bounds` is reached, not just respected: an order
//! that uses all of its fill events against makers holding positions in every market and
//! quoting with `ClientOrder` terms (an expiry and a client id), then rests, touches
//! `8 + F·(M + 6) + 2·(M − 1) + M` paths (plus the dead-man sweep's empty probe): the bound
//! `11 + F·(M + 7) + 2·(M − 1) + M` (the last M: its leverage leaf in each market) less the F + 2 ADL index moves it does not need and the
//! funding premium's probe of its own side (its resting order is that side's best, already
//! touched). (`Sim` asserts the
//! bound after every transaction of every test, including the random workloads.)

use super::*;
use TimeInForce::{Gtc, Ioc};

#[test]
fn a_maximal_order_touches_exactly_the_bound() {
    // Without option schedules, M is the genesis's market count (with them it counts the
    // series an account may hold too, `engine::bounds`).
    let mut sim = Sim::with_genesis(Genesis {
        options: vec![],
        ..genesis()
    });
    let (m, f) = (sim.g.markets.len(), sim.g.max_fills_per_order as usize);
    sim.price(BTC, 50_000_000_000);
    sim.price(TOY, 100_000_000);
    let taker = addr(100);
    let makers: Vec<Address> = (1..=f as u8)
        .collect::<Vec<_>>()
        .into_iter()
        .map(addr)
        .collect();
    for who in makers.iter().chain([&taker, &addr(101)]) {
        sim.deposit(*who, 100_000 * USD);
    }
    // Everyone holds a BTC position (makers pairwise, the taker against addr(101)).
    for pair in makers.chunks(2) {
        sim.order(pair[0], BTC, (false, 50_000_000_000, 1), Gtc);
        expect(
            &sim.order(pair[1], BTC, (true, 50_000_000_000, 1), Ioc),
            Status::Ok,
        );
    }
    sim.order(addr(101), BTC, (false, 50_000_000_000, 1), Gtc);
    sim.order(taker, BTC, (true, 50_000_000_000, 1), Ioc);
    // The taker also holds TOY; each maker quotes 1 TOY at 100 (a fill adds risk).
    sim.order(addr(101), TOY, (false, 100_000_000, 1), Gtc);
    sim.order(taker, TOY, (true, 100_000_000, 1), Ioc);
    // Each maker's quote carries terms, so its fill deletes its expiry entry and client-id
    // leaf too.
    for who in &makers {
        let quote = protocol::action::ClientOrder {
            signer: *who,
            account: *who,
            market: TOY,
            is_buy: false,
            price: 100_000_000,
            size: 1,
            tif: Gtc,
            reduce_only: false,
            client_id: 1,
            nonce: sim.next_nonce(),
            expires_at: sim.now + 60_000,
        };
        expect(&sim.act(Action::ClientOrder(quote)), Status::Ok);
    }
    sim.order(addr(101), TOY, (false, 101_000_000, 1), Gtc);
    let r = sim.order(taker, TOY, (true, 100_000_000, f as u64 + 1), Gtc);
    assert_eq!(r.fills.len(), f);
    assert_eq!(r.order.unwrap().resting, 1);
    // Each maker opens its TOY position (one new ADL index entry, not a moved one: 1 of
    // the 2 paths the bound allows) and the taker's entry price stays 100 (0 of 2). One
    // more path is the dead-man sweep's probe, which finds no switch due; the expiry
    // sweep's probe returns the first maker's expiry entry (not due), a key its fill
    // deletes anyway (the sweeps' own bounds are added per transaction).
    // And one more: the option settlement sweep's probe of its empty index.
    // Then the TP/SL links of the taker's and each maker's position are read (1 path per
    // pair); none has a pair, which would be `TP_SL_CLOSE_PATHS - 1` more each when it
    // closes (`engine::triggers`' test of the closing fill touches exactly that).
    let tp_sl = protocol::engine::triggers::TP_SL_CLOSE_PATHS;
    assert_eq!(
        sim.last_touched,
        2 + 8 + f * (m + 6) + 2 * (m - 1) + m + (f + 1)
    );
    assert_eq!(
        sim.last_touched - 2 + f + 3 + (f + 1) * (tp_sl - 1),
        11 + f * (m + 7) + 2 * (m - 1) + m + (f + 1) * tp_sl,
        "the bound"
    );
}
