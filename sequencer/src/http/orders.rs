//! The order endpoints (issue #16): an account's open orders with their client ids,
//! good-till-times and what filled (`GET /v1/accounts/{a}/orders`), and one order looked
//! up by id or client id with its status: open (resting or partially filled), a trigger
//! order waiting for the mark, or its final status from the order history once it left the
//! book. The book is read from the newest state; sizes and fills from the journal's ledger
//! (`journal::ledger`), which records a `ModifyOrder` as the order's next entry.

use super::{ApiError, AppState, error_codes};
use crate::journal::ledger::{self, OrderEntry, OrderStatus};
use axum::Json;
use axum::extract::State;
use protocol::api::history::Side;
use protocol::codec::Decode as _;
use protocol::engine::keys::{SIDE_BID, account_orders_prefix, parse_book_key};
use protocol::engine::records::BookOrder;
use protocol::engine::view::{self, TriggerView};
use protocol::primitives::{Address, H256};
use protocol::state::{State as _, StateError};
use protocol::tree::Tree;
use serde::{Deserialize, Serialize};
use service_shell::http::{ApiPath, ApiQuery, StoredNumber};

type Answer<T> = Result<Json<T>, ApiError>;

/// How many of an account's newest placements a client-id lookup of a closed order reads.
const CLIENT_ID_SCAN: u64 = 1_000;

/// One order of an account, open, waiting as a trigger, or from its history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountOrder {
    pub market: u32,
    /// The order's id: its signed nonce.
    pub nonce: u64,
    /// Its client id (`ClientOrder.clientId`, a uint128 as a decimal string); absent when
    /// it has none (a closed order's is read back from its placement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    pub side: Side,
    /// The limit price (0: a market trigger order).
    pub price: u64,
    /// The size placed, or the unfilled size its last modify set (0: a TP/SL leg, the whole
    /// position).
    pub size: u64,
    /// Filled since it was placed or last modified.
    pub filled: u64,
    /// Still on the book.
    pub resting: u64,
    pub reduce_only: bool,
    /// `resting`, `partially_filled`, `waiting` (a trigger order), or the final status from
    /// the order history (`filled`, `cancelled`, `expired`, `rejected`).
    pub status: OrderStatus,
    /// Why it was cancelled or rejected, from the history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Good-till-time: the last batch timestamp (ms) at which it may fill (a closed order's
    /// is read back from its placement); absent: until cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_ms: Option<u64>,
    /// A trigger order's trigger price (the mark it waits for).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_price: Option<u64>,
    /// A trigger order's kind: `stop_market`, `stop_limit`, `take_profit_market` or
    /// `take_profit_limit`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_kind: Option<String>,
    /// The transaction that placed it, or last modified it, when the history has it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_hash: Option<H256>,
}

/// `GET /v1/accounts/{address}/orders`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccountOrdersResponse {
    pub account: Address,
    pub orders: Vec<AccountOrder>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    /// Only orders in this market.
    market: Option<u32>,
    /// Only the order with this client id (a uint128 in decimal): the open one, else the
    /// newest the account placed with it, with its final status.
    client_id: Option<String>,
}

/// `GET /v1/accounts/{address}/orders`: open orders (book order), or with `client_id` the
/// one order carrying it.
#[utoipa::path(get, path = "/v1/accounts/{address}/orders", tag = "state",
    params(("address" = Address, Path), OrdersQuery),
    responses(
        (status = 200, description = "The account's open orders, or the order with `client_id`", body = AccountOrdersResponse),
        (status = 400, description = "`invalid_query`: `client_id` is not a uint128", body = protocol::api::sequencer::ErrorBody),
        (status = 404, description = "`unknown_order`: no order carries `client_id`; `unknown_market`", body = protocol::api::sequencer::ErrorBody)))]
pub async fn account_open_orders(
    State(s): State<AppState>,
    ApiPath(address): ApiPath<Address>,
    ApiQuery(q): ApiQuery<OrdersQuery>,
) -> Answer<AccountOrdersResponse> {
    if let Some(market) = q.market.filter(|m| s.genesis.market(*m).is_none()) {
        return Err(ApiError::new(
            error_codes::UNKNOWN_MARKET,
            format!("no market {market} in genesis (GET /v1/markets lists them)"),
        ));
    }
    let orders = match q.client_id.as_deref() {
        Some(text) => vec![by_client_id(&s, address, client_id(text)?).await?],
        None => open_orders(&s, address).await?,
    };
    let orders = orders
        .into_iter()
        .filter(|o| q.market.is_none_or(|m| o.market == m))
        .collect();
    Ok(Json(AccountOrdersResponse {
        account: address,
        orders,
    }))
}

/// `GET /v1/accounts/{address}/orders/{id}`: one order by its id (nonce).
#[utoipa::path(get, path = "/v1/accounts/{address}/orders/{id}", tag = "state",
    params(("address" = Address, Path), ("id" = StoredNumber, Path, description = "The order's id (its nonce)")),
    responses(
        (status = 200, description = "The order with its status", body = AccountOrder),
        (status = 404, description = "`unknown_order`: the account has no order with this id", body = protocol::api::sequencer::ErrorBody)))]
pub async fn account_order(
    State(s): State<AppState>,
    ApiPath((address, id)): ApiPath<(Address, StoredNumber)>,
) -> Answer<AccountOrder> {
    let id = id.get();
    find(&s, address, id, None).await?.map(Json).ok_or_else(|| {
        ApiError::new(
            error_codes::UNKNOWN_ORDER,
            format!(
                "{address} has no order {id}: not open, not waiting as a trigger order, and not in its order history (GET /v1/accounts/{address}/orders lists its open orders)"
            ),
        )
    })
}

fn client_id(text: &str) -> Result<u128, ApiError> {
    match text.parse::<u128>() {
        Ok(id) if id != 0 => Ok(id),
        _ => Err(ApiError::new(
            error_codes::INVALID_QUERY,
            format!("client_id must be a whole number from 1 to 2^128 - 1, got {text:?}"),
        )),
    }
}

/// The order carrying `client_id`: the open one, else the newest placed with it.
async fn by_client_id(
    s: &AppState,
    address: Address,
    client_id: u128,
) -> Result<AccountOrder, ApiError> {
    let tree = s.views.borrow().tree.clone();
    let open = ledger::client_order_at(&tree, &address, client_id).map_err(ApiError::internal)?;
    let nonce = match open {
        Some((_, nonce)) => Some(nonce),
        None => {
            let read =
                move |c: &_| ledger::nonce_of_client_id(c, &address, client_id, CLIENT_ID_SCAN);
            s.db.read(read).await?
        }
    };
    let found = match nonce {
        Some(nonce) => find(s, address, nonce, Some(client_id)).await?,
        None => None,
    };
    found.ok_or_else(|| {
        ApiError::new(
            error_codes::UNKNOWN_ORDER,
            format!(
                "{address} has no order with client id {client_id}: none is open and none of its last {CLIENT_ID_SCAN} orders carried it (GET /v1/accounts/{address}/orders lists its open orders)"
            ),
        )
    })
}

/// Order `id` of `address`: open, else a waiting trigger order, else from the history (a
/// fired trigger order included) with the client id and good-till-time it was placed with.
async fn find(
    s: &AppState,
    address: Address,
    id: u64,
    client_id: Option<u128>,
) -> Result<Option<AccountOrder>, ApiError> {
    if let Some(open) = open_orders(s, address)
        .await?
        .into_iter()
        .find(|o| o.nonce == id)
    {
        return Ok(Some(open));
    }
    let mut tree = s.views.borrow().tree.clone();
    let triggers = view::triggers_view(&mut tree, &address).map_err(ApiError::internal)?;
    if let Some(t) = triggers.triggers.iter().find(|t| t.nonce == id) {
        return Ok(Some(waiting(t)));
    }
    let read = move |c: &_| {
        let entry = ledger::account_order(c, &address, id)?;
        let terms = match entry {
            Some(_) => ledger::placement_terms(c, &address, id)?,
            None => (None, None),
        };
        Ok(entry.map(|e| (e, terms)))
    };
    let found = s.db.read(read).await?;
    Ok(
        found.map(|(e, (placed_client_id, expires_at_ms))| AccountOrder {
            client_id: client_id.or(placed_client_id).map(|c| c.to_string()),
            expires_at_ms,
            ..from_history(&e)
        }),
    )
}

/// The account's open orders in index order (market, then nonce), each with its size and
/// fills from the history.
async fn open_orders(s: &AppState, address: Address) -> Result<Vec<AccountOrder>, ApiError> {
    let mut tree = s.views.borrow().tree.clone();
    let book = book_orders(&mut tree, &address).map_err(ApiError::internal)?;
    let nonces: Vec<u64> = book.iter().map(|(_, _, o)| o.nonce).collect();
    let entries =
        s.db.read(move |c| {
            nonces
                .iter()
                .map(|n| ledger::account_order(c, &address, *n))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(book
        .iter()
        .zip(entries)
        .map(|((market, is_buy, o), entry)| open(*market, *is_buy, o, entry.as_ref()))
        .collect())
}

/// `(market, is_buy, order)` of every order `owner` has on the book.
fn book_orders(
    tree: &mut Tree,
    owner: &Address,
) -> Result<Vec<(u32, bool, BookOrder)>, StateError> {
    let mut out = Vec::new();
    view::walk_prefix(
        tree,
        &account_orders_prefix(owner),
        |st, index_key, value| {
            let malformed = |reason: &str| StateError::Malformed {
                key: *index_key,
                reason: reason.into(),
            };
            let target = <[u8; 32]>::try_from(value).map_err(|_| malformed("not 32 bytes"))?;
            let book_key = H256(target);
            let (Some((market, side, _, _)), Some(bytes)) =
                (parse_book_key(&book_key), st.get(&book_key)?)
            else {
                return Err(malformed("order index points at no order"));
            };
            let order = BookOrder::decode(&bytes).map_err(|e| malformed(&e.to_string()))?;
            out.push((market, side == SIDE_BID, order));
            Ok(true)
        },
    )?;
    Ok(out)
}

/// An open order: its terms from the book, its size and fills from its newest history
/// entry (a fired stop-limit's is the entry of the price update that fired it).
fn open(market: u32, is_buy: bool, o: &BookOrder, entry: Option<&OrderEntry>) -> AccountOrder {
    let size = entry.map_or(o.remaining, |e| e.size.max(o.remaining));
    let filled = size - o.remaining;
    AccountOrder {
        market,
        nonce: o.nonce,
        client_id: (o.client_id != 0).then(|| o.client_id.to_string()),
        side: if is_buy { Side::Buy } else { Side::Sell },
        price: o.price,
        size,
        filled,
        resting: o.remaining,
        reduce_only: o.reduce_only,
        status: if filled == 0 {
            OrderStatus::Resting
        } else {
            OrderStatus::PartiallyFilled
        },
        reason: None,
        expires_at_ms: (o.expires_at_ms != 0).then_some(o.expires_at_ms),
        trigger_price: None,
        trigger_kind: None,
        seq: entry.map(|e| e.seq),
        tx_hash: entry.map(|e| e.tx_hash),
    }
}

fn waiting(t: &TriggerView) -> AccountOrder {
    let kind = [
        "stop_market",
        "stop_limit",
        "take_profit_market",
        "take_profit_limit",
    ][t.kind as usize];
    AccountOrder {
        market: t.market,
        nonce: t.nonce,
        client_id: None,
        side: if t.is_buy { Side::Buy } else { Side::Sell },
        price: t.price,
        size: t.size,
        filled: 0,
        resting: 0,
        reduce_only: t.reduce_only,
        status: OrderStatus::Waiting,
        reason: (t.leg != "order").then(|| t.leg.clone()),
        expires_at_ms: None,
        trigger_price: Some(t.trigger_price),
        trigger_kind: Some(kind.into()),
        seq: None,
        tx_hash: None,
    }
}

fn from_history(e: &OrderEntry) -> AccountOrder {
    AccountOrder {
        market: e.market,
        nonce: e.nonce,
        client_id: None,
        side: e.side,
        price: e.price,
        size: e.size,
        filled: e.filled,
        resting: e.resting,
        reduce_only: e.reduce_only,
        status: e.status,
        reason: e.reason.clone(),
        expires_at_ms: None,
        trigger_price: None,
        trigger_kind: None,
        seq: Some(e.seq),
        tx_hash: Some(e.tx_hash),
    }
}
