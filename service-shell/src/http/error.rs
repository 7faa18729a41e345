//! `ApiError`: the one error type of every Vigil service's HTTP API, answered as JSON
//! `{"code": "stable_snake_case", "message": "readable", "details"?: {...}}`.
//!
//! The sequencer, the verifier and the settlement layer used to carry one copy each; they
//! answer with the same `ErrorBody` (from `protocol::api`), so one type serializes for all
//! three and the clients parse one shape. Conversions from a service's own errors
//! (`JournalError`, an engine `Status`) live in that service, next to the type they convert.
//!
//! Its code and status come from one row of an error-code table (`error_code.rs`): the
//! codes every service answers are service-shell's `error_codes`, the rest each service's.
//!
//! Internal failures are logged with their cause and answered with a bare code, so
//! internals never leak to callers.

use super::error_code::{ErrorCode, StatusCode, error_codes};
use axum::Json;
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
    /// An answer with `code`'s status and code (a row of a service's table, see
    /// `error_code.rs`) and `message`, which names the particular problem.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status: code.status,
            code: code.code,
            message: message.into(),
            details: None,
            internal: None,
        }
    }

    /// 413: the body is over the configured limit.
    pub fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(error_codes::PAYLOAD_TOO_LARGE, message)
    }

    /// 415: the body is not `application/json`.
    pub fn unsupported_media_type(message: impl Into<String>) -> ApiError {
        ApiError::new(error_codes::UNSUPPORTED_MEDIA_TYPE, message)
    }

    /// 405: the path exists, the method does not.
    pub fn method_not_allowed() -> ApiError {
        ApiError::new(error_codes::METHOD_NOT_ALLOWED, METHOD_NOT_ALLOWED)
    }

    /// 408: the client was too slow sending its request.
    pub fn slow_client(message: impl Into<String>) -> ApiError {
        ApiError::new(error_codes::REQUEST_TIMEOUT, message)
    }

    /// 503: a budget is spent; retry later.
    pub fn overloaded(message: impl Into<String>) -> ApiError {
        ApiError::new(error_codes::OVERLOADED, message)
    }

    /// 503: the service is stopping or cannot acknowledge anything.
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(error_codes::UNAVAILABLE, message)
    }

    /// 504: no answer in time.
    pub fn timed_out(message: impl Into<String>) -> ApiError {
        ApiError::new(error_codes::TIMED_OUT, message)
    }

    /// 500, with `cause` logged but not sent.
    pub fn internal(cause: impl fmt::Display) -> ApiError {
        let mut e = ApiError::new(error_codes::INTERNAL, "internal error");
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
        let retry_after =
            (self.code == error_codes::OVERLOADED.code).then_some([(RETRY_AFTER, "1")]);
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

    #[allow(dead_code)] // `ALL` is for a service's OpenAPI document
    mod test_codes {
        crate::error_codes! {
            NO_SUCH_BATCH = (NOT_FOUND, "no_such_batch", "no batch has this index");
            BAD_PROOF = (UNPROCESSABLE_ENTITY, "bad_proof", "the proof does not verify");
        }
    }
    use test_codes::{BAD_PROOF, NO_SUCH_BATCH};

    async fn body_of(e: ApiError) -> (StatusCode, String) {
        let response = e.into_response();
        let status = response.status();
        let bytes = to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    #[tokio::test]
    async fn details_are_omitted_when_absent_and_internals_never_sent() {
        let (status, body) = body_of(ApiError::new(NO_SUCH_BATCH, "no batch 3")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(body, r#"{"code":"no_such_batch","message":"no batch 3"}"#);

        let e = ApiError::new(BAD_PROOF, "no").with_details(serde_json::json!({"x": 1}));
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
