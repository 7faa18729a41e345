//! Shared test fixtures: keys, the test genesis, signed actions, and bounded waiting.
//! The settlement layer runs in-process (`l1`), the sequencer in-process (`seq`) or as the
//! real binary (`crash` test).

pub mod l1;
pub mod seq;

use k256::ecdsa::SigningKey;
use protocol::action::{
    Action, ImpliedVolUpdate, Order, PriceUpdate, SignedAction, TimeInForce, Withdraw,
};
use protocol::batch::domain_separator;
use protocol::genesis::Genesis;
use protocol::primitives::Address;
use protocol::signing::{address_of, sign_action};
use protocol::workload::dev_key;
use std::future::Future;
use std::time::{Duration, Instant};

pub const BTC: u32 = 1;
/// 50,000 USDC per BTC, in micro-USDC.
pub const BTC_PRICE: u64 = 50_000_000_000;
/// 1 BTC in size units (size_decimals = 4).
pub const ONE_BTC: u64 = 10_000;
/// 100,000 USDC.
pub const DEPOSIT: u64 = 100_000_000_000;
/// Far enough in the future for any test.
pub const FAR: u64 = u64::MAX / 2;

/// Test key number `i` (0: sequencer, 1: oracle, 2..: traders and challengers).
pub fn key(i: u64) -> SigningKey {
    dev_key("vigil-sequencer-test", 0, i)
}

pub fn addr(key: &SigningKey) -> Address {
    address_of(key)
}

pub fn sequencer_key() -> SigningKey {
    key(0)
}

pub fn oracle_key() -> SigningKey {
    key(1)
}

pub fn alice() -> SigningKey {
    key(2)
}

pub fn bob() -> SigningKey {
    key(3)
}

/// The devnet genesis with our oracle and K = 4, so small batches have several chunks.
pub fn genesis() -> Genesis {
    let mut g = Genesis::devnet(
        31337,
        contracts_mock::Config::default_rollup_address(),
        addr(&oracle_key()),
    );
    g.checkpoint_interval_txs = 4;
    g
}

/// Logs of the services under test, shown for failing tests; `VIGIL_TEST_LOG` sets the
/// filter (default `warn`).
pub fn init_logs() {
    let filter = std::env::var("VIGIL_TEST_LOG").unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_test_writer()
        .try_init();
}

pub fn now_ms() -> u64 {
    sequencer::executor::now_ms()
}

pub fn sign(key: &SigningKey, action: Action) -> SignedAction {
    sign_action(key, action, &domain_separator(&genesis()))
}

pub fn price(market: u32, price: u64) -> SignedAction {
    sign(
        &oracle_key(),
        Action::PriceUpdate(PriceUpdate {
            market,
            price,
            timestamp_ms: fresh_price_ms(),
        }),
    )
}

/// The oracle's implied volatility of `vol_ppm` for `market`'s options, stamped a second
/// ago: unlike a price, a volatility may not pull the open batch's timestamp ahead
/// (`implied_vol_from_future`), and the batch may have opened before it was signed.
pub fn implied_vol(market: u32, vol_ppm: u64) -> SignedAction {
    sign(
        &oracle_key(),
        Action::ImpliedVolUpdate(ImpliedVolUpdate {
            market,
            vol_ppm,
            timestamp_ms: fresh_price_ms() - 1_000,
        }),
    )
}

/// The clock's reading once it has passed every timestamp this process signed a price
/// with: the oracle key's prices must each be newer than its last (two signed within one
/// millisecond would be refused `oracle_price_not_newer`), and none may be later than the
/// sequencer's clock, so the next millisecond is waited for rather than invented.
fn fresh_price_ms() -> u64 {
    static LAST_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        let now = now_ms();
        let last = LAST_MS.fetch_max(now, std::sync::atomic::Ordering::SeqCst);
        if now > last {
            return now;
        }
        assert!(Instant::now() < deadline, "the clock stood still for 1 s");
        std::hint::spin_loop();
    }
}

pub fn order(
    key: &SigningKey,
    is_buy: bool,
    price: u64,
    size: u64,
    tif: TimeInForce,
    nonce: u64,
) -> SignedAction {
    let order = Order::plain(addr(key), BTC, (is_buy, price, size), tif, (nonce, FAR));
    sign(key, Action::Order(order))
}

/// A GTC ask of `size` at `BTC_PRICE`: the resting side of the tests' trades.
pub fn maker_ask(key: &SigningKey, size: u64, nonce: u64) -> SignedAction {
    order(key, false, BTC_PRICE, size, TimeInForce::Gtc, nonce)
}

/// An IOC bid of `size` at `BTC_PRICE`: the side that takes a `maker_ask`.
pub fn taker_bid(key: &SigningKey, size: u64, nonce: u64) -> SignedAction {
    order(key, true, BTC_PRICE, size, TimeInForce::Ioc, nonce)
}

pub fn withdraw(key: &SigningKey, amount: u64, nonce: u64) -> SignedAction {
    sign(
        key,
        Action::Withdraw(Withdraw {
            account: addr(key),
            amount,
            nonce,
            expires_at: FAR,
        }),
    )
}

/// Polls `check` until it yields a value, at most `limit` long (bounded in time and in
/// attempts); panics naming `what` otherwise.
pub async fn wait_for<T, F, Fut>(what: &str, limit: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = Instant::now();
    for _ in 0..10_000 {
        if let Some(v) = check().await {
            return v;
        }
        if started.elapsed() > limit {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("timed out after {limit:?} waiting for {what}");
}

/// A settlement layer and a sequencer (with `tweak`, the keeper off) on which Alice and Bob
/// each deposited `DEPOSIT`, both credited, and BTC has its price: where trading tests start.
pub async fn funded_pair(tweak: impl FnOnce(&mut sequencer::Config)) -> (l1::L1, seq::Seq) {
    let l1 = l1::L1::start().await;
    l1.deposit(&alice(), DEPOSIT).await;
    l1.deposit(&bob(), DEPOSIT).await;
    let seq = seq::Seq::start_with(&l1, |c| {
        c.keeper_interval = None;
        tweak(c);
    })
    .await;
    seq.wait_collateral(&addr(&alice()), DEPOSIT.into()).await;
    seq.wait_collateral(&addr(&bob()), DEPOSIT.into()).await;
    seq.submit(&price(BTC, BTC_PRICE)).await;
    (l1, seq)
}
