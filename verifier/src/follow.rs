//! The shell's follower task: long-polls the settlement layer's event log, feeds each page
//! to the core on a blocking thread, commits the core's journal and findings to SQLite in
//! one transaction per page (with the feed messages `feed::FeedLog` derives from the
//! replica after each event), logs every finding as one structured line, submits the proofs
//! the core asks for, and publishes status, metrics and the feed's head.
//!
//! Failures talking to the settlement layer are logged and retried after `poll_interval`;
//! only a failing database or a settlement layer running another genesis stop the service.

use crate::RunError;
use crate::config::Config;
use crate::core::{Finding, Follower, Outputs, Severity};
use crate::feed::FeedLog;
use crate::state::{AppState, status_of};
use crate::store::{Store, StoreError};
use crate::submit::{self, Challenger};
use protocol::api::settlement::{EventsResponse, StatusResponse, l1_domain_separator};
use protocol::api::stream::StreamMessage;
use protocol::api::verifier::L1View;
use service_client::{SettlementClient, Timeouts};
use service_shell::IoStepError;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// The core, its store and the feed log travel together onto blocking threads.
#[derive(Debug)]
pub struct Engine {
    pub core: Follower,
    pub store: Store,
    pub feed: FeedLog,
}

impl Engine {
    /// Commits what the core produced (and the feed messages derived from it) and hands it
    /// back for logging.
    fn flush(&mut self, feed: &[StreamMessage]) -> Result<Outputs, StoreError> {
        let out = self.core.take_outputs();
        self.store
            .commit_with_feed(&out.journal, &out.findings, feed)?;
        Ok(out)
    }
}

#[derive(Debug)]
pub struct Follow {
    engine: Option<Engine>,
    client: SettlementClient,
    challenger: Option<Challenger>,
    poll_interval: Duration,
    page_size: u32,
    state: AppState,
    resumed_from: u64,
    l1: Option<L1View>,
    /// When each bad batch's event arrived (for the wall-clock detection latency).
    received: BTreeMap<u64, Instant>,
    stop: watch::Receiver<bool>,
    /// The settlement layer's status from `first_contact`, already checked.
    first: Option<StatusResponse>,
}

/// How long the look before serving waits for the settlement layer.
const FIRST_CONTACT: Duration = Duration::from_secs(3);

impl Follow {
    pub fn new(
        engine: Engine,
        config: &Config,
        state: AppState,
        stop: watch::Receiver<bool>,
    ) -> Result<Follow, RunError> {
        let timeouts = Timeouts {
            call: Some(config.request_timeout),
            connect: None,
        };
        // Challenges and bonds are signed under the settlement layer's own EIP-712 domain,
        // which the configured genesis determines.
        let domain =
            l1_domain_separator(config.genesis.chain_id, &config.genesis.verifying_contract);
        let client = SettlementClient::with_timeouts(config.base_url(), timeouts)
            .map_err(|e| IoStepError {
                what: "building the HTTP client".into(),
                source: std::io::Error::other(e),
            })?
            .with_domain(domain);
        let challenger = config.challenger_key.clone().map(|key| Challenger {
            key,
            bond: config.bond,
        });
        Ok(Follow {
            resumed_from: engine.core.cursor(),
            engine: Some(engine),
            client,
            challenger,
            poll_interval: config.poll_interval,
            page_size: config.page_size,
            state,
            l1: None,
            received: BTreeMap::new(),
            stop,
            first: None,
        })
    }

    fn core(&self) -> &Follower {
        &self
            .engine
            .as_ref()
            .expect("the engine is home between steps")
            .core
    }

    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Follows until stopped. Returns `Err` only for what retrying cannot fix.
    pub async fn run(mut self) -> Result<(), RunError> {
        self.publish();
        if !self.connect().await? {
            return Ok(());
        }
        while !self.stopping() {
            self.submit_due().await?;
            let cursor = self.core().cursor();
            let mut stop = self.stop.clone();
            let page = tokio::select! {
                page = self.client.events(cursor, u64::from(self.page_size), self.poll_interval) => page,
                _ = stop.wait_for(|s| *s) => break,
            };
            match page {
                Ok(page) => self.apply(page).await?,
                Err(e) => {
                    self.state.metrics().poll_errors += 1;
                    tracing::warn!(error = %e, "reading the settlement event log failed; retrying");
                    self.pause().await;
                }
            }
            self.refresh_l1().await;
            self.publish();
        }
        Ok(())
    }

    /// One look at the settlement layer before the verifier serves: if it answers, it must
    /// run our genesis and be the instance this data dir follows, else the start is refused
    /// before anything is announced. Not answering is no error: following keeps trying.
    pub async fn first_contact(&mut self) -> Result<(), RunError> {
        match tokio::time::timeout(FIRST_CONTACT, self.client.status()).await {
            Ok(Ok(status)) => {
                self.check_chain(&status).await?;
                self.first = Some(status);
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "settlement layer not reachable yet"),
            Err(_) => tracing::warn!(
                url = self.client.base_url(),
                "settlement layer did not answer within {} s yet",
                FIRST_CONTACT.as_secs()
            ),
        }
        Ok(())
    }

    /// Waits for the settlement layer and checks it is our chain. `Ok(false)`: stopped.
    async fn connect(&mut self) -> Result<bool, RunError> {
        let status = match self.first.take() {
            Some(status) => status,
            None => {
                let Some(status) = self.wait_for_status().await else {
                    return Ok(false);
                };
                self.check_chain(&status).await?;
                status
            }
        };
        tracing::info!(
            cursor = self.core().cursor(),
            head_block = status.block.number,
            last_event_seq = status.last_event_seq,
            mode = %self.core().mode(),
            "following the settlement layer"
        );
        if let Some(challenger) = &self.challenger {
            match submit::ensure_bond(&self.client, challenger, status.params.min_challenger_bond)
                .await
            {
                Ok(0) => {}
                Ok(added) => tracing::info!(added, "bonded as a challenger"),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot bond yet; will retry before challenging")
                }
            }
        }
        self.note_l1(&status);
        Ok(true)
    }

    /// The settlement layer's status, retried until it answers; `None`: stopped meanwhile.
    async fn wait_for_status(&mut self) -> Option<StatusResponse> {
        loop {
            let mut stop = self.stop.clone();
            let answer = tokio::select! {
                answer = self.client.status() => answer,
                _ = stop.wait_for(|s| *s) => return None,
            };
            match answer {
                Ok(status) => return Some(status),
                Err(e) => {
                    tracing::warn!(error = %e, "settlement layer not reachable yet; retrying");
                    self.pause().await;
                }
            }
        }
    }

    /// The settlement layer must run our genesis, and be the instance this data dir was
    /// built from (bound on first contact).
    async fn check_chain(&mut self, status: &StatusResponse) -> Result<(), RunError> {
        let ours = self.core().genesis().hash();
        if status.params.genesis_hash != ours {
            return Err(RunError::GenesisMismatch {
                ours,
                theirs: status.params.genesis_hash,
            });
        }
        // Same genesis is not the same chain (every devnet shares one): the data dir stays
        // with the settlement layer it was built from.
        let theirs = status.params.instance_id;
        let bound = self
            .blocking(move |engine| engine.store.bind_settlement_instance(&theirs))
            .await??;
        if bound != theirs {
            return Err(RunError::OtherInstance {
                url: self.client.base_url().to_string(),
                bound,
                theirs,
            });
        }
        Ok(())
    }

    /// Applies one page of events and commits the results.
    async fn apply(&mut self, page: EventsResponse) -> Result<(), RunError> {
        if page.events.is_empty() {
            return Ok(());
        }
        let received = Instant::now();
        let events = page.events;
        let (out, elapsed) = self
            .blocking(move |engine| {
                let started = Instant::now();
                let mut feed = Vec::new();
                for event in &events {
                    if let Err(e) = engine.core.apply(event) {
                        // The next request starts again from the cursor.
                        tracing::warn!(error = %e, "event log answer out of order");
                        break;
                    }
                    feed.extend(engine.feed.observe(&engine.core));
                }
                let elapsed = started.elapsed();
                engine.flush(&feed).map(|out| (out, elapsed))
            })
            .await??;
        {
            let mut m = self.state.metrics();
            m.actions_reexecuted += out.actions_executed;
            m.reexecution_seconds += elapsed.as_secs_f64();
        }
        for (_, finding) in &out.findings {
            if let Finding::BadBatch { submission_id, .. } = finding {
                self.received.insert(*submission_id, received);
            }
        }
        log_findings(&out);
        Ok(())
    }

    /// Submits every proof the core asks for, recording each answer durably.
    async fn submit_due(&mut self) -> Result<(), RunError> {
        let Some(challenger) = self.challenger.clone() else {
            return Ok(());
        };
        for action in self.core().due_challenges() {
            if self.stopping() {
                break;
            }
            let first = self
                .core()
                .challenges()
                .find(|c| c.submission_id == action.submission_id)
                .is_some_and(|c| c.attempts == 0);
            self.refresh_l1().await;
            let head = self.l1.map(|l| l.head_block);
            let answer = submit::submit(&self.client, &challenger, &action).await;
            {
                let mut m = self.state.metrics();
                *m.submissions.entry(answer_label(&answer)).or_default() += 1;
                if first {
                    if let Some(head) = head {
                        m.detection_blocks
                            .observe(head.saturating_sub(action.posted_block) as f64);
                    }
                    if let Some(at) = self.received.remove(&action.submission_id) {
                        m.detection_seconds.observe(at.elapsed().as_secs_f64());
                    }
                }
            }
            let id = action.submission_id;
            let out = self
                .blocking(move |engine| {
                    engine.core.record_answer(id, head, answer);
                    engine.flush(&[])
                })
                .await??;
            log_findings(&out);
            self.publish();
        }
        Ok(())
    }

    /// Runs `f` on the engine on a blocking thread (re-execution and fsyncs stay off the
    /// async workers).
    async fn blocking<T: Send + 'static>(
        &mut self,
        f: impl FnOnce(&mut Engine) -> T + Send + 'static,
    ) -> Result<T, RunError> {
        let mut engine = self
            .engine
            .take()
            .expect("the engine is home between steps");
        let (engine, result) = tokio::task::spawn_blocking(move || {
            let result = f(&mut engine);
            (engine, result)
        })
        .await
        .map_err(|e| RunError::Task(format!("the follower's blocking step failed: {e}")))?;
        self.engine = Some(engine);
        Ok(result)
    }

    async fn refresh_l1(&mut self) {
        match self.client.status().await {
            Ok(status) => self.note_l1(&status),
            Err(e) => tracing::debug!(error = %e, "settlement status unavailable"),
        }
    }

    fn note_l1(&mut self, status: &protocol::api::settlement::StatusResponse) {
        self.l1 = Some(L1View {
            head_block: status.block.number,
            tip_index: status.tip.index,
            last_event_seq: status.last_event_seq,
            escrow: status.supply.escrow,
        });
    }

    fn publish(&self) {
        let engine = self
            .engine
            .as_ref()
            .expect("the engine is home between steps");
        let core = &engine.core;
        // The feed first: whoever saw a status sees at least its feed head.
        self.state
            .publish_feed(core, &engine.feed, engine.store.feed_head());
        self.state
            .publish(status_of(core, self.resumed_from, self.l1));
        self.state.publish_states(core);
    }

    /// Sleeps `poll_interval`, or less if stopped meanwhile.
    async fn pause(&mut self) {
        let mut stop = self.stop.clone();
        tokio::select! {
            () = tokio::time::sleep(self.poll_interval) => {}
            _ = stop.wait_for(|s| *s) => {}
        }
    }
}

fn answer_label(answer: &crate::core::Submission) -> &'static str {
    use crate::core::Submission as S;
    match answer {
        S::Upheld { .. } => "upheld",
        S::AlreadyReverted => "already_reverted",
        S::TooLate => "too_late",
        S::Rejected { .. } => "rejected",
        S::Failed { .. } => "failed",
    }
}

/// One structured line per finding, at the finding's severity.
fn log_findings(out: &Outputs) {
    for (seq, finding) in &out.findings {
        let details = serde_json::to_string(finding).unwrap_or_default();
        let kind = finding.kind();
        match finding.severity() {
            Severity::Routine => tracing::debug!(finding = kind, seq, %details, "finding"),
            Severity::Info => tracing::info!(finding = kind, seq, %details, "finding"),
            Severity::Warn => tracing::warn!(finding = kind, seq, %details, "finding"),
            Severity::Error => tracing::error!(finding = kind, seq, %details, "finding"),
        }
    }
}
