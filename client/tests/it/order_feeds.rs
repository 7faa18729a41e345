//! The `orders` channel of a verifier's feed against the sequencer's, on the whole system
//! over real HTTP and WebSocket (`network`: the settlement layer, the real sequencer and a
//! real challenge-mode verifier service): the sequencer reads an account's order events
//! from its journal, the verifier derives them from its own re-execution of the posted
//! batches (`protocol::api::order_feed` over the state before each transaction), and once
//! the batches are final the two give the same events, field for field but the `seq`
//! (a verifier numbers its messages with its own feed events).

use crate::network::{Network, VERIFIER_FUNDS, Verifier, WINDOW, fund, verifier_key, wait_for};
use protocol::action::{
    Action, BulkModify, Cancel, ClientOrder, ModifyItem, ModifyItems, ModifyOrder, Order,
    PriceUpdate, SignedAction, TimeInForce, TriggerKind, TriggerOrder,
};
use protocol::api::stream::{OrderEvent, OrderUpdate, StreamMessage, Subscribe};
use protocol::primitives::Address;
use protocol::signing::address_of;
use protocol::workload::Workload;
use sequencer::executor::now_ms;
use std::time::Duration;
use test_support::feed_socket::{connect_ws, next_json, send_json};
use vigil_client::demo::actions::{BTC, BTC_PRICE, ONE_BTC};

const FAR: u64 = u64::MAX / 2;
/// Each feed message must come within this.
const WITHIN: Duration = Duration::from_secs(30);
/// Messages read from one feed, at most.
const MAX_MESSAGES: usize = 200;

/// `percent` % of BTC's starting price.
fn at_percent(percent: u64) -> u64 {
    BTC_PRICE / 100 * percent
}

/// An oracle price of `percent` % signed `ago_ms` before now (each of the oracle's prices
/// must be signed later than its last one: two built in the same millisecond would not be).
fn price(net: &Network, percent: u64, ago_ms: u64) -> SignedAction {
    let update = Action::PriceUpdate(PriceUpdate {
        market: BTC,
        price: at_percent(percent),
        timestamp_ms: now_ms() - ago_ms,
    });
    net.sign(&net.workload.oracle, update)
}

/// A GTC order of `trader` for `size` at `percent` % of the price, with `nonce`.
fn order(
    net: &Network,
    trader: usize,
    is_buy: bool,
    percent: u64,
    size: u64,
    nonce: u64,
) -> SignedAction {
    let order = Order {
        account: net.workload.traders[trader].address,
        market: BTC,
        is_buy,
        price: at_percent(percent),
        size,
        tif: TimeInForce::Gtc,
        reduce_only: false,
        nonce,
        expires_at: FAR,
    };
    net.sign(&net.workload.traders[trader].key, Action::Order(order))
}

/// The address and key of trader 0, whose orders the test follows.
fn trader_0(net: &Network) -> (Address, &k256::ecdsa::SigningKey) {
    let trader = &net.workload.traders[0];
    (trader.address, &trader.key)
}

/// Trader 0's stop fired by a price update against trader 1's bid, then two asks and a
/// client order resting, in one batch.
fn first_batch(net: &Network) -> Vec<SignedAction> {
    let (a, key) = trader_0(net);
    let stop = Action::TriggerOrder(TriggerOrder {
        signer: a,
        account: a,
        market: BTC,
        is_buy: false,
        kind: TriggerKind::StopMarket,
        trigger_price: at_percent(99),
        price: 0,
        size: ONE_BTC / 10,
        reduce_only: false,
        nonce: 1,
        expires_at: FAR,
    });
    let tagged = Action::ClientOrder(ClientOrder {
        signer: a,
        account: a,
        market: BTC,
        is_buy: false,
        price: at_percent(104),
        size: ONE_BTC / 4,
        tif: TimeInForce::Gtc,
        reduce_only: false,
        client_id: 7,
        nonce: 4,
        expires_at: FAR,
    });
    vec![
        price(net, 100, 2_000),
        net.sign(key, stop),
        order(net, 1, true, 98, ONE_BTC, 1),
        price(net, 99, 1_000),
        order(net, 0, false, 102, ONE_BTC / 2, 2),
        order(net, 0, false, 103, ONE_BTC / 2, 3),
        net.sign(key, tagged),
    ]
}

/// In a later batch: the client order modified by its client id, one ask by a bulk
/// modify (an order of the batch before) and the other cancelled.
fn second_batch(net: &Network) -> Vec<SignedAction> {
    let (a, key) = trader_0(net);
    let modify = Action::ModifyOrder(ModifyOrder {
        signer: a,
        account: a,
        client_id: 7,
        price: at_percent(105),
        size: ONE_BTC / 4,
        nonce: 5,
        expires_at: FAR,
    });
    let item = ModifyItem {
        market: BTC,
        order_nonce: 2,
        client_id: 0,
        price: at_percent(106),
        size: ONE_BTC / 2,
    };
    let bulk = Action::BulkModify(BulkModify {
        signer: a,
        account: a,
        items: ModifyItems(vec![item]),
        nonce: 6,
        expires_at: FAR,
    });
    let cancel = Action::Cancel(Cancel {
        account: a,
        market: BTC,
        order_nonce: 3,
        nonce: 7,
        expires_at: FAR,
    });
    [modify, bulk, cancel]
        .map(|action| net.sign(key, action))
        .to_vec()
}

/// `account`'s order events on the feed at `url` from the start, until `done` holds for
/// the events so far (at most `MAX_MESSAGES`), with their `seq` zeroed.
async fn orders_feed(
    url: &str,
    account: Address,
    done: impl Fn(&[OrderUpdate]) -> bool,
) -> Vec<OrderUpdate> {
    let mut socket = connect_ws(url, "/v1/stream").await;
    let request = Subscribe::Orders {
        account,
        since_seq: Some(0),
    };
    send_json(&mut socket, &request).await;
    let mut events = Vec::new();
    for _ in 0..MAX_MESSAGES {
        if done(&events) {
            return events;
        }
        match next_json(&mut socket, WITHIN).await {
            StreamMessage::Order { order, .. } => events.push(OrderUpdate { seq: 0, ..order }),
            StreamMessage::Subscribed { .. } => {}
            other => panic!("an order event, not {other:?}"),
        }
    }
    panic!("{MAX_MESSAGES} messages without the last order event: {events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verifiers_orders_feed_equals_the_sequencers_once_the_batches_are_final() {
    let net = Network::start(Workload::new(31, 2), None).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let key = verifier_key(8);
    fund(&net.l1, &address_of(&key), VERIFIER_FUNDS).await;
    let verifier = Verifier::start(Verifier::config(&net, &dir, &key)).await;
    for batch in [first_batch(&net), second_batch(&net)] {
        net.batch_boundary().await;
        for action in batch {
            let name = action.action.type_name();
            let accepted = net.seq.submit(&action).await;
            accepted.unwrap_or_else(|e| panic!("the sequencer accepts the {name}: {e}"));
        }
    }
    wait_for("every batch to be posted", || net.settled()).await;
    net.mine(WINDOW + 1).await;
    verifier.wait_on_tip(&net).await;

    let account = net.workload.traders[0].address;
    let cancelled_3 = |events: &[OrderUpdate]| {
        let last = events.last();
        last.is_some_and(|e| (e.event, e.nonce) == (OrderEvent::Cancelled, 3))
    };
    let sequencer = orders_feed(net.seq.base_url(), account, cancelled_3).await;
    let expected = sequencer.len();
    let verifier_events =
        orders_feed(verifier.client.base_url(), account, |e| e.len() >= expected).await;
    assert_eq!(verifier_events, sequencer);
    let kinds: Vec<(OrderEvent, u64)> = sequencer.iter().map(|o| (o.event, o.nonce)).collect();
    for want in [
        (OrderEvent::Placed, 1),
        (OrderEvent::Filled, 1),
        (OrderEvent::Cancelled, 3),
    ] {
        assert!(kinds.contains(&want), "{want:?} in {kinds:?}");
    }
    let placed = |nonce| {
        kinds
            .iter()
            .filter(|k| **k == (OrderEvent::Placed, nonce))
            .count()
    };
    assert_eq!((placed(2), placed(4)), (2, 2), "modified: placed again");
    verifier.shutdown().await;
    net.shutdown().await;
}
