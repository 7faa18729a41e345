//! Server-side HTTP every Vigil service shares: the one `ApiError` with its error-code
//! tables (`ErrorCode`, `error_codes!`), the extractors that
//! answer malformed requests with it, the paging and `?data=` queries, the default
//! fallbacks, and the WebSocket sessions' shared pieces (`ws_session`).
//!
//! The three services may not depend on one another (DESIGN §1), yet they answer the same
//! error shape and follow the same conventions, so the one copy of that code lives here.

mod error;
mod error_code;
mod extract;
mod fallbacks;
pub mod feed;
mod head_check;
pub mod openapi;
mod page;
mod proofs;
pub mod route_scan;
mod server;
mod stall;
mod stored_number;
mod with_data;
pub mod ws_session;

pub use error::{ApiError, METHOD_NOT_ALLOWED};
pub use error_code::{ErrorCode, StatusCode, error_codes};
pub use extract::{ApiJson, ApiPath, ApiQuery, ApiWebSocket, require_json};
pub use fallbacks::{catching_panics, with_fallbacks};
pub use page::{Page, clamp_limit};
pub use proofs::{AtBatch, HoldsStates, ProofApi, proof_routes};
pub use server::{ConnectionArgs, ConnectionLimits, serve, spawn_server};
pub use stored_number::{AboveStoredMax, StoredNumber};
pub use with_data::WithData;
