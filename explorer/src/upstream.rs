//! The read-only pass-through to the three services. A browser's `/api/seq/v1/…`,
//! `/api/l1/v1/…` or `/api/verifier/N/v1/…` GET is answered with the upstream's own bytes
//! and status (its JSON, its `{code, message}` errors), so no DTO is decoded and encoded a
//! second time here and the receipts' 128-bit amounts pass through exactly.
//!
//! Each answer is kept for the cache's time to live: however many browsers show the same
//! page, the upstream sees at most one read of it per TTL. Only `/v1/` reads are passed
//! (never a submission, the admin endpoints or the feed's upgrade), with a time limit.

use axum::body::Bytes;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

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

/// The upstreams' base URLs, one HTTP client, and the cache.
#[derive(Debug)]
pub struct Upstreams {
    pub sequencer: String,
    pub settlement: String,
    pub verifiers: Vec<String>,
    http: reqwest::Client,
    ttl: Duration,
    cache: Mutex<HashMap<String, (Instant, Answer)>>,
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

    /// `GET path` on `service`, from the cache when a fresh answer is there.
    pub async fn get(&self, service: Service, path: &str) -> Result<Answer, ReadError> {
        if !readable(path) {
            return Err(ReadError::NotReadable(path.to_string()));
        }
        let url = format!("{}{path}", self.base(service)?);
        if let Some(answer) = self.cached(&url) {
            return Ok(answer);
        }
        let unreachable = |e: reqwest::Error| ReadError::Unreachable {
            service: service.name(),
            url: url.clone(),
            reason: e.to_string(),
        };
        let response = self
            .http
            .get(&url)
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
        self.keep(url, &answer);
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
    use super::readable;

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
