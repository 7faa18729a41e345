//! Extractors that answer malformed requests with the JSON `ApiError` (axum's own
//! rejections are plain text): bodies, query strings and path parameters. Every service
//! uses these, so a malformed request gets the same code (`invalid_json`, `invalid_body`,
//! `invalid_query`, `invalid_path`, 413, 415) from each of them, and a plain request to a
//! WebSocket endpoint gets `websocket_upgrade_required`.

use super::{ApiError, error_codes};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// A JSON body.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiError {
    let message = rejection.body_text();
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::too_large(message),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::unsupported_media_type(message),
        _ if matches!(rejection, JsonRejection::JsonSyntaxError(_)) => {
            ApiError::new(error_codes::INVALID_JSON, message)
        }
        _ => ApiError::new(error_codes::INVALID_BODY, message),
    }
}

/// A query string.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(value)| ApiQuery(value))
            .map_err(|r| ApiError::new(error_codes::INVALID_QUERY, r.body_text()))
    }
}

/// Path parameters.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|r| ApiError::new(error_codes::INVALID_PATH, r.body_text()))
    }
}

/// A WebSocket upgrade. A plain request (a browser, curl, an API fuzzer) to a WebSocket
/// endpoint gets the JSON error naming what an upgrade needs, not axum's plain text.
pub struct ApiWebSocket(pub WebSocketUpgrade);

impl std::fmt::Debug for ApiWebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiWebSocket")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ApiWebSocket {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        WebSocketUpgrade::from_request_parts(parts, state)
            .await
            .map(ApiWebSocket)
            .map_err(|r| {
                ApiError::new(
                    error_codes::WEBSOCKET_UPGRADE_REQUIRED,
                    format!(
                        "{}: this endpoint is a WebSocket; connect with a WebSocket client \
                         (e.g. `vigil watch`), which sends Connection: Upgrade, Upgrade: \
                         websocket, Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key",
                        r.body_text()
                    ),
                )
            })
    }
}

/// Refuses a body that does not say it is JSON (`Content-Type: application/json`, with any
/// parameters such as `charset`): 415, as `ApiJson` answers. Handlers that read the raw
/// body (the sequencer's submissions, parsed off the extractor for speed) call this first,
/// so a `text/plain` or form post, which browsers send cross-site without a preflight, is
/// never acted on.
pub fn require_json(headers: &axum::http::HeaderMap) -> Result<(), ApiError> {
    let given = headers
        .get(axum::http::header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let essence = given
        .as_deref()
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if essence.as_deref() == Some("application/json") {
        return Ok(());
    }
    let got = given.map_or("no Content-Type".to_string(), |v| format!("`{v}`"));
    Err(ApiError::unsupported_media_type(format!(
        "the body must be sent with `Content-Type: application/json` (got {got})"
    )))
}

#[cfg(test)]
mod tests {
    use super::require_json;
    use axum::http::{HeaderMap, HeaderValue, header::CONTENT_TYPE};

    #[test]
    fn only_json_bodies_pass() {
        let table: &[(Option<&str>, bool)] = &[
            (Some("application/json"), true),
            (Some("application/json; charset=utf-8"), true),
            (Some("Application/JSON"), true),
            (Some("text/plain"), false),
            (Some("application/x-www-form-urlencoded"), false),
            (Some("multipart/form-data; boundary=x"), false),
            (Some("application/xml"), false),
            (None, false),
        ];
        for (value, ok) in table {
            let mut headers = HeaderMap::new();
            if let Some(v) = value {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static(v));
            }
            let got = require_json(&headers);
            assert_eq!(got.is_ok(), *ok, "{value:?}");
            if let Err(e) = got {
                assert_eq!(e.code, "unsupported_media_type", "{value:?}");
            }
        }
    }
}
