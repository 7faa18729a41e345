//! The history endpoints: an account's fills, orders with their final status, funding
//! payments, deposits and withdrawals; a market's trades and funding accruals (all newest
//! first, `?before_seq=&limit=`) and its candles (`?interval=&from_ms=&to_ms=&limit=`),
//! read from the journal's history tables (`journal::history`, `journal::ledger`) on the
//! read connection. The fill and trade types are `protocol::api::history`'s; the ledger's
//! are `journal::ledger`'s.

use super::{ApiError, AppState, error_codes};
use crate::journal::JournalError;
use crate::journal::history::{self, Walk};
use crate::journal::ledger::{
    self, FundingAccrualsResponse, FundingPaymentsResponse, OrderHistoryResponse, TransfersResponse,
};
use axum::Json;
use axum::extract::State;
use protocol::api::history::{CandlesResponse, FillsResponse, Interval, TradesResponse};
use protocol::primitives::Address;
use rusqlite::Connection;
use serde::Deserialize;
use service_shell::http::{ApiPath, ApiQuery, StoredNumber, clamp_limit};

type Answer<T> = Result<Json<T>, ApiError>;

const DEFAULT_PAGE: u64 = 100;
const MAX_PAGE: u64 = 1_000;

/// Newest-first paging: entries with `seq < before_seq`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BeforeSeq {
    /// Entries with a lower `seq` (a page's `next_before_seq`; absent: the newest).
    before_seq: Option<StoredNumber>,
    /// About this many entries (default 100, at most 1,000; a page ends on a whole transaction).
    limit: Option<u64>,
}

/// Rows to read at first for a page of `limit`: one more order's fills (a page holds whole
/// transactions, `history::whole_transactions`; it may exceed `limit` by a transaction).
pub(super) fn rows_for(s: &AppState, limit: u64) -> u64 {
    limit + u64::from(s.genesis.max_fills_per_order) + 1
}

/// One newest-first page of whole transactions: `read` walks below the query's cursor.
async fn page<T, R>(
    s: &AppState,
    q: BeforeSeq,
    read: R,
    seq: fn(&T) -> u64,
) -> Result<(Vec<T>, Option<u64>), ApiError>
where
    T: Send + 'static,
    R: Fn(&Connection, Walk, u64) -> Result<Vec<T>, JournalError> + Send + 'static,
{
    let limit = clamp_limit(q.limit, DEFAULT_PAGE, MAX_PAGE);
    let walk = Walk::NewestBefore(q.before_seq.map(StoredNumber::get));
    let sizes = (limit, rows_for(s, limit));
    s.db.read(move |conn| history::whole_transactions(conn, walk, sizes, read, seq))
        .await
}

#[utoipa::path(get, path = "/v1/accounts/{address}/fills", tag = "history",
    params(("address" = Address, Path), BeforeSeq),
    responses((status = 200, description = "The account's fills, newest first", body = FillsResponse)))]
pub async fn account_fills(
    State(s): State<AppState>,
    ApiPath(address): ApiPath<Address>,
    ApiQuery(q): ApiQuery<BeforeSeq>,
) -> Answer<FillsResponse> {
    let read = move |c: &Connection, walk, rows| history::account_fills(c, &address, walk, rows);
    let (fills, next_before_seq) = page(&s, q, read, |f| f.seq).await?;
    Ok(Json(FillsResponse {
        fills,
        next_before_seq,
    }))
}

#[utoipa::path(get, path = "/v1/accounts/{address}/orders/history", tag = "history",
    params(("address" = Address, Path), BeforeSeq),
    responses((status = 200, description = "The account's orders with what became of each, newest first", body = OrderHistoryResponse)))]
pub async fn account_orders(
    State(s): State<AppState>,
    ApiPath(address): ApiPath<Address>,
    ApiQuery(q): ApiQuery<BeforeSeq>,
) -> Answer<OrderHistoryResponse> {
    let read = move |c: &Connection, walk, rows| ledger::account_orders(c, &address, walk, rows);
    let (orders, next_before_seq) = page(&s, q, read, |o| o.seq).await?;
    Ok(Json(OrderHistoryResponse {
        orders,
        next_before_seq,
    }))
}

#[utoipa::path(get, path = "/v1/accounts/{address}/funding", tag = "history",
    params(("address" = Address, Path), BeforeSeq),
    responses((status = 200, description = "Funding settled into the account's positions, newest first", body = FundingPaymentsResponse)))]
pub async fn account_funding(
    State(s): State<AppState>,
    ApiPath(address): ApiPath<Address>,
    ApiQuery(q): ApiQuery<BeforeSeq>,
) -> Answer<FundingPaymentsResponse> {
    let read = move |c: &Connection, walk, rows| ledger::account_funding(c, &address, walk, rows);
    let (payments, next_before_seq) = page(&s, q, read, |p| p.seq).await?;
    Ok(Json(FundingPaymentsResponse {
        payments,
        next_before_seq,
    }))
}

#[utoipa::path(get, path = "/v1/accounts/{address}/transfers", tag = "history",
    params(("address" = Address, Path), BeforeSeq),
    responses((status = 200, description = "The account's deposits and withdrawals with their L1 status, newest first", body = TransfersResponse)))]
pub async fn account_transfers(
    State(s): State<AppState>,
    ApiPath(address): ApiPath<Address>,
    ApiQuery(q): ApiQuery<BeforeSeq>,
) -> Answer<TransfersResponse> {
    let read = move |c: &Connection, walk, rows| ledger::account_transfers(c, &address, walk, rows);
    let (transfers, next_before_seq) = page(&s, q, read, |t| t.seq).await?;
    Ok(Json(TransfersResponse {
        transfers,
        next_before_seq,
    }))
}

fn known_market(s: &AppState, market: u32) -> Result<(), ApiError> {
    match s.genesis.market(market) {
        Some(_) => Ok(()),
        None => Err(ApiError::new(
            error_codes::UNKNOWN_MARKET,
            format!("no market {market} in genesis (GET /v1/markets lists them)"),
        )),
    }
}

#[utoipa::path(get, path = "/v1/markets/{id}/trades", tag = "history",
    params(("id" = u32, Path, description = "The market id"), BeforeSeq),
    responses((status = 200, description = "The market's trades, newest first", body = TradesResponse)))]
pub async fn market_trades(
    State(s): State<AppState>,
    ApiPath(market): ApiPath<u32>,
    ApiQuery(q): ApiQuery<BeforeSeq>,
) -> Answer<TradesResponse> {
    known_market(&s, market)?;
    let read = move |c: &Connection, walk, rows| history::market_trades(c, market, walk, rows);
    let (trades, next_before_seq) = page(&s, q, read, |t| t.seq).await?;
    Ok(Json(TradesResponse {
        market,
        trades,
        next_before_seq,
    }))
}

#[utoipa::path(get, path = "/v1/markets/{id}/funding", tag = "history",
    params(("id" = u32, Path, description = "The market id"), BeforeSeq),
    responses((status = 200, description = "The market's funding accruals (the funding-rate history), newest first", body = FundingAccrualsResponse)))]
pub async fn market_funding(
    State(s): State<AppState>,
    ApiPath(market): ApiPath<u32>,
    ApiQuery(q): ApiQuery<BeforeSeq>,
) -> Answer<FundingAccrualsResponse> {
    known_market(&s, market)?;
    let period = s.genesis.funding_period_ms;
    let read =
        move |c: &Connection, walk, rows| ledger::market_funding(c, market, period, walk, rows);
    let (accruals, next_before_seq) = page(&s, q, read, |a| a.seq).await?;
    Ok(Json(FundingAccrualsResponse {
        market,
        funding_period_ms: period,
        accruals,
        next_before_seq,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CandleQuery {
    /// `1m`, `5m`, `1h` or `1d`.
    interval: Interval,
    /// Candles opening at or after this time (ms; default 0).
    from_ms: Option<u64>,
    /// … and before this one (ms; default: no bound).
    to_ms: Option<u64>,
    /// At most this many (default 500, at most 5,000).
    limit: Option<u64>,
}

/// Timestamps are stored as SQLite integers (i64).
const MAX_MS: u64 = i64::MAX as u64;

#[utoipa::path(get, path = "/v1/markets/{id}/candles", tag = "history",
    params(("id" = u32, Path, description = "The market id"), CandleQuery),
    responses((status = 200, description = "Intervals with trades, oldest first", body = CandlesResponse)))]
pub async fn market_candles(
    State(s): State<AppState>,
    ApiPath(market): ApiPath<u32>,
    ApiQuery(q): ApiQuery<CandleQuery>,
) -> Answer<CandlesResponse> {
    known_market(&s, market)?;
    let range = (
        q.from_ms.unwrap_or(0),
        q.to_ms.unwrap_or(MAX_MS).min(MAX_MS),
    );
    if range.0 >= range.1 {
        return Err(ApiError::new(
            error_codes::INVALID_QUERY,
            format!(
                "from_ms {} must be below to_ms {}; e.g. ?interval=1m&from_ms=0",
                range.0, range.1
            ),
        ));
    }
    let limit = clamp_limit(q.limit, 500, 5_000);
    let interval = q.interval;
    let candles =
        s.db.read(move |conn| history::candles(conn, market, interval, range, limit))
            .await?;
    Ok(Json(CandlesResponse {
        market,
        interval,
        candles,
    }))
}
