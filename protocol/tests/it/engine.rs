//! The exchange engine (STF) through its public API, on `MapState`.
//!
//! `Sim` applies transactions the way a batch does and, after every one, checks all
//! state invariants and that a rejected user action left the state byte-identical.
//! Scenario tests pin exact numbers; the workload tests run long random sequences.

mod agents;
mod breakers;
mod bulk_modify;
mod client_orders;
mod common_checks;
mod dead_man;
mod funding_by_time;
mod isolated;
mod leverage;
mod liquidation_bound;
mod liquidations;
mod option_liquidation;
mod option_listing;
mod option_trading;
mod option_vol;
mod option_workload;
mod oracle_median;
mod orders;
mod reservation;
mod robust_mark;
mod touched_keys;
mod transfers;
mod triggers;
mod worked_example;
mod workload;

use protocol::action::{
    Action, Cancel, CancelAll, ClientOrder, L1Message, Liquidate, Offer, Order, PriceUpdate,
    Signature, SignedAction, TimeInForce, Tx, Withdraw,
};
use protocol::engine::{
    BlockContext, Receipt, Status, apply_tx, bounds, init_genesis, invariants, keys, records, view,
};
use protocol::genesis::{Genesis, MarketParams};
use protocol::primitives::Address;
use protocol::signing::SignatureError;
use protocol::state::{Key, MapState, Mark, State, StateError};
use std::collections::{BTreeMap, BTreeSet};

pub const ORACLE: Address = Address([0xee; 20]);
/// BTC-like: 4 size decimals, 1 USD tick, fees 2/5 bps, band 10 %.
pub const BTC: u32 = 1;
/// A toy market with whole units (0 decimals) for easy arithmetic: fees 10/20 bps,
/// band 50 %, open-interest cap 1000 units.
pub const TOY: u32 = 2;
pub const USD: i128 = 1_000_000;
/// 100 USD, the TOY market's usual price.
pub const P100: u64 = 100_000_000;

pub fn addr(n: u8) -> Address {
    assert_ne!(n, 0, "address 0 is the insurance fund");
    Address([n; 20])
}

pub fn genesis() -> Genesis {
    let market = |id: u32, symbol: &str, size_decimals: u8| {
        MarketParams::on_devnet_terms(id, symbol, size_decimals, 1_000_000, 1_000_000_000)
    };
    let toy = MarketParams {
        maker_fee_bps: 10,
        taker_fee_bps: 20,
        price_band_bps: 5_000,
        open_interest_cap: 1_000,
        ..market(TOY, "TOY-PERP", 0)
    };
    // The devnet's chain terms (K = 16, 60 s price age, hourly funding, ...), our markets.
    let g = Genesis {
        markets: vec![market(BTC, "BTC-PERP", 4), toy],
        ..Genesis::devnet(31337, Address([0xcc; 20]), ORACLE)
    };
    g.validate().expect("test genesis is valid");
    g
}

/// The agent key the agent-signing tables use.
pub const BOT: Address = Address([0xb0; 20]);

/// `account` approves [`BOT`] as its agent, with no expiry.
pub fn approve_bot(sim: &mut Sim, account: Address) {
    let approve = protocol::action::ApproveAgent {
        account,
        agent: BOT,
        name: "quoter".into(),
        valid_until: 0,
        nonce: sim.next_nonce(),
        expires_at: sim.now,
    };
    expect(&sim.act(Action::ApproveAgent(approve)), Status::Ok);
}

/// A TOY market at 100 USD with `n` funded accounts 1..=n.
pub fn toy_sim(n: u8, each: i128) -> Sim {
    let mut sim = Sim::new();
    sim.price(TOY, P100);
    for i in 1..=n {
        sim.deposit(addr(i), each);
    }
    sim
}

pub fn signed(action: Action) -> Tx {
    Tx::User {
        action: SignedAction {
            action,
            signature: Signature([0; 65]),
        },
    }
}

/// A chain under test: state, genesis, clock, and nonce / queue counters.
pub struct Sim {
    pub st: MapState,
    pub g: Genesis,
    pub now: u64,
    pub nonce: u64,
    pub queue: u64,
    /// State paths the last transaction touched (see `engine::bounds`).
    pub last_touched: usize,
    /// Transactions applied.
    pub applied: u64,
    /// Whole-state invariant checks run.
    pub checks: u64,
    /// The whole-state checks (every named invariant; a workload's model comparison) run
    /// after every this-many transactions: 1 in every test; a long run may check at a
    /// batch's granularity, as production does, because each check reads the whole state.
    pub full_check_every: u64,
}

/// Wraps the state and records every path a transaction touches: keys read, written or
/// deleted, and `first_with_prefix` probes (the key found, or the prefix proven empty).
struct Recording<'a> {
    inner: &'a mut MapState,
    keys: BTreeSet<Key>,
    empty_probes: BTreeSet<Vec<u8>>,
    /// What each written key held before the transaction's first write to it: only these
    /// keys can differ afterwards, so a no-op check compares them instead of the whole
    /// state (a clone per action made long runs quadratic in the state's size).
    prior: BTreeMap<Key, Option<Vec<u8>>>,
}

impl Recording<'_> {
    fn remember(&mut self, key: &Key) -> Result<(), StateError> {
        self.keys.insert(*key);
        if !self.prior.contains_key(key) {
            let value = self.inner.get(key)?;
            self.prior.insert(*key, value);
        }
        Ok(())
    }

    /// The written keys whose value differs from what they held before.
    fn changed(&mut self) -> Vec<Key> {
        let prior = std::mem::take(&mut self.prior);
        prior
            .into_iter()
            .filter(|(key, value)| self.inner.get(key).expect("MapState never fails") != *value)
            .map(|(key, _)| key)
            .collect()
    }
}

impl State for Recording<'_> {
    fn get(&mut self, key: &Key) -> Result<Option<Vec<u8>>, StateError> {
        self.keys.insert(*key);
        self.inner.get(key)
    }
    fn set(&mut self, key: &Key, value: Vec<u8>) -> Result<(), StateError> {
        self.remember(key)?;
        self.inner.set(key, value)
    }
    fn delete(&mut self, key: &Key) -> Result<(), StateError> {
        self.remember(key)?;
        self.inner.delete(key)
    }
    fn first_with_prefix(&mut self, prefix: &[u8]) -> Result<Option<(Key, Vec<u8>)>, StateError> {
        let found = self.inner.first_with_prefix(prefix)?;
        match &found {
            Some((key, _)) => self.keys.insert(*key),
            None => self.empty_probes.insert(prefix.to_vec()),
        };
        Ok(found)
    }
    fn begin(&mut self) -> Mark {
        self.inner.begin()
    }
    fn commit(&mut self, mark: Mark) {
        self.inner.commit(mark)
    }
    fn rollback(&mut self, mark: Mark) -> Result<(), StateError> {
        self.inner.rollback(mark)
    }
}

impl Sim {
    pub fn new() -> Sim {
        Sim::with_genesis(genesis())
    }

    pub fn with_genesis(g: Genesis) -> Sim {
        let mut st = MapState::default();
        init_genesis(&mut st, &g).unwrap();
        invariants::check_map_state(&g, &st).unwrap();
        Sim {
            st,
            g,
            now: 1_000,
            nonce: 0,
            queue: 0,
            last_touched: 0,
            applied: 0,
            checks: 0,
            full_check_every: 1,
        }
    }

    pub fn ctx(&self) -> BlockContext {
        BlockContext {
            timestamp_ms: self.now,
        }
    }

    /// Applies `tx` with the given signature outcome; checks invariants, that a rejected
    /// user action changed nothing, and that the paths it touched are within the bound.
    pub fn apply(&mut self, tx: Tx, signer: Result<Address, SignatureError>) -> Receipt {
        let ctx = self.ctx();
        let mut rec = Recording {
            inner: &mut self.st,
            keys: BTreeSet::new(),
            empty_probes: BTreeSet::new(),
            prior: BTreeMap::new(),
        };
        let r = apply_tx(&mut rec, &self.g, &ctx, &tx, &signer).expect("MapState never fails");
        let changed = rec.changed();
        self.last_touched = rec.keys.len() + rec.empty_probes.len();
        let bound = bounds::max_touched_for(&self.g, &tx);
        assert!(
            self.last_touched <= bound,
            "{tx:?} touched {} paths, bound {bound}",
            self.last_touched
        );
        assert!(bound <= bounds::max_touched_keys(&self.g));
        if !r.status.is_ok() && matches!(tx, Tx::User { .. }) {
            assert!(
                changed.is_empty(),
                "rejected {tx:?} ({:?}) changed the state at {changed:?}",
                r.status
            );
        }
        self.applied += 1;
        if self.full_check_due() {
            if let Err(e) = invariants::check_map_state(&self.g, &self.st) {
                panic!("after {tx:?} → {r:?}: {e}");
            }
            self.checks += 1;
        }
        r
    }

    /// Whether the whole-state checks run after the transaction just applied.
    pub fn full_check_due(&self) -> bool {
        self.applied.is_multiple_of(self.full_check_every)
    }

    /// Applies a correctly signed action.
    pub fn act(&mut self, action: Action) -> Receipt {
        let signer = action.claimed_signer().unwrap_or(ORACLE);
        self.apply(signed(action), Ok(signer))
    }

    pub fn next_nonce(&mut self) -> u64 {
        self.nonce += 1;
        self.nonce
    }

    pub fn deposit(&mut self, who: Address, amount: i128) -> Receipt {
        let tx = Tx::L1 {
            queue_index: self.queue,
            message: L1Message::Deposit {
                account: who,
                amount: amount as u64,
            },
        };
        self.queue += 1;
        let r = self.apply(tx, Ok(who));
        assert_eq!(r.status, Status::Ok);
        r
    }

    pub fn price(&mut self, market: u32, price: u64) -> Receipt {
        self.act(Action::PriceUpdate(PriceUpdate {
            market,
            price,
            timestamp_ms: self.now,
        }))
    }

    pub fn order_msg(
        &mut self,
        who: Address,
        market: u32,
        offer: Offer,
        tif: TimeInForce,
    ) -> Order {
        let guard = (self.next_nonce(), self.now + 10_000);
        Order::plain(who, market, offer, tif, guard)
    }

    pub fn order(&mut self, who: Address, market: u32, offer: Offer, tif: TimeInForce) -> Receipt {
        let o = self.order_msg(who, market, offer, tif);
        self.act(Action::Order(o))
    }

    /// A GTC `ClientOrder` of `who` (signing for itself) on TOY for one unit, tagged
    /// `client_id`, resting until `expires_at`.
    pub fn client_order(
        &mut self,
        who: Address,
        (is_buy, price): (bool, u64),
        client_id: u128,
        expires_at: u64,
    ) -> ClientOrder {
        ClientOrder {
            signer: who,
            account: who,
            market: TOY,
            is_buy,
            price,
            size: 1,
            tif: TimeInForce::Gtc,
            reduce_only: false,
            client_id,
            nonce: self.next_nonce(),
            expires_at,
        }
    }

    /// `order` (from `order_msg`), placed reduce-only.
    pub fn reduce_only(&mut self, order: Order) -> Receipt {
        let o = Order {
            reduce_only: true,
            ..order
        };
        self.act(Action::Order(o))
    }

    pub fn cancel(&mut self, who: Address, market: u32, order_nonce: u64) -> Receipt {
        let c = Cancel {
            account: who,
            market,
            order_nonce,
            nonce: self.next_nonce(),
            expires_at: self.now,
        };
        self.act(Action::Cancel(c))
    }

    pub fn cancel_all(&mut self, who: Address) -> Receipt {
        let c = CancelAll {
            account: who,
            nonce: self.next_nonce(),
            expires_at: self.now,
        };
        self.act(Action::CancelAll(c))
    }

    pub fn withdraw(&mut self, who: Address, amount: i128) -> Receipt {
        let w = Withdraw {
            account: who,
            amount: amount as u64,
            nonce: self.next_nonce(),
            expires_at: self.now,
        };
        self.act(Action::Withdraw(w))
    }

    pub fn liquidate(&mut self, liquidator: Address, account: Address, market: u32) -> Receipt {
        let l = Liquidate {
            liquidator,
            account,
            market,
            nonce: self.next_nonce(),
            expires_at: self.now,
        };
        self.act(Action::Liquidate(l))
    }

    pub fn account(&mut self, who: Address) -> records::Account {
        use protocol::codec::Decode;
        let bytes = self.st.get(&keys::account_key(&who)).unwrap();
        bytes
            .map(|b| records::Account::decode(&b).unwrap())
            .unwrap_or_else(|| records::Account::empty(who))
    }

    pub fn collateral(&mut self, who: Address) -> i128 {
        self.account(who).collateral
    }

    pub fn position(&mut self, who: Address, market: u32) -> records::Position {
        use protocol::codec::Decode;
        self.st
            .get(&keys::position_key(&who, market))
            .unwrap()
            .map(|b| records::Position::decode(&b).unwrap())
            .unwrap_or_default()
    }

    /// How many trigger orders `who` has waiting (the `0x1c` count).
    pub fn triggers_waiting(&mut self, who: Address) -> u32 {
        protocol::engine::triggers::waiting_count(&mut self.st, &who).unwrap()
    }

    pub fn market(&mut self, market: u32) -> records::MarketState {
        view::market_state(&mut self.st, market).unwrap()
    }

    pub fn meta(&mut self) -> records::Meta {
        view::meta(&mut self.st).unwrap()
    }

    pub fn view(&mut self, who: Address) -> view::AccountView {
        let ctx = self.ctx();
        view::account_view(&mut self.st, &self.g, &ctx, &who).unwrap()
    }
}

/// Asserts a receipt's status, showing the receipt when it differs.
#[track_caller]
pub fn expect(r: &Receipt, status: Status) {
    assert_eq!(r.status, status, "{r:?}");
}

/// Asserts a table row's status and that the receipt's detail names every part.
#[track_caller]
pub fn check(name: &str, r: &Receipt, status: Status, parts: &[&str]) {
    assert_eq!(r.status, status, "{name}: {r:?}");
    let detail = r.detail.as_deref().unwrap_or_default();
    for part in parts {
        assert!(detail.contains(part), "{name}: {detail:?} lacks {part:?}");
    }
}

/// The trader of the single-account tables (leverage, isolated margin, reservations).
pub const TRADER: Address = Address([1; 20]);
/// Their deep counterparty.
pub const OTHER: Address = Address([9; 20]);

/// A TOY market with TRADER holding `deposit` USD and OTHER 100,000 USD.
pub fn funded(deposit: i128) -> Sim {
    let mut sim = toy_sim(0, 0);
    sim.deposit(TRADER, deposit * USD);
    sim.deposit(OTHER, 100_000 * USD);
    sim
}

/// The (maker, price, size) of each fill.
pub fn fills(r: &Receipt) -> Vec<(Address, u64, u64)> {
    r.fills.iter().map(|f| (f.maker, f.price, f.size)).collect()
}
