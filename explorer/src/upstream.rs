//! The read-only pass-through to the three services. A browser's `/api/seq/v1/…`,
//! `/api/l1/v1/…` or `/api/verifier/N/v1/…` GET is answered with the upstream's own bytes
//! and status (its JSON, its `{code, message}` errors), so no DTO is decoded and encoded a
//! second time here and the receipts' 128-bit amounts pass through exactly.
//!
//! Each answer is kept for the cache's time to live, and concurrent misses of one URL wait
//! for a single upstream read (single flight): however many browsers show the same page,
//! even all at once, the upstream sees at most one read of it per TTL. Only `/v1/` reads
//! are passed (never a submission, the admin endpoints or the feed's upgrade), with a time
//! limit. `ReadCounts` says how many reads were answered and how many reached an upstream,
//! so the ratio can be watched (`/api/overview`) and measured (the explorer load bench).

use axum::body::Bytes;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

/// Answers kept at most; past this the expired ones go, then all of them.
const CACHE_ENTRIES: usize = 4_096;
/// The longest one upstream read may take.
const CALL_LIMIT: Duration = Duration::from_secs(10);

/// Which service a read goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Sequencer,
    Settlement,
    Verifier(usize),
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Sequencer => "sequencer",
            Service::Settlement => "settlement layer",
            Service::Verifier(_) => "verifier",
        }
    }
}

/// An upstream's answer: its status, content type and body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Bytes,
}

/// Why a pass-through read could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{0} is not a path the explorer reads (only GET /v1/… reads are passed on)")]
    NotReadable(String),
    #[error("no verifier {0} is configured")]
    NoSuchVerifier(usize),
    #[error("cannot reach the {service} at {url}: {reason}")]
    Unreachable {
        service: &'static str,
        url: String,
        reason: String,
    },
}

/// Reads answered by the pass-through, and how many of them reached an upstream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReadCounts {
    pub answered: u64,
    pub upstream: u64,
}

/// One upstream read under way; every concurrent miss of its URL awaits the same cell.
type InFlight = Arc<OnceCell<Answer>>;

/// The upstreams' base URLs, one HTTP client, the cache and the reads in flight.
#[derive(Debug)]
pub struct Upstreams {
    pub sequencer: String,
    pub settlement: String,
    pub verifiers: Vec<String>,
    http: reqwest::Client,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Answer)>>,
    in_flight: Mutex<HashMap<String, InFlight>>,
    answered: AtomicU64,
    sent: AtomicU64,
}

/// Whether `path` (with its query) is a read the explorer passes on.
pub fn readable(path: &str) -> bool {
    let path_only = path.split('?').next().unwrap_or_default();
    path_only.starts_with("/v1/")
        && !path_only.starts_with("/v1/stream")
        && !path_only.starts_with("/v1/admin")
        && !path_only.contains("..")
}

impl Upstreams {
    pub fn new(
        sequencer: &str,
        settlement: &str,
        verifiers: &[String],
        ttl: Duration,
    ) -> Upstreams {
        Upstreams {
            sequencer: sequencer.to_string(),
            settlement: settlement.to_string(),
            verifiers: verifiers.to_vec(),
            http: reqwest::Client::new(),
            ttl,
            cache: Mutex::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            answered: AtomicU64::new(0),
            sent: AtomicU64::new(0),
        }
    }

    /// Reads answered so far, and how many reached an upstream.
    pub fn counts(&self) -> ReadCounts {
        ReadCounts {
            answered: self.answered.load(Ordering::Relaxed),
            upstream: self.sent.load(Ordering::Relaxed),
        }
    }

    fn base(&self, service: Service) -> Result<&str, ReadError> {
        match service {
            Service::Sequencer => Ok(&self.sequencer),
            Service::Settlement => Ok(&self.settlement),
            Service::Verifier(i) => self
                .verifiers
                .get(i)
                .map(String::as_str)
                .ok_or(ReadError::NoSuchVerifier(i)),
        }
    }

    /// `GET path` on `service`: from the cache when a fresh answer is there, else from the
    /// one read of that URL already under way, else from a new upstream read.
    pub async fn get(&self, service: Service, path: &str) -> Result<Answer, ReadError> {
        if !readable(path) {
            return Err(ReadError::NotReadable(path.to_string()));
        }
        let url = format!("{}{path}", self.base(service)?);
        self.answered.fetch_add(1, Ordering::Relaxed);
        if let Some(answer) = self.cached(&url) {
            return Ok(answer);
        }
        let cell = {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
            in_flight.entry(url.clone()).or_default().clone()
        };
        let answer = cell
            .get_or_try_init(|| self.fetch(service, &url))
            .await
            .cloned();
        // The first waiter to get here retires the read; later misses start a new one only
        // once the cached answer has expired.
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
        if in_flight.get(&url).is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            in_flight.remove(&url);
        }
        answer
    }

    /// One upstream read of `url`, kept in the cache.
    async fn fetch(&self, service: Service, url: &str) -> Result<Answer, ReadError> {
        self.sent.fetch_add(1, Ordering::Relaxed);
        let unreachable = |e: reqwest::Error| ReadError::Unreachable {
            service: service.name(),
            url: url.to_string(),
            reason: e.to_string(),
        };
        let response = self
            .http
            .get(url)
            .timeout(CALL_LIMIT)
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_string();
        let body = response.bytes().await.map_err(unreachable)?;
        let answer = Answer {
            status,
            content_type,
            body,
        };
        self.keep(url.to_string(), &answer);
        Ok(answer)
    }

    fn cached(&self, url: &str) -> Option<Answer> {
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        cache
            .get(url)
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, answer)| answer.clone())
    }

    fn keep(&self, url: String, answer: &Answer) {
        if self.ttl.is_zero() {
            return;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_ENTRIES {
            let ttl = self.ttl;
            cache.retain(|_, (at, _)| at.elapsed() < ttl);
            if cache.len() >= CACHE_ENTRIES {
                cache.clear();
            }
        }
        cache.insert(url, (Instant::now(), answer.clone()));
    }

    /// `GET path` on `service`, decoded (for the explorer's own aggregations).
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        service: Service,
        path: &str,
    ) -> Result<T, String> {
        let answer = self.get(service, path).await.map_err(|e| e.to_string())?;
        if !(200..300).contains(&answer.status) {
            return Err(format!(
                "the {} answered {} to GET {path}: {}",
                service.name(),
                answer.status,
                String::from_utf8_lossy(&answer.body[..answer.body.len().min(300)])
            ));
        }
        serde_json::from_slice(&answer.body).map_err(|e| {
            format!(
                "unexpected answer from the {} to GET {path}: {e}",
                service.name()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{Service, Upstreams, readable};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::Duration;

    /// An upstream that counts its reads and answers each after 50 ms, so concurrent
    /// misses overlap.
    async fn counting_upstream() -> (String, Arc<AtomicU64>) {
        let hits = Arc::new(AtomicU64::new(0));
        let counter = hits.clone();
        let app = axum::Router::new().route(
            "/v1/status",
            axum::routing::get(move || {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    "{}"
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, hits)
    }

    #[tokio::test]
    async fn concurrent_misses_of_one_url_make_one_upstream_read() {
        let (url, hits) = counting_upstream().await;
        let upstreams = Arc::new(Upstreams::new(&url, &url, &[], Duration::from_secs(60)));
        let readers: Vec<_> = (0..50)
            .map(|_| {
                let upstreams = upstreams.clone();
                tokio::spawn(async move { upstreams.get(Service::Sequencer, "/v1/status").await })
            })
            .collect();
        for reader in readers {
            let answer = reader.await.expect("task").expect("answered");
            assert_eq!(answer.status, 200);
        }
        assert_eq!(
            hits.load(Ordering::Relaxed),
            1,
            "one read reached the upstream"
        );
        let counts = upstreams.counts();
        assert_eq!((counts.answered, counts.upstream), (50, 1));
    }

    #[test]
    fn only_v1_reads_pass() {
        let table = [
            ("/v1/markets", true),
            ("/v1/accounts/0xab/fills?limit=5", true),
            ("/v1/stream", false),
            ("/v1/admin/mine", false),
            ("/metrics", false),
            ("/v1/../metrics", false),
            ("v1/markets", false),
        ];
        for (path, expected) in table {
            assert_eq!(readable(path), expected, "{path}");
        }
    }
}
