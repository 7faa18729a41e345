//! The JSON-over-HTTP plumbing shared by the typed clients of Vigil's services (settlement
//! layer, sequencer, verifier): one GET/POST path, and one error type that keeps a server's
//! stable `{code, message}` so callers can branch on the code and people read the message.
//!
//! All three services answer errors with the same `ErrorBody` shape, so one decoder serves
//! them all; the error names the service so a one-line message says who refused.
//!
//! Time limits are the caller's: the `vigil` CLI waits as long as its user does, while a
//! service that polls another must not hang on it, so it sets [`Timeouts`]. A long poll
//! adds the wait it asked the server for to the call limit.

use protocol::api::settlement::ErrorBody;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// Why a request to one of Vigil's services did not produce its answer.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("cannot reach the {service} at {url} ({what}): {reason}")]
    Unreachable {
        service: &'static str,
        url: String,
        what: String,
        reason: String,
    },
    #[error("{service} refused {what} ({status} {code}): {message}")]
    Api {
        service: &'static str,
        what: String,
        status: u16,
        code: String,
        message: String,
        details: Option<serde_json::Value>,
    },
    #[error("unexpected answer from the {service} to {what} ({status}): {reason}")]
    BadResponse {
        service: &'static str,
        what: String,
        status: u16,
        reason: String,
    },
}

impl ServiceError {
    /// The server's stable error code, if the server answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ServiceError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The HTTP status, if the server answered at all.
    pub fn status(&self) -> Option<u16> {
        match self {
            ServiceError::Api { status, .. } | ServiceError::BadResponse { status, .. } => {
                Some(*status)
            }
            ServiceError::Unreachable { .. } => None,
        }
    }
}

/// How long a caller lets one request take. `None` is no limit (reqwest's default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// The whole of one call, connecting included; a long poll adds its wait to it.
    pub call: Option<Duration>,
    /// Establishing the TCP connection alone.
    pub connect: Option<Duration>,
}

/// One service at one base URL (e.g. `http://127.0.0.1:9545`).
#[derive(Debug, Clone)]
pub struct ServiceHttp {
    service: &'static str,
    base: String,
    http: reqwest::Client,
    call_timeout: Option<Duration>,
}

impl ServiceHttp {
    /// `service` names the server in errors ("settlement layer", "sequencer"). No time
    /// limits: for a person at a terminal, who can interrupt.
    pub fn new(service: &'static str, base_url: &str) -> ServiceHttp {
        ServiceHttp::on(service, base_url, reqwest::Client::new(), None)
    }

    /// As [`ServiceHttp::new`], with time limits. Fails only if reqwest cannot build a
    /// client on this machine (its TLS or system configuration).
    pub fn with_timeouts(
        service: &'static str,
        base_url: &str,
        timeouts: Timeouts,
    ) -> Result<ServiceHttp, reqwest::Error> {
        let mut builder = reqwest::Client::builder();
        if let Some(connect) = timeouts.connect {
            builder = builder.connect_timeout(connect);
        }
        Ok(ServiceHttp::on(
            service,
            base_url,
            builder.build()?,
            timeouts.call,
        ))
    }

    fn on(
        service: &'static str,
        base_url: &str,
        http: reqwest::Client,
        call_timeout: Option<Duration>,
    ) -> ServiceHttp {
        ServiceHttp {
            service,
            base: base_url.trim_end_matches('/').to_string(),
            http,
            call_timeout,
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    pub async fn get<R: DeserializeOwned>(&self, path: &str) -> Result<R, ServiceError> {
        self.get_waiting(path, Duration::ZERO).await
    }

    /// GET a long poll: the server may hold the answer up to `wait`, so the call limit
    /// (if any) is extended by that much.
    pub async fn get_waiting<R: DeserializeOwned>(
        &self,
        path: &str,
        wait: Duration,
    ) -> Result<R, ServiceError> {
        let url = format!("{}{path}", self.base);
        let sent = self.limited(self.http.get(&url), wait).send().await;
        self.answer(&format!("GET {path}"), sent).await
    }

    pub async fn post<B: Serialize + ?Sized, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<R, ServiceError> {
        let url = format!("{}{path}", self.base);
        let request = self.limited(self.http.post(&url).json(body), Duration::ZERO);
        self.answer(&format!("POST {path}"), request.send().await)
            .await
    }

    /// GET a plain-text resource (Prometheus `/metrics`).
    pub async fn get_text(&self, path: &str) -> Result<String, ServiceError> {
        let what = format!("GET {path}");
        let url = format!("{}{path}", self.base);
        let unreachable = |e: reqwest::Error| self.unreachable(&what, &e);
        let request = self.limited(self.http.get(&url), Duration::ZERO);
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(unreachable)?;
        if (200..300).contains(&status) {
            Ok(body)
        } else {
            Err(self.refusal(&what, status, body.as_bytes()))
        }
    }

    /// Applies the call limit, extended by `wait`, to one request.
    fn limited(&self, request: reqwest::RequestBuilder, wait: Duration) -> reqwest::RequestBuilder {
        match self.call_timeout {
            Some(limit) => request.timeout(limit + wait),
            None => request,
        }
    }

    fn unreachable(&self, what: &str, e: &reqwest::Error) -> ServiceError {
        ServiceError::Unreachable {
            service: self.service,
            url: self.base.clone(),
            what: what.to_string(),
            reason: error_chain(e),
        }
    }

    async fn answer<R: DeserializeOwned>(
        &self,
        what: &str,
        sent: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<R, ServiceError> {
        let response = sent.map_err(|e| self.unreachable(what, &e))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| self.unreachable(what, &e))?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&body).map_err(|e| ServiceError::BadResponse {
                service: self.service,
                what: what.to_string(),
                status,
                reason: e.to_string(),
            });
        }
        Err(self.refusal(what, status, &body))
    }

    fn refusal(&self, what: &str, status: u16, body: &[u8]) -> ServiceError {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(err) => ServiceError::Api {
                service: self.service,
                what: what.to_string(),
                status,
                code: err.code,
                message: err.message,
                details: err.details,
            },
            Err(_) => ServiceError::BadResponse {
                service: self.service,
                what: what.to_string(),
                status,
                reason: format!(
                    "not an error body: {}",
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                ),
            },
        }
    }
}

/// A transport error's causes on one line ("tcp connect error: Connection refused"),
/// without reqwest's own top line, which repeats the URL.
fn error_chain(e: &reqwest::Error) -> String {
    use std::error::Error as _;
    let Some(first) = e.source() else {
        return e.to_string();
    };
    let mut text = first.to_string();
    let mut source = first.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
