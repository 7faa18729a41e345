//! A small exchange built transaction by transaction for the chunk vectors: the devnet
//! genesis (or a variant), the seeded workload's traders and the devnet oracle key, and
//! hand-made signed actions. Setup transactions run on the full tree and must all be `ok`;
//! a case then records the transactions of one chunk against the state they left.

use protocol::action::{
    Action, Cancel, CancelAll, L1Message, Liquidate, Offer, Order, PriceUpdate, SignedAction,
    TimeInForce, Tx, Withdraw,
};
use protocol::batch::{domain_separator, execute_tx, genesis_tree};
use protocol::engine::{BlockContext, Receipt, Status, view};
use protocol::genesis::{
    DEVNET_CHAIN_ID, DEVNET_VERIFYING_CONTRACT, Genesis, devnet_oracle_key,
    devnet_oracle_signer_key, devnet_oracles,
};
use protocol::primitives::{Address, H256};
use protocol::signing::sign_action;
use protocol::tree::Tree;
use protocol::workload::Workload;

/// The workload seed the traders' keys derive from (`workload::dev_key("vigil-trader", seed, i)`).
pub const TRADER_SEED: u64 = 11;
/// Traders by index: their names in the vectors.
pub const TRADER_NAMES: [&str; 5] = ["alice", "bob", "carol", "dave", "erin"];
pub const ALICE: usize = 0;
pub const BOB: usize = 1;
pub const CAROL: usize = 2;
pub const DAVE: usize = 3;
pub const ERIN: usize = 4;

/// Setup time: deposits, the first prices and resting orders.
pub const T0: u64 = 1_700_000_000_000;
/// The block time of most cases: one second after setup, prices still fresh.
pub const T1: u64 = T0 + 1_000;
pub const BTC: u32 = 1;
pub const ETH: u32 = 2;
/// One USD in micro-USDC.
pub const USD: u64 = 1_000_000;
/// One whole BTC in BTC-PERP size units (size_decimals = 4).
pub const BTC_UNIT: u64 = 10_000;

/// The devnet genesis with the devnet's three oracle signers, as every binary builds it.
pub fn devnet_genesis() -> Genesis {
    let oracles = devnet_oracles();
    Genesis::devnet(DEVNET_CHAIN_ID, DEVNET_VERIFYING_CONTRACT, oracles[0]).with_oracles(oracles)
}

/// A state under construction and the keys that sign for it.
pub struct World {
    pub genesis: Genesis,
    pub tree: Tree,
    pub workload: Workload,
    domain: H256,
    /// The block time transactions are built for and setup runs at.
    pub now: u64,
    next_nonce: Vec<u64>,
}

impl World {
    pub fn devnet() -> World {
        World::on(devnet_genesis())
    }

    pub fn on(genesis: Genesis) -> World {
        genesis.validate().expect("vector genesis is valid");
        let workload = Workload::with_genesis(
            TRADER_SEED,
            TRADER_NAMES.len(),
            genesis.clone(),
            devnet_oracle_key(),
        );
        World {
            tree: genesis_tree(&genesis),
            domain: domain_separator(&genesis),
            genesis,
            workload,
            now: T0,
            next_nonce: vec![1; TRADER_NAMES.len()],
        }
    }

    pub fn address(&self, trader: usize) -> Address {
        self.workload.traders[trader].address
    }

    pub fn domain(&self) -> H256 {
        self.domain
    }

    /// Applies `tx` to the full tree at `now`.
    pub fn apply(&mut self, tx: &Tx) -> Receipt {
        let ctx = BlockContext {
            timestamp_ms: self.now,
        };
        execute_tx(&mut self.tree, &self.genesis, &self.domain, &ctx, tx).expect("full tree")
    }

    /// Applies setup transactions; each must be accepted.
    pub fn setup(&mut self, txs: impl IntoIterator<Item = Tx>) {
        for tx in txs {
            let receipt = self.apply(&tx);
            assert_eq!(receipt.status, Status::Ok, "setup {tx:?}: {receipt:?}");
        }
    }

    /// The queue index the next L1 transaction must carry.
    pub fn next_queue_index(&mut self) -> u64 {
        view::meta(&mut self.tree)
            .expect("full tree")
            .next_queue_index
    }

    /// Deposits `amount` to each trader in `traders`, one L1 message each.
    pub fn fund(&mut self, traders: &[usize], amount: u64) {
        for &trader in traders {
            let queue_index = self.next_queue_index();
            let tx = self.deposit(queue_index, trader, amount);
            self.setup([tx]);
        }
    }

    pub fn deposit(&self, queue_index: u64, trader: usize, amount: u64) -> Tx {
        let account = self.address(trader);
        Tx::L1 {
            queue_index,
            message: L1Message::Deposit { account, amount },
        }
    }

    /// An oracle price for `market` stamped `timestamp_ms`, signed by the devnet's first
    /// oracle signer.
    pub fn price_at(&self, market: u32, price: u64, timestamp_ms: u64) -> Tx {
        self.price_by(0, market, price, timestamp_ms)
    }

    /// An oracle price signed by devnet oracle signer `signer` (0-based slot).
    pub fn price_by(&self, signer: usize, market: u32, price: u64, timestamp_ms: u64) -> Tx {
        let update = PriceUpdate {
            market,
            price,
            timestamp_ms,
        };
        self.oracle_signed(signer, Action::PriceUpdate(update))
    }

    /// `action` signed by devnet oracle signer `signer` (0-based slot), as a transaction.
    fn oracle_signed(&self, signer: usize, action: Action) -> Tx {
        let key = devnet_oracle_signer_key(signer);
        let action = sign_action(&key, action, &self.domain);
        Tx::User { action }
    }

    /// Oracle signer `signer`'s implied volatility for `market`'s options (Part 8 §10).
    pub fn implied_vol_by(
        &self,
        signer: usize,
        market: u32,
        vol_ppm: u64,
        timestamp_ms: u64,
    ) -> Tx {
        let update = protocol::action::ImpliedVolUpdate {
            market,
            vol_ppm,
            timestamp_ms,
        };
        self.oracle_signed(signer, Action::ImpliedVolUpdate(update))
    }

    /// An oracle price for `market` stamped `now`.
    pub fn price(&self, market: u32, price: u64) -> Tx {
        self.price_at(market, price, self.now)
    }

    /// `action` signed by `trader`'s key.
    pub fn signed(&self, trader: usize, action: Action) -> SignedAction {
        sign_action(&self.workload.traders[trader].key, action, &self.domain)
    }

    /// `action` signed by `trader`'s key, as a user transaction.
    pub fn sign(&self, trader: usize, action: Action) -> Tx {
        Tx::User {
            action: self.signed(trader, action),
        }
    }

    /// The trader's next unused nonce (1, 2, …).
    pub fn nonce(&mut self, trader: usize) -> u64 {
        let nonce = self.next_nonce[trader];
        self.next_nonce[trader] += 1;
        nonce
    }

    /// Valid for a minute after `now`.
    pub fn expires_at(&self) -> u64 {
        self.now + 60_000
    }

    /// An order message with the next nonce, not reduce-only.
    pub fn order(&mut self, trader: usize, market: u32, offer: Offer, tif: TimeInForce) -> Order {
        let guard = (self.nonce(trader), self.expires_at());
        Order::plain(self.address(trader), market, offer, tif, guard)
    }

    /// `order`, signed.
    pub fn order_tx(&mut self, trader: usize, market: u32, offer: Offer, tif: TimeInForce) -> Tx {
        let order = self.order(trader, market, offer, tif);
        self.sign(trader, Action::Order(order))
    }

    pub fn withdraw(&mut self, trader: usize, amount: u64) -> Tx {
        let withdraw = Withdraw {
            account: self.address(trader),
            amount,
            nonce: self.nonce(trader),
            expires_at: self.expires_at(),
        };
        self.sign(trader, Action::Withdraw(withdraw))
    }

    pub fn cancel(&mut self, trader: usize, market: u32, order_nonce: u64) -> Tx {
        let cancel = Cancel {
            account: self.address(trader),
            market,
            order_nonce,
            nonce: self.nonce(trader),
            expires_at: self.expires_at(),
        };
        self.sign(trader, Action::Cancel(cancel))
    }

    /// A `CancelAll` message with an explicit nonce and expiry.
    pub fn cancel_all_msg(&self, trader: usize, nonce: u64, expires_at: u64) -> CancelAll {
        CancelAll {
            account: self.address(trader),
            nonce,
            expires_at,
        }
    }

    pub fn cancel_all(&mut self, trader: usize) -> Tx {
        let nonce = self.nonce(trader);
        let message = self.cancel_all_msg(trader, nonce, self.expires_at());
        self.sign(trader, Action::CancelAll(message))
    }

    pub fn liquidate(&mut self, liquidator: usize, account: Address, market: u32) -> Tx {
        let liquidate = Liquidate {
            liquidator: self.address(liquidator),
            account,
            market,
            nonce: self.nonce(liquidator),
            expires_at: self.expires_at(),
        };
        self.sign(liquidator, Action::Liquidate(liquidate))
    }
}
