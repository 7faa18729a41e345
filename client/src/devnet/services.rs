//! The devnet's service tasks and their ordered shutdown. Every task is owned here and
//! joined by `Services::shutdown`, in three stages so nothing talks to a stopped peer
//! longer than necessary: the oracle feed, then the sequencer and verifiers (the sequencer
//! seals its open batch and commits), then the settlement layer.
//!
//! A service that ends on its own (an error, or a clean return nobody asked for) records
//! the first such failure, which `Services::failed` reports, so `vigil devnet` stops the
//! rest instead of running a network with a hole in it.

use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// When a task is stopped: earlier stages first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    Feed = 0,
    Nodes = 1,
    Settlement = 2,
}

const STAGES: [Stage; 3] = [Stage::Feed, Stage::Nodes, Stage::Settlement];

#[derive(Debug)]
struct Task {
    name: String,
    stage: Stage,
    handle: JoinHandle<Result<(), String>>,
}

/// The running tasks, one stop signal per stage, and the first unexpected exit.
#[derive(Debug)]
pub struct Services {
    tasks: Vec<Task>,
    stops: [watch::Sender<bool>; 3],
    failure: Arc<Mutex<Option<String>>>,
    failed: watch::Sender<bool>,
}

impl Default for Services {
    fn default() -> Self {
        Services {
            tasks: Vec::new(),
            stops: std::array::from_fn(|_| watch::channel(false).0),
            failure: Arc::new(Mutex::new(None)),
            failed: watch::channel(false).0,
        }
    }
}

impl Services {
    /// A future that resolves when `stage` is told to stop.
    pub fn stop_signal(&self, stage: Stage) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.stops[stage as usize].subscribe();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }

    /// Spawns `service`, named `name`, stopped in `stage`.
    pub fn spawn<F>(&mut self, name: &str, stage: Stage, service: F)
    where
        F: Future<Output = Result<(), String>> + Send + 'static,
    {
        let stopping = self.stops[stage as usize].subscribe();
        let failure = self.failure.clone();
        let failed = self.failed.clone();
        let label = name.to_string();
        let handle = tokio::spawn(async move {
            let result = service.await;
            if !*stopping.borrow() {
                let why = match &result {
                    Ok(()) => format!("{label} stopped unexpectedly"),
                    Err(e) => format!("{label} failed: {e}"),
                };
                tracing::error!(service = %label, reason = %why, "devnet service ended");
                let mut first = failure.lock().unwrap_or_else(|p| p.into_inner());
                first.get_or_insert(why);
                failed.send_replace(true);
            }
            result
        });
        self.tasks.push(Task {
            name: name.to_string(),
            stage,
            handle,
        });
    }

    /// The first unexpected exit, if any.
    pub fn failure(&self) -> Option<String> {
        self.failure
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Resolves once a service has ended unexpectedly; returns why.
    pub fn failed(&self) -> impl Future<Output = String> + Send + 'static {
        let mut rx = self.failed.subscribe();
        let failure = self.failure.clone();
        async move {
            let _ = rx.wait_for(|f| *f).await;
            failure
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
                .unwrap_or_else(|| "a service ended".into())
        }
    }

    /// Stops and joins every task, stage by stage; returns each failure ("name: why").
    pub async fn shutdown(self) -> Vec<String> {
        let mut errors = Vec::new();
        let mut tasks = self.tasks;
        for stage in STAGES {
            self.stops[stage as usize].send_replace(true);
            let (now, later): (Vec<Task>, Vec<Task>) =
                tasks.into_iter().partition(|t| t.stage == stage);
            tasks = later;
            for task in now {
                match task.handle.await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => errors.push(format!("{}: {e}", task.name)),
                    Err(e) => errors.push(format!("{}: task ended abnormally: {e}", task.name)),
                }
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn stages_stop_in_order_and_an_early_exit_is_reported() {
        let mut services = Services::default();
        let order = Arc::new(Mutex::new(Vec::new()));
        for (name, stage) in [
            ("l1", Stage::Settlement),
            ("node", Stage::Nodes),
            ("feed", Stage::Feed),
        ] {
            let stop = services.stop_signal(stage);
            let order = order.clone();
            services.spawn(name, stage, async move {
                stop.await;
                order.lock().unwrap().push(name);
                Ok(())
            });
        }
        services.spawn("broken", Stage::Nodes, async { Err("no database".into()) });
        let why = tokio::time::timeout(Duration::from_secs(10), services.failed())
            .await
            .expect("the failure is reported");
        assert_eq!(why, "broken failed: no database");
        assert_eq!(
            services.failure().as_deref(),
            Some("broken failed: no database")
        );
        let errors = services.shutdown().await;
        assert_eq!(errors, ["broken: no database"]);
        assert_eq!(*order.lock().unwrap(), ["feed", "node", "l1"]);
    }
}
