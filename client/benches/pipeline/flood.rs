//! (d) The flood of issue #13, against the sequencer's production admission limits:
//! `FLOODERS` connections post bulk requests back to back (far beyond what it sustains,
//! each one again as soon as it is answered or shed) while one honest client on its own
//! connection places `HONEST_PER_S` orders a second. It measures what admission is for:
//! whether the honest client keeps getting answers, and quickly; how long an accepted
//! flood request waited for its answer; how fast a shed one got its 503.
//!
//! The load generator runs in its own process (`pipeline.rs` runs itself as a child with
//! `CHILD_URL` set), though on the same cores; the honest orders are its own workload trader's actions (some are meant
//! to be refused by the engine: a 422 is an answer, only a 503 or a timeout is a failure).

use protocol::action::SignedAction;
use protocol::api::sequencer::BulkResponse;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use vigil_client::bench::percentile;

/// Set (to the sequencer's URL) in the child process that generates the flood.
pub const CHILD_URL: &str = "VIGIL_FLOOD_CHILD";

/// Flooding connections, and actions per flood request.
pub const FLOODERS: usize = 64;
pub const BULK: usize = 100;
/// The honest client's pace.
pub const HONEST_PER_S: u64 = 10;
/// A request unanswered this long counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// What the flood run saw.
#[derive(Debug, Default)]
pub struct FloodReport {
    /// The honest client's answered orders' latencies (200 or 422), sorted.
    pub honest_answered: Vec<Duration>,
    /// Its orders sent, and how many got a 503 or no answer in time.
    pub honest_sent: u64,
    pub honest_failed: u64,
    /// Accepted (200) flood requests' latencies, sorted, and the actions they got accepted.
    pub flood_ok: Vec<Duration>,
    pub flood_actions: u64,
    /// Flood actions judged (accepted or rejected by the engine: repeats are rejected).
    pub flood_judged: u64,
    /// Shed (503) flood requests' latencies, sorted.
    pub flood_shed: Vec<Duration>,
    /// How long the flood ran.
    pub seconds: f64,
}

/// One flooder's answers.
#[derive(Debug, Default)]
struct Tally {
    ok: Vec<Duration>,
    actions: u64,
    judged: u64,
    shed: Vec<Duration>,
}

/// Runs the flood for `duration` against the sequencer at `url`: the flood posts `flood`
/// in bulks of `BULK` (round robin over the connections, over and over), the honest client
/// posts `honest` one at a time at its pace.
pub async fn run(
    url: &str,
    flood: &[SignedAction],
    honest: &[SignedAction],
    duration: Duration,
) -> FloodReport {
    let bodies: Vec<Vec<u8>> = flood
        .chunks(BULK)
        .map(|chunk| serde_json::to_vec(chunk).expect("JSON"))
        .collect();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let flooders: Vec<_> = (0..FLOODERS)
        .map(|f| {
            let mine: Vec<Vec<u8>> = bodies.iter().skip(f).step_by(FLOODERS).cloned().collect();
            tokio::spawn(flooder(format!("{url}/v1/txs"), mine, stop.clone()))
        })
        .collect();
    let mut report = honest_client(url, honest, duration).await;
    stop.store(true, Ordering::Relaxed);
    for flooder in flooders {
        let tally = flooder.await.expect("flooder");
        report.flood_ok.extend(tally.ok);
        report.flood_actions += tally.actions;
        report.flood_judged += tally.judged;
        report.flood_shed.extend(tally.shed);
    }
    report.seconds = started.elapsed().as_secs_f64();
    report.flood_ok.sort();
    report.flood_shed.sort();
    report
}

/// One connection posting its bodies in turn until `stop` (bounded: 1,000,000 requests).
async fn flooder(url: String, bodies: Vec<Vec<u8>>, stop: Arc<AtomicBool>) -> Tally {
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("an HTTP client");
    let mut tally = Tally::default();
    for body in bodies.iter().cycle().take(1_000_000) {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let started = Instant::now();
        let request = test_support::json_post(&http, &url, body.clone());
        let Ok(response) = request.send().await else {
            continue;
        };
        match response.status().as_u16() {
            200 => {
                let answer: Option<BulkResponse> = response.json().await.ok();
                tally.ok.push(started.elapsed());
                if let Some(answer) = answer {
                    tally.actions += u64::from(answer.accepted);
                    tally.judged += u64::from(answer.accepted) + u64::from(answer.rejected);
                }
            }
            503 => tally.shed.push(started.elapsed()),
            _ => {}
        }
    }
    tally
}

/// The honest client: one order per `1 / HONEST_PER_S` s, on its own connection.
async fn honest_client(url: &str, honest: &[SignedAction], duration: Duration) -> FloodReport {
    let http = reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .build()
        .expect("an HTTP client");
    let orders = (duration.as_millis() as u64 * HONEST_PER_S / 1_000) as usize;
    assert!(
        honest.len() >= orders,
        "{} honest actions for {orders} orders",
        honest.len()
    );
    let mut pace = tokio::time::interval(Duration::from_millis(1_000 / HONEST_PER_S));
    let mut report = FloodReport::default();
    for action in &honest[..orders] {
        pace.tick().await;
        let started = Instant::now();
        let response = http
            .post(format!("{url}/v1/tx"))
            .header("content-type", "application/json")
            .json(action)
            .send()
            .await;
        report.honest_sent += 1;
        match response.map(|r| r.status().as_u16()) {
            Ok(200 | 422) => report.honest_answered.push(started.elapsed()),
            _ => report.honest_failed += 1,
        }
    }
    report.honest_answered.sort();
    report
}

impl FloodReport {
    /// The report's lines; `recoveries` is (a), the all-core k256 rate of the same run.
    pub fn lines(&self, recoveries: f64) -> Vec<String> {
        let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1_000.0);
        let p = |sorted: &[Duration], per_mille| ms(percentile(sorted, per_mille));
        let answered = self.honest_answered.len() as u64;
        let accepted_rate = self.flood_actions as f64 / self.seconds;
        let judged_rate = self.flood_judged as f64 / self.seconds;
        vec![
            format!(
                "(d) flood: {FLOODERS} connections × bulks of {BULK}, one honest client at {HONEST_PER_S} orders/s, {:.1} s",
                self.seconds
            ),
            format!(
                "    honest client: {answered}/{} answered ({:.1} %), {} shed or timed out; p50 {}, p99 {}, max {}",
                self.honest_sent,
                100.0 * answered as f64 / self.honest_sent.max(1) as f64,
                self.honest_failed,
                p(&self.honest_answered, 500),
                p(&self.honest_answered, 990),
                p(&self.honest_answered, 1_000),
            ),
            format!(
                "    flood accepted: {} requests, {accepted_rate:.0} actions/s = {:.2} × (a); answered p50 {}, p99 {}",
                self.flood_ok.len(),
                accepted_rate / recoveries,
                p(&self.flood_ok, 500),
                p(&self.flood_ok, 990),
            ),
            format!(
                "    flood judged (accepted or refused by the engine; its bulks repeat): {judged_rate:.0} actions/s = {:.2} × (a)",
                judged_rate / recoveries,
            ),
            format!(
                "    flood shed (503): {} requests; answered p50 {}, p99 {}",
                self.flood_shed.len(),
                p(&self.flood_shed, 500),
                p(&self.flood_shed, 990),
            ),
            format!(
                "    as work at (a)'s {recoveries:.0} recoveries/s: honest p50 {:.0} / p99 {:.0} recoveries' time, 503 p50 {:.0} / p99 {:.0}",
                recoveries_in(percentile(&self.honest_answered, 500), recoveries),
                recoveries_in(percentile(&self.honest_answered, 990), recoveries),
                recoveries_in(percentile(&self.flood_shed, 500), recoveries),
                recoveries_in(percentile(&self.flood_shed, 990), recoveries),
            ),
        ]
    }
}

/// How many signatures all cores recover in `d` at `per_s`: a latency as a ratio to the
/// machine's own speed in the same run.
fn recoveries_in(d: Duration, per_s: f64) -> f64 {
    d.as_secs_f64() * per_s
}
