//! Resting orders reserve margin (docs/PROTOCOL.md Part 4 §8): an order that rests is
//! refused `insufficient_margin`, with the required and available amounts in its detail,
//! unless equity covers, per market, the worse of "all resting buys fill" and "all
//! resting sells fill" at the mark. Cancels free the reservation and fills move it into
//! the position. A withdrawal is held to the same requirement (`equity − amount ≥
//! required`), so the collateral backing resting orders cannot leave. All on the TOY
//! market (whole units, IM 10 %, mark 100 USD).

use super::*;
use TimeInForce::{Gtc, Ioc};

/// What the checked order should do: rest this size, or be refused with these two
/// amounts (USDC as the detail prints them).
#[derive(Debug, Clone, Copy)]
enum Expect {
    Rests(u64),
    Refused {
        required: &'static str,
        available: &'static str,
    },
}
use Expect::{Refused, Rests};

/// The checked order: (is_buy, price, size, reduce_only).
type Placed = (bool, u64, u64, bool);

/// (name, the trader's deposit in USD, setup on a fresh TOY market, order, expectation).
type Case = (&'static str, i128, fn(&mut Sim, Address), Placed, Expect);

/// Asserts that `r` is `expect`, naming the case.
fn check_receipt(name: &str, r: &Receipt, expect: Expect) {
    match expect {
        Rests(size) => {
            expect_status(name, r, Status::Ok);
            assert_eq!(r.order.as_ref().unwrap().resting, size, "{name}: {r:?}");
        }
        Refused {
            required,
            available,
        } => {
            expect_status(name, r, Status::InsufficientMargin);
            let detail = r.detail.as_deref().unwrap_or_default();
            for part in [
                format!("required {required} USDC"),
                format!("available {available} USDC"),
            ] {
                assert!(detail.contains(&part), "{name}: {detail:?} lacks {part:?}");
            }
        }
    }
}

fn expect_status(name: &str, r: &Receipt, status: Status) {
    assert_eq!(r.status, status, "{name}: {r:?}");
}

fn check(cases: &[Case]) {
    for &(name, deposit, setup, (is_buy, price, size, reduce_only), expect) in cases {
        let mut sim = toy_sim(0, 0);
        sim.deposit(TRADER, deposit * USD);
        sim.deposit(OTHER, 100_000 * USD);
        setup(&mut sim, TRADER);
        let o = Order {
            reduce_only,
            ..sim.order_msg(TRADER, TOY, (is_buy, price, size), Gtc)
        };
        let r = sim.act(Action::Order(o));
        check_receipt(name, &r, expect);
    }
}

fn nothing(_: &mut Sim, _: Address) {}

/// A resting bid of 6 at 100.
fn bid_six(sim: &mut Sim, a: Address) {
    expect(&sim.order(a, TOY, (true, P100, 6), Gtc), Status::Ok);
}

/// A resting bid of 10 at 100.
fn bid_ten(sim: &mut Sim, a: Address) {
    expect(&sim.order(a, TOY, (true, P100, 10), Gtc), Status::Ok);
}

/// Long 10 at 100, bought as a taker (fee 20 bps: 2 USD).
fn long_ten(sim: &mut Sim, a: Address) {
    expect(&sim.order(OTHER, TOY, (false, P100, 10), Gtc), Status::Ok);
    expect(&sim.order(a, TOY, (true, P100, 10), Ioc), Status::Ok);
}

/// Long 10 at 100, then the mark falls to 95: equity 102 − 2 − 50 = 50 < IM 95.
fn long_ten_under_water(sim: &mut Sim, a: Address) {
    long_ten(sim, a);
    sim.now += 1;
    expect(&sim.price(TOY, 95_000_000), Status::Ok);
}

/// A BTC bid of 0.01 BTC at 50,000: 50 USD of initial margin in another market.
fn btc_bid(sim: &mut Sim, a: Address) {
    expect(&sim.price(BTC, 50_000_000_000), Status::Ok);
    let r = sim.order(a, BTC, (true, 50_000_000_000, 100), Gtc);
    expect(&r, Status::Ok);
}

#[test]
fn resting_orders_need_margin() {
    check(&[
        (
            "a bid of 11 needs the 110 USD IM of a long 11",
            100,
            nothing,
            (true, P100, 11, false),
            Refused {
                required: "110.000000",
                available: "100.000000",
            },
        ),
        (
            "a bid of 10 fits exactly",
            100,
            nothing,
            (true, P100, 10, false),
            Rests(10),
        ),
        (
            "a bid 20 above the mark also reserves its loss: 50 + 5 × 20",
            100,
            nothing,
            (true, 120_000_000, 5, false),
            Refused {
                required: "150.000000",
                available: "100.000000",
            },
        ),
        (
            "a bid below the mark earns no credit: IM 100, no loss",
            100,
            nothing,
            (true, 80_000_000, 10, false),
            Rests(10),
        ),
        (
            "a second bid that together with the first needs 110",
            100,
            bid_six,
            (true, P100, 5, false),
            Refused {
                required: "110.000000",
                available: "100.000000",
            },
        ),
        (
            "an ask beside a bid: only one side's case counts",
            100,
            bid_ten,
            (false, 110_000_000, 10, false),
            Rests(10),
        ),
        (
            "an ask beside a smaller bid: the ask's case, 100, is the larger",
            100,
            bid_six,
            (false, 110_000_000, 10, false),
            Rests(10),
        ),
        (
            "orders in another market add their own requirement",
            100,
            btc_bid,
            (true, P100, 6, false),
            Refused {
                required: "110.000000",
                available: "100.000000",
            },
        ),
    ]);
}

#[test]
fn orders_against_a_position() {
    check(&[
        (
            "long 10: a sell of 10 only closes, the long's 100 covers it",
            102,
            long_ten,
            (false, P100, 10, false),
            Rests(10),
        ),
        (
            "long 10: a sell of 25 could leave a short 15",
            102,
            long_ten,
            (false, P100, 25, false),
            Refused {
                required: "150.000000",
                available: "100.000000",
            },
        ),
        (
            "long 10: a buy of 1 could make it 11",
            102,
            long_ten,
            (true, P100, 1, false),
            Refused {
                required: "110.000000",
                available: "100.000000",
            },
        ),
        (
            "long 10: a reduce-only sell below the mark reserves nothing",
            102,
            long_ten,
            (false, 90_000_000, 10, true),
            Rests(10),
        ),
        (
            "under water: a plain sell is checked against the long's IM at 95",
            102,
            long_ten_under_water,
            (false, P100, 5, false),
            Refused {
                required: "95.000000",
                available: "50.000000",
            },
        ),
        (
            "under water: a reduce-only sell still rests",
            102,
            long_ten_under_water,
            (false, P100, 5, true),
            Rests(5),
        ),
    ]);
}

#[test]
fn cancel_frees_the_reservation() {
    let mut sim = toy_sim(1, 100 * USD);
    let a = addr(1);
    let first = sim.order_msg(a, TOY, (true, P100, 10), Gtc);
    expect(&sim.act(Action::Order(first.clone())), Status::Ok);
    let totals = sim.position(a, TOY).bids;
    assert_eq!((totals.size, totals.notional), (10, 1_000_000_000));
    let refused = Refused {
        required: "110.000000",
        available: "100.000000",
    };
    check_receipt("full", &sim.order(a, TOY, (true, P100, 1), Gtc), refused);
    expect(&sim.cancel(a, TOY, first.nonce), Status::Ok);
    assert_eq!(sim.position(a, TOY), records::Position::default());
    check_receipt(
        "freed",
        &sim.order(a, TOY, (true, P100, 10), Gtc),
        Rests(10),
    );
}

#[test]
fn a_fill_moves_the_reservation_into_the_position() {
    let (a, b) = (addr(1), addr(2));
    let mut sim = toy_sim(0, 0);
    sim.deposit(a, 101 * USD);
    sim.deposit(b, 10_000 * USD);
    expect(&sim.order(a, TOY, (true, P100, 10), Gtc), Status::Ok);
    let r = sim.order(b, TOY, (false, P100, 4), Ioc);
    assert_eq!(fills(&r), vec![(a, P100, 4)]);
    let pos = sim.position(a, TOY);
    assert_eq!(pos.size, 4);
    assert_eq!((pos.bids.size, pos.bids.notional), (6, 600_000_000));
    // Long 4 plus 6 resting still needs the IM of 10; the maker fee (0.4) left 100.6.
    let refused = Refused {
        required: "110.000000",
        available: "100.600000",
    };
    check_receipt(
        "one more",
        &sim.order(a, TOY, (true, P100, 1), Gtc),
        refused,
    );
    check_receipt(
        "ask",
        &sim.order(a, TOY, (false, 110_000_000, 4), Gtc),
        Rests(4),
    );
    // The rest of the bid fills: B goes to 0 and the position carries the whole IM.
    let r = sim.order(b, TOY, (false, P100, 6), Ioc);
    assert_eq!(fills(&r), vec![(a, P100, 6)]);
    let pos = sim.position(a, TOY);
    assert_eq!((pos.size, pos.bids), (10, records::SideTotals::default()));
    assert_eq!((pos.asks.size, pos.asks.notional), (4, 440_000_000));
}

/// Issue #15's example: 3,900 USDC of equity could rest a bid for 490,000 USDC of BTC.
#[test]
fn the_spoofed_bid_of_the_issue_is_refused() {
    let a = addr(1);
    let mut sim = Sim::new();
    sim.price(BTC, 50_000_000_000);
    sim.deposit(a, 3_900 * USD);
    // 10 BTC (10^5 size units) at 49,000: the IM of a 10 BTC long at the 50,000 mark.
    let refused = Refused {
        required: "50,000.000000",
        available: "3,900.000000",
    };
    let r = sim.order(a, BTC, (true, 49_000_000_000, 100_000), Gtc);
    check_receipt("10 BTC", &r, refused);
    // 0.7 BTC needs 3,500 USDC and rests.
    let r = sim.order(a, BTC, (true, 49_000_000_000, 7_000), Gtc);
    check_receipt("0.7 BTC", &r, Rests(7_000));
}

/// What the checked withdrawal should do: be paid, or be refused `insufficient_margin`
/// with these two amounts (USDC as the detail prints them).
#[derive(Debug, Clone, Copy)]
enum Paid {
    Yes,
    Refused {
        required: &'static str,
        available: &'static str,
    },
}

/// (name, the trader's deposit in USD, setup on a fresh TOY market, amount in micro-USDC,
/// expectation).
type WithdrawCase = (&'static str, i128, fn(&mut Sim, Address), i128, Paid);

fn check_withdrawals(cases: &[WithdrawCase]) {
    for &(name, deposit, setup, amount, expect) in cases {
        let mut sim = toy_sim(0, 0);
        sim.deposit(TRADER, deposit * USD);
        sim.deposit(OTHER, 100_000 * USD);
        setup(&mut sim, TRADER);
        let collateral = sim.collateral(TRADER);
        let r = sim.withdraw(TRADER, amount);
        match expect {
            Paid::Yes => {
                expect_status(name, &r, Status::Ok);
                assert_eq!(sim.collateral(TRADER), collateral - amount, "{name}");
            }
            Paid::Refused {
                required,
                available,
            } => check_receipt(
                name,
                &r,
                Refused {
                    required,
                    available,
                },
            ),
        }
    }
}

/// `bid_ten`, then every order cancelled.
fn bid_ten_cancelled(sim: &mut Sim, a: Address) {
    bid_ten(sim, a);
    expect(&sim.cancel_all(a), Status::Ok);
}

/// A resting bid of 5 at 120, 20 above the mark: it reserves 50 of IM and 100 of loss.
fn bid_above_the_mark(sim: &mut Sim, a: Address) {
    expect(&sim.order(a, TOY, (true, 120_000_000, 5), Gtc), Status::Ok);
}

/// A resting bid of 6 at 100 and an ask of 10 at 110: the ask's case, 100, is the larger.
fn bid_six_ask_ten(sim: &mut Sim, a: Address) {
    bid_six(sim, a);
    expect(
        &sim.order(a, TOY, (false, 110_000_000, 10), Gtc),
        Status::Ok,
    );
}

/// `long_ten` and a resting sell of 25 at 100: it could leave a short 15 (IM 150).
fn long_ten_sell_25(sim: &mut Sim, a: Address) {
    long_ten(sim, a);
    expect(&sim.order(a, TOY, (false, P100, 25), Gtc), Status::Ok);
}

/// `long_ten` and a reduce-only sell of 10 at 90 resting: it reserves nothing.
fn long_ten_reduce_only_sell(sim: &mut Sim, a: Address) {
    long_ten(sim, a);
    let o = sim.order_msg(a, TOY, (false, 90_000_000, 10), Gtc);
    expect(&sim.reduce_only(o), Status::Ok);
}

#[test]
fn withdrawals_leave_what_resting_orders_reserve() {
    check_withdrawals(&[
        (
            "a bid of 10 backed by all 100: not even 1 USD leaves",
            100,
            bid_ten,
            USD,
            Paid::Refused {
                required: "100.000000",
                available: "99.000000",
            },
        ),
        (
            "the same bid cancelled: all 100 leave",
            100,
            bid_ten_cancelled,
            100 * USD,
            Paid::Yes,
        ),
        (
            "a bid of 6 reserves 60: the free 40 leave",
            100,
            bid_six,
            40 * USD,
            Paid::Yes,
        ),
        (
            "a bid of 6 reserves 60: one micro-USDC more than the free 40 does not",
            100,
            bid_six,
            40 * USD + 1,
            Paid::Refused {
                required: "60.000000",
                available: "59.999999",
            },
        ),
        (
            "a bid above the mark keeps its loss too: 50 + 5 × 20 of 200",
            200,
            bid_above_the_mark,
            51 * USD,
            Paid::Refused {
                required: "150.000000",
                available: "149.000000",
            },
        ),
        (
            "a bid above the mark: the free 50 leave",
            200,
            bid_above_the_mark,
            50 * USD,
            Paid::Yes,
        ),
        (
            "a bid and an ask: the worse side's 100 stays",
            100,
            bid_six_ask_ten,
            USD,
            Paid::Refused {
                required: "100.000000",
                available: "99.000000",
            },
        ),
        (
            "long 10 with a sell of 25 resting: the short 15 it could leave needs 150",
            200,
            long_ten_sell_25,
            49 * USD,
            Paid::Refused {
                required: "150.000000",
                available: "149.000000",
            },
        ),
        (
            "long 10 with a sell of 25 resting: 198 − 150 = 48 leave",
            200,
            long_ten_sell_25,
            48 * USD,
            Paid::Yes,
        ),
        (
            "long 10 with a reduce-only sell resting: only the long's IM 100 stays",
            200,
            long_ten_reduce_only_sell,
            98 * USD,
            Paid::Yes,
        ),
        (
            "orders in another market keep their own requirement: 50 of the BTC bid",
            100,
            btc_bid,
            51 * USD,
            Paid::Refused {
                required: "50.000000",
                available: "49.000000",
            },
        ),
        (
            "orders in another market: the free 50 leave",
            100,
            btc_bid,
            50 * USD,
            Paid::Yes,
        ),
    ]);
}

/// The collateral behind a resting bid stays until the bid is cancelled, whether the
/// withdrawal is signed to the sequencer or forced through the L1 queue (the same STF).
#[test]
fn cancelling_frees_the_collateral_a_bid_reserved() {
    let mut sim = toy_sim(0, 0);
    sim.deposit(TRADER, 100 * USD);
    let bid = sim.order_msg(TRADER, TOY, (true, P100, 8), Gtc);
    expect(&sim.act(Action::Order(bid.clone())), Status::Ok);
    let refused = Refused {
        required: "80.000000",
        available: "79.000000",
    };
    let r = sim.withdraw(TRADER, 21 * USD);
    check_receipt("user", &r, refused);
    let next_step = "at most 20.000000 USDC can be withdrawn now (cancelling resting orders";
    assert!(
        r.detail.as_deref().unwrap_or_default().contains(next_step),
        "{r:?}"
    );
    let forced = Tx::L1 {
        queue_index: sim.queue,
        message: L1Message::Forced {
            action: SignedAction {
                action: Action::Withdraw(Withdraw {
                    account: TRADER,
                    amount: 21_000_000,
                    nonce: sim.next_nonce(),
                    expires_at: sim.now,
                }),
                signature: Signature([0; 65]),
            },
        },
    };
    sim.queue += 1;
    check_receipt("forced", &sim.apply(forced, Ok(TRADER)), refused);
    assert_eq!(sim.collateral(TRADER), 100 * USD);
    // What the bid does not reserve leaves.
    assert_eq!(sim.withdraw(TRADER, 20 * USD).withdrawal_id, Some(0));
    expect(&sim.cancel(TRADER, TOY, bid.nonce), Status::Ok);
    assert_eq!(sim.withdraw(TRADER, 80 * USD).withdrawal_id, Some(1));
    assert_eq!(sim.collateral(TRADER), 0);
}
