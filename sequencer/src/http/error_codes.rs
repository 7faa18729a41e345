//! The sequencer's error codes: every code its API answers besides the engine's
//! rejections (`protocol::engine::Status`, answered as 422 by `error::rejected`). The
//! codes every service answers are service-shell's (`service_shell::http::error_codes`),
//! re-exported here so each handler names its codes from one module. A new error is a
//! row here; the OpenAPI document lists it from `ALL`.

pub use service_shell::http::error_codes::*;

service_shell::error_codes! {
    UNREADABLE_BODY = (BAD_REQUEST, "unreadable_body", "the request body could not be read off the connection");
    MALFORMED_ACTION = (BAD_REQUEST, "malformed_action", "a signed action does not parse: the message names the field");
    MALFORMED_BODY = (BAD_REQUEST, "malformed_body", "the body is JSON but not the shape the endpoint takes");
    EMPTY_BATCH = (BAD_REQUEST, "empty_batch", "a bulk submission holds no actions");
    UNKNOWN_TX = (NOT_FOUND, "unknown_tx", "no sequenced transaction has this hash");
    UNKNOWN_MARKET = (NOT_FOUND, "unknown_market", "no market has this id in the genesis (GET /v1/markets lists them)");
    UNKNOWN_ORDER = (NOT_FOUND, "unknown_order", "the account has no order with this id or client id: not open, not waiting as a trigger order, not in its order history");
    UNKNOWN_BATCH = (NOT_FOUND, "unknown_batch", "no batch has this index yet");
    UNKNOWN_WITHDRAWAL = (NOT_FOUND, "unknown_withdrawal", "no withdrawal has this id, or it is not final yet");
    ROLLUP_FROZEN = (CONFLICT, "rollup_frozen", "the settlement layer froze the rollup: nothing more is sequenced; exit claims are open there");
    SETTLEMENT_UNAVAILABLE = (BAD_GATEWAY, "settlement_unavailable", "the settlement layer did not answer a read this answer needs");
    INVARIANT_VIOLATED = (SERVICE_UNAVAILABLE, "invariant_violated", "the invariant auditor found a violation: intake and posting stopped");
}
