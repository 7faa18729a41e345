//! The HTTP API (table in docs/spec/sequencer.md): routes, the state handlers share, and
//! the protection every request passes (a concurrency budget answered with 503, a request
//! timeout, JSON errors for every rejection, panics caught).

mod error;
pub mod error_codes;
mod history;
mod intake_ws;
mod openapi;
pub mod options;
mod orders;
mod reads;
mod stream;

pub use stream::{
    MAX_SESSIONS as MAX_STREAM_SESSIONS, MAX_SUBSCRIPTIONS as MAX_STREAM_SUBSCRIPTIONS,
};
mod submit;
mod withdrawals;

pub use openapi::document as openapi_document;
pub use orders::{AccountOrder, AccountOrdersResponse};
pub use reads::StatusBody;
pub use service_shell::http::ApiError;

use crate::config::{FaultPlan, Limits};
use crate::intake::Intake;
use crate::journal::JournalError;
use crate::journal::writer::Progress;
use crate::metrics::Metrics;
use crate::view::ViewReceiver;
use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use protocol::genesis::Genesis;
use protocol::primitives::{Address, H256};
use rusqlite::Connection;
use service_client::SettlementClient;
use service_shell::http::openapi::openapi_route;
use service_shell::http::{
    HoldsStates, METHOD_NOT_ALLOWED, catching_panics, proof_routes, with_fallbacks,
};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// A read-only database connection for the API, used off the async workers. Each read
/// first waits for the derived rows of every write acknowledged before it (the writer
/// writes them just after the acknowledgement), so a client reads its own writes.
#[derive(Debug, Clone)]
pub struct ReadDb {
    conn: Arc<Mutex<Connection>>,
    progress: Arc<Progress>,
}

impl ReadDb {
    pub fn new(conn: Connection, progress: Arc<Progress>) -> ReadDb {
        ReadDb {
            conn: Arc::new(Mutex::new(conn)),
            progress,
        }
    }

    /// Runs `read` on the connection in the blocking pool.
    pub async fn read<R, F>(&self, read: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection) -> Result<R, JournalError> + Send + 'static,
    {
        self.progress.caught_up().await;
        let conn = self.conn.clone();
        tokio::task::spawn_blocking(move || {
            let conn = conn.lock().unwrap_or_else(|e| e.into_inner());
            read(&conn)
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::from)
    }
}

/// Why posting is stuck, shared by the poster (writes) and `/v1/status` (reads).
pub type PostingError = Arc<Mutex<Option<String>>>;

/// What every handler shares. Cheap to clone.
#[derive(Debug, Clone)]
pub struct AppState {
    pub genesis: Arc<Genesis>,
    pub genesis_hash: H256,
    pub sequencer: Address,
    pub intake: Arc<Intake>,
    pub views: ViewReceiver,
    pub db: ReadDb,
    pub settlement: SettlementClient,
    pub metrics: Arc<Metrics>,
    pub limits: Limits,
    pub requests: Arc<Semaphore>,
    /// Raised when the executor or the writer stopped: nothing can be acknowledged.
    pub halted: Arc<[Arc<AtomicBool>; 2]>,
    pub posting_error: PostingError,
    pub oldest_pending_l1: crate::follower::OldestPendingL1,
    pub frozen: crate::follower::FrozenAt,
    /// The invariant auditor's findings (a violation stops intake and posting).
    pub audit: Arc<crate::audit::Audit>,
    /// Turns true when the service stops (long-lived feeds close on it).
    pub stopping: tokio::sync::watch::Receiver<bool>,
    pub fault: Option<FaultPlan>,
    /// The settlement layer's block time, for withdrawal ETAs (`None`: manual blocks).
    pub block_time_ms: Option<u64>,
}

impl AppState {
    pub fn halted(&self) -> bool {
        self.halted.iter().any(|f| f.load(Ordering::Relaxed))
    }
}

impl HoldsStates for AppState {
    /// The durable states after the newest finalized batch and every sealed one since.
    fn held_states(&self) -> Arc<Vec<protocol::api::proofs::HeldState>> {
        self.views.borrow().held.clone()
    }
}

/// The service's router over `state`.
pub fn router(state: AppState) -> Router {
    let routes = Router::new()
        .route("/v1/tx", post(submit::one))
        .route("/v1/tx/ws", intake_ws::route())
        .route("/v1/txs", post(submit::bulk).get(reads::tx_list))
        .route("/v1/txs/{hash}", get(reads::tx))
        .route("/v1/status", get(reads::status))
        .route("/v1/genesis", get(reads::genesis))
        .route("/v1/health", get(reads::health))
        .route("/v1/accounts/{address}", get(reads::account))
        .route("/v1/accounts/{address}/agents", get(reads::agents))
        .route("/v1/accounts/{address}/triggers", get(reads::triggers))
        .route("/v1/markets", get(reads::markets))
        .route("/v1/markets/{id}/book", get(reads::book))
        .route("/v1/options/chain", get(options::chain_route))
        .route("/v1/markets/{id}/trades", get(history::market_trades))
        .route("/v1/markets/{id}/candles", get(history::market_candles))
        .route("/v1/accounts/{address}/fills", get(history::account_fills))
        .route(
            "/v1/accounts/{address}/orders/history",
            get(history::account_orders),
        )
        .route(
            "/v1/accounts/{address}/orders",
            get(orders::account_open_orders),
        )
        .route(
            "/v1/accounts/{address}/orders/{id}",
            get(orders::account_order),
        )
        .route(
            "/v1/accounts/{address}/funding",
            get(history::account_funding),
        )
        .route(
            "/v1/accounts/{address}/transfers",
            get(history::account_transfers),
        )
        .route("/v1/markets/{id}/funding", get(history::market_funding))
        .route("/v1/batches", get(reads::batches))
        .route("/v1/batches/{index}", get(reads::batch))
        .route("/v1/withdrawals/{id}", get(withdrawals::withdrawal))
        .route("/v1/withdrawals/{id}/claim", get(withdrawals::claim))
        .route("/v1/exit/proof/{account}", get(withdrawals::exit_proof))
        .route("/v1/stream", stream::route())
        .route("/metrics", get(reads::metrics))
        .merge(proof_routes::<AppState>())
        .merge(openapi_route(&openapi::document()));
    let protected = with_fallbacks(routes, "docs/spec/sequencer.md", METHOD_NOT_ALLOWED)
        .layer(middleware::from_fn_with_state(state.clone(), protect));
    catching_panics(protected).with_state(state)
}

/// Load shedding and the overall deadline. Submissions answer their own, more helpful,
/// timeout first (they know the transaction hash), so this one is a little longer.
async fn protect(State(s): State<AppState>, request: Request, next: Next) -> Response {
    let Ok(_permit) = s.requests.clone().try_acquire_owned() else {
        s.metrics.shed.fetch_add(1, Ordering::Relaxed);
        return ApiError::overloaded("too many requests in flight; retry shortly").into_response();
    };
    let deadline = s.limits.request_timeout + Duration::from_secs(1);
    match tokio::time::timeout(deadline, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::timed_out(format!("no answer within {} ms", deadline.as_millis()))
            .into_response(),
    }
}
