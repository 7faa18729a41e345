//! The dead-man's switch (issue #16): when a switch fires (the first transaction at or
//! after its time, not one millisecond before), what `ScheduleCancel` accepts, pushing
//! back and clearing, the per-transaction cap and its carry-over, rejected transactions
//! undoing the sweep, agents, and the read view. Each rule is a table or one scenario.

use super::*;
use TimeInForce::Gtc;
use protocol::action::{AgentScheduleCancel, DEAD_MAN_MIN_DELAY_MS, ScheduleCancel};
use protocol::engine::CancelReason;
use protocol::engine::dead_man::DEAD_MAN_SWEEP_PER_TX;

fn schedule_msg(sim: &mut Sim, account: Address, time: u64) -> ScheduleCancel {
    ScheduleCancel {
        account,
        time,
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    }
}

fn schedule(sim: &mut Sim, account: Address, time: u64) -> Receipt {
    let c = schedule_msg(sim, account, time);
    sim.act(Action::ScheduleCancel(c))
}

/// Two resting bids of `who` on TOY.
fn two_bids(sim: &mut Sim, who: Address) {
    for price in [90_000_000, 91_000_000] {
        expect(&sim.order(who, TOY, (true, price, 1), Gtc), Status::Ok);
    }
}

/// Moves the clock to `at` and applies one transaction (an oracle update) there.
fn tick(sim: &mut Sim, at: u64) -> Receipt {
    sim.now = at;
    let r = sim.price(TOY, P100);
    expect(&r, Status::Ok);
    r
}

#[test]
fn the_switch_fires_at_the_first_transaction_at_or_after_its_time() {
    // (batch timestamp relative to T, fires?)
    let table: [(i64, bool); 4] = [(-1_000, false), (-1, false), (0, true), (1, true)];
    for (offset, fires) in table {
        let a = addr(1);
        let mut sim = toy_sim(1, 1_000 * USD);
        two_bids(&mut sim, a);
        let t = sim.now + DEAD_MAN_MIN_DELAY_MS + 2_000;
        expect(&schedule(&mut sim, a, t), Status::Ok);
        let r = tick(&mut sim, t.checked_add_signed(offset).unwrap());
        let open = sim.view(a).open_orders.len();
        if fires {
            assert_eq!(r.dead_man, vec![a], "offset {offset}: {r:?}");
            assert_eq!(r.cancelled.len(), 2);
            assert!(
                r.cancelled
                    .iter()
                    .all(|c| c.reason == CancelReason::DeadMan)
            );
            assert_eq!(open, 0, "offset {offset}");
            assert_eq!(sim.view(a).dead_man_at_ms, None, "a switch fires once");
        } else {
            assert!(r.dead_man.is_empty(), "offset {offset}: {r:?}");
            assert_eq!(open, 2, "offset {offset}");
            assert_eq!(sim.view(a).dead_man_at_ms, Some(t));
        }
    }
}

#[test]
fn what_schedule_cancel_accepts() {
    // (time relative to the batch, or absolute 0 / MAX; the outcome)
    let table: [(&str, Option<u64>, Status); 5] = [
        ("0 clears", None, Status::Ok),
        ("now", Some(0), Status::DeadManTooSoon),
        (
            "1 ms under the minimum",
            Some(DEAD_MAN_MIN_DELAY_MS - 1),
            Status::DeadManTooSoon,
        ),
        (
            "exactly the minimum",
            Some(DEAD_MAN_MIN_DELAY_MS),
            Status::Ok,
        ),
        ("far future", Some(u64::MAX - 2_000), Status::Ok),
    ];
    for (what, ahead, status) in table {
        let mut sim = toy_sim(1, 1_000 * USD);
        let time = ahead.map_or(0, |d| sim.now + d);
        let r = schedule(&mut sim, addr(1), time);
        assert_eq!(r.status, status, "{what}: {r:?}");
        let shown = sim.view(addr(1)).dead_man_at_ms;
        let expected = (status.is_ok() && time != 0).then_some(time);
        assert_eq!(shown, expected, "{what}");
    }
}

#[test]
fn pushing_back_moves_the_switch_and_zero_clears_it() {
    let a = addr(1);
    let mut sim = toy_sim(1, 1_000 * USD);
    two_bids(&mut sim, a);
    let t1 = sim.now + DEAD_MAN_MIN_DELAY_MS;
    let t2 = t1 + 10_000;
    expect(&schedule(&mut sim, a, t1), Status::Ok);
    expect(&schedule(&mut sim, a, t2), Status::Ok);
    assert!(
        tick(&mut sim, t1).dead_man.is_empty(),
        "pushed back past t1"
    );
    assert_eq!(sim.view(a).open_orders.len(), 2);
    assert_eq!(tick(&mut sim, t2).dead_man, vec![a]);

    two_bids(&mut sim, a);
    let t3 = sim.now + DEAD_MAN_MIN_DELAY_MS;
    expect(&schedule(&mut sim, a, t3), Status::Ok);
    expect(&schedule(&mut sim, a, 0), Status::Ok);
    assert_eq!(sim.view(a).dead_man_at_ms, None);
    assert!(tick(&mut sim, t3 + 1).dead_man.is_empty(), "cleared");
    assert_eq!(sim.view(a).open_orders.len(), 2);
}

#[test]
fn the_sweep_fires_at_most_its_cap_per_transaction_and_carries_the_rest_over_in_key_order() {
    let mut sim = toy_sim(4, 1_000 * USD);
    let t = sim.now + DEAD_MAN_MIN_DELAY_MS;
    // Accounts 4, 3, 2 at t, account 1 a millisecond later: due order is (t, 2), (t, 3),
    // (t, 4), (t + 1, 1), whatever the order they were scheduled in.
    for who in [4, 3, 2] {
        two_bids(&mut sim, addr(who));
        expect(&schedule(&mut sim, addr(who), t), Status::Ok);
    }
    expect(&schedule(&mut sim, addr(1), t + 1), Status::Ok);
    assert_eq!(DEAD_MAN_SWEEP_PER_TX, 2);
    let first = tick(&mut sim, t + 1);
    assert_eq!(first.dead_man, vec![addr(2), addr(3)]);
    assert_eq!(first.cancelled.len(), 4);
    sim.now += 1;
    let second = sim.deposit(addr(1), USD);
    assert_eq!(
        second.dead_man,
        vec![addr(4), addr(1)],
        "an L1 deposit sweeps too"
    );
    let third = tick(&mut sim, t + 3);
    assert!(third.dead_man.is_empty(), "nothing left");
    for who in 1..=4 {
        assert_eq!(sim.view(addr(who)).open_orders.len(), 0, "account {who}");
    }
}

#[test]
fn a_rejected_transaction_undoes_its_sweep_and_the_next_one_fires() {
    let (a, b) = (addr(1), addr(2));
    let mut sim = toy_sim(2, 1_000 * USD);
    two_bids(&mut sim, a);
    let t = sim.now + DEAD_MAN_MIN_DELAY_MS;
    expect(&schedule(&mut sim, a, t), Status::Ok);
    sim.now = t;
    // `Sim::apply` asserts that the rejected action left the state byte-identical.
    let rejected = sim.withdraw(b, 1_000_000 * USD);
    expect(&rejected, Status::InsufficientCollateral);
    assert!(rejected.dead_man.is_empty());
    assert_eq!(sim.view(a).open_orders.len(), 2);
    // a's own order in the firing transaction: the old orders go first, the new one rests.
    let r = sim.order(a, TOY, (true, 92_000_000, 1), Gtc);
    expect(&r, Status::Ok);
    assert_eq!(r.dead_man, vec![a]);
    assert_eq!(r.cancelled.len(), 2);
    assert_eq!(r.order.as_ref().map(|o| o.resting), Some(1));
    assert_eq!(sim.view(a).open_orders.len(), 1);
}

#[test]
fn an_agent_may_schedule_for_its_account_but_not_sign_the_account_kind() {
    let (a, stranger) = (addr(1), addr(9));
    let mut sim = toy_sim(1, 1_000 * USD);
    approve_bot(&mut sim, a);
    let t = sim.now + DEAD_MAN_MIN_DELAY_MS;
    let by_agent = |sim: &mut Sim, agent| AgentScheduleCancel {
        agent,
        account: a,
        time: t,
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    };
    // (what, action, the key that signed it, the outcome)
    let table: Vec<(&str, Action, Address, Status)> = vec![
        (
            "agent signs the account kind",
            Action::ScheduleCancel(schedule_msg(&mut sim, a, t)),
            BOT,
            Status::AgentNotPermitted,
        ),
        (
            "a stranger as agent",
            Action::AgentScheduleCancel(by_agent(&mut sim, stranger)),
            stranger,
            Status::AgentNotApproved,
        ),
        (
            "the approved agent",
            Action::AgentScheduleCancel(by_agent(&mut sim, BOT)),
            BOT,
            Status::Ok,
        ),
    ];
    for (what, action, signer, status) in table {
        let r = sim.apply(signed(action), Ok(signer));
        assert_eq!(r.status, status, "{what}: {r:?}");
        if status.is_ok() {
            assert_eq!(r.agent, Some(BOT), "{what}: the receipt names the agent");
        }
    }
    assert_eq!(sim.view(a).dead_man_at_ms, Some(t));
}
