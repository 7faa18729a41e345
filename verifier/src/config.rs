//! The service's configuration: where it keeps its database, which settlement layer it
//! follows, which genesis it runs, and whether (and with which key) it challenges.
//! `Config::validate` is the one gate every config passes before `run` uses it, whether it
//! came from the command line or from code (tests, the devnet launcher).

use k256::ecdsa::SigningKey;
use protocol::api::verifier::Mode;
use protocol::genesis::{Genesis, GenesisError};
use protocol::primitives::Address;
use protocol::signing::address_of;
use std::path::PathBuf;
use std::time::Duration;

/// Everything `run` needs besides the listener.
#[derive(Debug, Clone)]
pub struct Config {
    /// Holds `verifier.db` (SQLite, WAL) and `listen.addr`; created if missing.
    pub data_dir: PathBuf,
    /// Base URL of the settlement layer, e.g. `http://127.0.0.1:9545`.
    pub settlement_url: String,
    /// The rollup's genesis; must be the one the settlement layer runs (checked by hash).
    pub genesis: Genesis,
    pub mode: Mode,
    /// The L1 key that signs challenges and bonds; required in challenge mode.
    pub challenger_key: Option<SigningKey>,
    /// The bond to hold before challenging; the settlement layer's minimum is used when
    /// it is larger. 0: exactly the minimum (nothing when the minimum is 0).
    pub bond: u64,
    /// How long one long-poll of the event log waits for news, and the pause before
    /// retrying after a failure.
    pub poll_interval: Duration,
    /// Events fetched per request.
    pub page_size: u32,
    /// Timeout of one settlement request (a long poll gets `poll_interval` on top).
    pub request_timeout: Duration,
    /// Which library recovers signatures during re-execution (the verdicts do not depend
    /// on it: the backends agree on every input, see libsecp-recovery).
    pub signature_backend: libsecp_recovery::Backend,
    /// Finalized states kept in memory for `/v1/proofs/…?batch=N` once newer batches
    /// finalized (the newest finalized and every verified pending one are always held).
    pub proof_history_batches: usize,
    /// Feed events (`GET /v1/stream`'s `batches`, `trades` and `fills`) kept for clients
    /// to resume from; a resume from an older one is answered `resnapshot`.
    pub feed_retention_events: u64,
    /// What the HTTP server tolerates from connections (timeouts and caps).
    pub connections: service_shell::http::ConnectionLimits,
}

/// Defaults for a development setup.
pub mod defaults {
    pub const SETTLEMENT_URL: &str = "http://127.0.0.1:9545";
    pub const LISTEN: &str = "127.0.0.1:9547";
    pub const POLL_INTERVAL_MS: u64 = 1_000;
    pub const PAGE_SIZE: u32 = 50;
    pub const PROOF_HISTORY_BATCHES: usize = 1_024;
    pub const FEED_RETENTION_EVENTS: u64 = crate::store::FEED_RETENTION;
    pub const REQUEST_TIMEOUT_MS: u64 = 10_000;
}

/// The shortest poll interval accepted (tighter loops only burn CPU).
pub const MIN_POLL_INTERVAL: Duration = Duration::from_millis(10);
/// The settlement layer holds a long poll for at most 30 s.
pub const MAX_POLL_INTERVAL: Duration = Duration::from_secs(30);
/// The settlement layer answers at most 1000 events per request.
pub const MAX_PAGE_SIZE: u32 = 1_000;

/// A configuration that cannot work, naming the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "challenge mode needs a challenger key (--challenger-key or VIGIL_VERIFIER_CHALLENGER_KEY)"
    )]
    MissingKey,
    #[error("{0} must be at least 1")]
    ZeroLimit(&'static str),
    #[error("settlement URL {0:?} must start with http:// or https://")]
    SettlementUrl(String),
    #[error("poll interval must be between {min:?} and {max:?}, got {got:?}")]
    PollInterval {
        min: Duration,
        max: Duration,
        got: Duration,
    },
    #[error("page size must be between 1 and {MAX_PAGE_SIZE}, got {0}")]
    PageSize(u32),
    #[error("request timeout must be at least 100 ms, got {0:?}")]
    RequestTimeout(Duration),
    #[error("invalid genesis: {0}")]
    Genesis(#[from] GenesisError),
}

impl Config {
    /// A watch-mode configuration with the defaults, storing into `data_dir`.
    pub fn new(data_dir: PathBuf, settlement_url: String, genesis: Genesis) -> Config {
        Config {
            data_dir,
            settlement_url,
            genesis,
            mode: Mode::Watch,
            challenger_key: None,
            bond: 0,
            poll_interval: Duration::from_millis(defaults::POLL_INTERVAL_MS),
            page_size: defaults::PAGE_SIZE,
            request_timeout: Duration::from_millis(defaults::REQUEST_TIMEOUT_MS),
            signature_backend: libsecp_recovery::Backend::default(),
            proof_history_batches: defaults::PROOF_HISTORY_BATCHES,
            feed_retention_events: defaults::FEED_RETENTION_EVENTS,
            connections: service_shell::http::ConnectionLimits::default(),
        }
    }

    /// The same configuration in challenge mode, signing with `key`.
    pub fn challenging(mut self, key: SigningKey) -> Config {
        self.mode = Mode::Challenge;
        self.challenger_key = Some(key);
        self
    }

    /// The challenger's L1 address, if a key is configured.
    pub fn challenger(&self) -> Option<Address> {
        self.challenger_key.as_ref().map(address_of)
    }

    /// Refuses settings under which the service cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.mode == Mode::Challenge && self.challenger_key.is_none() {
            return Err(ConfigError::MissingKey);
        }
        let url = self.settlement_url.as_str();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError::SettlementUrl(self.settlement_url.clone()));
        }
        if !(MIN_POLL_INTERVAL..=MAX_POLL_INTERVAL).contains(&self.poll_interval) {
            return Err(ConfigError::PollInterval {
                min: MIN_POLL_INTERVAL,
                max: MAX_POLL_INTERVAL,
                got: self.poll_interval,
            });
        }
        if self.page_size == 0 || self.page_size > MAX_PAGE_SIZE {
            return Err(ConfigError::PageSize(self.page_size));
        }
        if self.request_timeout < Duration::from_millis(100) {
            return Err(ConfigError::RequestTimeout(self.request_timeout));
        }
        self.genesis.validate()?;
        if self.feed_retention_events == 0 {
            return Err(ConfigError::ZeroLimit("feed retention"));
        }
        if let Some(name) = self.connections.invalid() {
            return Err(ConfigError::ZeroLimit(name));
        }
        Ok(())
    }

    /// The settlement URL without a trailing slash.
    pub fn base_url(&self) -> &str {
        self.settlement_url.trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::workload::{Workload, dev_key};

    fn config() -> Config {
        Config::new(
            "/tmp/x".into(),
            "http://127.0.0.1:1".into(),
            Workload::new(1, 1).genesis,
        )
    }

    fn check(tweak: impl FnOnce(&mut Config), expect: Result<(), ConfigError>) {
        let mut c = config();
        tweak(&mut c);
        assert_eq!(c.validate(), expect);
    }

    #[test]
    fn validation_names_the_bad_setting() {
        check(|_| {}, Ok(()));
        check(|c| c.mode = Mode::Challenge, Err(ConfigError::MissingKey));
        check(|c| *c = c.clone().challenging(dev_key("k", 1, 0)), Ok(()));
        check(
            |c| c.settlement_url = "127.0.0.1:9545".into(),
            Err(ConfigError::SettlementUrl("127.0.0.1:9545".into())),
        );
        check(
            |c| c.poll_interval = Duration::from_millis(1),
            Err(ConfigError::PollInterval {
                min: MIN_POLL_INTERVAL,
                max: MAX_POLL_INTERVAL,
                got: Duration::from_millis(1),
            }),
        );
        check(|c| c.page_size = 0, Err(ConfigError::PageSize(0)));
        check(|c| c.page_size = 1_001, Err(ConfigError::PageSize(1_001)));
        check(
            |c| c.request_timeout = Duration::from_millis(5),
            Err(ConfigError::RequestTimeout(Duration::from_millis(5))),
        );
        check(
            |c| c.genesis.markets.clear(),
            Err(ConfigError::Genesis(GenesisError::NoMarkets)),
        );
    }

    #[test]
    fn the_base_url_drops_a_trailing_slash() {
        let mut c = config();
        c.settlement_url = "http://h:1/".into();
        assert_eq!(c.base_url(), "http://h:1");
    }
}
