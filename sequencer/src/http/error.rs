//! The sequencer's own answers in the shared `ApiError` (service-shell): an engine
//! rejection, a settlement read that failed, and a journal failure. They live here because
//! the types they convert (`Status`, `JournalError`) are the sequencer's business, not the
//! shell's.

use super::error_codes;
use crate::journal::JournalError;
use protocol::engine::Status;
use service_shell::http::{ApiError, ErrorCode, StatusCode};
use std::fmt;

/// 422: the engine rejected the action; nothing changed and nothing was logged. The code
/// is the engine's stable status code; the message its detail, or the status's own text.
pub fn rejected(status: Status, detail: Option<String>) -> ApiError {
    let message = detail.unwrap_or_else(|| status.message().to_string());
    ApiError::new(rejection_code(status), message)
}

/// The row an engine rejection is answered with: the status's stable code, 422, and its
/// text (the engine's `Status` table is the one home of these codes).
pub fn rejection_code(status: Status) -> ErrorCode {
    let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
    ErrorCode::new(status.code(), unprocessable, status.message())
}

/// 502: the settlement layer did not answer a read that needs it.
pub fn settlement(cause: impl fmt::Display) -> ApiError {
    ApiError::new(
        error_codes::SETTLEMENT_UNAVAILABLE,
        format!("the settlement layer did not answer: {cause}"),
    )
}

/// A journal failure is internal: logged with its cause, answered as a bare 500.
impl From<JournalError> for ApiError {
    fn from(e: JournalError) -> ApiError {
        ApiError::internal(e)
    }
}
