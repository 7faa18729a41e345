//! Read endpoints, including the long-polled event log followers use.

use crate::error_codes;
use crate::ledger::{self, accounts, batches, events, exit, queue};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use protocol::api::genesis::GenesisView;
use protocol::api::settlement::{
    AccountResponse, BatchView, BatchesResponse, BondsResponse, EventsResponse, ExitClaimView,
    ExitStatus, QueueResponse, StatusResponse, UpheldProof, WithdrawalResponse,
};
use protocol::primitives::Address;
use serde::Deserialize;
use service_shell::http::ApiError;
use service_shell::http::{ApiPath, ApiQuery, Page, StoredNumber, WithData};
use std::time::Duration;

type Answer<T> = Result<Json<T>, ApiError>;

/// The longest a follower's `wait_ms` may hold a request open.
pub const MAX_WAIT_MS: u64 = 30_000;
const DEFAULT_PAGE: u64 = 100;

#[utoipa::path(get, path = "/v1/health", tag = "node",
    responses((status = 200, description = "`{\"ok\": true}`", body = Object)))]
pub async fn health() -> Json<serde_json::Value> {
    Json(serde_json::json!({ "ok": true }))
}

#[utoipa::path(get, path = "/v1/status", tag = "chain",
    responses((status = 200, description = "Head, tip, supply and parameters", body = StatusResponse)))]
pub async fn status(State(s): State<AppState>) -> Answer<StatusResponse> {
    s.read(ledger::status).await.map(Json)
}

/// `GET /metrics`: Prometheus text, loaded in one read transaction.
#[utoipa::path(get, path = "/metrics", tag = "node",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
pub async fn metrics(State(s): State<AppState>) -> Result<Response, ApiError> {
    let sample = s.read(crate::metrics::load).await?;
    Ok(service_shell::metrics::response(crate::metrics::render(
        &sample,
    )))
}

/// `GET /v1/genesis`: the genesis whose hash every batch must commit (same JSON on every
/// service).
#[utoipa::path(get, path = "/v1/genesis", tag = "chain",
    responses((status = 200, description = "The genesis every batch must commit", body = GenesisView)))]
pub async fn genesis(State(s): State<AppState>) -> Json<GenesisView> {
    Json(GenesisView::of(s.rules().genesis()))
}

#[utoipa::path(get, path = "/v1/accounts/{address}", tag = "accounts", params(("address" = Address, Path)),
    responses((status = 200, description = "Balance, bond and nonce", body = AccountResponse)))]
pub async fn account(
    State(s): State<AppState>,
    ApiPath(address): ApiPath<Address>,
) -> Answer<AccountResponse> {
    s.read(move |conn, _| accounts::view(conn, &address))
        .await
        .map(Json)
}

#[utoipa::path(get, path = "/v1/bonds", tag = "accounts",
    responses((status = 200, description = "Every bonded proposer", body = BondsResponse)))]
pub async fn bonds(State(s): State<AppState>) -> Answer<BondsResponse> {
    s.read(|conn, _| {
        Ok(BondsResponse {
            bonds: accounts::bonds(conn)?,
        })
    })
    .await
    .map(Json)
}

/// Live batches from index `from`, without their data.
#[utoipa::path(get, path = "/v1/batches", tag = "batches", params(Page),
    responses((status = 200, description = "Live batches from `from`, without data", body = BatchesResponse)))]
pub async fn batches(
    State(s): State<AppState>,
    ApiQuery(page): ApiQuery<Page>,
) -> Answer<BatchesResponse> {
    let (from, limit) = page.resolve(DEFAULT_PAGE, batches::MAX_BATCHES_PER_READ);
    s.read(move |conn, _| {
        let rows = batches::live_from(conn, from, limit)?;
        Ok(BatchesResponse {
            batches: rows.iter().map(|row| batches::view(row, None)).collect(),
        })
    })
    .await
    .map(Json)
}

/// The most recent submission with this index (live if there is one), with its data
/// unless `?data=false`.
#[utoipa::path(get, path = "/v1/batches/{index}", tag = "batches", params(("index" = StoredNumber, Path), WithData),
    responses((status = 200, description = "The live (or latest) submission at that index", body = BatchView)))]
pub async fn batch(
    State(s): State<AppState>,
    ApiPath(index): ApiPath<StoredNumber>,
    ApiQuery(q): ApiQuery<WithData>,
) -> Answer<BatchView> {
    let index = index.get();
    let with_data = q.wanted();
    s.read(move |conn, _| {
        let row = batches::latest_by_index(conn, index)?.ok_or_else(|| {
            ApiError::new(
                error_codes::NO_SUCH_BATCH,
                format!("no batch {index} has been posted"),
            )
        })?;
        batch_view(conn, &row, with_data)
    })
    .await
    .map(Json)
}

/// One exact posting (reverted ones included), with its data unless `?data=false`.
#[utoipa::path(get, path = "/v1/submissions/{id}", tag = "batches", params(("id" = StoredNumber, Path), WithData),
    responses((status = 200, description = "One exact posting", body = BatchView)))]
pub async fn submission(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<StoredNumber>,
    ApiQuery(q): ApiQuery<WithData>,
) -> Answer<BatchView> {
    let id = id.get();
    let with_data = q.wanted();
    s.read(move |conn, _| {
        let row = batches::by_submission(conn, id)?.ok_or_else(|| {
            ApiError::new(
                error_codes::NO_SUCH_SUBMISSION,
                format!("no submission {id}"),
            )
        })?;
        batch_view(conn, &row, with_data)
    })
    .await
    .map(Json)
}

/// `row`'s view, with its data read from the database when `with_data`.
fn batch_view(
    conn: &rusqlite::Connection,
    row: &batches::BatchRow,
    with_data: bool,
) -> Result<BatchView, ApiError> {
    let data = if with_data {
        Some(batches::data(conn, row.view.submission_id)?)
    } else {
        None
    };
    Ok(batches::view(row, data))
}

#[utoipa::path(get, path = "/v1/queue", tag = "queue", params(Page),
    responses((status = 200, description = "L1 queue messages from `from`", body = QueueResponse)))]
pub async fn queue(
    State(s): State<AppState>,
    ApiQuery(page): ApiQuery<Page>,
) -> Answer<QueueResponse> {
    let (from, limit) = (
        page.from.map_or(0, StoredNumber::get),
        page.limit.unwrap_or(DEFAULT_PAGE),
    );
    s.read(move |conn, rules| queue::view(conn, rules, from, limit))
        .await
        .map(Json)
}

#[utoipa::path(get, path = "/v1/withdrawals/{id}", tag = "withdrawals", params(("id" = StoredNumber, Path)),
    responses((status = 200, description = "Whether it was claimed", body = WithdrawalResponse)))]
pub async fn withdrawal(
    State(s): State<AppState>,
    ApiPath(id): ApiPath<StoredNumber>,
) -> Answer<WithdrawalResponse> {
    let id = id.get();
    s.read(move |conn, _| ledger::withdrawal(conn, id))
        .await
        .map(Json)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Events with a higher `seq` (default 0: from the first).
    after: Option<StoredNumber>,
    /// At most this many (default 100).
    limit: Option<u64>,
    /// Hold an empty answer back up to this long (ms, at most 30,000) for a new event.
    wait_ms: Option<u64>,
}

/// Events with `seq > after`. With `wait_ms`, an empty answer is held back until an event
/// arrives, `wait_ms` (at most `MAX_WAIT_MS`) passes, or the service stops.
#[utoipa::path(get, path = "/v1/events", tag = "events", params(EventsQuery),
    responses((status = 200, description = "Events after `after` (long-polled with `wait_ms`)", body = EventsResponse)))]
pub async fn events(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Answer<EventsResponse> {
    let after = q.after.map_or(0, StoredNumber::get);
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    let wait = Duration::from_millis(q.wait_ms.unwrap_or(0).min(MAX_WAIT_MS));
    // Subscribe before reading, so an event committed in between is not missed.
    let mut watermark = s.event_watermark();
    let first = s
        .read(move |conn, _| events::read(conn, after, limit))
        .await?;
    if !first.events.is_empty() || wait.is_zero() {
        return Ok(Json(first));
    }
    let mut stopping = s.stopping();
    tokio::select! {
        // The guards `wait_for` returns are not `Send`; drop them inside the branch futures.
        _ = async { watermark.wait_for(|last| *last > after).await.is_ok() } => {}
        () = crate::state::stopped(&mut stopping) => {}
        _ = tokio::time::sleep(wait) => {}
    }
    s.read(move |conn, _| events::read(conn, after, limit))
        .await
        .map(Json)
}

/// `GET /v1/exit`: the escape hatch's phase and totals.
#[utoipa::path(get, path = "/v1/exit", tag = "exit",
    responses((status = 200, description = "The escape hatch's phase and totals", body = ExitStatus)))]
pub async fn exit(State(s): State<AppState>) -> Answer<ExitStatus> {
    s.read(exit::status).await.map(Json)
}

/// `GET /v1/challenges/{submission_id}`: the upheld proof against that submission, with its
/// witness.
#[utoipa::path(get, path = "/v1/challenges/{submission_id}", tag = "challenges", params(("submission_id" = StoredNumber, Path)),
    responses((status = 200, description = "The proof upheld against the submission", body = UpheldProof)))]
pub async fn upheld_proof(
    State(s): State<AppState>,
    ApiPath(submission_id): ApiPath<StoredNumber>,
) -> Answer<UpheldProof> {
    let submission_id = submission_id.get();
    s.read(move |conn, _| {
        ledger::upheld(conn, submission_id)?.ok_or_else(|| {
            ApiError::new(
                error_codes::NO_UPHELD_PROOF,
                format!("no fraud proof was upheld against submission {submission_id} (GET /v1/events lists challenge_upheld events with their submission ids)"),
            )
        })
    })
    .await
    .map(Json)
}

/// `GET /v1/exit/claims/{account}`.
#[utoipa::path(get, path = "/v1/exit/claims/{account}", tag = "exit", params(("account" = Address, Path)),
    responses((status = 200, description = "The account's exit claim", body = ExitClaimView)))]
pub async fn exit_claim(
    State(s): State<AppState>,
    ApiPath(account): ApiPath<Address>,
) -> Answer<ExitClaimView> {
    s.read(move |conn, _| {
        exit::claim_view(conn, &account)?.ok_or_else(|| {
            ApiError::new(
                error_codes::NO_EXIT_CLAIM,
                format!("{account} has not claimed its exit (GET /v1/exit shows whether claims are open)"),
            )
        })
    })
    .await
    .map(Json)
}
