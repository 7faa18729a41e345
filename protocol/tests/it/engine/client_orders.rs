//! The client-order kinds (issue #16): good-till-time (an expired resting order never
//! fills; matching removes it, and the capped sweep removes the rest exactly one
//! millisecond after its `expiresAt`), client ids (unique among open orders, cancel by
//! client id), `ModifyOrder` (time priority kept exactly when the price is unchanged and
//! the size does not grow), and who may sign (the account or its approved agent). Each
//! rule is a table or one scenario.

use super::*;
use protocol::action::{CancelByClientId, ClientOrder, ModifyOrder, NO_EXPIRY, TimeInForce};
use protocol::engine::CancelReason;
use protocol::engine::expiry::ORDER_EXPIRY_SWEEP_PER_TX;

fn rest_ask(sim: &mut Sim, who: Address, client_id: u128, expires_at: u64) -> Receipt {
    let o = sim.client_order(who, (false, P100), client_id, expires_at);
    sim.act(Action::ClientOrder(o))
}

fn modify(sim: &mut Sim, who: Address, client_id: u128, price: u64, size: u64) -> Receipt {
    let m = ModifyOrder {
        signer: who,
        account: who,
        client_id,
        price,
        size,
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    };
    sim.act(Action::ModifyOrder(m))
}

fn cancel_by_client_id(
    sim: &mut Sim,
    signer: Address,
    account: Address,
    client_id: u128,
) -> Receipt {
    let c = CancelByClientId {
        signer,
        account,
        client_id,
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    };
    sim.apply(signed(Action::CancelByClientId(c)), Ok(signer))
}

#[test]
fn an_expired_resting_order_never_fills_and_matching_removes_it() {
    // (batch timestamp relative to expiresAt T, does a crossing buy fill it?)
    let table: [(i64, bool); 3] = [(-1, true), (0, true), (1, false)];
    for (offset, fills) in table {
        let (maker, taker) = (addr(1), addr(2));
        let mut sim = toy_sim(2, 1_000 * USD);
        let t = sim.now + 5_000;
        expect(&rest_ask(&mut sim, maker, 7, t), Status::Ok);
        sim.now = t.checked_add_signed(offset).unwrap();
        sim.price(TOY, P100);
        let r = sim.order(taker, TOY, (true, P100, 1), TimeInForce::Ioc);
        expect(&r, Status::Ok);
        if fills {
            assert_eq!(fills_of(&r), vec![(maker, P100, 1)], "offset {offset}");
        } else {
            // Removed by the sweep of the price update, or by matching: either way gone,
            // as expired, before the taker arrived; the taker finds an empty book.
            assert!(r.fills.is_empty(), "offset {offset}: {r:?}");
        }
        assert!(sim.view(maker).open_orders.is_empty(), "offset {offset}");
    }
}

fn fills_of(r: &Receipt) -> Vec<(Address, u64, u64)> {
    r.fills.iter().map(|f| (f.maker, f.price, f.size)).collect()
}

#[test]
fn matching_that_meets_an_expired_order_removes_it_as_expired() {
    // The sweep has a cap; orders beyond it are still on the book when a taker arrives.
    let taker = addr(9);
    let mut sim = toy_sim(9, 1_000 * USD);
    let t = sim.now + 5_000;
    let makers = ORDER_EXPIRY_SWEEP_PER_TX + 2;
    for who in 1..=makers as u8 {
        expect(&rest_ask(&mut sim, addr(who), 1, t), Status::Ok);
    }
    sim.now = t + 1;
    let r = sim.order(taker, TOY, (true, P100, 1), TimeInForce::Ioc);
    expect(&r, Status::Ok);
    assert!(r.fills.is_empty(), "{r:?}");
    assert_eq!(r.cancelled.len(), makers, "swept 4, then 2 met by matching");
    assert!(
        r.cancelled
            .iter()
            .all(|c| c.reason == CancelReason::Expired)
    );
}

/// `total` accounts each resting one ask; account `who` expires at `t + total − who`.
fn staggered(total: u8) -> (Sim, u64) {
    let mut sim = toy_sim(total, 1_000 * USD);
    let t = sim.now + 5_000;
    for who in 1..=total {
        expect(
            &rest_ask(&mut sim, addr(who), 1, t + u64::from(total - who)),
            Status::Ok,
        );
    }
    (sim, t)
}

fn open_orders(sim: &mut Sim, total: u8) -> usize {
    (1..=total)
        .map(|who| sim.view(addr(who)).open_orders.len())
        .sum()
}

#[test]
fn the_sweep_removes_an_order_at_the_first_transaction_after_its_expiry() {
    // (batch timestamp relative to the first expiry T, orders still resting after one
    // unrelated transaction there)
    let table: [(i64, usize); 3] = [(-1, 6), (0, 6), (1, 5)];
    for (offset, left) in table {
        let (mut sim, t) = staggered(6);
        sim.now = t.checked_add_signed(offset).unwrap();
        let r = sim.price(TOY, P100);
        assert_eq!(open_orders(&mut sim, 6), left, "offset {offset}: {r:?}");
        if left < 6 {
            assert_eq!(r.cancelled[0].account, addr(6));
            assert_eq!(r.cancelled[0].reason, CancelReason::Expired);
        }
    }
}

#[test]
fn the_sweep_removes_at_most_its_cap_per_transaction_and_carries_the_rest_over_in_key_order() {
    let (mut sim, t) = staggered(6);
    sim.now = t + 100;
    let first = sim.price(TOY, P100);
    let swept: Vec<Address> = first.cancelled.iter().map(|c| c.account).collect();
    assert_eq!(ORDER_EXPIRY_SWEEP_PER_TX, 4);
    assert_eq!(
        swept,
        vec![addr(6), addr(5), addr(4), addr(3)],
        "first to expire first"
    );
    let second = sim.deposit(addr(1), USD);
    let swept: Vec<Address> = second.cancelled.iter().map(|c| c.account).collect();
    assert_eq!(
        swept,
        vec![addr(2), addr(1)],
        "the rest carry over; an L1 deposit sweeps too"
    );
    assert_eq!(open_orders(&mut sim, 6), 0);
}

#[test]
fn no_expiry_rests_until_cancelled() {
    let mut sim = toy_sim(1, 1_000 * USD);
    expect(&rest_ask(&mut sim, addr(1), 0, NO_EXPIRY), Status::Ok);
    sim.now += 365 * 24 * 3_600_000;
    sim.price(TOY, P100);
    assert_eq!(sim.view(addr(1)).open_orders.len(), 1);
}

#[test]
fn a_client_id_is_unique_among_open_orders_and_cancels_its_order() {
    let (a, b) = (addr(1), addr(2));
    let mut sim = toy_sim(2, 1_000 * USD);
    let far = sim.now + 60_000;
    expect(&rest_ask(&mut sim, a, 42, far), Status::Ok);
    // (what, account, client id, outcome)
    let table: [(&str, Address, u128, Status); 3] = [
        ("the same id again", a, 42, Status::ClientIdTaken),
        ("another id", a, 43, Status::Ok),
        ("the same id, another account", b, 42, Status::Ok),
    ];
    for (what, who, id, status) in table {
        assert_eq!(rest_ask(&mut sim, who, id, far).status, status, "{what}");
    }
    expect(&cancel_by_client_id(&mut sim, a, a, 42), Status::Ok);
    expect(
        &cancel_by_client_id(&mut sim, a, a, 42),
        Status::ClientOrderNotFound,
    );
    assert_eq!(sim.view(a).open_orders.len(), 1);
    // Freed: the id can be used again.
    expect(&rest_ask(&mut sim, a, 42, far), Status::Ok);
}

#[test]
fn the_account_or_its_approved_agent_may_sign() {
    let (a, stranger) = (addr(1), addr(9));
    let mut sim = toy_sim(1, 1_000 * USD);
    approve_bot(&mut sim, a);
    let far = sim.now + 60_000;
    // (what, signer, outcome, receipt's agent)
    let table: [(&str, Address, Status, Option<Address>); 3] = [
        ("the account", a, Status::Ok, None),
        ("its agent", BOT, Status::Ok, Some(BOT)),
        ("a stranger", stranger, Status::AgentNotApproved, None),
    ];
    for (i, (what, signer, status, agent)) in table.into_iter().enumerate() {
        let o = ClientOrder {
            signer,
            ..sim.client_order(a, (true, 90_000_000), i as u128 + 1, far)
        };
        let r = sim.apply(signed(Action::ClientOrder(o)), Ok(signer));
        assert_eq!(r.status, status, "{what}: {r:?}");
        assert_eq!(r.agent, agent, "{what}");
    }
    let r = cancel_by_client_id(&mut sim, BOT, a, 1);
    expect(&r, Status::Ok);
    assert_eq!(r.agent, Some(BOT));
}

#[test]
fn modify_keeps_priority_exactly_when_the_price_is_unchanged_and_the_size_does_not_grow() {
    // (what, new price, new size, keeps priority)
    let table: [(&str, u64, u64, bool); 4] = [
        ("size down", P100, 1, true),
        ("unchanged", P100, 2, true),
        ("size up", P100, 3, false),
        ("price changed", P100 + 1_000_000, 2, false),
    ];
    for (what, price, size, keeps) in table {
        let (a, b, taker) = (addr(1), addr(2), addr(3));
        let mut sim = toy_sim(3, 1_000 * USD);
        let far = sim.now + 60_000;
        // a rests first, then b, both at 100 for 2 units.
        for who in [a, b] {
            let o = ClientOrder {
                size: 2,
                ..sim.client_order(who, (false, P100), 5, far)
            };
            expect(&sim.act(Action::ClientOrder(o)), Status::Ok);
        }
        let r = modify(&mut sim, a, 5, price, size);
        expect(&r, Status::Ok);
        let order = &sim.view(a).open_orders[0];
        assert_eq!((order.price, order.remaining), (price, size), "{what}");
        let r = sim.order(taker, TOY, (true, P100 + 1_000_000, 1), TimeInForce::Ioc);
        let first = if keeps { a } else { b };
        assert_eq!(r.fills[0].maker, first, "{what}: {r:?}");
    }
}

#[test]
fn modify_rejections_leave_the_order_as_it_was() {
    let a = addr(1);
    let mut sim = toy_sim(1, 1_000 * USD);
    let t = sim.now + 5_000;
    expect(&rest_ask(&mut sim, a, 5, t), Status::Ok);
    // (what, client id, price, size, outcome)
    let table: [(&str, u128, u64, u64, Status); 3] = [
        ("unknown client id", 6, P100, 1, Status::ClientOrderNotFound),
        ("size 0", 5, P100, 0, Status::ZeroSize),
        ("off tick", 5, P100 + 1, 1, Status::InvalidTick),
    ];
    for (what, id, price, size, status) in table {
        assert_eq!(
            modify(&mut sim, a, id, price, size).status,
            status,
            "{what}"
        );
    }
    // Past its expiry but not yet swept (a modify is the first transaction after it):
    // the sweep of the same transaction removes it, so the modify finds nothing.
    sim.now = t + 1;
    let r = modify(&mut sim, a, 5, P100, 1);
    expect(&r, Status::ClientOrderNotFound);
    assert_eq!(
        sim.view(a).open_orders.len(),
        1,
        "a rejection undoes its sweep"
    );
}

/// Random workloads mixing the client-order kinds, leverage settings and margin modes (signed by
/// traders and their agents) with every other kind, over batches 1 s apart so good-till-time orders expire and the
/// sweep runs: every invariant holds after every transaction.
#[test]
fn random_workloads_with_client_orders_keep_every_invariant() {
    use protocol::batch::{domain_separator, execute_tx, genesis_tree};
    use protocol::engine::invariants::check_invariants;
    use protocol::workload::Workload;
    let mut kinds = std::collections::BTreeSet::new();
    for seed in 0..3 {
        let mut w = Workload::new(seed, 6)
            .with_agents(seed)
            .with_client_orders()
            .with_leverage()
            .with_isolated();
        let genesis = w.genesis.clone();
        let domain = domain_separator(&genesis);
        let mut tree = genesis_tree(&genesis);
        let t0 = 1_700_000_000_000;
        let mut txs = w.deposits(100_000_000_000);
        txs.extend(w.agent_approvals(t0));
        txs.extend(w.isolated_modes(t0));
        for batch in 0..12u64 {
            let now = t0 + batch * 1_000;
            txs.extend(w.price_updates(now));
            txs.extend((0..40).map(|_| w.next_tx(now)));
            let ctx = BlockContext { timestamp_ms: now };
            for tx in txs.drain(..) {
                let r = execute_tx(&mut tree, &genesis, &domain, &ctx, &tx).unwrap();
                if let Tx::User { action } = &tx {
                    kinds.insert((action.action.type_name(), r.status.is_ok()));
                }
                if let Err(e) = check_invariants(&genesis, tree.iter()) {
                    panic!("seed {seed}, batch {batch}, after {tx:?} → {r:?}: {e}");
                }
            }
        }
    }
    for kind in [
        "ClientOrder",
        "CancelByClientId",
        "ModifyOrder",
        "SetLeverage",
        "SetMarginMode",
        "IsolatedMargin",
    ] {
        assert!(
            kinds.contains(&(kind, true)),
            "{kind} accepted somewhere: {kinds:?}"
        );
    }
}
