//! The order endpoints (issue #16): `GET /v1/accounts/{a}/orders` (open orders with client
//! ids, good-till-times and fills), `…/orders/{id}` and `…/orders?client_id=N` (open,
//! waiting as a trigger, or the final status from the history), their refusals, and the
//! order history after a modify: one entry per modify, the old terms replaced.

use crate::support::seq::{Seq, test_config};
use crate::support::*;
use k256::ecdsa::SigningKey;
use protocol::action::{
    Action, CancelByClientId, ClientOrder, ModifyOrder, TimeInForce, TriggerKind, TriggerOrder,
};
use sequencer::http::{AccountOrder, AccountOrdersResponse};
use sequencer::journal::ledger::{OrderHistoryResponse, OrderStatus};
use std::time::Duration;

/// `price × percent / 100`.
pub(crate) fn at_percent(percent: u64) -> u64 {
    BTC_PRICE / 100 * percent
}

fn client_order(key: &SigningKey, client_id: u128, price: u64, size: u64, nonce: u64) -> Action {
    Action::ClientOrder(ClientOrder {
        signer: addr(key),
        account: addr(key),
        market: BTC,
        is_buy: true,
        price,
        size,
        tif: TimeInForce::Gtc,
        reduce_only: false,
        client_id,
        nonce,
        expires_at: FAR,
    })
}

fn modify(key: &SigningKey, client_id: u128, price: u64, size: u64, nonce: u64) -> Action {
    Action::ModifyOrder(ModifyOrder {
        signer: addr(key),
        account: addr(key),
        client_id,
        price,
        size,
        nonce,
        expires_at: FAR,
    })
}

/// `key`'s stop-market selling 0.1 BTC once the mark falls to `trigger_price`.
fn sell_stop(key: &SigningKey, trigger_price: u64, nonce: u64) -> Action {
    Action::TriggerOrder(TriggerOrder {
        signer: addr(key),
        account: addr(key),
        market: BTC,
        is_buy: false,
        kind: TriggerKind::StopMarket,
        trigger_price,
        price: 0,
        size: ONE_BTC / 10,
        reduce_only: false,
        nonce,
        expires_at: FAR,
    })
}

/// Alice: client order 7 (nonce 10) part filled by Bob, then moved (priority lost) and
/// shrunk (kept); a plain ask (11); a stop waiting far under the mark (14); client order 8
/// (15) cancelled by its client id.
async fn scene(seq: &Seq, alice: &SigningKey, bob: &SigningKey) {
    let a = addr(alice);
    let stop = sell_stop(alice, at_percent(80), 14);
    let cancel = Action::CancelByClientId(CancelByClientId {
        signer: a,
        account: a,
        client_id: 8,
        nonce: 16,
        expires_at: FAR,
    });
    let (gtc, ioc) = (TimeInForce::Gtc, TimeInForce::Ioc);
    // In this order (the nonces say which is which in the lookups).
    for step in [
        sign(alice, client_order(alice, 7, at_percent(98), ONE_BTC, 10)),
        order(alice, false, at_percent(105), ONE_BTC / 2, gtc, 11),
        order(bob, false, at_percent(98), ONE_BTC / 4, ioc, 1),
        sign(alice, modify(alice, 7, at_percent(97), ONE_BTC / 2, 12)),
        sign(alice, modify(alice, 7, at_percent(97), ONE_BTC / 4, 13)),
        sign(alice, stop),
        sign(
            alice,
            client_order(alice, 8, at_percent(96), ONE_BTC / 10, 15),
        ),
        sign(alice, cancel),
    ] {
        seq.submit(&step).await;
    }
}

/// A lookup and what it answers: the order's (nonce, status, reason, client id, price,
/// size, filled, resting).
type Expected = (
    u64,
    OrderStatus,
    Option<String>,
    Option<String>,
    u64,
    u64,
    u64,
    u64,
);

fn expected_lookups() -> Vec<(&'static str, Expected)> {
    let text = |s: &str| Some(s.to_string());
    let resting = (
        10,
        OrderStatus::Resting,
        None,
        text("7"),
        at_percent(97),
        ONE_BTC / 4,
        0,
        ONE_BTC / 4,
    );
    let cancelled = (
        15,
        OrderStatus::Cancelled,
        text("user"),
        text("8"),
        at_percent(96),
        ONE_BTC / 10,
        0,
        0,
    );
    // By id too, a closed order shows the client id it was placed with (from the log).
    let waiting = (14, OrderStatus::Waiting, None, None, 0, ONE_BTC / 10, 0, 0);
    vec![
        ("/10", resting.clone()),
        ("?client_id=7", resting),
        ("?client_id=8", cancelled.clone()),
        ("/15", cancelled),
        ("/14", waiting),
    ]
}

fn summary(o: &AccountOrder) -> Expected {
    (
        o.nonce,
        o.status,
        o.reason.clone(),
        o.client_id.clone(),
        o.price,
        o.size,
        o.filled,
        o.resting,
    )
}

/// The refusals: (query, HTTP status, code, fragments of the message).
const REFUSALS: &[(&str, u16, &str, &[&str])] = &[
    (
        "/999",
        404,
        "unknown_order",
        &["has no order 999", "GET /v1/accounts/"],
    ),
    (
        "?client_id=99",
        404,
        "unknown_order",
        &["client id 99", "GET /v1/accounts/"],
    ),
    (
        "?client_id=0",
        400,
        "invalid_query",
        &["client_id", "\"0\""],
    ),
    (
        "?client_id=seven",
        400,
        "invalid_query",
        &["client_id", "seven"],
    ),
    ("?market=99", 404, "unknown_market", &["no market 99"]),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_are_looked_up_by_id_and_client_id_with_their_status() {
    let (_l1, seq) = funded_pair(|_| {}).await;
    let (alice, bob) = (alice(), bob());
    let a = addr(&alice);
    scene(&seq, &alice, &bob).await;
    let base = format!("/v1/accounts/{a}/orders");

    let open: AccountOrdersResponse = seq.get(&base).await;
    let listed: Vec<(u64, Option<&str>, u64)> = open
        .orders
        .iter()
        .map(|o| (o.nonce, o.client_id.as_deref(), o.resting))
        .collect();
    assert_eq!(
        listed,
        vec![(10, Some("7"), ONE_BTC / 4), (11, None, ONE_BTC / 2)]
    );
    assert_eq!(open.orders[0].expires_at_ms, Some(FAR));
    assert_eq!(open.orders[1].expires_at_ms, None);

    for (query, want) in expected_lookups() {
        let path = format!("{base}{query}");
        let got = if query.starts_with('?') {
            let list: AccountOrdersResponse = seq.get(&path).await;
            assert_eq!(list.orders.len(), 1, "{path}: {list:?}");
            list.orders[0].clone()
        } else {
            seq.get::<AccountOrder>(&path).await
        };
        assert_eq!(summary(&got), want, "{path}");
    }
    // A closed order keeps the good-till-time it was placed with.
    let closed: AccountOrder = seq.get(&format!("{base}/15")).await;
    assert_eq!(closed.expires_at_ms, Some(FAR));
    for (query, status, code, fragments) in REFUSALS {
        let (got, body) = seq.get_raw(&format!("{base}{query}")).await;
        assert_eq!(
            (got, body["code"].as_str()),
            (*status, Some(*code)),
            "{query}: {body}"
        );
        let message = body["message"].as_str().unwrap_or_default();
        for fragment in *fragments {
            assert!(
                message.contains(fragment),
                "{query}: {fragment:?} not in {message}"
            );
        }
    }
}

/// The history lists order 10 once per placement and modify, oldest first: the placement
/// (part filled, then replaced), the move (replaced), the shrink (resting, its terms now).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_order_history_has_one_entry_per_modify_with_the_new_terms() {
    let (_l1, seq) = funded_pair(|_| {}).await;
    let (alice, bob) = (alice(), bob());
    let a = addr(&alice);
    scene(&seq, &alice, &bob).await;
    let history: OrderHistoryResponse = seq.get(&format!("/v1/accounts/{a}/orders/history")).await;
    let mut rows: Vec<(u64, OrderStatus, u64, u64, u64)> = history
        .orders
        .iter()
        .filter(|o| o.nonce == 10)
        .map(|o| (o.price, o.status, o.size, o.filled, o.resting))
        .collect();
    rows.reverse();
    assert_eq!(
        rows,
        vec![
            (
                at_percent(98),
                OrderStatus::Modified,
                ONE_BTC,
                ONE_BTC / 4,
                0
            ),
            (at_percent(97), OrderStatus::Modified, ONE_BTC / 2, 0, 0),
            (
                at_percent(97),
                OrderStatus::Resting,
                ONE_BTC / 4,
                0,
                ONE_BTC / 4
            ),
        ]
    );
}

/// A stop that fired and filled has left the trigger book and was never on the order book
/// as a resting order: looked up by id it is the filled order its firing placed, at the
/// price update that fired it, with the price it filled at. A restart, a data dir from before the `trigger_orders`
/// table (its backfill not yet run) and a rebuild from the settlement layer's batches alone
/// all find it the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fired_trigger_order_is_found_by_id_after_it_leaves_the_book() {
    let (l1, seq) = funded_pair(|_| {}).await;
    let (alice, bob) = (alice(), bob());
    let a = addr(&alice);
    let stop = sell_stop(&alice, at_percent(99), 1);
    seq.submit(&sign(&alice, stop)).await;
    let bid = order(&bob, true, at_percent(98), ONE_BTC, TimeInForce::Gtc, 1);
    seq.submit(&bid).await;
    let fired = seq.submit(&price(BTC, at_percent(99))).await;
    let path = format!("/v1/accounts/{a}/orders/1");
    let got: AccountOrder = seq.get(&path).await;
    // A market kind's entry shows the price it executed at (its fills' average: bob's bid).
    let want = (
        1,
        OrderStatus::Filled,
        None,
        None,
        at_percent(98),
        ONE_BTC / 10,
        ONE_BTC / 10,
        0,
    );
    assert_eq!(summary(&got), want, "{got:?}");
    assert_eq!(got.seq, Some(fired.seq));

    let no_keeper = |dir: &std::path::Path| {
        let mut config = test_config(&l1, dir);
        config.keeper_interval = None;
        config
    };
    let dir = seq.stop().await;
    let seq = Seq::launch(no_keeper(dir.path()), dir).await;
    assert_eq!(seq.get::<AccountOrder>(&path).await, got, "after a restart");
    let dir = seq.stop().await;
    forget_trigger_rows(&dir.path().join(sequencer::journal::DB_FILE));
    let seq = Seq::launch(no_keeper(dir.path()), dir).await;
    assert_eq!(seq.get::<AccountOrder>(&path).await, got, "backfilled");
    all_posted(&seq).await;
    drop(seq.stop().await);
    let rebuilt = Seq::start_with(&l1, |c| {
        c.keeper_interval = None;
        c.bootstrap_from_l1 = true;
    })
    .await;
    assert_eq!(rebuilt.get::<AccountOrder>(&path).await, got, "rebuilt");
}

/// Makes `db` what a data dir from before the `trigger_orders` table holds: no trigger
/// rows, no fired orders' entries, and the backfill not yet run.
fn forget_trigger_rows(db: &std::path::Path) {
    let conn = rusqlite::Connection::open(db).expect("the journal");
    let fired: u64 = conn
        .query_row("SELECT COUNT(*) FROM orders WHERE idx > 0", [], |r| {
            r.get(0)
        })
        .expect("count");
    assert_eq!(fired, 1, "the fired stop's entry");
    conn.execute_batch(
        "DELETE FROM trigger_orders; DELETE FROM orders WHERE idx > 0;
         DELETE FROM meta WHERE key = 'trigger_orders_table';",
    )
    .expect("forgotten");
}

/// Waits until every sealed batch is posted and nothing is open.
async fn all_posted(seq: &Seq) {
    wait_for("every batch posted", Duration::from_secs(20), || async {
        let s = seq.status().await;
        (s.open_batch.is_none() && s.last_posted.is_some() && s.last_posted == s.last_sealed)
            .then_some(())
    })
    .await
}
