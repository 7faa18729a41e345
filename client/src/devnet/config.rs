//! What a devnet runs with: where it keeps its data, which ports it listens on, how fast
//! the simulated L1 is, how many dev accounts it funds, the oracle feed, and the fault (if
//! any) its sequencer injects. `DevnetConfig::new` gives the interactive defaults (1 s
//! blocks, fixed ports); `DevnetConfig::fast` gives the quick settings tests and the demo use.

use crate::oracle::FeedConfig;
use sequencer::FaultPlan;
use std::path::PathBuf;
use std::time::Duration;

/// The fixed ports of an interactive devnet: settlement layer, sequencer, two verifiers,
/// the explorer.
pub const STANDARD_PORTS: [u16; 5] = [9545, 9550, 9561, 9562, 9570];

/// Where the services listen (always on 127.0.0.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ports {
    /// 9545 (L1), 9550 (sequencer), 9561 and 9562 (verifiers), 9570 (explorer): the
    /// binaries' own defaults for the first two.
    Standard,
    /// Consecutive ports from `base`: L1, sequencer, verifier 1, verifier 2, explorer.
    From(u16),
    /// Ports the OS picks (tests, the demo).
    Ephemeral,
}

impl Ports {
    /// `--base-port`: absent → the standard ports, 0 → ephemeral, N → N, N+1, …, N+4.
    pub fn from_base(base: Option<u16>) -> Ports {
        match base {
            None => Ports::Standard,
            Some(0) => Ports::Ephemeral,
            Some(base) => Ports::From(base),
        }
    }

    /// The five ports in service order (0 = OS-picked), or `None` if they overflow u16.
    pub fn resolve(self) -> Option<[u16; 5]> {
        match self {
            Ports::Standard => Some(STANDARD_PORTS),
            Ports::Ephemeral => Some([0; 5]),
            Ports::From(base) => {
                let at = |i: u16| base.checked_add(i);
                Some([at(0)?, at(1)?, at(2)?, at(3)?, at(4)?])
            }
        }
    }
}

/// Everything `Devnet::start` needs.
#[derive(Debug, Clone)]
pub struct DevnetConfig {
    /// Each service gets a subdirectory (`l1`, `sequencer`, `verifier-1`, `verifier-2`);
    /// `devnet.json` goes here. Reusing a directory resumes that devnet.
    pub dir: PathBuf,
    pub ports: Ports,
    pub chain_id: u64,
    /// A block every this many ms; `None`: only `POST /v1/admin/mine` makes blocks.
    pub block_time_ms: Option<u64>,
    pub challenge_window_blocks: u64,
    pub force_inclusion_deadline_blocks: u64,
    /// Exit mode: blocks a queue message may stay overdue with no batch before the rollup
    /// freezes, and blocks exit claims are registered before they are paid.
    pub freeze_delay_blocks: u64,
    pub exit_claim_period_blocks: u64,
    /// Dev accounts `dev0…`, each funded on L1 and with `deposit` credited on L2.
    pub accounts: u64,
    /// Micro-USDC minted to each dev account on L1 (at most the faucet maximum).
    pub account_funds: u64,
    /// Micro-USDC each dev account deposits into the rollup on first start.
    pub deposit: u64,
    /// How long the sequencer keeps a batch open.
    pub batch_interval: Duration,
    /// How often the liquidation keeper scans; `None` disables it.
    pub keeper_interval: Option<Duration>,
    /// The price feed; `None` runs no oracle (prices only from whoever signs with the
    /// oracle key, e.g. the demo).
    pub oracle: Option<FeedConfig>,
    /// Demonstrations only: the sequencer corrupts one batch.
    pub inject_fault: Option<FaultPlan>,
    /// How many challenge-mode verifiers run in the devnet (0 to [`MAX_VERIFIERS`]; 0 leaves
    /// the cores to the sequencer, e.g. to benchmark it alone).
    pub verifiers: usize,
    /// The verifiers' long-poll wait.
    pub verifier_poll_interval: Duration,
    /// Whether the web explorer runs too (its URL goes into `devnet.json`).
    pub explorer: bool,
}

/// The most verifiers a devnet runs (each has its own port: `Ports`' third and fourth).
pub const MAX_VERIFIERS: usize = 2;
/// 1,000,000 USDC: the faucet's largest single mint.
pub const ACCOUNT_FUNDS: u64 = 1_000_000_000_000;
/// 100,000 USDC deposited per dev account.
pub const DEPOSIT: u64 = 100_000_000_000;
/// What the sequencer gets on L1: enough to bond again after many slashes.
pub const SEQUENCER_FUNDS: u64 = 1_000_000_000_000;
/// What each verifier gets on L1.
pub const VERIFIER_FUNDS: u64 = 10_000_000_000;
/// The bond each verifier holds (1,000 USDC).
pub const VERIFIER_BOND: u64 = 1_000_000_000;

impl DevnetConfig {
    /// Interactive defaults: the standard ports, 1 s blocks, a 20-block challenge window,
    /// a 10-block forced-inclusion deadline, a 30-block freeze delay and a 20-block exit
    /// claim period (under a minute each), three dev accounts, an oracle tick every second, the keeper on.
    pub fn new(dir: PathBuf) -> DevnetConfig {
        DevnetConfig {
            dir,
            ports: Ports::Standard,
            chain_id: contracts_mock::config::defaults::CHAIN_ID,
            block_time_ms: Some(1_000),
            challenge_window_blocks: 20,
            force_inclusion_deadline_blocks: 10,
            freeze_delay_blocks: 30,
            exit_claim_period_blocks: 20,
            accounts: 3,
            account_funds: ACCOUNT_FUNDS,
            deposit: DEPOSIT,
            batch_interval: Duration::from_millis(500),
            keeper_interval: Some(Duration::from_secs(1)),
            oracle: Some(FeedConfig::default()),
            inject_fault: None,
            verifiers: MAX_VERIFIERS,
            verifier_poll_interval: Duration::from_secs(1),
            explorer: true,
        }
    }

    /// Quick settings for tests and the demo: OS-picked ports, 100 ms blocks (a 3 s
    /// challenge window, a 10 s inclusion deadline), 100 ms batches, no oracle.
    pub fn fast(dir: PathBuf) -> DevnetConfig {
        DevnetConfig {
            ports: Ports::Ephemeral,
            block_time_ms: Some(100),
            challenge_window_blocks: 30,
            force_inclusion_deadline_blocks: 100,
            batch_interval: Duration::from_millis(100),
            oracle: None,
            verifier_poll_interval: Duration::from_millis(500),
            ..DevnetConfig::new(dir)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_ports_resolve() {
        let check = |base: Option<u16>, expect: Option<[u16; 5]>| {
            assert_eq!(Ports::from_base(base).resolve(), expect, "{base:?}");
        };
        check(None, Some(STANDARD_PORTS));
        check(Some(0), Some([0; 5]));
        check(Some(7000), Some([7000, 7001, 7002, 7003, 7004]));
        check(Some(65531), Some([65531, 65532, 65533, 65534, 65535]));
        check(Some(65532), None);
    }
}
