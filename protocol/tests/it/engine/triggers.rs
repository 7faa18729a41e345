//! Trigger orders and TP/SL (issue #16): a trigger fires exactly when the mark reaches
//! it (not one tick before), in each of the four kinds and both sides; the TP and SL of
//! one position never both fire; a pair vanishes in the action that closes (or flips) its
//! position; `CancelAll` and the dead-man's switch remove trigger orders; an account has
//! at most the cap waiting; the per-update cap carries over in key order; Cancel removes
//! triggers; agents may sign;
//! a refused fired order is recorded and consumed. Each rule is a table or one scenario.

use super::*;
use TimeInForce::Gtc;
use protocol::action::{ApproveAgent, TpSl, TriggerKind, TriggerOrder};
use protocol::engine::triggers::TRIGGER_FIRE_PER_UPDATE;
use protocol::engine::{TriggerEvent, TriggerOutcome};

const TICK: u64 = 1_000_000;
const BOT: Address = Address([0xb0; 20]);

fn usd(n: u64) -> u64 {
    n * TICK
}

fn trigger_msg(
    sim: &mut Sim,
    who: Address,
    kind: TriggerKind,
    is_buy: bool,
    trigger: u64,
    price: u64,
) -> TriggerOrder {
    TriggerOrder {
        signer: who,
        account: who,
        market: TOY,
        is_buy,
        kind,
        trigger_price: trigger,
        price,
        size: 1,
        reduce_only: false,
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    }
}

fn tp_sl_msg(sim: &mut Sim, who: Address, take_profit: u64, stop_loss: u64) -> TpSl {
    TpSl {
        signer: who,
        account: who,
        market: TOY,
        take_profit,
        stop_loss,
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    }
}

/// Moves the clock on and sets the TOY mark (every applied update is newer).
fn mark(sim: &mut Sim, price: u64) -> Receipt {
    sim.now += 1;
    let r = sim.price(TOY, price);
    expect(&r, Status::Ok);
    r
}

/// Account 2 quotes 5 TOY for a fired order on side `taker_buys` whether the mark went
/// to 80 or to 120: asks 5 at 88 (a buy fired at 90 may pay up to 94) or bids 5 at 119
/// (a sell fired at 120 takes down to 114).
fn liquidity(sim: &mut Sim, taker_buys: bool) {
    let (is_buy, price) = if taker_buys { (false, 88) } else { (true, 119) };
    expect(
        &sim.order(addr(2), TOY, (is_buy, usd(price), 5), Gtc),
        Status::Ok,
    );
}

fn outcomes(r: &Receipt) -> Vec<(u64, u8, TriggerOutcome, Status)> {
    r.triggered
        .iter()
        .map(|e: &TriggerEvent| (e.nonce, e.leg, e.outcome, e.status))
        .collect()
}

#[test]
fn a_trigger_fires_exactly_at_its_price_and_not_one_tick_before() {
    use TriggerKind::*;
    // (kind, buy?, trigger, limit price, the mark one tick short of it)
    let table: [(TriggerKind, bool, u64, u64, u64); 6] = [
        (StopMarket, true, 110, 0, 109),
        (StopMarket, false, 90, 0, 91),
        (TakeProfitMarket, true, 90, 0, 91),
        (TakeProfitMarket, false, 110, 0, 109),
        (StopLimit, true, 110, 106, 109),
        (TakeProfitLimit, false, 110, 94, 109),
    ];
    for (kind, is_buy, trigger, limit, short) in table {
        let a = addr(1);
        let mut sim = toy_sim(2, 10_000 * USD);
        liquidity(&mut sim, is_buy);
        let t = trigger_msg(&mut sim, a, kind, is_buy, usd(trigger), usd(limit));
        let nonce = t.nonce;
        expect(&sim.act(Action::TriggerOrder(t)), Status::Ok);
        let r = mark(&mut sim, usd(short));
        assert!(
            r.triggered.is_empty(),
            "{kind:?} fired one tick early: {r:?}"
        );
        let r = mark(&mut sim, usd(trigger));
        assert_eq!(
            outcomes(&r),
            vec![(nonce, 0, TriggerOutcome::Fired, Status::Ok)],
            "{kind:?} buy={is_buy}"
        );
        assert_eq!(r.triggered[0].mark_price, usd(trigger));
        assert_eq!(fills(&r).len(), 1, "{kind:?}: it traded as an order");
        let size = sim.position(a, TOY).size;
        assert_eq!(size, if is_buy { 1 } else { -1 }, "{kind:?}");
        // Fired once: the next update does not fire it again.
        assert!(mark(&mut sim, usd(trigger)).triggered.is_empty());
    }
}

#[test]
fn what_trigger_order_accepts() {
    use TriggerKind::*;
    // (kind, trigger, price, size, status)
    let table: [(TriggerKind, u64, u64, u64, Status); 7] = [
        (StopMarket, usd(110), 0, 1, Status::Ok),
        (StopLimit, usd(110), usd(111), 1, Status::Ok),
        (StopMarket, 0, 0, 1, Status::InvalidTriggerPrice),
        (StopMarket, usd(110) + 1, 0, 1, Status::InvalidTriggerPrice),
        (
            StopMarket,
            usd(110),
            usd(111),
            1,
            Status::TriggerPriceMismatch,
        ),
        (StopLimit, usd(110), 0, 1, Status::TriggerPriceMismatch),
        (TakeProfitMarket, usd(110), 0, 0, Status::ZeroSize),
    ];
    for (kind, trigger, price, size, status) in table {
        let mut sim = toy_sim(1, 1_000 * USD);
        let mut t = trigger_msg(&mut sim, addr(1), kind, true, trigger, price);
        t.size = size;
        expect(&sim.act(Action::TriggerOrder(t)), status);
    }
}

/// Account 1 long 1 TOY at 100 (bought from account 3), with account 2's bid.
fn long_with_tp_sl(take_profit: u64, stop_loss: u64) -> (Sim, u64) {
    let (a, seller) = (addr(1), addr(3));
    let mut sim = toy_sim(3, 10_000 * USD);
    expect(&sim.order(seller, TOY, (false, P100, 1), Gtc), Status::Ok);
    expect(
        &sim.order(a, TOY, (true, P100, 1), TimeInForce::Ioc),
        Status::Ok,
    );
    liquidity(&mut sim, false);
    let t = tp_sl_msg(&mut sim, a, take_profit, stop_loss);
    let nonce = t.nonce;
    expect(&sim.act(Action::TpSl(t)), Status::Ok);
    (sim, nonce)
}

#[test]
fn the_take_profit_and_stop_loss_of_one_position_never_both_fire() {
    // (mark path, the leg that fires: 1 take-profit, 2 stop-loss)
    let table: [(&[u64], u8); 5] = [
        (&[120], 1),
        (&[80], 2),
        (&[119, 120, 80], 1),
        (&[81, 80, 120], 2),
        (&[79, 121], 2),
    ];
    for (path, leg) in table {
        let (mut sim, nonce) = long_with_tp_sl(usd(120), usd(80));
        let mut events = vec![];
        for price in path {
            events.extend(outcomes(&mark(&mut sim, usd(*price))));
        }
        let other = 3 - leg;
        assert_eq!(
            events,
            vec![
                (nonce, other, TriggerOutcome::OneCancelsOther, Status::Ok),
                (nonce, leg, TriggerOutcome::Fired, Status::Ok),
            ],
            "path {path:?}"
        );
        assert_eq!(sim.position(addr(1), TOY).size, 0, "path {path:?}: closed");
    }
}

/// How account 1's long of 1 TOY is changed by hand in `a_tp_sl_vanishes_in_the_action_that_closes_its_position`.
#[derive(Debug, Clone, Copy)]
enum Close {
    /// Sells 1 as a taker into account 2's bid.
    Taker,
    /// Rests an ask of 1 that account 3 buys.
    Maker,
    /// Sells 2 as a taker: flipped to a short of 1.
    Flip,
    /// Reduces nothing: buys 1 more (still long, the pair stays).
    Add,
}

#[test]
fn a_tp_sl_vanishes_in_the_action_that_closes_its_position() {
    for close in [Close::Taker, Close::Maker, Close::Flip, Close::Add] {
        let (mut sim, nonce) = long_with_tp_sl(usd(120), usd(80));
        let a = addr(1);
        let r = match close {
            Close::Taker => sim.order(a, TOY, (false, usd(95), 1), TimeInForce::Ioc),
            Close::Flip => sim.order(a, TOY, (false, usd(95), 2), TimeInForce::Ioc),
            Close::Maker => {
                // Account 2's bid off the book first, so the ask rests.
                expect(&sim.cancel_all(addr(2)), Status::Ok);
                expect(&sim.order(a, TOY, (false, usd(101), 1), Gtc), Status::Ok);
                sim.order(addr(3), TOY, (true, usd(101), 1), TimeInForce::Ioc)
            }
            Close::Add => {
                expect(
                    &sim.order(addr(3), TOY, (false, usd(101), 1), Gtc),
                    Status::Ok,
                );
                sim.order(a, TOY, (true, usd(101), 1), TimeInForce::Ioc)
            }
        };
        expect(&r, Status::Ok);
        if let Close::Add = close {
            assert!(r.triggered.is_empty(), "{close:?}: the pair stays");
            assert_eq!(sim.triggers_waiting(a), 2, "{close:?}");
            continue;
        }
        assert_eq!(
            outcomes(&r),
            vec![
                (nonce, 1, TriggerOutcome::PositionClosed, Status::Ok),
                (nonce, 2, TriggerOutcome::PositionClosed, Status::Ok),
            ],
            "{close:?}: both legs leave with the closing fill"
        );
        assert_eq!(sim.triggers_waiting(a), 0, "{close:?}: uncounted");
        if let Close::Taker = close {
            // The same close without a pair: the removal costs exactly the bound's paths
            // beyond the link read both make.
            let (mut bare, _) = long_with_tp_sl(0, 0);
            let r = bare.order(a, TOY, (false, usd(95), 1), TimeInForce::Ioc);
            expect(&r, Status::Ok);
            let paths = protocol::engine::triggers::TP_SL_CLOSE_PATHS;
            assert_eq!(sim.last_touched - bare.last_touched, paths - 1);
        }
        for price in [120, 80] {
            let r = mark(&mut sim, usd(price));
            assert!(r.triggered.is_empty(), "{close:?}: nothing left to fire");
        }
    }
}

#[test]
fn cancel_all_and_the_dead_man_switch_remove_every_trigger_order() {
    for dead_man in [false, true] {
        let (mut sim, pair) = long_with_tp_sl(usd(120), usd(80));
        let a = addr(1);
        let stop = trigger_msg(&mut sim, a, TriggerKind::StopMarket, true, usd(110), 0);
        let stop_nonce = stop.nonce;
        expect(&sim.act(Action::TriggerOrder(stop)), Status::Ok);
        expect(&sim.order(a, TOY, (true, usd(90), 1), Gtc), Status::Ok);
        assert_eq!(sim.triggers_waiting(a), 3);
        let r = if dead_man {
            let time = sim.now + protocol::action::DEAD_MAN_MIN_DELAY_MS;
            let c = protocol::action::ScheduleCancel {
                account: a,
                time,
                nonce: sim.next_nonce(),
                expires_at: sim.now,
            };
            expect(&sim.act(Action::ScheduleCancel(c)), Status::Ok);
            sim.now = time;
            sim.deposit(addr(3), 1)
        } else {
            sim.cancel_all(a)
        };
        expect(&r, Status::Ok);
        assert_eq!(r.cancelled.len(), 1, "dead man {dead_man}: the bid");
        // In index order (market, nonce, leg): the pair was set first.
        let want = vec![
            (pair, 1, TriggerOutcome::Cancelled, Status::Ok),
            (pair, 2, TriggerOutcome::Cancelled, Status::Ok),
            (stop_nonce, 0, TriggerOutcome::Cancelled, Status::Ok),
        ];
        let events = outcomes(&r);
        assert_eq!(events, want, "dead man {dead_man}");
        assert_eq!(sim.triggers_waiting(a), 0);
        assert!(mark(&mut sim, usd(120)).triggered.is_empty());
        assert!(mark(&mut sim, usd(80)).triggered.is_empty());
    }
}

#[test]
fn an_account_may_have_at_most_the_cap_of_trigger_orders_waiting() {
    let cap = protocol::engine::triggers::MAX_TRIGGER_ORDERS;
    let (mut sim, _) = long_with_tp_sl(usd(120), usd(80));
    let a = addr(1);
    // The pair counts two; stops fill the rest of the cap.
    for _ in 2..cap {
        let t = trigger_msg(&mut sim, a, TriggerKind::StopMarket, true, usd(130), 0);
        expect(&sim.act(Action::TriggerOrder(t)), Status::Ok);
    }
    let one_more = trigger_msg(&mut sim, a, TriggerKind::StopMarket, true, usd(130), 0);
    let r = sim.act(Action::TriggerOrder(one_more));
    expect(&r, Status::TooManyTriggerOrders);
    let detail = r.detail.unwrap_or_default();
    assert!(
        detail.contains(&format!("has {cap} waiting")) && detail.contains(&format!("cap is {cap}")),
        "{detail}"
    );
    // Replacing the pair with one leg frees one slot: the new pair is counted after the
    // old one left.
    let t = tp_sl_msg(&mut sim, a, 0, usd(85));
    expect(&sim.act(Action::TpSl(t)), Status::Ok);
    assert_eq!(sim.triggers_waiting(a), cap - 1);
    let t = tp_sl_msg(&mut sim, a, usd(125), usd(85));
    expect(&sim.act(Action::TpSl(t)), Status::Ok);
    let t = tp_sl_msg(&mut sim, a, usd(125), usd(85));
    expect(&sim.act(Action::TpSl(t)), Status::Ok);
    let t = trigger_msg(&mut sim, a, TriggerKind::StopMarket, true, usd(130), 0);
    expect(
        &sim.act(Action::TriggerOrder(t)),
        Status::TooManyTriggerOrders,
    );
}

#[test]
fn tp_sl_needs_a_position_and_zero_prices_remove_it() {
    let mut sim = toy_sim(1, 1_000 * USD);
    let t = tp_sl_msg(&mut sim, addr(1), usd(120), 0);
    expect(&sim.act(Action::TpSl(t)), Status::NoPosition);
    let (mut sim, nonce) = long_with_tp_sl(usd(120), usd(80));
    let clear = tp_sl_msg(&mut sim, addr(1), 0, 0);
    let r = sim.act(Action::TpSl(clear));
    assert_eq!(
        outcomes(&r),
        vec![
            (nonce, 1, TriggerOutcome::Cancelled, Status::Ok),
            (nonce, 2, TriggerOutcome::Cancelled, Status::Ok),
        ]
    );
    assert!(mark(&mut sim, usd(120)).triggered.is_empty());
}

#[test]
fn the_cap_fires_in_key_order_and_carries_the_rest_over() {
    let mut sim = toy_sim(2, 10_000 * USD);
    liquidity(&mut sim, true);
    // Placed in this order; the lowest rising trigger fires first, then time priority.
    let triggers = [112, 110, 111, 110];
    let mut nonces = vec![];
    for trigger in triggers {
        let t = trigger_msg(
            &mut sim,
            addr(1),
            TriggerKind::StopMarket,
            true,
            usd(trigger),
            0,
        );
        nonces.push(t.nonce);
        expect(&sim.act(Action::TriggerOrder(t)), Status::Ok);
    }
    let first = mark(&mut sim, usd(115));
    let second = mark(&mut sim, usd(115));
    let fired = |r: &Receipt| r.triggered.iter().map(|e| e.nonce).collect::<Vec<_>>();
    assert_eq!(TRIGGER_FIRE_PER_UPDATE, 2);
    assert_eq!(fired(&first), vec![nonces[1], nonces[3]]);
    assert_eq!(fired(&second), vec![nonces[2], nonces[0]]);
}

#[test]
fn cancel_removes_a_trigger_order_or_a_whole_tp_sl() {
    let mut sim = toy_sim(1, 1_000 * USD);
    let t = trigger_msg(
        &mut sim,
        addr(1),
        TriggerKind::StopMarket,
        true,
        usd(110),
        0,
    );
    let nonce = t.nonce;
    expect(&sim.act(Action::TriggerOrder(t)), Status::Ok);
    let r = sim.cancel(addr(1), TOY, nonce);
    assert_eq!(
        outcomes(&r),
        vec![(nonce, 0, TriggerOutcome::Cancelled, Status::Ok)]
    );
    expect(&sim.cancel(addr(1), TOY, nonce), Status::OrderNotFound);
    let (mut sim, nonce) = long_with_tp_sl(usd(120), usd(80));
    assert_eq!(sim.cancel(addr(1), TOY, nonce).triggered.len(), 2);
    assert!(mark(&mut sim, usd(80)).triggered.is_empty());
}

#[test]
fn an_approved_agent_may_sign_a_trigger_order_and_the_receipt_names_it() {
    let a = addr(1);
    let mut sim = toy_sim(1, 1_000 * USD);
    let mut t = trigger_msg(&mut sim, a, TriggerKind::StopMarket, true, usd(110), 0);
    t.signer = BOT;
    expect(
        &sim.act(Action::TriggerOrder(t.clone())),
        Status::AgentNotApproved,
    );
    let approve = ApproveAgent {
        account: a,
        agent: BOT,
        name: "bot".into(),
        valid_until: 0,
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    };
    expect(&sim.act(Action::ApproveAgent(approve)), Status::Ok);
    let r = sim.act(Action::TriggerOrder(t));
    expect(&r, Status::Ok);
    assert_eq!(r.agent, Some(BOT));
    // Signed by the account itself: no agent on the receipt.
    let own = trigger_msg(&mut sim, a, TriggerKind::StopMarket, true, usd(110), 0);
    assert_eq!(sim.act(Action::TriggerOrder(own)).agent, None);
}

#[test]
fn a_refused_fired_order_is_recorded_and_the_trigger_consumed() {
    // A reduce-only stop of an account without a position: placed (triggers reserve
    // nothing and check no position), refused when it fires.
    let mut sim = toy_sim(3, 10_000 * USD);
    liquidity(&mut sim, true);
    let mut t = trigger_msg(
        &mut sim,
        addr(3),
        TriggerKind::StopMarket,
        true,
        usd(110),
        0,
    );
    t.reduce_only = true;
    let nonce = t.nonce;
    expect(&sim.act(Action::TriggerOrder(t)), Status::Ok);
    let r = mark(&mut sim, usd(110));
    expect(&r, Status::Ok);
    assert_eq!(
        outcomes(&r),
        vec![(
            nonce,
            0,
            TriggerOutcome::Fired,
            Status::ReduceOnlyWouldIncrease
        )]
    );
    assert!(r.fills.is_empty());
    assert_eq!(sim.position(addr(3), TOY).size, 0);
    assert!(mark(&mut sim, usd(111)).triggered.is_empty());
}
