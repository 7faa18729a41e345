//! `ApiError`: the one error type of every Vigil service's HTTP API, answered as JSON
//! `{"code": "stable_snake_case", "message": "readable", "details"?: {...}}`.
//!
//! The sequencer, the verifier and the settlement layer used to carry one copy each; they
//! answer with the same `ErrorBody` (from `protocol::api`), so one type serializes for all
//! three and the clients parse one shape. Conversions from a service's own errors
//! (`JournalError`, an engine `Status`) live in that service, next to the type they convert.
//!
//! Internal failures are logged with their cause and answered with a bare code, so
//! internals never leak to callers.

use axum::Json;
use axum::http::StatusCode;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Response};
use protocol::api::settlement::ErrorBody;
use std::fmt;

/// The message of the 405 answer every service sends unless it passes its own.
pub const METHOD_NOT_ALLOWED: &str = "this path does not take that HTTP method";

/// A refused or failed request.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Structured context for the caller; omitted from the body when `None`.
    pub details: Option<serde_json::Value>,
    /// The logged cause of an internal failure; never sent.
    internal: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: None,
            internal: None,
        }
    }

    /// 400: the request cannot be parsed or decoded; the message names the part.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401: the call's signature does not authorize it.
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// 403: the caller lacks what the action requires (a bond, the faucet's consent).
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 404: no such resource.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 409: well-formed, but it conflicts with the current state.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }

    /// 422: the content breaks a rule; nothing changed.
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 413: the body is over the configured limit.
    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    /// 415: the body is not `application/json`.
    pub fn unsupported_media_type(message: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            message,
        )
    }

    /// 405: the path exists, the method does not.
    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            METHOD_NOT_ALLOWED,
        )
    }

    /// 408: the client was too slow sending its request.
    pub fn slow_client(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::REQUEST_TIMEOUT, "request_timeout", message)
    }

    /// 503: a budget is spent; retry later.
    pub fn overloaded(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", message)
    }

    /// 503: the service is stopping or cannot acknowledge anything.
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// 504: no answer in time.
    pub fn timed_out(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::GATEWAY_TIMEOUT, "timed_out", message)
    }

    /// 502: a service this one depends on did not answer.
    pub fn bad_gateway(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_GATEWAY, code, message)
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

    /// Attaches structured context for the caller.
    pub fn with_details(mut self, details: serde_json::Value) -> ApiError {
        self.details = Some(details);
        self
    }
}

/// A SQLite failure is an internal error. It lives here rather than in the services
/// because neither `rusqlite::Error` nor `ApiError` is local to them (the orphan rule), and
/// `?` on a query inside a handler needs the `From`; only services that enable the
/// `sqlite` feature pull `rusqlite` in.
#[cfg(feature = "sqlite")]
impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> ApiError {
        ApiError::internal(format_args!("sqlite: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.internal {
            tracing::error!(code = self.code, %cause, "internal error");
        }
        // A shed request is told when to come back (RFC 9110 §10.2.3), so well-behaved
        // clients back off instead of retrying at once.
        let retry_after = (self.code == "overloaded").then_some([(RETRY_AFTER, "1")]);
        let body = ErrorBody {
            code: self.code.to_string(),
            message: self.message,
            details: self.details,
        };
        (self.status, retry_after, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;

    async fn body_of(e: ApiError) -> (StatusCode, String) {
        let response = e.into_response();
        let status = response.status();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn details_are_omitted_when_absent_and_internals_never_sent() {
        let (status, body) = body_of(ApiError::not_found("no_such_batch", "no batch 3")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body, r#"{"code":"no_such_batch","message":"no batch 3"}"#);

        let e =
            ApiError::unprocessable("bad_proof", "no").with_details(serde_json::json!({"x": 1}));
        let (_, body) = body_of(e).await;
        assert_eq!(
            body,
            r#"{"code":"bad_proof","message":"no","details":{"x":1}}"#
        );

        let (status, body) = body_of(ApiError::internal("disk on fire")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body, r#"{"code":"internal","message":"internal error"}"#);
    }

    #[tokio::test]
    async fn an_overloaded_answer_says_when_to_retry() {
        let response = ApiError::overloaded("busy").into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            response.headers().get(RETRY_AFTER).map(|v| v.as_bytes()),
            Some(&b"1"[..])
        );
        let other = ApiError::unavailable("stopping").into_response();
        assert!(other.headers().get(RETRY_AFTER).is_none());
    }
}
