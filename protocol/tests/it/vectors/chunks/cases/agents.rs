//! The `agents` case (Part 4 §18): alice approves erin's key as her agent; erin places and
//! cancels orders for her, but a withdrawal signed by erin is `agent_not_permitted`; bad
//! approvals, an unapproved key, and a revoked agent.

use super::super::world::{ALICE, BTC, BTC_UNIT, DAVE, ERIN, USD, World};
use super::{Case, MILLION_USD, btc_world};
use protocol::action::{
    Action, AgentCancel, AgentCancelAll, AgentOrder, ApproveAgent, RevokeAgent, TimeInForce,
    Withdraw,
};
use protocol::engine::Status;

fn approve(w: &mut World, agent: usize, valid_until: u64) -> Action {
    Action::ApproveAgent(ApproveAgent {
        account: w.address(ALICE),
        agent: w.address(agent),
        name: "alice's bot".into(),
        valid_until,
        nonce: w.nonce(ALICE),
        expires_at: w.expires_at(),
    })
}

/// A bid of alice's (her nonce), signed as an `AgentOrder` by `agent`'s key.
fn agent_bid(w: &mut World, agent: usize) -> (u64, protocol::action::Tx) {
    let order = w.order(ALICE, BTC, (true, 49_000 * USD, BTC_UNIT), TimeInForce::Gtc);
    let nonce = order.nonce;
    let action = Action::AgentOrder(AgentOrder::new(w.address(agent), order));
    (nonce, w.sign(agent, action))
}

pub fn agents() -> Case {
    let mut w = btc_world(&[ALICE], MILLION_USD);
    let mut case = Case::start(
        &w,
        "agents",
        "agent keys: an approved agent places and cancels orders for the account and is named \
         on the receipt; withdrawing with its key, approving oneself or an expired validity, \
         an unapproved key and a revoked agent are refused",
    );
    let approve_erin = approve(&mut w, ERIN, 0);
    case.push(
        Status::Ok,
        "alice approves erin until revoked",
        w.sign(ALICE, approve_erin),
    );
    let (resting, tx) = agent_bid(&mut w, ERIN);
    case.push(Status::Ok, "erin's AgentOrder: alice's bid rests", tx);
    let cancel = Action::AgentCancel(AgentCancel {
        agent: w.address(ERIN),
        account: w.address(ALICE),
        market: BTC,
        order_nonce: resting,
        nonce: w.nonce(ALICE),
        expires_at: w.expires_at(),
    });
    case.push(
        Status::Ok,
        "erin cancels it (AgentCancel)",
        w.sign(ERIN, cancel),
    );
    let (_, tx) = agent_bid(&mut w, ERIN);
    case.push(Status::Ok, "erin bids again for alice", tx);
    let cancel_all = Action::AgentCancelAll(AgentCancelAll {
        agent: w.address(ERIN),
        account: w.address(ALICE),
        nonce: w.nonce(ALICE),
        expires_at: w.expires_at(),
    });
    case.push(
        Status::Ok,
        "erin cancels all of alice's orders",
        w.sign(ERIN, cancel_all),
    );
    let withdraw = Action::Withdraw(Withdraw {
        account: w.address(ALICE),
        amount: USD,
        nonce: w.nonce(ALICE),
        expires_at: w.expires_at(),
    });
    let why = "alice's Withdraw signed by erin's key: agents never withdraw";
    case.push(Status::AgentNotPermitted, why, w.sign(ERIN, withdraw));
    let approve_self = approve(&mut w, ALICE, 0);
    let why = "alice approves her own address";
    case.push(Status::InvalidAgent, why, w.sign(ALICE, approve_self));
    let before_the_batch = w.now - 1;
    let stale = approve(&mut w, DAVE, before_the_batch);
    let why = "alice approves dave with validUntil 1 ms before the batch";
    case.push(Status::AgentExpired, why, w.sign(ALICE, stale));
    let (_, tx) = agent_bid(&mut w, DAVE);
    case.push(
        Status::AgentNotApproved,
        "dave (never approved) bids for alice",
        tx,
    );
    let revoke = Action::RevokeAgent(RevokeAgent {
        account: w.address(ALICE),
        agent: w.address(ERIN),
        nonce: w.nonce(ALICE),
        expires_at: w.expires_at(),
    });
    case.push(Status::Ok, "alice revokes erin", w.sign(ALICE, revoke));
    let (_, tx) = agent_bid(&mut w, ERIN);
    case.push(
        Status::AgentNotApproved,
        "erin, revoked, bids for alice",
        tx,
    );
    case
}
