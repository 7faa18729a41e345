//! Agent keys (issue #16): what an approved agent may and may not sign, as one table of
//! (action, signer, status); expiry, revocation and re-approval; bad approvals; the read
//! view; and the agent shown on the receipt.

use super::*;
use TimeInForce::Gtc;
use protocol::action::{AgentCancel, AgentCancelAll, AgentOrder, ApproveAgent, RevokeAgent};

const BOT: Address = Address([0xb0; 20]);

fn approve(sim: &mut Sim, account: Address, agent: Address, valid_until: u64) -> Receipt {
    let a = ApproveAgent {
        account,
        agent,
        name: "market maker".into(),
        valid_until,
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    };
    sim.act(Action::ApproveAgent(a))
}

fn revoke(sim: &mut Sim, account: Address, agent: Address) -> Receipt {
    let r = RevokeAgent {
        account,
        agent,
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    };
    sim.act(Action::RevokeAgent(r))
}

/// A GTC bid of `account` at 90, placed by `agent` (signed by `agent`).
fn agent_bid(sim: &mut Sim, account: Address, agent: Address) -> (AgentOrder, Receipt) {
    let order = sim.order_msg(account, TOY, (true, 90_000_000, 1), Gtc);
    let o = AgentOrder::new(agent, order);
    let r = sim.act(Action::AgentOrder(o.clone()));
    (o, r)
}

#[test]
fn an_agent_trades_for_its_account_and_the_receipt_names_it() {
    let (a, b) = (addr(1), addr(2));
    let mut sim = toy_sim(2, 1_000 * USD);
    expect(&approve(&mut sim, a, BOT, 0), Status::Ok);
    let (o, r) = agent_bid(&mut sim, a, BOT);
    expect(&r, Status::Ok);
    assert_eq!(r.agent, Some(BOT), "the receipt shows which key signed");
    let open = &sim.view(a).open_orders;
    assert_eq!(
        (open.len(), open[0].nonce),
        (1, o.nonce),
        "it rests as a's order"
    );
    // A fill against it books a's position, not the agent's.
    let r = sim.order(b, TOY, (false, 90_000_000, 1), TimeInForce::Ioc);
    assert_eq!(fills(&r), vec![(a, 90_000_000, 1)]);
    assert_eq!(r.agent, None, "b signed its own order");
    assert_eq!(sim.position(a, TOY).size, 1);
    assert!(sim.account(BOT).is_empty(), "the agent holds nothing");
    // The same nonce is the account's: a's own order with it is a replay.
    let replay = Order {
        nonce: o.nonce,
        ..sim.order_msg(a, TOY, (true, 90_000_000, 1), Gtc)
    };
    expect(&sim.act(Action::Order(replay)), Status::NonceAlreadyUsed);
}

#[test]
fn what_an_agent_may_sign() {
    let (a, stranger) = (addr(1), addr(9));
    let mut sim = toy_sim(2, 1_000 * USD);
    expect(&approve(&mut sim, a, BOT, 0), Status::Ok);
    let (resting, _) = agent_bid(&mut sim, a, BOT);
    let (now, n) = (sim.now, 1_000);
    let own = |nonce| Withdraw {
        account: a,
        amount: USD as u64,
        nonce,
        expires_at: now,
    };
    // (what, action, the key that signed it, the outcome)
    let table: Vec<(&str, Action, Address, Status)> = vec![
        (
            "agent withdraws",
            Action::Withdraw(own(n)),
            BOT,
            Status::AgentNotPermitted,
        ),
        (
            "stranger withdraws",
            Action::Withdraw(own(n + 1)),
            stranger,
            Status::SignerMismatch,
        ),
        (
            "agent approves another agent",
            Action::ApproveAgent(ApproveAgent {
                account: a,
                agent: stranger,
                name: String::new(),
                valid_until: 0,
                nonce: n + 2,
                expires_at: now,
            }),
            BOT,
            Status::AgentNotPermitted,
        ),
        (
            "agent revokes itself",
            Action::RevokeAgent(RevokeAgent {
                account: a,
                agent: BOT,
                nonce: n + 3,
                expires_at: now,
            }),
            BOT,
            Status::AgentNotPermitted,
        ),
        (
            "agent signs a plain Order",
            Action::Order(sim.order_msg(a, TOY, (true, 90_000_000, 1), Gtc)),
            BOT,
            Status::AgentNotPermitted,
        ),
        (
            "agent liquidates as the account",
            Action::Liquidate(Liquidate {
                liquidator: a,
                account: addr(2),
                market: TOY,
                nonce: n + 4,
                expires_at: now,
            }),
            BOT,
            Status::AgentNotPermitted,
        ),
        (
            "stranger signs an AgentOrder naming the agent",
            Action::AgentOrder(AgentOrder::new(
                BOT,
                sim.order_msg(a, TOY, (true, 90_000_000, 1), Gtc),
            )),
            stranger,
            Status::SignerMismatch,
        ),
        (
            "an unapproved key places an AgentOrder",
            Action::AgentOrder(AgentOrder::new(
                stranger,
                sim.order_msg(a, TOY, (true, 90_000_000, 1), Gtc),
            )),
            stranger,
            Status::AgentNotApproved,
        ),
        (
            "agent cancels one order",
            Action::AgentCancel(AgentCancel {
                agent: BOT,
                account: a,
                market: TOY,
                order_nonce: resting.nonce,
                nonce: n + 5,
                expires_at: now,
            }),
            BOT,
            Status::Ok,
        ),
        (
            "agent cancels everything",
            Action::AgentCancelAll(AgentCancelAll {
                agent: BOT,
                account: a,
                nonce: n + 6,
                expires_at: now,
            }),
            BOT,
            Status::Ok,
        ),
    ];
    for (what, action, key, status) in table {
        let r = sim.apply(signed(action), Ok(key));
        assert_eq!(r.status, status, "{what}: {r:?}");
        if status == Status::AgentNotPermitted {
            let detail = r.detail.unwrap_or_default();
            assert!(detail.contains("an agent of"), "{what}: {detail}");
        }
    }
    assert_eq!(sim.collateral(a), 1_000 * USD, "nothing was withdrawn");
}

#[test]
fn expiry_and_revocation_stop_the_agent() {
    let a = addr(1);
    let mut sim = toy_sim(1, 1_000 * USD);
    let until = sim.now + 5_000;
    expect(&approve(&mut sim, a, BOT, until), Status::Ok);
    // (batch time, outcome): valid through validUntil inclusive, expired one ms later.
    for (now, status) in [
        (until - 5_000, Status::Ok),
        (until, Status::Ok),
        (until + 1, Status::AgentExpired),
    ] {
        sim.now = now;
        sim.price(TOY, P100);
        let (_, r) = agent_bid(&mut sim, a, BOT);
        assert_eq!(r.status, status, "at {now}: {r:?}");
    }
    // An expired agent is still named: withdrawing with its key says why it failed.
    let w = Withdraw {
        account: a,
        amount: 1,
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    };
    expect(
        &sim.apply(signed(Action::Withdraw(w)), Ok(BOT)),
        Status::AgentNotPermitted,
    );
    // Re-approving brings it back; revoking stops it for good.
    expect(&approve(&mut sim, a, BOT, 0), Status::Ok);
    expect(&agent_bid(&mut sim, a, BOT).1, Status::Ok);
    expect(&revoke(&mut sim, a, BOT), Status::Ok);
    expect(&agent_bid(&mut sim, a, BOT).1, Status::AgentNotApproved);
    expect(&revoke(&mut sim, a, BOT), Status::AgentNotApproved);
    assert_eq!(
        sim.view(a).open_orders.len(),
        3,
        "its orders stay until cancelled"
    );
}

#[test]
fn bad_approvals_are_refused() {
    let a = addr(1);
    let mut sim = toy_sim(1, 1_000 * USD);
    let now = sim.now;
    for (agent, valid_until, status) in [
        (a, 0, Status::InvalidAgent),
        (Address::ZERO, 0, Status::InvalidAgent),
        (BOT, now - 1, Status::AgentExpired),
        (BOT, now, Status::Ok),
    ] {
        let r = approve(&mut sim, a, agent, valid_until);
        assert_eq!(r.status, status, "{agent} until {valid_until}: {r:?}");
    }
    let insurance = ApproveAgent {
        account: Address::ZERO,
        agent: BOT,
        name: String::new(),
        valid_until: 0,
        nonce: sim.next_nonce(),
        expires_at: now,
    };
    expect(
        &sim.act(Action::ApproveAgent(insurance)),
        Status::ReservedAccount,
    );
}

#[test]
fn one_agent_serves_several_accounts_and_the_view_lists_them() {
    let (a, b) = (addr(1), addr(2));
    let mut sim = toy_sim(2, 1_000 * USD);
    let other_bot = Address([0xb1; 20]);
    expect(&approve(&mut sim, a, BOT, 0), Status::Ok);
    let soon = sim.now + 1;
    expect(&approve(&mut sim, a, other_bot, soon), Status::Ok);
    expect(&approve(&mut sim, b, BOT, 0), Status::Ok);
    expect(&agent_bid(&mut sim, a, BOT).1, Status::Ok);
    expect(&agent_bid(&mut sim, b, BOT).1, Status::Ok);
    sim.now += 2;
    let ctx = sim.ctx();
    let listed = view::agents_view(&mut sim.st, &ctx, &a).unwrap();
    let rows: Vec<_> = listed.agents.iter().map(|v| (v.agent, v.active)).collect();
    assert_eq!(rows, vec![(BOT, true), (other_bot, false)]);
    assert_eq!(listed.agents[0].name, "market maker");
    let ctx = sim.ctx();
    assert_eq!(
        view::agents_view(&mut sim.st, &ctx, &b)
            .unwrap()
            .agents
            .len(),
        1
    );
    assert!(
        view::agents_view(&mut sim.st, &ctx, &addr(3))
            .unwrap()
            .agents
            .is_empty()
    );
}
