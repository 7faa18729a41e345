//! Circuit breakers (docs/PROTOCOL.md Part 4 §7.1) as tables of steps on the TOY market
//! (devnet breaker terms: 1,000 bps within 60,000 ms, cool-down 30,000 ms; max price age
//! 60,000 ms). Each step runs at a block time and states the status it must get; `Mode`
//! steps state the breaker as the sequencer's view shows it.

use super::*;
use protocol::action::TimeInForce::{self, *};
use protocol::engine::view::{MarketMode, breaker_view};

enum Step {
    /// The block time from here on (ms).
    At(u64),
    /// An oracle price (micro-USDC) signed at the current block time.
    Price(u64, Status),
    /// `(who, is_buy, price, size, tif, reduce_only, status, words the detail must hold)`.
    Order(u8, bool, u64, u64, TimeInForce, bool, Status, &'static str),
    /// The breaker now: `None` = open, else `(reason, since_ms, resumes_at_ms)`.
    Mode(Option<(&'static str, u64, u64)>),
}
use Step::*;

const P: u64 = 1_000_000; // one USD

fn run(name: &str, steps: &[Step]) {
    let (a, b) = (addr(1), addr(2));
    let mut sim = toy_sim(3, 1_000 * USD);
    // a long 1, b short 1 at 100 USD (price signed at t = 1,000).
    sim.order(b, TOY, (false, P100, 1), Gtc);
    sim.order(a, TOY, (true, P100, 1), Ioc);
    assert_eq!(sim.position(a, TOY).size, 1);
    for (i, step) in steps.iter().enumerate() {
        let at = format!("{name}, step {i}");
        match *step {
            At(t) => sim.now = t,
            Price(p, status) => assert_eq!(sim.price(TOY, p).status, status, "{at}"),
            Order(who, buy, price, size, tif, reduce_only, status, words) => {
                let o = sim.order_msg(addr(who), TOY, (buy, price, size), tif);
                let r = if reduce_only {
                    sim.reduce_only(o)
                } else {
                    sim.act(Action::Order(o))
                };
                assert_eq!(r.status, status, "{at}: {r:?}");
                let detail = r.detail.clone().unwrap_or_default();
                assert!(detail.contains(words), "{at}: {detail:?} lacks {words:?}");
            }
            Mode(want) => {
                let params = sim.g.market(TOY).unwrap().clone();
                let (ms, ctx) = (sim.market(TOY), sim.ctx());
                let v = breaker_view(&sim.g, &params, &ms, &ctx);
                let got = match v.state {
                    MarketMode::Open => None,
                    MarketMode::ReduceOnly => Some((
                        v.reason.clone().unwrap(),
                        v.since_ms.unwrap(),
                        v.resumes_at_ms.unwrap(),
                    )),
                };
                let want = want.map(|(r, s, e)| (r.to_string(), s, e));
                assert_eq!(got, want, "{at}: {v:?}");
            }
        }
    }
}

#[test]
fn a_jump_trips_reduce_only_and_a_fresh_price_after_the_cool_down_resumes() {
    let halted = Status::MarketHalted;
    run(
        "jump",
        &[
            Mode(None),
            At(5_000),
            // 100 → 111 USD: 1,100 bps of the window's 100 within 4,000 ms.
            Price(111 * P, Status::Ok),
            Mode(Some(("price_move", 5_000, 35_000))),
            // c has no position: a bid would open one.
            Order(
                3,
                true,
                100 * P,
                1,
                Gtc,
                false,
                halted,
                "moved 1100 bps within 4000 ms",
            ),
            Order(3, true, 100 * P, 1, Gtc, false, halted, "at or after 35000"),
            // a (long 1) selling 2 would flip to short 1.
            Order(1, false, 100 * P, 2, Ioc, false, halted, "reduce-only"),
            // b (short 1) bids 1: a close, it rests; a sells its 1 into it: both close.
            Order(2, true, 105 * P, 1, Gtc, false, Status::Ok, ""),
            Order(2, true, 105 * P, 1, Gtc, false, halted, ""), // 1 + 1 resting > |−1|
            Order(2, true, 105 * P, 1, Gtc, true, Status::Ok, ""), // reduce-only: allowed
            Order(1, false, 105 * P, 1, Ioc, false, Status::Ok, ""),
            // In bound but before the cool-down ends: still reduce-only.
            At(34_999),
            Price(112 * P, Status::Ok),
            Mode(Some(("price_move", 5_000, 35_000))),
            Order(3, true, 100 * P, 1, Gtc, false, halted, ""),
            // In bound (vs 111, the re-anchored window) at the end of the cool-down.
            At(35_000),
            Price(113 * P, Status::Ok),
            Mode(None),
            Order(3, true, 100 * P, 1, Gtc, false, Status::Ok, ""),
        ],
    );
}

#[test]
fn an_out_of_bound_price_after_the_cool_down_trips_again() {
    run(
        "re-trip",
        &[
            At(2_000),
            Price(89 * P, Status::Ok), // 1,100 bps down
            Mode(Some(("price_move", 2_000, 32_000))),
            At(40_000),
            Price(75 * P, Status::Ok), // 1,573 bps below 89: trips again at 40,000
            Mode(Some(("price_move", 40_000, 70_000))),
            Order(
                3,
                true,
                75 * P,
                1,
                Gtc,
                false,
                Status::MarketHalted,
                "moved 1573 bps",
            ),
        ],
    );
}

#[test]
fn the_bound_is_inclusive_and_measured_from_the_window_start() {
    run(
        "window",
        &[
            At(2_000),
            Price(110 * P, Status::Ok), // exactly 1,000 bps: in bound
            Mode(None),
            At(3_000),
            Price(105 * P, Status::Ok),
            Mode(None),
            // 100 → 111: 1,100 bps of the window start (t = 1,000), not of the last price.
            At(4_000),
            Price(111 * P, Status::Ok),
            Mode(Some(("price_move", 4_000, 34_000))),
        ],
    );
    run(
        "rolled window",
        &[
            At(61_000),
            Price(109 * P, Status::Ok), // window (100 @ 1,000) still current: 900 bps
            Mode(None),
            // 61,001 − 1,000 > 60,000: the window rolls to (109 @ 61,000); 100 → 119 would
            // have tripped, 109 → 119 is 917 bps.
            At(61_001),
            Price(119 * P, Status::Ok),
            Mode(None),
        ],
    );
}

#[test]
fn a_stale_price_trips_reduce_only_until_the_cool_down_after_it_went_stale() {
    let halted = Status::MarketHalted;
    run(
        "stale",
        &[
            // The price signed at 1,000 is stale after 61,000.
            At(61_000),
            Mode(None),
            At(61_001),
            Mode(Some(("stale_price", 61_000, 91_000))),
            // While stale, the older rule (only reduce-only orders) applies first.
            Order(3, true, 100 * P, 1, Gtc, false, Status::StalePrice, ""),
            // A fresh price records the trip; the cool-down runs from 61,000.
            Price(100 * P, Status::Ok),
            Mode(Some(("stale_price", 61_000, 91_000))),
            Order(3, true, 100 * P, 1, Gtc, false, halted, "stale since 61000"),
            Order(1, false, 100 * P, 1, Gtc, false, Status::Ok, ""), // a's close rests
            At(91_000),
            Price(101 * P, Status::Ok),
            Mode(None),
            Order(3, true, 100 * P, 1, Gtc, false, Status::Ok, ""),
        ],
    );
}
