//! The settlement rules, as functions over one SQLite transaction each. A function either
//! returns its answer (the caller then commits) or an `ApiError` (the caller drops the
//! transaction, so nothing it wrote survives). Time enters only as arguments (the head
//! block, `now_ms` for mining), which keeps every rule deterministic.

pub mod accounts;
pub mod batches;
pub mod chain;
mod challenge;
pub mod events;
pub mod exit;
mod handle;
mod posting;
pub mod queue;
pub mod schema;
mod withdrawals;

pub use challenge::{challenge, upheld};
pub use handle::Ledger;
pub(crate) use handle::{read, write};
pub use posting::post as post_batch;
pub use withdrawals::{claim, view as withdrawal};

use crate::rules::Rules;
use protocol::api::settlement::StatusResponse;
use rusqlite::Connection;
use service_shell::http::ApiError;

/// `GET /v1/status`.
pub fn status(conn: &Connection, rules: &Rules) -> Result<StatusResponse, ApiError> {
    let head = chain::head(conn)?;
    let tip = batches::tip(conn, rules)?;
    Ok(StatusResponse {
        block: head.block(),
        next_batch_index: batches::next_index(&tip),
        tip,
        finalized_index: batches::last_finalized(conn)?.map(|b| b.view.index),
        pending_batches: batches::pending_count(conn)?,
        queue_length: queue::length(conn)?,
        last_event_seq: events::last_seq(conn)?,
        params: rules.params(),
        supply: accounts::supply(conn, &head)?,
    })
}
