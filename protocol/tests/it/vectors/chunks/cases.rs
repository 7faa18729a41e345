//! The chunks of `chunks.json`. Each case builds its pre-state with setup transactions on a
//! `World`, then lists the transactions of one chunk, each with the status it must get and
//! why, so a changed rule shows up as a failed expectation rather than a silently
//! different vector.

mod accounts;
mod agents;
mod checks;
mod dead_man;
mod isolated;
mod leverage;
mod margin;
mod options;
mod orders;
mod signatures;
mod toolkit;
mod triggers;

use super::world::{ALICE, BOB, BTC, BTC_UNIT, CAROL, USD, World};
use protocol::action::{Action, TimeInForce, TpSl, TriggerKind, TriggerOrder, Tx};
use protocol::engine::Status;
use protocol::genesis::Genesis;
use protocol::tree::Tree;

/// The name of the unmodified devnet genesis in the vectors.
pub const DEVNET: &str = "devnet";
const MILLION_USD: u64 = 1_000_000 * USD;
const BTC_50K: u64 = 50_000 * USD;

/// One chunk: its pre-state, block time and transactions.
pub struct Case {
    pub name: &'static str,
    pub what: &'static str,
    /// The key of `genesis` in the file's `geneses`.
    pub genesis_name: &'static str,
    pub genesis: Genesis,
    pub pre_state: Tree,
    pub timestamp_ms: u64,
    pub txs: Vec<CaseTx>,
}

/// One transaction of a case and the status the reference engine must give it.
pub struct CaseTx {
    pub why: String,
    pub expect: Status,
    pub tx: Tx,
}

impl Case {
    /// A case on the devnet genesis, starting from `world`'s state at block time `world.now`.
    pub fn start(world: &World, name: &'static str, what: &'static str) -> Case {
        Case {
            name,
            what,
            genesis_name: DEVNET,
            genesis: world.genesis.clone(),
            pre_state: world.tree.clone(),
            timestamp_ms: world.now,
            txs: Vec::new(),
        }
    }

    pub fn push(&mut self, expect: Status, why: impl Into<String>, tx: Tx) {
        self.txs.push(CaseTx {
            why: why.into(),
            expect,
            tx,
        });
    }
}

/// Every case, in the order of the file.
pub fn all() -> Vec<Case> {
    vec![
        signatures::signatures(),
        checks::common_checks(),
        checks::oracle(),
        checks::oracle_median(),
        checks::l1_queue(),
        orders::order_checks(),
        orders::invalid_lot(),
        orders::open_interest_cap(),
        orders::arithmetic_overflow(),
        accounts::stale_price(),
        accounts::circuit_breaker(),
        accounts::funding_by_time(),
        accounts::margin(),
        accounts::cancels(),
        accounts::liquidation(),
        accounts::liquidation_adl(),
        agents::agents(),
        dead_man::dead_man(),
        toolkit::toolkit_client_orders(),
        triggers::trigger_orders(),
        options::option_listing(),
        options::option_implied_vol(),
        leverage::leverage_settings(),
        options::option_trading(),
        options::option_settlement(),
        options::option_position_slots(),
        options::option_liquidation(),
        margin::margin_trigger_lifecycle(),
        isolated::isolated_margin(),
        toolkit::toolkit_bulk_modify(),
    ]
}

/// A world on the devnet genesis: `traders` funded with `each`, BTC at 50,000 USD at T0.
fn btc_world(traders: &[usize], each: u64) -> World {
    let mut w = World::devnet();
    w.fund(traders, each);
    w.setup([w.price(BTC, BTC_50K)]);
    w
}

/// carol's BTC trigger order of kind `kind` buying 1 BTC once the mark reaches `trigger`
/// (`price`: its limit, 0 for the market kinds).
fn carol_buy_stop(w: &mut World, trigger: u64, kind: TriggerKind, price: u64) -> Tx {
    let carol = w.address(CAROL);
    let action = Action::TriggerOrder(TriggerOrder {
        signer: carol,
        account: carol,
        market: BTC,
        is_buy: true,
        kind,
        trigger_price: trigger,
        price,
        size: BTC_UNIT,
        reduce_only: false,
        nonce: w.nonce(CAROL),
        expires_at: w.expires_at(),
    });
    w.sign(CAROL, action)
}

/// alice sets a TP/SL on her BTC position (take profit 52,000 USD, stop loss 49,000 USD),
/// which passes: the step the trigger cases share before their marks move.
fn push_alice_tp_sl(w: &mut World, case: &mut Case) {
    let alice = w.address(ALICE);
    let tp_sl = Action::TpSl(TpSl {
        signer: alice,
        account: alice,
        market: BTC,
        take_profit: 52_000 * USD,
        stop_loss: 49_000 * USD,
        nonce: w.nonce(ALICE),
        expires_at: w.expires_at(),
    });
    let tx = w.sign(ALICE, tp_sl);
    case.push(
        Status::Ok,
        "alice: take profit 52,000, stop loss 49,000",
        tx,
    );
}

/// alice buys `size` at 50,000 USD with an IOC order against bob's GTC ask.
fn alice_long(w: &mut World, size: u64) {
    let ask = w.order_tx(BOB, BTC, (false, BTC_50K, size), TimeInForce::Gtc);
    let take = w.order_tx(ALICE, BTC, (true, BTC_50K, size), TimeInForce::Ioc);
    w.setup([ask, take]);
}
