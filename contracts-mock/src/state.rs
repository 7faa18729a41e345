//! `AppState`: what every handler shares — the database handle, the rules, the event-log
//! watermark (for long-polling followers) and the shutdown flag.

use crate::auth;
use crate::db::Db;
use crate::ledger::{self, accounts};
use crate::rules::Rules;
use protocol::api::settlement::{L1CallData, SignedCall};
use protocol::primitives::Address;
use rusqlite::Connection;
use service_shell::http::ApiError;
use std::sync::Arc;
use tokio::sync::watch;

/// Cheap to clone; one per request.
#[derive(Clone, Debug)]
pub struct AppState {
    db: Db,
    rules: Arc<Rules>,
    /// The newest committed event seq; followers wait on it.
    events: Arc<watch::Sender<u64>>,
    /// Becomes `true` when the service starts shutting down.
    stopping: watch::Receiver<bool>,
}

impl AppState {
    /// `last_seq` is the newest event seq in the database at startup.
    pub(crate) fn new(
        db: Db,
        rules: Rules,
        last_seq: u64,
        stopping: watch::Receiver<bool>,
    ) -> AppState {
        AppState {
            db,
            rules: Arc::new(rules),
            events: Arc::new(watch::channel(last_seq).0),
            stopping,
        }
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Runs `read` in a read transaction (one consistent snapshot) on the database thread.
    pub async fn read<R, F>(&self, read: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection, &Rules) -> Result<R, ApiError> + Send + 'static,
    {
        let rules = self.rules.clone();
        self.db
            .call(move |conn| ledger::read(conn, &rules, read))
            .await
            .map_err(|_| shutting_down())?
    }

    /// Runs `change` in one write transaction and commits it (fsynced) only if it
    /// succeeded; on an error nothing it wrote survives. Then wakes event followers.
    pub async fn write<R, F>(&self, change: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&Connection, &Rules) -> Result<R, ApiError> + Send + 'static,
    {
        let rules = self.rules.clone();
        let watermark = self.events.clone();
        self.db
            .call(move |conn| {
                let (out, last) = ledger::write(conn, &rules, change)?;
                watermark.send_if_modified(|seen| {
                    let newer = last > *seen;
                    if newer {
                        *seen = last;
                    }
                    newer
                });
                Ok(out)
            })
            .await
            .map_err(|_| shutting_down())?
    }

    /// A signed L1 call: authenticates it (off the async workers: the call hash covers the
    /// whole payload, a batch may be megabytes), then consumes the caller's nonce and runs
    /// `op` in one write transaction.
    pub async fn signed<C, R, F>(&self, call: SignedCall<C>, op: F) -> Result<R, ApiError>
    where
        C: L1CallData + Send + Sync + 'static,
        R: Send + 'static,
        F: FnOnce(&Connection, &Rules, &Address, &C) -> Result<R, ApiError> + Send + 'static,
    {
        let domain = self.rules.l1_domain;
        let (from, call) = tokio::task::spawn_blocking(move || {
            auth::authenticate(&call, &domain).map(|from| (from, call))
        })
        .await
        .map_err(ApiError::internal)??;
        self.write(move |conn, rules| {
            accounts::consume_nonce(conn, &from, call.nonce)?;
            op(conn, rules, &from, &call.call)
        })
        .await
    }

    /// A receiver of the event watermark, for long-polling.
    pub fn event_watermark(&self) -> watch::Receiver<u64> {
        self.events.subscribe()
    }

    /// A receiver that turns `true` at shutdown.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stopping.clone()
    }
}

/// Resolves once `stopping` turns true (or its sender is gone, which also means stopping).
pub async fn stopped(stopping: &mut watch::Receiver<bool>) {
    // The guard `wait_for` returns is not `Send`; it is dropped before this future ends.
    let _ = stopping.wait_for(|stop| *stop).await;
}

/// 503: the database thread is gone because the service is shutting down.
fn shutting_down() -> ApiError {
    ApiError::unavailable("the settlement layer is shutting down")
}
