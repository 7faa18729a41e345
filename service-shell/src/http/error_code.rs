//! `ErrorCode`: one row of a service's error-code table (the stable code, the HTTP status
//! it is answered with, what it means), and `error_codes!`, which writes such a table.
//!
//! Every `ApiError` is built from a row (`ApiError::new(error_codes::UNKNOWN_TX, message)`),
//! so a code and its status are written once, and each service's OpenAPI document lists
//! its table (`openapi::with_errors`) instead of recovering the codes from the source.
//! The codes every service answers (malformed requests, budgets, internal failures) are
//! service-shell's own table, [`error_codes`]; each service keeps a table of the codes
//! only it answers, next to its code (`sequencer::http::error_codes`, …). The engine's
//! rejection codes have their own table in `protocol` (`Status::ALL`), answered as 422.

pub use axum::http::StatusCode;

/// A stable error code, the status it comes with, and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    /// The `code` of the JSON error body: stable snake_case that clients match on.
    pub code: &'static str,
    pub status: StatusCode,
    /// One line for the API's documentation (the message names the particular problem).
    pub description: &'static str,
}

impl ErrorCode {
    pub const fn new(
        code: &'static str,
        status: StatusCode,
        description: &'static str,
    ) -> ErrorCode {
        ErrorCode {
            code,
            status,
            description,
        }
    }
}

/// Writes an error-code table into the module it is called in: one `pub const` per row
/// and `ALL`, every row in the order written (what the OpenAPI document lists).
///
/// ```
/// mod error_codes {
///     service_shell::error_codes! {
///         UNKNOWN_TX = (NOT_FOUND, "unknown_tx", "no sequenced transaction has this hash");
///     }
/// }
/// assert_eq!(error_codes::UNKNOWN_TX.status.as_u16(), 404);
/// assert_eq!(error_codes::ALL, &[error_codes::UNKNOWN_TX]);
/// ```
#[macro_export]
macro_rules! error_codes {
    ($($name:ident = ($status:ident, $code:literal, $description:literal);)*) => {
        $(
            #[doc = concat!("`", $code, "`: ", $description)]
            pub const $name: $crate::http::ErrorCode = $crate::http::ErrorCode::new(
                $code,
                $crate::http::StatusCode::$status,
                $description,
            );
        )*
        /// Every row of this table, in the order written.
        pub const ALL: &[$crate::http::ErrorCode] = &[$($name),*];
    };
}

/// The codes every service answers: malformed requests (the extractors), the fallbacks,
/// the budgets and deadlines, proofs of states no longer held, and internal failures.
pub mod error_codes {
    crate::error_codes! {
        INVALID_JSON = (BAD_REQUEST, "invalid_json", "the body is not valid JSON");
        INVALID_BODY = (BAD_REQUEST, "invalid_body", "the JSON body does not have the fields and types the endpoint takes");
        INVALID_QUERY = (BAD_REQUEST, "invalid_query", "a query parameter is missing, malformed or out of range");
        INVALID_PATH = (BAD_REQUEST, "invalid_path", "a path parameter is malformed or out of range");
        WEBSOCKET_UPGRADE_REQUIRED = (BAD_REQUEST, "websocket_upgrade_required", "the endpoint is a WebSocket and the request is not a WebSocket upgrade");
        MALFORMED_REQUEST = (BAD_REQUEST, "malformed_request", "the request head is not well-formed HTTP/1.1 (request line, header name or value, line ends, Content-Length, Transfer-Encoding); the connection is closed after the answer");
        HEADERS_TOO_LARGE = (REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large", "the request head has too many headers or too many bytes; the connection is closed after the answer");
        NO_SUCH_ROUTE = (NOT_FOUND, "no_such_route", "no endpoint has this path");
        STATE_NOT_HELD = (NOT_FOUND, "state_not_held", "the state asked for a proof against is not one this node holds");
        METHOD_NOT_ALLOWED = (METHOD_NOT_ALLOWED, "method_not_allowed", "the path does not take this HTTP method");
        REQUEST_TIMEOUT = (REQUEST_TIMEOUT, "request_timeout", "the client was too slow sending its request");
        PAYLOAD_TOO_LARGE = (PAYLOAD_TOO_LARGE, "payload_too_large", "the body is over the configured limit");
        UNSUPPORTED_MEDIA_TYPE = (UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "the body is not sent as application/json");
        INTERNAL = (INTERNAL_SERVER_ERROR, "internal", "an internal failure (logged by the service, not sent)");
        OVERLOADED = (SERVICE_UNAVAILABLE, "overloaded", "a budget (requests, queue, sessions) is spent; retry after the Retry-After seconds");
        UNAVAILABLE = (SERVICE_UNAVAILABLE, "unavailable", "the service is stopping or cannot acknowledge anything now");
        TIMED_OUT = (GATEWAY_TIMEOUT, "timed_out", "no answer within the request deadline");
    }
}
