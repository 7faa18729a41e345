//! The service's configuration and its one gate, `Config::validate`, which every config
//! passes before `run` uses it, whether it came from the command line or from code (the
//! devnet launcher, tests).

use k256::ecdsa::SigningKey;
use protocol::fault::Fault;
use protocol::genesis::{Genesis, GenesisError};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Everything `run` needs besides the listener.
#[derive(Clone)]
pub struct Config {
    /// Holds `sequencer.db` (SQLite, WAL) and `listen.addr`; created if missing.
    pub data_dir: PathBuf,
    /// Base URL of the settlement layer, e.g. `http://127.0.0.1:9545`.
    pub settlement_url: String,
    /// The rollup's genesis; its hash must equal the settlement layer's.
    pub genesis: Genesis,
    /// Signs posted batches (L1 calls) and keeper liquidations.
    pub key: SigningKey,
    /// A batch is sealed once it holds this many transactions…
    pub batch_max_txs: usize,
    /// …or this long after it opened, whichever comes first.
    pub batch_interval: Duration,
    /// A state snapshot is written when a batch finalizes at least this many batches after
    /// the previous snapshot (restart replays the log after the latest snapshot).
    pub snapshot_every_batches: u64,
    /// Finalized states kept in memory for `/v1/proofs/…?batch=N` once newer batches
    /// finalized (the newest finalized and every unfinalized one are always held).
    pub proof_history_batches: usize,
    /// How often the liquidation keeper scans accounts; `None` disables it.
    pub keeper_interval: Option<Duration>,
    /// If the sequencer's bond is below the settlement layer's minimum at startup, bond the
    /// difference from its L1 balance.
    pub auto_bond: bool,
    /// With an empty journal (a new or lost data dir), rebuild the state from the
    /// settlement layer's batches before serving, and check it reaches the L1 tip's root.
    pub bootstrap_from_l1: bool,
    /// Demonstrations only: corrupt one batch (see `FaultPlan`).
    pub inject_fault: Option<FaultPlan>,
    pub limits: Limits,
    /// Which library recovers the signatures of incoming actions (the outcome is the same
    /// with either: see libsecp-recovery's differential test).
    pub signature_backend: libsecp_recovery::Backend,
}

/// Protection against slow, large and too many requests.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body; larger ones get 413.
    pub max_body_bytes: usize,
    /// Most actions in one `POST /v1/txs`.
    pub max_bulk_actions: usize,
    /// Actions admitted and not yet answered; beyond this new ones get 503.
    pub max_inflight_actions: usize,
    /// A request is admitted only if the actions queued ahead of it would be done within
    /// this time at the executor's measured rate (else 503 at once, `admission`).
    pub max_queue_wait: Duration,
    /// The queue budget, in actions, when the measured rate would give less.
    pub min_queue_budget_actions: u64,
    /// HTTP requests being handled at once; beyond this new ones get 503.
    pub max_concurrent_requests: usize,
    /// Open connections; beyond this new ones are closed at once.
    pub max_connections: usize,
    /// Open connections from one IP address; beyond this its new ones are closed at once.
    pub max_connections_per_peer: usize,
    /// A client must send its request headers within this time.
    pub header_timeout: Duration,
    /// A connection whose reads or writes make no progress this long is closed (a client
    /// that never reads its responses, or one idle between requests).
    pub stall_timeout: Duration,
    /// …and its body within this time.
    pub body_timeout: Duration,
    /// A request not answered within this time gets 503 (for an action: it may still be
    /// sequenced; look it up by hash).
    pub request_timeout: Duration,
}

impl Limits {
    /// The admission policy these limits set.
    pub fn queue_policy(&self) -> crate::admission::QueuePolicy {
        crate::admission::QueuePolicy {
            max_queue_wait: self.max_queue_wait,
            min_budget_actions: self.min_queue_budget_actions,
        }
    }

    /// What the HTTP server enforces per connection (`service_shell::http::serve`); in
    /// flight requests get their own timeout plus 2 s to finish at shutdown.
    pub fn connections(&self) -> service_shell::http::ConnectionLimits {
        service_shell::http::ConnectionLimits {
            header_timeout: self.header_timeout,
            stall_timeout: self.stall_timeout,
            max_connections: self.max_connections,
            max_connections_per_peer: self.max_connections_per_peer,
            shutdown_grace: self.request_timeout + Duration::from_secs(2),
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 4 * 1024 * 1024,
            max_bulk_actions: 10_000,
            max_inflight_actions: 50_000,
            max_queue_wait: Duration::from_millis(50),
            // 1,024: one account may have budget / 8 actions waiting (`account_share`),
            // so 256 would hold a pipelining bot to 32 in flight. Under a flood 1,024
            // queued actions are about 123 ms of work at 8,300 actions/s, over the 50 ms
            // bound; what shortens the honest client's wait is the per-connection share
            // and the header check, not a smaller budget (README, #13).
            min_queue_budget_actions: 1_024,
            max_concurrent_requests: 4_096,
            max_connections: 8_192,
            max_connections_per_peer: 256,
            header_timeout: Duration::from_secs(5),
            stall_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// `--inject-fault KIND@batch=N`: corrupt the first chunk at or after batch N that offers
/// something to corrupt, once. Never again afterwards, so re-sequencing after the revert
/// is honest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultPlan {
    pub fault: Fault,
    pub from_batch: u64,
}

impl FromStr for FaultPlan {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let usage = "expected KIND@batch=N, e.g. wrong-root@batch=3";
        let (kind, at) = s.split_once('@').ok_or_else(|| format!("{s:?}: {usage}"))?;
        let fault: Fault = kind.parse()?;
        let n = at
            .strip_prefix("batch=")
            .ok_or_else(|| format!("{s:?}: {usage}"))?;
        let from_batch = n
            .parse()
            .map_err(|_| format!("{s:?}: batch {n:?} is not a batch index; {usage}"))?;
        Ok(FaultPlan { fault, from_batch })
    }
}

impl fmt::Display for FaultPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@batch={}", self.fault, self.from_batch)
    }
}

/// A configuration that cannot work, naming the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid genesis: {0}")]
    Genesis(#[from] GenesisError),
    #[error("batch size must be in 1..={max}, got {got}")]
    BatchSize { max: usize, got: usize },
    #[error("batch interval must be between 1 ms and 1 hour, got {0:?}")]
    BatchInterval(Duration),
    #[error("snapshot interval must be at least 1 batch")]
    SnapshotInterval,
    #[error("keeper interval must be at least 10 ms, got {0:?}")]
    KeeperInterval(Duration),
    #[error("settlement URL {0:?} must start with http:// or https://")]
    SettlementUrl(String),
    #[error("limit {name} must be positive")]
    Limit { name: &'static str },
    #[error(
        "max_bulk_actions ({bulk}) must not exceed max_inflight_actions ({inflight}): such a request could never be admitted"
    )]
    BulkOverBudget { bulk: usize, inflight: usize },
}

impl Config {
    /// A configuration with default batching and limits.
    pub fn new(
        data_dir: PathBuf,
        settlement_url: String,
        genesis: Genesis,
        key: SigningKey,
    ) -> Config {
        Config {
            data_dir,
            settlement_url,
            genesis,
            key,
            batch_max_txs: 1_000,
            batch_interval: Duration::from_millis(500),
            snapshot_every_batches: 50,
            proof_history_batches: 1_024,
            keeper_interval: Some(Duration::from_secs(1)),
            auto_bond: true,
            bootstrap_from_l1: false,
            inject_fault: None,
            limits: Limits::default(),
            signature_backend: libsecp_recovery::Backend::default(),
        }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        self.genesis.validate()?;
        let max = protocol::batch::MAX_BATCH_TXS;
        if self.batch_max_txs == 0 || self.batch_max_txs > max {
            return Err(ConfigError::BatchSize {
                max,
                got: self.batch_max_txs,
            });
        }
        if self.batch_interval < Duration::from_millis(1)
            || self.batch_interval > Duration::from_secs(3600)
        {
            return Err(ConfigError::BatchInterval(self.batch_interval));
        }
        if self.snapshot_every_batches == 0 {
            return Err(ConfigError::SnapshotInterval);
        }
        if let Some(every) = self.keeper_interval
            && every < Duration::from_millis(10)
        {
            return Err(ConfigError::KeeperInterval(every));
        }
        let url = &self.settlement_url;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ConfigError::SettlementUrl(url.clone()));
        }
        let l = &self.limits;
        for (name, value) in [
            ("max_body_bytes", l.max_body_bytes),
            ("max_bulk_actions", l.max_bulk_actions),
            ("max_inflight_actions", l.max_inflight_actions),
            ("max_concurrent_requests", l.max_concurrent_requests),
            ("max_connections", l.max_connections),
            ("max_connections_per_peer", l.max_connections_per_peer),
        ] {
            if value == 0 {
                return Err(ConfigError::Limit { name });
            }
        }
        if l.max_bulk_actions > l.max_inflight_actions {
            return Err(ConfigError::BulkOverBudget {
                bulk: l.max_bulk_actions,
                inflight: l.max_inflight_actions,
            });
        }
        for (name, value) in [
            ("header_timeout", l.header_timeout),
            ("stall_timeout", l.stall_timeout),
            ("body_timeout", l.body_timeout),
            ("request_timeout", l.request_timeout),
        ] {
            if value.is_zero() {
                return Err(ConfigError::Limit { name });
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Config {
    /// Never prints the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("settlement_url", &self.settlement_url)
            .field("genesis_hash", &self.genesis.hash())
            .field("sequencer", &protocol::signing::address_of(&self.key))
            .field("batch_max_txs", &self.batch_max_txs)
            .field("batch_interval", &self.batch_interval)
            .field("snapshot_every_batches", &self.snapshot_every_batches)
            .field("proof_history_batches", &self.proof_history_batches)
            .field("keeper_interval", &self.keeper_interval)
            .field("auto_bond", &self.auto_bond)
            .field("bootstrap_from_l1", &self.bootstrap_from_l1)
            .field("inject_fault", &self.inject_fault)
            .field("limits", &self.limits)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::primitives::Address;

    fn config() -> Config {
        let genesis = Genesis::devnet(1, Address([1; 20]), Address([2; 20]));
        let key = protocol::workload::dev_key("config-test", 0, 0);
        Config::new(
            PathBuf::from("/tmp/unused"),
            "http://127.0.0.1:1".into(),
            genesis,
            key,
        )
    }

    #[test]
    fn validation_names_the_bad_setting() {
        assert_eq!(config().validate(), Ok(()));
        check(
            |c| c.batch_max_txs = 0,
            ConfigError::BatchSize {
                max: 100_000,
                got: 0,
            },
        );
        check(
            |c| c.batch_interval = Duration::ZERO,
            ConfigError::BatchInterval(Duration::ZERO),
        );
        check(
            |c| c.snapshot_every_batches = 0,
            ConfigError::SnapshotInterval,
        );
        check(
            |c| c.keeper_interval = Some(Duration::from_millis(1)),
            ConfigError::KeeperInterval(Duration::from_millis(1)),
        );
        check(
            |c| c.settlement_url = "localhost:9545".into(),
            ConfigError::SettlementUrl("localhost:9545".into()),
        );
        check(
            |c| c.limits.max_body_bytes = 0,
            ConfigError::Limit {
                name: "max_body_bytes",
            },
        );
        check(
            |c| c.limits.request_timeout = Duration::ZERO,
            ConfigError::Limit {
                name: "request_timeout",
            },
        );
        check(
            |c| c.limits.max_inflight_actions = 10,
            ConfigError::BulkOverBudget {
                bulk: 10_000,
                inflight: 10,
            },
        );
        let mut c = config();
        c.genesis.checkpoint_interval_txs = 0;
        assert!(matches!(c.validate(), Err(ConfigError::Genesis(_))));
        assert!(
            !format!("{c:?}").contains("SigningKey"),
            "the key is never printed"
        );
    }

    #[test]
    fn fault_plans_parse_and_bad_ones_say_why() {
        let check = |input: &str, expect: Result<FaultPlan, &str>| {
            let got = input.parse::<FaultPlan>();
            match expect {
                Ok(plan) => assert_eq!(got, Ok(plan), "{input}"),
                Err(needle) => {
                    let err = got.expect_err(input);
                    assert!(err.contains(needle), "{input}: {err}");
                }
            }
        };
        check(
            "wrong-root@batch=3",
            Ok(FaultPlan {
                fault: Fault::WrongRoot,
                from_batch: 3,
            }),
        );
        check(
            "skip-liquidation-check@batch=0",
            Ok(FaultPlan {
                fault: Fault::SkipLiquidationCheck,
                from_batch: 0,
            }),
        );
        check("mint", Err("expected KIND@batch=N"));
        check("mint@3", Err("expected KIND@batch=N"));
        check("mint@batch=x", Err("is not a batch index"));
        check("steal@batch=1", Err("unknown fault"));
        assert_eq!(
            "bad-fill@batch=12"
                .parse::<FaultPlan>()
                .unwrap()
                .to_string(),
            "bad-fill@batch=12"
        );
    }

    /// `edit` makes the valid config invalid, and validation names it as `expect`.
    fn check(edit: fn(&mut Config), expect: ConfigError) {
        let mut c = config();
        edit(&mut c);
        assert_eq!(c.validate(), Err(expect));
    }
}
