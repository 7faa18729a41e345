//! The verifier's error codes: every code its API answers besides the codes every
//! service answers (service-shell's `error_codes`, re-exported here so each handler names
//! its codes from one module). A new error is a row here; the OpenAPI document lists it
//! from `ALL`.

pub use service_shell::http::error_codes::*;

service_shell::error_codes! {
    NO_CHALLENGE = (NOT_FOUND, "no_challenge", "this verifier found nothing wrong with the submission (GET /v1/status lists its challenges)");
    UNKNOWN_WITHDRAWAL = (NOT_FOUND, "unknown_withdrawal", "the withdrawal is not in the last finalized state this verifier holds: not final yet, or no such withdrawal");
}
