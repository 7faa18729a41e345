//! The one `run`: start a service, announce it, serve until the shutdown future resolves,
//! shut down. Every service implements [`Service`] for its config (how it starts) and
//! [`Started`] for its `Running` (where it answers, how it serves), and re-exports [`run`]
//! and [`run_with_ready`], so `sequencer::run(config, listener, shutdown)` and the other
//! two services' `run` are this one function, not three copies kept alike by hand.

use crate::Shutdown;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use tokio::net::TcpListener;

/// A service's start in progress: resolves to the started service once requests are
/// answered, or to why it could not start.
pub type Starting<R, E> = Pin<Box<dyn Future<Output = Result<R, E>> + Send>>;

/// A started service serving until its shutdown future resolves, then shutting down.
pub type Serving<E> = Pin<Box<dyn Future<Output = Result<(), E>> + Send>>;

/// A service as its config starts it: `start(config, listener) -> Running`.
pub trait Service: Sized {
    /// The started service (`start` returns it once requests are answered).
    type Running: Started<Self::Error>;
    /// Why starting or serving failed.
    type Error;
    /// Whether a shutdown that resolves while `start` is still running cancels it (then
    /// `run` returns `Ok` without serving). Only for a start that may wait indefinitely
    /// (the sequencer waits for its settlement layer) and is cancel-safe; the others
    /// finish starting, then serve, then shut down.
    const STOPS_WHILE_STARTING: bool = false;

    /// Starts the service on `listener`.
    fn start(self, listener: TcpListener) -> Starting<Self::Running, Self::Error>;
}

/// A started service that fails with `E`.
pub trait Started<E>: Send {
    /// The address requests are answered on.
    fn addr(&self) -> SocketAddr;

    /// Serves until `shutdown` resolves (or the service ends on its own), then shuts down.
    fn serve_until(self, shutdown: Shutdown) -> Serving<E>;
}

/// Starts the service `config` describes, serves until `shutdown` resolves, then shuts
/// down.
pub async fn run<C: Service>(
    config: C,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), C::Error> {
    run_with_ready(config, listener, shutdown, |_| {}).await
}

/// `run`, calling `ready` with the address once requests are answered (the binaries print
/// their `listening` line there, so a refused start prints none).
pub async fn run_with_ready<C: Service>(
    config: C,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), C::Error> {
    let mut shutdown: Shutdown = Box::pin(shutdown);
    let starting = config.start(listener);
    let running = if C::STOPS_WHILE_STARTING {
        tokio::select! {
            started = starting => started?,
            () = &mut shutdown => {
                tracing::info!("stopped while starting");
                return Ok(());
            }
        }
    } else {
        starting.await?
    };
    ready(running.addr());
    running.serve_until(shutdown).await
}
