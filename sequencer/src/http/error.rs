//! `ApiError`: the one error type of the API, answered as JSON `{"code", "message"}`.
//!
//! A rejected action carries the engine's stable status code and its readable detail.
//! Internal failures (SQLite, a stopped thread) are logged with their cause and answered
//! with a bare code, so internals never leak to callers.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use protocol::api::sequencer::ErrorBody;
use protocol::engine::Status;
use std::fmt;

#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The logged cause of an internal failure; never sent.
    internal: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            internal: None,
        }
    }

    /// 400: the request does not parse; the message names the part that is wrong.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 422: the engine rejected the action; nothing changed and nothing was logged.
    pub fn rejected(status: Status, detail: Option<String>) -> ApiError {
        let message = detail.unwrap_or_else(|| status.message().to_string());
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, status.code(), message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    /// 408: the client was too slow sending its request.
    pub fn slow_client(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::REQUEST_TIMEOUT, "request_timeout", message)
    }

    /// 503: a budget is spent; retry later.
    pub fn overloaded(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", message)
    }

    /// 503: the service is stopping or cannot acknowledge anything (storage failed).
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// 504: no answer in time.
    pub fn timed_out(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::GATEWAY_TIMEOUT, "timed_out", message)
    }

    /// 502: the settlement layer did not answer a read that needs it.
    pub fn settlement(cause: impl fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::BAD_GATEWAY,
            "settlement_unavailable",
            format!("the settlement layer did not answer: {cause}"),
        )
    }

    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this path does not take that HTTP method",
        )
    }

    /// 500, with `cause` logged but not sent.
    pub fn internal(cause: impl fmt::Display) -> ApiError {
        let mut e = ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        );
        e.internal = Some(cause.to_string());
        e
    }
}

impl From<crate::journal::JournalError> for ApiError {
    fn from(e: crate::journal::JournalError) -> ApiError {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.internal {
            tracing::error!(code = self.code, %cause, "internal error");
        }
        let body = ErrorBody {
            code: self.code.to_string(),
            message: self.message,
            details: None,
        };
        (self.status, Json(body)).into_response()
    }
}
