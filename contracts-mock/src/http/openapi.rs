//! The settlement layer's OpenAPI 3.1 document (`GET /openapi.json`, checked in as
//! docs/openapi/settlement.json): the handlers' `#[utoipa::path]`s and every error code
//! its `ApiError`s are built with (the ledger's rules included): its table,
//! `crate::error_codes::ALL`, and the codes every service answers.

use super::{calls, reads};
use protocol::api::settlement::ErrorBody;
use utoipa::OpenApi;

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Vigil settlement layer",
        description = "The L1 stand-in: signed calls (EIP-712 `L1Call`), the queue, batches, \
                       challenges, withdrawals, exit mode and the event log \
                       (docs/spec/settlement.md). A 2xx means committed."
    ),
    paths(
        reads::health,
        reads::status,
        reads::metrics,
        reads::genesis,
        reads::account,
        reads::bonds,
        reads::batches,
        reads::batch,
        reads::submission,
        reads::queue,
        reads::events,
        reads::withdrawal,
        reads::exit,
        reads::upheld_proof,
        reads::exit_claim,
        calls::post_batch,
        calls::claim,
        calls::faucet,
        calls::mine,
        calls::bond,
        calls::unbond,
        calls::deposit,
        calls::force,
        calls::challenge,
        calls::claim_exit,
        document_itself,
    ),
    components(schemas(ErrorBody))
)]
struct SettlementApi;

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    service_shell::http::openapi::with_errors(SettlementApi::openapi(), crate::error_codes::ALL)
}

/// `GET /openapi.json`: this document.
#[utoipa::path(get, path = "/openapi.json", tag = "node",
    responses((status = 200, description = "This OpenAPI 3.1 document", body = Object)))]
#[allow(dead_code)]
fn document_itself() {}
