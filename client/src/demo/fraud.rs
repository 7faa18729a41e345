//! `vigil demo fraud`: the fraud-proof story on a temporary devnet, end to end and checked
//! at every step. Setup starts an honest devnet (two traders funded and credited), stops
//! it once its batches are sealed, and restarts it with the sequencer armed to corrupt the
//! next batch, so the fault lands exactly on the traders' batch. The story itself is in
//! `story`; this file owns the devnet's life (always shut down, success or not).

use super::story::{StepError, Story};
use super::timeline::Timeline;
use crate::devnet::poll::{Poll, poll_until};
use crate::devnet::{Devnet, DevnetConfig, RunningDevnet};
use crate::sequencer::SequencerClient;
use protocol::fault::Fault;
use sequencer::FaultPlan;
use std::time::Duration;

/// How the demo runs.
#[derive(Debug, Clone)]
pub struct FraudDemoConfig {
    pub fault: Fault,
    /// The simulated L1's block time.
    pub block_time_ms: u64,
    /// Long enough that detection never races the window on a loaded machine; the demo
    /// fast-forwards L1 past it (by mining) when it waits for the withdrawal.
    pub challenge_window_blocks: u64,
    /// The longest any one step may take.
    pub step_limit: Duration,
}

impl FraudDemoConfig {
    pub fn new(fault: Fault) -> FraudDemoConfig {
        FraudDemoConfig {
            fault,
            block_time_ms: 100,
            challenge_window_blocks: 100,
            step_limit: Duration::from_secs(60),
        }
    }
}

/// A step that did not happen as it should; carries the timeline up to it.
#[derive(Debug, thiserror::Error)]
#[error("demo step `{step}` failed: {reason}")]
pub struct DemoFailure {
    pub step: String,
    pub reason: String,
    pub timeline: Timeline,
}

/// Runs the whole story on a devnet in a fresh temporary directory (removed afterwards).
pub async fn run_fraud_demo(config: &FraudDemoConfig) -> Result<Timeline, DemoFailure> {
    run_fraud_demo_holding(config, async |_: &Timeline, _: &RunningDevnet| {})
        .await
        .map(|(timeline, ())| timeline)
}

/// As [`run_fraud_demo`], and once every step happened, `hold` runs with the timeline and
/// the still-running network (`vigil demo fraud --keep-open` waits there for Ctrl-C; the
/// explorer's browser test looks at the pages); the network stops when it returns.
pub async fn run_fraud_demo_holding<T>(
    config: &FraudDemoConfig,
    hold: impl AsyncFnOnce(&Timeline, &RunningDevnet) -> T,
) -> Result<(Timeline, T), DemoFailure> {
    let mut timeline = Timeline::new();
    let fail = |timeline: Timeline, step: &str, reason: String| DemoFailure {
        step: step.to_string(),
        reason,
        timeline,
    };
    let dir = match tempfile::Builder::new().prefix("vigil-demo-").tempdir() {
        Ok(dir) => dir,
        Err(e) => return Err(fail(timeline, "setup", format!("temp dir: {e}"))),
    };
    let mut devnet = DevnetConfig::fast(dir.path().to_path_buf());
    devnet.accounts = 2;
    devnet.keeper_interval = None;
    devnet.block_time_ms = Some(config.block_time_ms);
    devnet.challenge_window_blocks = config.challenge_window_blocks;

    let net = match armed_devnet(devnet, config).await {
        Ok(net) => net,
        Err(reason) => return Err(fail(timeline, "setup", reason)),
    };
    let outcome = match Story::new(&net, config) {
        Ok(mut story) => {
            let told = story.tell(&mut timeline).await;
            told.map(|()| story.verdict())
        }
        Err(e) => Err(e),
    };
    let held = match &outcome {
        Ok(Ok(())) => Some(hold(&timeline, &net).await),
        _ => None,
    };
    let stopped = net.shutdown().await;
    match (outcome, stopped) {
        (Ok(Ok(())), Ok(())) => match held {
            Some(held) => Ok((timeline, held)),
            None => Err(fail(
                timeline,
                "hold",
                "the story ended without a verdict".into(),
            )),
        },
        (Ok(Err(StepError { step, reason })), _) | (Err(StepError { step, reason }), _) => {
            Err(fail(timeline, step, reason))
        }
        (Ok(Ok(())), Err(e)) => Err(fail(timeline, "shutdown", e.to_string())),
    }
}

/// Starts the honest devnet, waits until its setup batches are sealed, and restarts it
/// with the fault armed for the next batch index.
async fn armed_devnet(
    mut devnet: DevnetConfig,
    config: &FraudDemoConfig,
) -> Result<RunningDevnet, String> {
    let net = Devnet::start(devnet.clone())
        .await
        .map_err(|e| format!("starting the devnet: {e}"))?;
    let seq = SequencerClient::new(&net.manifest().sequencer_url);
    let sealed = poll_until(
        "the setup batches to be sealed",
        config.step_limit,
        Duration::from_millis(20),
        || async {
            match seq.status().await {
                Ok(s) if s.open_batch.is_none() => Poll::Ready(s.last_sealed),
                Ok(s) => Poll::Pending(format!("batch {:?} open", s.open_batch)),
                Err(e) => Poll::Pending(e.to_string()),
            }
        },
    )
    .await;
    let stopped = net.shutdown().await;
    let sealed = sealed.map_err(|e| e.to_string())?;
    stopped.map_err(|e| format!("restarting the devnet: {e}"))?;
    devnet.inject_fault = Some(FaultPlan {
        fault: config.fault,
        from_batch: sealed.map_or(0, |i| i + 1),
    });
    Devnet::start(devnet)
        .await
        .map_err(|e| format!("restarting the devnet with the fault armed: {e}"))
}
