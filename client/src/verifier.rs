//! A typed async HTTP client for a verifier (`vigil-verifier`, docs/spec/verifier.md):
//! its status (synced batch, verified root, lag, challenges and their outcomes) and metrics.

use protocol::api::verifier::StatusResponse;
use service_client::http::{ServiceError, ServiceHttp};

/// One verifier at one base URL.
#[derive(Debug, Clone)]
pub struct VerifierClient {
    http: ServiceHttp,
}

impl VerifierClient {
    pub fn new(base_url: &str) -> VerifierClient {
        VerifierClient {
            http: ServiceHttp::new("verifier", base_url),
        }
    }

    pub fn base_url(&self) -> &str {
        self.http.base_url()
    }

    pub async fn status(&self) -> Result<StatusResponse, ServiceError> {
        self.http.get("/v1/status").await
    }

    /// This verifier's challenge against submission `id`, with the proof it built.
    pub async fn challenge(
        &self,
        id: u64,
    ) -> Result<protocol::api::verifier::ChallengeView, ServiceError> {
        self.http.get(&format!("/v1/challenges/{id}")).await
    }

    /// The genesis this verifier re-executes under (`GET /v1/genesis`).
    pub async fn genesis(&self) -> Result<protocol::api::genesis::GenesisView, ServiceError> {
        self.http.get("/v1/genesis").await
    }

    /// The Prometheus exposition text.
    pub async fn metrics(&self) -> Result<String, ServiceError> {
        self.http.get_text("/metrics").await
    }
}
