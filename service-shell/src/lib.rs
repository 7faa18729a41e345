//! The imperative shell every Vigil service shares: at the root, what each binary wraps
//! around its library's `run(config, listener, shutdown)` (logging setup, the SIGTERM/Ctrl-C
//! shutdown future, binding and announcing the listener, the exit-code convention); in
//! [`http`], the server side of the HTTP APIs (the one `ApiError`, extractors, paging,
//! fallbacks); in [`metrics`], the Prometheus text writer; in [`genesis`], the genesis a
//! binary starts with (file or devnet); in [`lifecycle`], the one `run` (start, announce,
//! serve until shutdown) each service re-exports.
//!
//! It exists so the three services (which must not depend on one another, DESIGN §1) and
//! the `vigil devnet` launcher share one copy of that plumbing. The service libraries use
//! `http` and `metrics`; only binaries install a subscriber or read signals.
//!
//! Conventions it keeps for every service:
//! - the first line on stdout is `listening <addr>`, once the service answers (launchers
//!   and tests read it); a service that refuses to start prints nothing there;
//! - one process per data dir ([`data_dir`]): only the holder writes `listen.addr`;
//! - exit code 0 after a clean shutdown, 1 when the service fails, 2 for a bad
//!   configuration (clap also uses 2 for usage errors).

pub mod data_dir;
pub mod genesis;
pub mod http;
pub mod lifecycle;
pub mod metrics;

use std::future::Future;
use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use tokio::net::TcpListener;

/// Installs the process's `tracing` subscriber, logging to stderr. `filter` is an
/// `EnvFilter` directive (`info`, `sequencer=debug,info`); an invalid one falls back to
/// `info` rather than failing the start. Colours only on a terminal, and never when
/// `NO_COLOR` is set (no-color.org), so log files hold plain text.
pub fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colours_wanted())
        .init();
}

/// Whether log lines may carry ANSI colours: stderr is a terminal and `NO_COLOR` is unset
/// or empty.
pub fn colours_wanted() -> bool {
    colours_for(
        std::env::var_os("NO_COLOR").as_deref(),
        std::io::IsTerminal::is_terminal(&std::io::stderr()),
    )
}

/// The rule behind [`colours_wanted`]: colours only on a terminal, and never when
/// `NO_COLOR` holds anything (https://no-color.org: an empty value does not count).
fn colours_for(no_color: Option<&std::ffi::OsStr>, terminal: bool) -> bool {
    let no_color = no_color.is_some_and(|v| !v.is_empty());
    terminal && !no_color
}

/// Resolves on SIGTERM or Ctrl-C (SIGINT). The handlers are installed when this is
/// called, not when the future is first polled, so a signal that arrives right after a
/// launcher has printed its endpoints still stops the process cleanly instead of killing
/// it. If a handler cannot be installed that is logged, and Ctrl-C is still honoured.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let handlers = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        )
    };
    async move {
        #[cfg(unix)]
        match handlers {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                tokio::select! {
                    _ = interrupt.recv() => {}
                    _ = terminate.recv() => {}
                }
            }
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "cannot listen for SIGINT/SIGTERM; Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown requested");
    }
}

/// Prints `listening <addr>` as a flushed stdout line: the moment launchers and tests may
/// start sending requests. A service's `run_with_ready` calls it once it answers, which is
/// after it took its data dir (a second instance on a dir in use never announces itself).
pub fn announce(addr: SocketAddr) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = writeln!(stdout, "listening {addr}").and_then(|()| stdout.flush()) {
        tracing::error!(error = %e, "cannot write the listen line to stdout");
    }
}

/// The file inside a service's data dir that holds the address it serves on.
pub const ADDR_FILE: &str = "listen.addr";

/// Writes the served address to `data_dir/listen.addr` atomically (a temp file, then a
/// rename), so a launcher or test polling for the file never reads half an address.
pub fn write_addr_file(data_dir: &std::path::Path, addr: &str) -> std::io::Result<()> {
    let path = data_dir.join(ADDR_FILE);
    let tmp = data_dir.join("listen.addr.tmp");
    std::fs::write(&tmp, addr).and_then(|()| std::fs::rename(&tmp, &path))
}

/// A step of starting a service that failed on I/O, shown as `{what}: {source}`.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {source}")]
pub struct IoStepError {
    pub what: String,
    pub source: std::io::Error,
}

impl IoStepError {
    /// The `map_err` for a step named `what`: `.map_err(IoStepError::during("starting X"))`.
    pub fn during(what: &str) -> impl FnOnce(std::io::Error) -> IoStepError + '_ {
        move |source| IoStepError {
            what: what.to_string(),
            source,
        }
    }
}

/// The address `listener` is bound to (the bound one, so port 0 works).
pub fn bound_addr(listener: &TcpListener) -> Result<SocketAddr, IoStepError> {
    listener
        .local_addr()
        .map_err(IoStepError::during("reading the listen address"))
}

/// Why a service stopped, as far as its exit code cares: a configuration mistake (exit 2)
/// or a failure (exit 1). Each service's `RunError` says which of its variants is which.
pub trait RunFailure: std::error::Error + Send + Sync + 'static {
    fn is_config(&self) -> bool;
}

/// What a service's `main` hands to [`serve`] besides its config: its name (the prefix of
/// every stderr line), its log filter and where to listen.
#[derive(Debug)]
pub struct Launch {
    pub name: &'static str,
    pub log: String,
    pub listen: SocketAddr,
}

impl Launch {
    pub fn new(name: &'static str, log: &str, listen: SocketAddr) -> Launch {
        Launch {
            name,
            log: log.to_owned(),
            listen,
        }
    }
}

/// The shutdown future a service's `run` receives: SIGTERM or Ctrl-C.
pub type Shutdown = std::pin::Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// A service's whole life as a process: install logging, take the validated config (or the
/// reason it is invalid: exit 2), bind `listen` (a taken port fails at once, exit 1), run
/// until SIGTERM/Ctrl-C (`run` [`announce`]s the service once it answers), and map the
/// outcome to an exit code ([`RunFailure::is_config`] errors exit 2, others 1). Errors go
/// to stderr as one line prefixed with the service's name.
pub async fn serve<C, E, Fut>(
    launch: Launch,
    config: anyhow::Result<C>,
    run: impl FnOnce(C, TcpListener, Shutdown) -> Fut,
) -> ExitCode
where
    Fut: Future<Output = Result<(), E>>,
    E: RunFailure,
{
    init_tracing(&launch.log);
    let (name, listen) = (launch.name, launch.listen);
    let config = match config {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{name}: {e:#}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(listen).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("{name}: binding {listen}: {e}");
            return ExitCode::from(1);
        }
    };
    match run(config, listener, Box::pin(shutdown_signal())).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let code = if e.is_config() { 2 } else { 1 };
            eprintln!("{name}: {:#}", anyhow::Error::new(e));
            ExitCode::from(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::colours_for;
    use std::ffi::OsStr;

    /// (NO_COLOR, stderr is a terminal) → colours.
    #[test]
    fn colours_only_on_a_terminal_without_no_color() {
        let table: [(Option<&str>, bool, bool); 6] = [
            (None, true, true),
            (None, false, false),
            (Some("1"), true, false),
            (Some("1"), false, false),
            (Some(""), true, true),
            (Some(""), false, false),
        ];
        for (no_color, terminal, want) in table {
            let got = colours_for(no_color.map(OsStr::new), terminal);
            assert_eq!(got, want, "NO_COLOR={no_color:?}, terminal={terminal}");
        }
    }
}
