//! The answers every service's router gives outside its routes: a JSON 404 that points to
//! the service's spec, a JSON 405, and a caught panic as a JSON 500 (the cause logged, the
//! connection kept), so no request ever gets axum's plain-text defaults.

use super::{ApiError, error_codes};
use axum::Router;
use axum::response::IntoResponse;

/// Adds the 404 (`no_such_route`, naming `spec`, e.g. `docs/spec/sequencer.md`) and the
/// 405 (`method_not_allowed`) fallbacks to `router`. `method_message` is the 405's text:
/// [`METHOD_NOT_ALLOWED`](super::METHOD_NOT_ALLOWED) for the sequencer and the settlement layer; the verifier has
/// always sent its own, and a refactor must not change a byte on the wire.
pub fn with_fallbacks<S>(
    router: Router<S>,
    spec: &'static str,
    method_message: &'static str,
) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router
        .fallback(move || async move {
            ApiError::new(
                error_codes::NO_SUCH_ROUTE,
                format!("no such endpoint; see {spec}"),
            )
        })
        .method_not_allowed_fallback(move || async move {
            ApiError::new(error_codes::METHOD_NOT_ALLOWED, method_message)
        })
}

/// Wraps `router` so a panicking handler answers `500 internal` instead of dropping the
/// connection. Only the sequencer has this layer today; the others keep axum's behaviour
/// (adding it there would change what a client sees).
pub fn catching_panics<S>(router: Router<S>) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    router.layer(tower_http::catch_panic::CatchPanicLayer::custom(
        |_: Box<dyn std::any::Any + Send>| ApiError::internal("a handler panicked").into_response(),
    ))
}
