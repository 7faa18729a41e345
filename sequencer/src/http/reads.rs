//! Read endpoints. State reads run the engine's own views on an O(1) clone of the latest
//! durable tree (never touching the executor); transaction and batch reads come from the
//! database's read connection.

use super::{ApiError, AppState, error_codes};
use crate::executor::now_ms;
use crate::follower::PendingL1;
use crate::journal::queries;
use axum::Json;
use axum::extract::State;
use axum::response::IntoResponse;
use protocol::api::genesis::GenesisView;
use protocol::api::sequencer::{
    AgentsResponse, BatchInfo, BatchesResponse, BookResponse, MarketInfo, MarketsResponse,
    StatusResponse, TriggersResponse, TxListResponse, TxLookup,
};
use protocol::engine::view;
use protocol::primitives::{Address, H256};
use serde::{Deserialize, Serialize};
use service_shell::http::{ApiPath, ApiQuery, Page, StoredNumber, WithData, clamp_limit};
use std::sync::atomic::Ordering;

type Answer<T> = Result<Json<T>, ApiError>;

/// Most book levels per side one request may ask for.
const MAX_LEVELS: usize = 500;
/// Most rows one listing returns.
const MAX_PAGE: u64 = 1_000;
/// The page size when a list request names none.
const DEFAULT_PAGE: u64 = 100;

/// `GET /v1/genesis`: every chain parameter, the canonical bytes and what derives from them.
#[utoipa::path(get, path = "/v1/genesis", tag = "chain",
    responses((status = 200, description = "The genesis this sequencer runs", body = GenesisView)))]
pub async fn genesis(State(s): State<AppState>) -> Json<GenesisView> {
    Json(GenesisView::of(&s.genesis))
}

/// `GET /v1/health`: 200 while the executor and the writer run.
#[utoipa::path(get, path = "/v1/health", tag = "node",
    responses((status = 200, description = "`{\"ok\": true}`", body = Object)))]
pub async fn health(State(s): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    if s.halted() {
        return Err(ApiError::unavailable(
            "the executor or the writer has stopped",
        ));
    }
    Ok(Json(serde_json::json!({ "ok": true })))
}

/// `GET /v1/status`: the protocol's `StatusResponse` and, beside it, the oldest L1 queue
/// message the settlement layer has not seen consumed (its deadline is what bounds how
/// long its batch may wait).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct StatusBody {
    #[serde(flatten)]
    pub status: StatusResponse,
    pub oldest_pending_l1: Option<PendingL1>,
}

#[utoipa::path(get, path = "/v1/status", tag = "node",
    responses((status = 200, description = "Progress, posting and audit", body = StatusBody)))]
pub async fn status(State(s): State<AppState>) -> Answer<StatusBody> {
    let v = s.views.borrow().clone();
    let progress = s.db.read(queries::progress).await?;
    let fault = s
        .fault
        .map(|plan| format!("{plan}{}", if v.fault_spent { " (spent)" } else { "" }));
    let oldest_pending_l1 = s
        .oldest_pending_l1
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .map(|p| PendingL1 {
            sequenced: p.queue_index < v.queue_next,
            ..p
        });
    let status = StatusResponse {
        sequencer: s.sequencer,
        chain_id: s.genesis.chain_id,
        genesis_hash: s.genesis_hash,
        state_root: v.tree.root(),
        next_seq: v.next_seq,
        open_batch: v.open.clone(),
        last_sealed: progress.sealed,
        last_posted: progress.posted,
        last_finalized: progress.finalized,
        next_queue_index: v.queue_next,
        inflight_actions: s.intake.inflight(),
        posting_error: s
            .posting_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone(),
        fault,
        audit: s.audit.status(),
    };
    Ok(Json(StatusBody {
        status,
        oldest_pending_l1,
    }))
}

/// `GET /v1/accounts/{address}`: the engine's account view at the current soft state.
#[utoipa::path(get, path = "/v1/accounts/{address}", tag = "state",
    params(("address" = Address, Path)),
    responses((status = 200, description = "The account, with its option series positions", body = crate::view::AccountBody)))]
pub async fn account(
    State(s): State<AppState>,
    ApiPath(address): ApiPath<Address>,
) -> Answer<crate::view::AccountBody> {
    let v = s.views.borrow().clone();
    crate::view::account_body(&v, &s.genesis, &address, now_ms())
        .map(Json)
        .map_err(ApiError::internal)
}

/// `GET /v1/accounts/{address}/agents`: the account's approved agent keys, as of the newest
/// state and the current time.
#[utoipa::path(get, path = "/v1/accounts/{address}/agents", tag = "state",
    params(("address" = Address, Path)),
    responses((status = 200, description = "The account's agent keys", body = AgentsResponse)))]
pub async fn agents(
    State(s): State<AppState>,
    ApiPath(address): ApiPath<Address>,
) -> Answer<AgentsResponse> {
    let v = s.views.borrow().clone();
    let mut tree = v.tree.clone();
    let ctx = v.context(now_ms());
    view::agents_view(&mut tree, &ctx, &address)
        .map(Json)
        .map_err(ApiError::internal)
}

/// `GET /v1/accounts/{address}/triggers`: the account's trigger orders and TP/SL legs
/// waiting for the mark, as of the newest state (docs/PROTOCOL.md Part 4 §21).
#[utoipa::path(get, path = "/v1/accounts/{address}/triggers", tag = "state",
    params(("address" = Address, Path)),
    responses((status = 200, description = "The account's trigger orders", body = TriggersResponse)))]
pub async fn triggers(
    State(s): State<AppState>,
    ApiPath(address): ApiPath<Address>,
) -> Answer<TriggersResponse> {
    let v = s.views.borrow().clone();
    let mut tree = v.tree.clone();
    view::triggers_view(&mut tree, &address)
        .map(Json)
        .map_err(ApiError::internal)
}

#[utoipa::path(get, path = "/v1/markets", tag = "state",
    responses((status = 200, description = "Every market with its state", body = MarketsResponse)))]
pub async fn markets(State(s): State<AppState>) -> Answer<MarketsResponse> {
    let v = s.views.borrow().clone();
    let markets = market_infos(&s, &v).map_err(ApiError::internal)?;
    Ok(Json(MarketsResponse { markets }))
}

/// Every market's genesis terms with its state in `view` and its breaker now
/// (`/v1/markets` and the feed).
pub(super) fn market_infos(
    s: &AppState,
    v: &crate::view::ReadView,
) -> Result<Vec<MarketInfo>, protocol::state::StateError> {
    MarketInfo::all(&mut v.tree.clone(), &s.genesis, &v.context(now_ms()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Levels {
    /// Levels per side (default 20, at most 500).
    levels: Option<usize>,
}

#[utoipa::path(get, path = "/v1/markets/{id}/book", tag = "state",
    params(("id" = u32, Path, description = "The market id"), Levels),
    responses((status = 200, description = "Aggregated levels per side", body = BookResponse)))]
pub async fn book(
    State(s): State<AppState>,
    ApiPath(market): ApiPath<u32>,
    ApiQuery(q): ApiQuery<Levels>,
) -> Answer<BookResponse> {
    if s.genesis.market(market).is_none() {
        return Err(ApiError::new(
            error_codes::UNKNOWN_MARKET,
            format!("no market {market} in genesis"),
        ));
    }
    let levels = q.levels.unwrap_or(20).clamp(1, MAX_LEVELS);
    let v = s.views.borrow().clone();
    let mut tree = v.tree.clone();
    view::book_depth(&mut tree, market, levels)
        .map(Json)
        .map_err(ApiError::internal)
}

#[utoipa::path(get, path = "/v1/txs/{hash}", tag = "transactions",
    params(("hash" = H256, Path, description = "The transaction hash")),
    responses((status = 200, description = "Where the transaction stands", body = TxLookup)))]
pub async fn tx(State(s): State<AppState>, ApiPath(hash): ApiPath<H256>) -> Answer<TxLookup> {
    s.db.read(move |conn| queries::tx(conn, &hash))
        .await?
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                error_codes::UNKNOWN_TX,
                format!("no sequenced transaction has hash {hash}"),
            )
        })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SeqPage {
    /// Transactions with a higher `seq` (default: from the first).
    after_seq: Option<StoredNumber>,
    /// At most this many (default 100, at most 1,000).
    limit: Option<u64>,
}

#[utoipa::path(get, path = "/v1/txs", tag = "transactions",
    params(SeqPage),
    responses((status = 200, description = "The chain's transactions in order", body = TxListResponse)))]
pub async fn tx_list(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<SeqPage>,
) -> Answer<TxListResponse> {
    let limit = clamp_limit(q.limit, DEFAULT_PAGE, MAX_PAGE);
    let txs =
        s.db.read(move |conn| queries::tx_list(conn, q.after_seq.map(StoredNumber::get), limit))
            .await?;
    Ok(Json(TxListResponse { txs }))
}

#[utoipa::path(get, path = "/v1/batches", tag = "batches",
    params(Page),
    responses((status = 200, description = "Batches from `from`", body = BatchesResponse)))]
pub async fn batches(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<Page>,
) -> Answer<BatchesResponse> {
    let (from, limit) = q.resolve(DEFAULT_PAGE, MAX_PAGE);
    let batches =
        s.db.read(move |conn| queries::batches(conn, from, limit))
            .await?;
    Ok(Json(BatchesResponse { batches }))
}

#[utoipa::path(get, path = "/v1/batches/{index}", tag = "batches",
    params(("index" = StoredNumber, Path), WithData),
    responses((status = 200, description = "One batch", body = BatchInfo)))]
pub async fn batch(
    State(s): State<AppState>,
    ApiPath(index): ApiPath<StoredNumber>,
    ApiQuery(q): ApiQuery<WithData>,
) -> Answer<BatchInfo> {
    let index = index.get();
    let with_data = q.wanted();
    s.db.read(move |conn| queries::batch(conn, index, with_data))
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::new(error_codes::UNKNOWN_BATCH, format!("no batch {index} yet")))
}

#[utoipa::path(get, path = "/metrics", tag = "node",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
pub async fn metrics(State(s): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let m = &s.metrics;
    let lag = m
        .last_sealed
        .load(Ordering::Relaxed)
        .saturating_sub(m.last_posted.load(Ordering::Relaxed));
    let audit = s.audit.status();
    let queue = crate::metrics::QueueSample {
        inflight: s.intake.inflight(),
        budget: s.intake.queue_budget(),
        audited_batch: audit.passed_batch.map_or(-1, i128::from),
        invariant_violated: audit.violation.is_some(),
    };
    let text = m.render(queue, lag);
    Ok(service_shell::metrics::response(text))
}
