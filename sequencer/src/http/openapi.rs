//! The sequencer's OpenAPI 3.1 document (`GET /openapi.json`, checked in as
//! docs/openapi/sequencer.json): the handlers' `#[utoipa::path]`s, the proof routes
//! service-shell serves, and every error code: its table (`error_codes::ALL`, with the
//! codes every service answers) and the engine's rejection codes (`Status::ALL`, answered
//! as 422 by `error::rejected`).
//!
//! Three handlers read their input off the extractors (the submissions parse raw bytes for
//! speed; the two WebSockets upgrade), so their operations are declared on the stubs below.

use protocol::api::history::{CandlesResponse, FillsResponse, TradesResponse};
use protocol::api::sequencer::{BulkResponse, ErrorBody, TxAccepted};
use protocol::engine::Status;
use service_shell::http::ErrorCode;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Vigil sequencer",
        description = "Soft-confirmed trading, state reads, history, batches and proofs \
                       (docs/spec/sequencer.md). A 2xx means durable."
    ),
    paths(
        submit_one,
        submit_bulk,
        feed,
        intake,
        super::reads::tx_list,
        super::reads::tx,
        super::reads::status,
        super::reads::genesis,
        super::reads::health,
        super::reads::account,
        super::reads::agents,
        super::reads::triggers,
        super::orders::account_open_orders,
        super::orders::account_order,
        super::reads::markets,
        super::reads::book,
        super::options::chain_route,
        super::reads::batches,
        super::reads::batch,
        super::reads::metrics,
        super::history::market_trades,
        super::history::market_candles,
        super::history::account_fills,
        super::history::account_orders,
        super::history::account_funding,
        super::history::account_transfers,
        super::history::market_funding,
        super::withdrawals::withdrawal,
        super::withdrawals::claim,
        super::withdrawals::exit_proof,
        document_itself,
    ),
    components(schemas(
        FillsResponse,
        TradesResponse,
        CandlesResponse,
        protocol::api::stream::Subscribe,
        protocol::api::stream::StreamMessage,
        protocol::api::intake_ws::WsAnswer,
        ErrorBody
    ))
)]
struct SequencerApi;

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut api = SequencerApi::openapi();
    api.merge(service_shell::http::ProofApi::openapi());
    let rejections = Status::ALL.iter().filter(|s| !s.is_ok());
    let codes: Vec<ErrorCode> = super::error_codes::ALL
        .iter()
        .copied()
        .chain(rejections.map(|s| super::error::rejection_code(*s)))
        .collect();
    service_shell::http::openapi::with_errors(api, &codes)
}

/// `POST /v1/tx`: one signed action, answered once it is executed and durable.
#[utoipa::path(post, path = "/v1/tx", tag = "transactions",
    request_body(content = protocol::action::SignedAction, content_type = "application/json"),
    responses((status = 200, description = "Accepted, executed and durable", body = TxAccepted)))]
#[allow(dead_code)]
fn submit_one() {}

/// `POST /v1/txs`: a JSON array of signed actions, each judged on its own.
#[utoipa::path(post, path = "/v1/txs", tag = "transactions",
    request_body(content = Vec<protocol::action::SignedAction>, content_type = "application/json"),
    responses((status = 200, description = "Each action's answer, in request order", body = BulkResponse)))]
#[allow(dead_code)]
fn submit_bulk() {}

/// `GET /v1/stream`: the WebSocket feed (`Subscribe` frames in, `StreamMessage` frames out).
#[utoipa::path(get, path = "/v1/stream", tag = "feed",
    description = "Upgrades to a WebSocket. Send `Subscribe` JSON text frames; receive \
                   `StreamMessage` frames (schemas in components). A reader too slow to keep \
                   up is closed with a reason.",
    responses((status = 101, description = "Switching to the WebSocket feed")))]
#[allow(dead_code)]
fn feed() {}

/// `GET /v1/tx/ws`: the streaming intake (`WsSubmit` frames in, `WsAnswer` frames out).
#[utoipa::path(get, path = "/v1/tx/ws", tag = "transactions",
    description = "Upgrades to a WebSocket. Send `{\"id\", \"action\"}` frames (a signed \
                   action as `POST /v1/tx` takes it); each gets a `WsAnswer` with the same id \
                   once durable.",
    responses((status = 101, description = "Switching to the streaming intake")))]
#[allow(dead_code)]
fn intake() {}

/// `GET /openapi.json`: this document.
#[utoipa::path(get, path = "/openapi.json", tag = "node",
    responses((status = 200, description = "This OpenAPI 3.1 document", body = Object)))]
#[allow(dead_code)]
fn document_itself() {}
