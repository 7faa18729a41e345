//! Server-side HTTP every Vigil service shares: the one `ApiError`, the extractors that
//! answer malformed requests with it, the paging query, and the default fallbacks.
//!
//! The three services may not depend on one another (DESIGN §1), yet they answer the same
//! error shape and follow the same conventions, so the one copy of that code lives here.

mod error;
mod extract;
mod fallbacks;
mod page;
mod proofs;

pub use error::{ApiError, METHOD_NOT_ALLOWED};
pub use extract::{ApiJson, ApiPath, ApiQuery, require_json};
pub use fallbacks::{catching_panics, with_fallbacks};
pub use page::{Page, clamp_limit};
pub use proofs::{AtBatch, HoldsStates, proof_routes};

/// Serves `router` on `listener` in a task of its own until `stopping` turns true (or its
/// sender is dropped), then drains in-flight requests: the server half of every service's
/// `Running`.
pub fn spawn_server(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<std::io::Result<()>> {
    tokio::spawn(
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = stopping.wait_for(|s| *s).await;
            })
            .into_future(),
    )
}
