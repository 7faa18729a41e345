//! The explorer's HTTP surface: the embedded pages, the pass-through reads (`/api/seq/…`,
//! `/api/l1/…`, `/api/verifier/N/…`), the explorer's own aggregations (submissions and
//! disputes from the event log, the verifiers against the tip, one batch with its
//! transactions and receipts, search), and `/api/stream`, the browsers' live feed.

use crate::chain::{ChainIndex, Dispute, Submission};
use crate::error_codes;
use crate::hub::Hub;
use crate::upstream::{Answer, ReadError, Service, Upstreams};
use crate::withdrawals::WithdrawalIndex;
use crate::{Config, assets};
use axum::Router;
use axum::extract::ws::{Message, WebSocket};
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use protocol::action::Tx;
use protocol::api::sequencer::BatchInfo;
use protocol::batch::Batch;
use protocol::codec::Decode;
use serde::Deserialize;
use serde_json::{Value, json};
use service_client::Timeouts;
use service_client::settlement::SettlementClient;
use service_shell::http::{
    ApiError, ApiQuery, ApiWebSocket, METHOD_NOT_ALLOWED, clamp_limit, with_fallbacks,
};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::sync::{Semaphore, broadcast, watch};

/// Browser feeds open at once; more are answered 503.
const MAX_BROWSER_FEEDS: usize = 1_024;
/// A frame to every browser this often, so an idle feed is not cut as stalled.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// Rows per page of the explorer's own lists, and the most one page may ask for.
const PAGE: usize = 25;
const MAX_PAGE: usize = 200;

/// What every handler and task shares. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub upstreams: Arc<Upstreams>,
    pub l1: SettlementClient,
    pub hub: Arc<Hub>,
    chain: Arc<Mutex<ChainIndex>>,
    withdrawals: Arc<Mutex<WithdrawalIndex>>,
    feeds: Arc<Semaphore>,
    stopping: watch::Receiver<bool>,
}

impl AppState {
    pub fn new(config: &Config, stopping: watch::Receiver<bool>) -> AppState {
        let timeouts = Timeouts {
            call: Some(Duration::from_secs(10)),
            connect: Some(Duration::from_secs(3)),
        };
        let l1 = SettlementClient::with_timeouts(&config.l1_url, timeouts)
            .unwrap_or_else(|_| SettlementClient::new(&config.l1_url));
        AppState {
            upstreams: Arc::new(Upstreams::new(
                &config.sequencer_url,
                &config.l1_url,
                &config.verifier_urls,
                config.cache_ttl,
            )),
            l1,
            hub: Arc::new(Hub::default()),
            chain: Arc::new(Mutex::new(ChainIndex::default())),
            withdrawals: Arc::new(Mutex::new(WithdrawalIndex::default())),
            feeds: Arc::new(Semaphore::new(MAX_BROWSER_FEEDS)),
            stopping,
        }
    }

    pub fn chain(&self) -> MutexGuard<'_, ChainIndex> {
        self.chain.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn withdrawals(&self) -> MutexGuard<'_, WithdrawalIndex> {
        self.withdrawals.lock().unwrap_or_else(|p| p.into_inner())
    }
}

type Shared = Arc<AppState>;

pub fn router(state: Shared) -> Router {
    let routes = Router::new()
        .route("/", get(assets::index))
        .route("/assets/{name}", get(assets::asset))
        .route("/api/overview", get(overview))
        .route("/api/seq/{*path}", get(seq_read))
        .route("/api/l1/{*path}", get(l1_read))
        .route("/api/verifier/{number}/{*path}", get(verifier_read))
        .route("/api/submissions", get(submissions))
        .route("/api/disputes", get(disputes))
        .route("/api/verifiers", get(verifiers))
        .route("/api/batch/{index}", get(batch))
        .route("/api/search", get(search))
        .route("/api/accounts", get(accounts))
        .route("/api/accounts/{address}/withdrawals", get(withdrawals))
        .route("/api/stream", get(stream));
    with_fallbacks(routes, "README.md (explorer)", METHOD_NOT_ALLOWED).with_state(state)
}

/// The upstreams, what answers, the L1 head, and the pass-through's read counts (how many
/// reads reached an upstream against how many were answered): the header of every page.
async fn overview(State(s): State<Shared>) -> Response {
    let u = &s.upstreams;
    axum::Json(json!({
        "sequencer_url": u.sequencer,
        "l1_url": u.settlement,
        "verifier_urls": u.verifiers,
        "links": s.hub.links(),
        "l1_head": s.hub.l1_head(),
        "events_indexed": s.chain().cursor,
        "reads": u.counts(),
    }))
    .into_response()
}

fn pass(answer: Result<Answer, ReadError>) -> Response {
    match answer {
        Ok(a) => {
            let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::BAD_GATEWAY);
            (status, [(header::CONTENT_TYPE, a.content_type)], a.body).into_response()
        }
        Err(e @ ReadError::NotReadable(_)) => {
            ApiError::new(error_codes::NOT_READABLE, e.to_string()).into_response()
        }
        Err(e @ ReadError::NoSuchVerifier(_)) => {
            ApiError::new(error_codes::NO_SUCH_VERIFIER, e.to_string()).into_response()
        }
        Err(e @ ReadError::Unreachable { .. }) => {
            ApiError::new(error_codes::UPSTREAM_UNREACHABLE, e.to_string()).into_response()
        }
    }
}

fn with_query(path: &str, query: Option<String>) -> String {
    match query {
        Some(q) if !q.is_empty() => format!("/{path}?{q}"),
        _ => format!("/{path}"),
    }
}

/// A GET-only read of `service`'s `/{path}?{query}`, answered as the upstream answered.
async fn read(s: &AppState, service: Service, path: &str, q: Option<String>) -> Response {
    pass(s.upstreams.get(service, &with_query(path, q)).await)
}

async fn seq_read(
    State(s): State<Shared>,
    Path(path): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    read(&s, Service::Sequencer, &path, q).await
}

async fn l1_read(
    State(s): State<Shared>,
    Path(path): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    read(&s, Service::Settlement, &path, q).await
}

async fn verifier_read(
    State(s): State<Shared>,
    Path((number, path)): Path<(usize, String)>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some(i) = number.checked_sub(1) else {
        return ApiError::new(
            error_codes::NO_SUCH_VERIFIER,
            "verifiers are numbered from 1",
        )
        .into_response();
    };
    read(&s, Service::Verifier(i), &path, q).await
}

/// `?before=ID&limit=N`: newest first, below `before`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Newest {
    before: Option<u64>,
    limit: Option<usize>,
}

impl Newest {
    fn limit(&self) -> usize {
        clamp_limit(self.limit, PAGE, MAX_PAGE)
    }
}

/// Every submission the log told of (reverted ones too), newest first, paged by id.
async fn submissions(State(s): State<Shared>, ApiQuery(q): ApiQuery<Newest>) -> Response {
    let chain = s.chain();
    let before = q.before.unwrap_or(u64::MAX);
    let page: Vec<&Submission> = chain
        .submissions
        .range(..before)
        .rev()
        .map(|(_, p)| p)
        .take(q.limit())
        .collect();
    let next_before = (page.len() == q.limit())
        .then(|| page.last().map(|p| p.submission_id))
        .flatten();
    axum::Json(json!({
        "total": chain.submissions.len(),
        "submissions": page,
        "next_before": next_before,
        "l1_head": s.hub.l1_head(),
    }))
    .into_response()
}

/// Every upheld fraud proof, newest first (`before` is a dispute number).
async fn disputes(State(s): State<Shared>, ApiQuery(q): ApiQuery<Newest>) -> Response {
    let chain = s.chain();
    let before = q.before.map_or(usize::MAX, |b| b as usize);
    let page: Vec<&Dispute> = chain
        .disputes
        .iter()
        .rev()
        .filter(|d| d.number < before)
        .take(q.limit())
        .collect();
    let next_before = (page.len() == q.limit())
        .then(|| page.last().map(|d| d.number))
        .flatten();
    axum::Json(json!({"total": chain.disputes.len(), "disputes": page, "next_before": next_before}))
        .into_response()
}

async fn verifiers(State(s): State<Shared>) -> Response {
    axum::Json(
        json!({"verifiers": s.hub.verifiers().unwrap_or(json!([])), "l1_head": s.hub.l1_head()}),
    )
    .into_response()
}

/// `?from=&limit=`: a page of a batch's transactions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TxPage {
    from: Option<usize>,
    limit: Option<usize>,
}

/// One batch: the sequencer's view, its roots and checkpoints, every posting of it on the
/// settlement layer, and a page of its transactions with their receipts.
async fn batch(
    State(s): State<Shared>,
    Path(index): Path<u64>,
    ApiQuery(q): ApiQuery<TxPage>,
) -> Result<Response, ApiError> {
    let postings: Vec<Submission> = s
        .chain()
        .submissions
        .values()
        .filter(|p| p.index == index)
        .cloned()
        .collect();
    let info: Result<BatchInfo, String> = s
        .upstreams
        .get_json(Service::Sequencer, &format!("/v1/batches/{index}"))
        .await;
    let info = match info {
        Ok(info) => info,
        Err(e) if postings.is_empty() => {
            return Err(ApiError::new(
                error_codes::NO_SUCH_BATCH,
                format!("batch {index}: {e}"),
            ));
        }
        Err(_) => {
            return Ok(axum::Json(json!({"index": index, "postings": postings})).into_response());
        }
    };
    let data_bytes = info.data.as_ref().map(Vec::len);
    let decoded = info.data.as_deref().and_then(|d| Batch::decode(d).ok());
    let (from, limit) = (q.from.unwrap_or(0), clamp_limit(q.limit, PAGE, MAX_PAGE));
    let txs = match &decoded {
        Some(b) => tx_rows(&s, &b.txs, from, limit).await,
        None => Vec::new(),
    };
    let mut sequencer =
        serde_json::to_value(BatchInfo { data: None, ..info }).unwrap_or(Value::Null);
    sequencer["data_bytes"] = json!(data_bytes);
    Ok(axum::Json(json!({
        "index": index,
        "sequencer": sequencer,
        "header": decoded.as_ref().map(|b| json!({
            "tx_root": b.header.tx_root,
            "checkpoint_root": b.header.checkpoint_root,
            "receipts_root": b.header.receipts_root,
            "prev_header_hash": b.header.prev_header_hash,
        })),
        "checkpoints": decoded.as_ref().map(|b| &b.checkpoints),
        "receipt_roots": decoded.as_ref().map(|b| &b.receipt_roots),
        "tx_count": decoded.as_ref().map_or(0, |b| b.txs.len()),
        "from": from,
        "txs": txs,
        "postings": postings,
        "l1_head": s.hub.l1_head(),
    }))
    .into_response())
}

/// A page of transactions: hash, kind, who, and the receipt the sequencer holds.
async fn tx_rows(s: &AppState, txs: &[Tx], from: usize, limit: usize) -> Vec<Value> {
    let mut rows = Vec::new();
    for (position, tx) in txs.iter().enumerate().skip(from).take(limit) {
        let hash = tx.hash();
        let (kind, who) = match tx {
            Tx::User { action } => (
                action.action.kind().name().to_string(),
                action.action.claimed_signer(),
            ),
            Tx::L1 { message, .. } => match message {
                protocol::action::L1Message::Deposit { account, .. } => {
                    ("l1 deposit".to_string(), Some(*account))
                }
                protocol::action::L1Message::Forced { action } => (
                    format!("forced {}", action.action.kind().name()),
                    action.action.claimed_signer(),
                ),
            },
        };
        let lookup: Result<Value, String> = s
            .upstreams
            .get_json(Service::Sequencer, &format!("/v1/txs/{hash}"))
            .await;
        rows.push(json!({
            "position": position,
            "hash": hash,
            "kind": kind,
            "account": who,
            "lookup": lookup.ok(),
        }));
    }
    rows
}

/// The accounts that deposited, as the event log tells: how many, and the first page.
async fn accounts(State(s): State<Shared>) -> Response {
    let chain = s.chain();
    let accounts: Vec<String> = chain
        .accounts
        .iter()
        .take(MAX_PAGE)
        .map(ToString::to_string)
        .collect();
    axum::Json(json!({"total": chain.accounts.len(), "accounts": accounts})).into_response()
}

/// Withdrawals an account asked for: at most this many, newest first.
const MAX_WITHDRAWALS: usize = 50;

/// An account's withdrawals, newest first — those in the sequencer's open batch too — each
/// with its one status (and the proof against the posted root once claimable), as the
/// sequencer tells it.
async fn withdrawals(
    State(s): State<Shared>,
    Path(address): Path<protocol::primitives::Address>,
) -> Response {
    let ids = s.withdrawals().of(&address, MAX_WITHDRAWALS);
    let mut rows = Vec::new();
    for id in ids {
        let view: Option<Value> = s
            .upstreams
            .get_json(Service::Sequencer, &format!("/v1/withdrawals/{id}"))
            .await
            .ok();
        let tx_hash = view.as_ref().map(|v| v["tx_hash"].clone());
        rows.push(json!({"withdrawal_id": id, "tx_hash": tx_hash, "withdrawal": view}));
    }
    axum::Json(json!({"address": address, "withdrawals": rows})).into_response()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    q: String,
}

/// What a search string names: a transaction (or a batch header) hash, an address, or a
/// batch index.
async fn search(
    State(s): State<Shared>,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Result<Response, ApiError> {
    let text = q.q.trim();
    let hex = text.strip_prefix("0x").unwrap_or(text);
    let is_hex = !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    let found = if is_hex && hex.len() == 40 {
        json!({"kind": "account", "address": format!("0x{}", hex.to_ascii_lowercase())})
    } else if is_hex && hex.len() == 64 {
        let hash = format!("0x{}", hex.to_ascii_lowercase());
        let header = s
            .chain()
            .submissions
            .values()
            .find(|p| p.header_hash.to_string() == hash)
            .map(|p| p.index);
        match header {
            Some(index) => json!({"kind": "batch", "index": index}),
            None => json!({"kind": "tx", "hash": hash}),
        }
    } else if let Ok(index) = text.trim_start_matches('#').parse::<u64>() {
        json!({"kind": "batch", "index": index})
    } else {
        return Err(ApiError::new(
            error_codes::UNRECOGNIZED_SEARCH,
            format!(
                "{text:?} is not a transaction hash (0x + 64 hex digits), an address (0x + 40 hex digits) or a batch index (a number)"
            ),
        ));
    };
    Ok(axum::Json(found).into_response())
}

/// `/api/stream`: the current picture, then every change, to one browser.
async fn stream(State(s): State<Shared>, ApiWebSocket(ws): ApiWebSocket) -> Response {
    let Ok(permit) = s.feeds.clone().try_acquire_owned() else {
        return ApiError::overloaded(format!(
            "{MAX_BROWSER_FEEDS} live feeds are open; retry shortly"
        ))
        .into_response();
    };
    ws.on_upgrade(move |socket| async move {
        browser_feed(&s, socket).await;
        drop(permit);
    })
}

async fn browser_feed(s: &AppState, mut socket: WebSocket) {
    let mut rx = s.hub.subscribe();
    for frame in s.hub.picture() {
        if socket.send(Message::text(frame)).await.is_err() {
            return;
        }
    }
    let mut stopping = s.stopping.clone();
    let mut beat = tokio::time::interval(HEARTBEAT);
    loop {
        let frame: Option<String> = tokio::select! {
            got = rx.recv() => match got {
                Ok(text) => Some(text.to_string()),
                // Too slow: say so, and the page re-reads what it shows.
                Err(broadcast::error::RecvError::Lagged(n)) => Some(crate::hub::message("lagged", &n)),
                Err(broadcast::error::RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => continue,
            },
            _ = beat.tick() => Some(crate::hub::message("ping", &Value::Null)),
            _ = stopping.wait_for(|s| *s) => None,
        };
        let Some(frame) = frame else {
            let _ = socket.send(Message::Close(None)).await;
            return;
        };
        if socket.send(Message::text(frame)).await.is_err() {
            return;
        }
    }
}
