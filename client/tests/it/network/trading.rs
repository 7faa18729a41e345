//! The test traders' actions: a scripted trading story that offers every fault something
//! to corrupt, and bulk submission for long workloads.

use super::Network;
use protocol::action::{
    Action, ImpliedVolUpdate, PriceUpdate, SetMarginMode, SignedAction, TimeInForce,
};
use protocol::api::sequencer::TxAccepted;
use sequencer::executor::now_ms;
use vigil_client::demo::actions::{
    BTC, BTC_PRICE, ETH, ETH_CRASH_PRICE, ETH_PRICE, FIVE_ETH, HUNDRED_BTC, ONE_BTC, Terms,
};

const FAR: u64 = u64::MAX / 2;

/// `trader`'s terms: `nonce`, never expiring honestly.
fn terms(net: &Network, trader: usize, nonce: u64) -> Terms {
    Terms {
        account: net.workload.traders[trader].address,
        nonce,
        expires_at: FAR,
    }
}

/// Signs `action` with `trader`'s key.
fn signed(net: &Network, trader: usize, action: Action) -> SignedAction {
    net.sign(&net.workload.traders[trader].key, action)
}

fn order(
    net: &Network,
    trader: usize,
    is_buy: bool,
    size: u64,
    tif: TimeInForce,
    nonce: u64,
) -> SignedAction {
    signed(
        net,
        trader,
        terms(net, trader, nonce).order(is_buy, size, tif),
    )
}

async fn submit(net: &Network, action: SignedAction) -> TxAccepted {
    let name = action.action.type_name();
    net.seq
        .submit(&action)
        .await
        .unwrap_or_else(|e| panic!("the sequencer accepts the {name}: {e}"))
}

/// Four phases, each in batches of its own: a price (which lists the day's BTC option
/// series: what `option-settlement-price` needs) and a 60 % implied vol for them (what
/// `option-mark` needs); a trade (a fill whose taker keeps a
/// healthy position: what `bad-fill` and `skip-liquidation-check` need); another trade, a
/// withdrawal, an agent approval (what `agent-withdraw` needs) and a dead-man's switch far
/// ahead (what `dead-man-early` needs), a good-till-time bid resting below the market
/// (what `expire-early` needs), a buy stop at twice the price (what `stop-early` needs),
/// 9x leverage in BTC (what `leverage-dropped` needs); ETH: its price, and trader 2 buying
/// 5 ETH from trader 1 at 10x in isolated margin; ETH 15 % lower (its breaker trips: what
/// `circuit-breaker-ignored` needs) and trader 0 liquidating trader 2's position, now
/// below maintenance (what `liquidation-skipped` needs); trader 3 bidding for 100 BTC of
/// the at-the-money call and trader 2 selling one lot into it (what
/// `option-short-unmargined` needs: it sells the rest for trader 2, who trades nothing
/// afterwards); a third trade, so the faulty batch has a descendant. Trader 3 holds BTC in isolated margin from the second phase on
/// (what `isolated-spill` needs). Returns every acknowledgement.
pub async fn trade(net: &Network) -> Vec<TxAccepted> {
    let now = now_ms();
    let oracle_price = |market, price, ago_ms: u64| {
        let update = Action::PriceUpdate(PriceUpdate {
            market,
            price,
            timestamp_ms: now - ago_ms,
        });
        net.sign(&net.workload.oracle, update)
    };
    let vol = Action::ImpliedVolUpdate(ImpliedVolUpdate {
        market: BTC,
        vol_ppm: 600_000,
        // A second ago: a volatility may not pull the batch's timestamp ahead.
        timestamp_ms: now - 1_000,
    });
    let phases = [
        vec![
            oracle_price(BTC, BTC_PRICE, 0),
            net.sign(&net.workload.oracle, vol),
        ],
        vec![
            order(net, 0, false, ONE_BTC, TimeInForce::Gtc, 1),
            order(net, 1, true, ONE_BTC, TimeInForce::Ioc, 1),
            isolate(net, 3, BTC, 4),
        ],
        vec![
            order(net, 2, false, ONE_BTC / 2, TimeInForce::Gtc, 1),
            order(net, 3, true, ONE_BTC / 2, TimeInForce::Ioc, 1),
            withdraw(net, 0, 1_000_000_000, 2),
            approve_agent(net, 2, 3, 2),
            schedule_cancel(net, 2, 3),
            gtt_bid(net, 3, 2),
            buy_stop(net, 3, 3),
            set_leverage(net, 2, 4),
            resting_bid(net, 3, 7),
            bulk_move(net, 3, 6),
        ],
        vec![
            oracle_price(ETH, ETH_PRICE, 2),
            isolate(net, 2, ETH, 5),
            eth_order(net, 1, false, TimeInForce::Gtc, 3),
            eth_order(net, 2, true, TimeInForce::Ioc, 6),
        ],
        vec![
            oracle_price(ETH, ETH_CRASH_PRICE, 1),
            signed(
                net,
                0,
                terms(net, 0, 4).liquidate(net.workload.traders[2].address, ETH),
            ),
        ],
        vec![
            option_order(net, 3, true, HUNDRED_BTC, TimeInForce::Gtc),
            option_order(net, 2, false, 1, TimeInForce::Ioc),
        ],
        vec![
            order(net, 1, false, ONE_BTC / 2, TimeInForce::Gtc, 2),
            order(net, 0, true, ONE_BTC / 2, TimeInForce::Ioc, 3),
        ],
    ];
    let mut acked = Vec::new();
    for phase in phases {
        for action in phase {
            acked.push(submit(net, action).await);
        }
        net.batch_boundary().await;
    }
    let fills: Vec<usize> = acked.iter().map(|a| a.receipt.fills.len()).collect();
    assert_eq!(
        fills,
        [
            0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 1
        ],
        "the three trades, the ETH trade and the option sale fill"
    );
    let liquidation = acked[20].receipt.liquidation.as_ref();
    assert!(
        liquidation.is_some_and(|l| l.remaining == 0),
        "trader 2's ETH is liquidated: {liquidation:?}"
    );
    acked
}

/// `trader`'s order of `size` contracts of the at-the-money BTC call at one premium tick,
/// nonce 100 (clear of every other nonce of the script's traders).
fn option_order(
    net: &Network,
    trader: usize,
    is_buy: bool,
    size: u64,
    tif: TimeInForce,
) -> SignedAction {
    let action = terms(net, trader, 100).option_order(is_buy, size, tif);
    signed(net, trader, action)
}

/// `trader`'s order of 5 ETH at `ETH_PRICE`.
fn eth_order(
    net: &Network,
    trader: usize,
    is_buy: bool,
    tif: TimeInForce,
    nonce: u64,
) -> SignedAction {
    let action = terms(net, trader, nonce).eth_order(is_buy, FIVE_ETH, tif);
    signed(net, trader, action)
}

/// `trader` puts `market` in isolated margin (it is flat there).
fn isolate(net: &Network, trader: usize, market: u32, nonce: u64) -> SignedAction {
    let t = &net.workload.traders[trader];
    let action = Action::SetMarginMode(SetMarginMode {
        signer: t.address,
        account: t.address,
        market,
        isolated: true,
        nonce,
        expires_at: FAR,
    });
    net.sign(&t.key, action)
}

/// `trader` approves `agent`'s address as its agent, until revoked.
fn approve_agent(net: &Network, trader: usize, agent: usize, nonce: u64) -> SignedAction {
    let agent = net.workload.traders[agent].address;
    signed(net, trader, terms(net, trader, nonce).approve_agent(agent))
}

/// `trader` rests a `ClientOrder` bid of 0.1 BTC 1% below the market until `FAR` (it never
/// expires honestly).
fn gtt_bid(net: &Network, trader: usize, nonce: u64) -> SignedAction {
    signed(net, trader, terms(net, trader, nonce).gtt_bid(1))
}

/// `trader` rests a never-expiring bid (client id 7; `expire-early` removes the
/// good-till-time one first).
fn resting_bid(net: &Network, trader: usize, nonce: u64) -> SignedAction {
    signed(net, trader, terms(net, trader, nonce).resting_bid(7))
}

/// `trader` moves its never-expiring bid (client id 7) 2 % below the market with a bulk
/// modify (what `bulk-priority` puts back at the front of its level).
fn bulk_move(net: &Network, trader: usize, nonce: u64) -> SignedAction {
    signed(net, trader, terms(net, trader, nonce).bulk_move(7))
}

/// `trader` sets its dead-man's switch far in the future (it never fires honestly).
fn schedule_cancel(net: &Network, trader: usize, nonce: u64) -> SignedAction {
    signed(net, trader, terms(net, trader, nonce).schedule_cancel(FAR))
}

/// `trader` files a buy stop of 0.1 BTC at twice the price (it never fires honestly).
fn buy_stop(net: &Network, trader: usize, nonce: u64) -> SignedAction {
    signed(net, trader, terms(net, trader, nonce).buy_stop())
}

/// `trader` sets 9x leverage in BTC (below the 10x maximum, so it is stored).
fn set_leverage(net: &Network, trader: usize, nonce: u64) -> SignedAction {
    signed(net, trader, terms(net, trader, nonce).set_leverage(9))
}

fn withdraw(net: &Network, trader: usize, amount: u64, nonce: u64) -> SignedAction {
    signed(net, trader, terms(net, trader, nonce).withdraw(amount))
}

/// `POST /v1/txs`: the number of accepted actions.
pub async fn submit_bulk(net: &Network, actions: &[SignedAction]) -> u64 {
    let answer = net.seq.submit_many(actions).await.expect("POST /v1/txs");
    u64::from(answer.accepted)
}
