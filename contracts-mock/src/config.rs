//! The service's configuration: where it keeps its database, which genesis it serves, and
//! the numbers of its rules. `Config::validate` is the one gate every config passes before
//! `run` uses it, whether it came from the command line or from code (the devnet launcher).

use protocol::genesis::{Genesis, GenesisError};
use protocol::primitives::Address;
use std::path::PathBuf;

/// Everything `run` needs besides the listener.
#[derive(Debug, Clone)]
pub struct Config {
    /// Holds `settlement.db` (SQLite, WAL) and `listen.addr`; created if missing.
    pub data_dir: PathBuf,
    /// The rollup's genesis. It is stored on first start; a later start with another
    /// genesis is refused rather than silently mixing two chains in one database.
    pub genesis: Genesis,
    /// A block every this many milliseconds; `None` means blocks are mined only through
    /// `POST /v1/admin/mine` (`--manual-blocks`).
    pub block_time_ms: Option<u64>,
    /// W: a batch posted at block b is challengeable while the head block is ≤ b + W and
    /// final once the head block is > b + W (and its parent is final).
    pub challenge_window_blocks: u64,
    /// D: a queue message enqueued at block e must be consumed by a batch posted at a
    /// head block ≤ e + D; later batches that leave it unconsumed are refused.
    pub force_inclusion_deadline_blocks: u64,
    /// F: the rollup freezes for good (exit mode) once a queue message has been overdue
    /// for this many blocks with no batch posted or reverted since its deadline.
    pub freeze_delay_blocks: u64,
    /// P: after claims open, they are registered for this many blocks, then paid.
    pub exit_claim_period_blocks: u64,
    /// Bond an account must hold to post batches.
    pub min_sequencer_bond: u64,
    /// Bond an account must hold to submit fraud proofs (0: none needed).
    pub min_challenger_bond: u64,
    /// Share of a slashed bond paid to the challenger, in basis points; the rest is burned.
    pub slash_share_bps: u32,
    /// A batch's timestamp must lie within this many ms of the L1 head's timestamp.
    pub max_timestamp_drift_ms: u64,
    /// Largest amount one faucet call mints; 0 disables the faucet.
    pub faucet_max_amount: u64,
    /// Largest request body accepted (batches are the big ones).
    pub max_body_bytes: usize,
    /// What the HTTP server tolerates from connections (timeouts and caps).
    pub connections: service_shell::http::ConnectionLimits,
}

/// Defaults for a development chain, before any command-line override.
pub mod defaults {
    pub const CHAIN_ID: u64 = protocol::genesis::DEVNET_CHAIN_ID;
    pub const BLOCK_TIME_MS: u64 = 1_000;
    pub const CHALLENGE_WINDOW_BLOCKS: u64 = 20;
    pub const FORCE_INCLUSION_DEADLINE_BLOCKS: u64 = 10;
    /// 30 blocks (30 s on the devnet) of overdue silence freeze the rollup.
    pub const FREEZE_DELAY_BLOCKS: u64 = 30;
    pub const EXIT_CLAIM_PERIOD_BLOCKS: u64 = 20;
    /// 1,000 tokens of 6 decimals.
    pub const MIN_SEQUENCER_BOND: u64 = 1_000_000_000;
    pub const MIN_CHALLENGER_BOND: u64 = 0;
    pub const SLASH_SHARE_BPS: u32 = 5_000;
    pub const MAX_TIMESTAMP_DRIFT_MS: u64 = 30_000;
    /// 1,000,000 tokens of 6 decimals per faucet call.
    pub const FAUCET_MAX_AMOUNT: u64 = 1_000_000_000_000;
    pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;
}

/// The escape hatch on a short clock, for the demo and the tests that play a whole exit
/// through by mining blocks by hand (`Config::set_short_exit_clock`). They count the blocks
/// they mine by these numbers, so the numbers have this one home.
pub mod short_exit {
    /// D: a forced message is due within 4 blocks.
    pub const FORCE_INCLUSION_DEADLINE_BLOCKS: u64 = 4;
    /// F: 3 blocks of overdue silence freeze the rollup.
    pub const FREEZE_DELAY_BLOCKS: u64 = 3;
    /// P: exit claims are registered for 2 blocks, then paid.
    pub const EXIT_CLAIM_PERIOD_BLOCKS: u64 = 2;
}

/// A configuration that cannot work, naming the setting.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("block time must be at least {min} ms, got {got}")]
    BlockTime { min: u64, got: u64 },
    #[error("challenge window must be at least 1 block")]
    ChallengeWindow,
    #[error("force-inclusion deadline must be at least 1 block")]
    ForceInclusionDeadline,
    #[error("{0} must be at least 1 block")]
    ZeroBlocks(&'static str),
    #[error("minimum sequencer bond must be at least 1: a sequencer must have something at stake")]
    SequencerBond,
    #[error("slash share is {0} bps, more than 10000 (100%)")]
    SlashShare(u32),
    #[error("invalid genesis: {0}")]
    Genesis(#[from] GenesisError),
    #[error("max body size must be at least {min} bytes, got {got}")]
    MaxBody { min: usize, got: usize },
    #[error("{0} must be at least 1")]
    ZeroLimit(&'static str),
    #[error("{name} is {got}, above its maximum {max}")]
    TooLarge {
        name: &'static str,
        got: u64,
        max: u64,
    },
}

/// The ledger stores amounts as SQLite integers (i64), so no amount may exceed this.
pub const SUPPLY_CAP: u64 = i64::MAX as u64;
/// The latest L1 block timestamp accepted: 9999-12-31T23:59:59.999Z.
pub const MAX_TIMESTAMP_MS: u64 = 253_402_300_799_999;
/// The largest challenge window or force-inclusion deadline, in blocks.
pub const MAX_BLOCK_SPAN: u64 = 1_000_000_000;
/// The largest timestamp drift bound (about 115 days).
pub const MAX_DRIFT_MS: u64 = 10_000_000_000;

impl Config {
    /// A devnet configuration for `genesis`, storing into `data_dir`.
    pub fn new(data_dir: PathBuf, genesis: Genesis) -> Config {
        Config {
            data_dir,
            genesis,
            block_time_ms: Some(defaults::BLOCK_TIME_MS),
            challenge_window_blocks: defaults::CHALLENGE_WINDOW_BLOCKS,
            force_inclusion_deadline_blocks: defaults::FORCE_INCLUSION_DEADLINE_BLOCKS,
            freeze_delay_blocks: defaults::FREEZE_DELAY_BLOCKS,
            exit_claim_period_blocks: defaults::EXIT_CLAIM_PERIOD_BLOCKS,
            min_sequencer_bond: defaults::MIN_SEQUENCER_BOND,
            min_challenger_bond: defaults::MIN_CHALLENGER_BOND,
            slash_share_bps: defaults::SLASH_SHARE_BPS,
            max_timestamp_drift_ms: defaults::MAX_TIMESTAMP_DRIFT_MS,
            faucet_max_amount: defaults::FAUCET_MAX_AMOUNT,
            max_body_bytes: defaults::MAX_BODY_BYTES,
            connections: service_shell::http::ConnectionLimits::default(),
        }
    }

    /// Puts the escape hatch (D, F and P) on the [`short_exit`] clock.
    pub fn set_short_exit_clock(&mut self) {
        self.force_inclusion_deadline_blocks = short_exit::FORCE_INCLUSION_DEADLINE_BLOCKS;
        self.freeze_delay_blocks = short_exit::FREEZE_DELAY_BLOCKS;
        self.exit_claim_period_blocks = short_exit::EXIT_CLAIM_PERIOD_BLOCKS;
    }

    /// The default rollup contract address (EIP-712 `verifyingContract` of both domains).
    pub fn default_rollup_address() -> Address {
        protocol::genesis::DEVNET_VERIFYING_CONTRACT
    }

    /// Refuses settings under which the rules cannot work.
    pub fn validate(&self) -> Result<(), ConfigError> {
        const MIN_BLOCK_TIME_MS: u64 = 10;
        const MIN_BODY: usize = 64 * 1024;
        if let Some(ms) = self.block_time_ms
            && ms < MIN_BLOCK_TIME_MS
        {
            return Err(ConfigError::BlockTime {
                min: MIN_BLOCK_TIME_MS,
                got: ms,
            });
        }
        if self.challenge_window_blocks == 0 {
            return Err(ConfigError::ChallengeWindow);
        }
        if self.force_inclusion_deadline_blocks == 0 {
            return Err(ConfigError::ForceInclusionDeadline);
        }
        if self.freeze_delay_blocks == 0 {
            return Err(ConfigError::ZeroBlocks("freeze delay"));
        }
        if self.exit_claim_period_blocks == 0 {
            return Err(ConfigError::ZeroBlocks("exit claim period"));
        }
        if self.min_sequencer_bond == 0 {
            return Err(ConfigError::SequencerBond);
        }
        if self.slash_share_bps > 10_000 {
            return Err(ConfigError::SlashShare(self.slash_share_bps));
        }
        self.genesis.validate()?;
        if let Some(name) = self.connections.invalid() {
            return Err(ConfigError::ZeroLimit(name));
        }
        if self.max_body_bytes < MIN_BODY {
            return Err(ConfigError::MaxBody {
                min: MIN_BODY,
                got: self.max_body_bytes,
            });
        }
        // Bounds that keep every stored number (amounts, block numbers, timestamps) far
        // inside SQLite's i64.
        for (name, got, max) in [
            (
                "minimum sequencer bond",
                self.min_sequencer_bond,
                SUPPLY_CAP,
            ),
            (
                "minimum challenger bond",
                self.min_challenger_bond,
                SUPPLY_CAP,
            ),
            ("faucet maximum", self.faucet_max_amount, SUPPLY_CAP),
            (
                "challenge window",
                self.challenge_window_blocks,
                MAX_BLOCK_SPAN,
            ),
            (
                "force-inclusion deadline",
                self.force_inclusion_deadline_blocks,
                MAX_BLOCK_SPAN,
            ),
            ("freeze delay", self.freeze_delay_blocks, MAX_BLOCK_SPAN),
            (
                "exit claim period",
                self.exit_claim_period_blocks,
                MAX_BLOCK_SPAN,
            ),
            ("timestamp drift", self.max_timestamp_drift_ms, MAX_DRIFT_MS),
        ] {
            if got > max {
                return Err(ConfigError::TooLarge { name, got, max });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        let genesis = Genesis::devnet(1, Config::default_rollup_address(), Address([9; 20]));
        Config::new(PathBuf::from("/tmp/unused"), genesis)
    }

    #[test]
    fn defaults_are_valid_and_each_bad_setting_is_named() {
        assert_eq!(config().validate(), Ok(()));
        check(
            |c| c.block_time_ms = Some(1),
            ConfigError::BlockTime { min: 10, got: 1 },
        );
        check(
            |c| c.challenge_window_blocks = 0,
            ConfigError::ChallengeWindow,
        );
        check(
            |c| c.force_inclusion_deadline_blocks = 0,
            ConfigError::ForceInclusionDeadline,
        );
        check(|c| c.min_sequencer_bond = 0, ConfigError::SequencerBond);
        check(
            |c| c.slash_share_bps = 10_001,
            ConfigError::SlashShare(10_001),
        );
        let mut c = config();
        c.genesis.checkpoint_interval_txs = 0;
        assert!(
            matches!(c.validate(), Err(ConfigError::Genesis(_))),
            "{:?}",
            c.validate()
        );
        check(
            |c| c.max_body_bytes = 10,
            ConfigError::MaxBody {
                min: 65_536,
                got: 10,
            },
        );
        check(
            |c| c.faucet_max_amount = u64::MAX,
            ConfigError::TooLarge {
                name: "faucet maximum",
                got: u64::MAX,
                max: SUPPLY_CAP,
            },
        );
        check(
            |c| c.max_timestamp_drift_ms = MAX_DRIFT_MS + 1,
            ConfigError::TooLarge {
                name: "timestamp drift",
                got: MAX_DRIFT_MS + 1,
                max: MAX_DRIFT_MS,
            },
        );
    }

    /// `edit` makes the valid config invalid, and validation names it as `expect`.
    fn check(edit: fn(&mut Config), expect: ConfigError) {
        let mut c = config();
        edit(&mut c);
        assert_eq!(c.validate(), Err(expect));
    }
}
