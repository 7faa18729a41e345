//! The verifier's HTTP API (`GET /v1/status`): how far it has followed the settlement
//! layer, the root it has verified, its lag, and every fraud it found with what became of
//! its challenge. Operators, the devnet launcher and tests read these; docs/spec/verifier.md
//! describes each field.

use crate::primitives::{Address, H256};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a verifier does when it finds fraud.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Report only: findings are logged and shown, nothing is submitted.
    Watch,
    /// Submit a fraud proof for every bad batch, bonding first if the settlement layer
    /// requires a challenger bond.
    Challenge,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Watch => "watch",
            Mode::Challenge => "challenge",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "watch" => Ok(Mode::Watch),
            "challenge" => Ok(Mode::Challenge),
            _ => Err(format!("unknown mode {s:?}; expected watch or challenge")),
        }
    }
}

/// `GET /v1/status`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    pub mode: Mode,
    /// The L1 account that signs challenges (`None` in watch mode without a key).
    pub challenger: Option<Address>,
    pub genesis_hash: H256,
    /// The last settlement event applied (events are numbered from 1; 0 = none yet).
    pub cursor: u64,
    /// The cursor this process restored from its database when it started.
    pub resumed_from_cursor: u64,
    /// The newest batch followed, whatever its verdict.
    pub synced_batch: Option<u64>,
    /// The newest batch re-executed and found honest (or the last finalized one).
    pub verified_batch: Option<u64>,
    /// The state root after `verified_batch` (the genesis root before any batch).
    pub verified_root: H256,
    pub finalized_batch: Option<u64>,
    /// Batches followed but not final yet.
    pub pending_batches: u64,
    pub lag: Lag,
    /// The settlement layer as last seen (`None` before the first answer).
    pub l1: Option<L1View>,
    /// Set when the replica can no longer follow the chain (e.g. a fraudulent batch
    /// finalized); the reason says what happened. The verifier keeps reporting.
    pub halted: Option<String>,
    pub totals: Totals,
    /// Every bad batch found, oldest first, with its challenge's outcome.
    pub challenges: Vec<ChallengeView>,
    /// The invariant audit of every honest batch's post-state, and the first violation
    /// (an alert: the engine is wrong; the verifier keeps following).
    #[serde(default)]
    pub audit: super::audit::AuditStatus,
    /// The solvency figures after `verified_batch` (`null` before the first batch).
    #[serde(default)]
    pub solvency: Option<super::audit::Solvency>,
}

/// How far behind the settlement layer the verifier is.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lag {
    /// Live batches on the settlement layer not yet followed.
    pub batches: u64,
    /// L1 blocks between the head and the newest event applied (0 when caught up).
    pub blocks: u64,
    /// Events in the log not yet applied.
    pub events: u64,
}

/// The settlement layer's head, tip and log length when last polled.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct L1View {
    pub head_block: u64,
    pub tip_index: Option<u64>,
    pub last_event_seq: u64,
    /// Tokens the settlement layer's bridge holds for the rollup (micro-USDC).
    #[serde(default)]
    pub escrow: u64,
}

/// Totals since the database was created (they survive restarts).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub events_applied: u64,
    /// Batches re-executed and found honest.
    pub batches_verified: u64,
    /// Transactions re-executed, signatures included.
    pub actions_reexecuted: u64,
    pub bad_batches: u64,
}

/// One bad batch and the verifier's challenge against it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeView {
    pub batch_index: u64,
    pub submission_id: u64,
    pub header_hash: H256,
    pub poster: Address,
    /// The first chunk whose checkpoint or receipt root is wrong.
    pub chunk: u32,
    pub claimed_root: H256,
    pub computed_root: H256,
    /// The chunk's committed receipt root and the honest one (equal when only the state
    /// root is wrong; absent in records written before receipts were committed).
    #[serde(default)]
    pub claimed_receipts_root: H256,
    #[serde(default)]
    pub computed_receipts_root: H256,
    /// The L1 block the batch was posted in; challengeable while the head is ≤ `deadline_block`.
    pub posted_block: u64,
    pub deadline_block: u64,
    /// The proof this verifier built (witness included); `/v1/status` leaves it out and
    /// `GET /v1/challenges/{submission_id}` serves it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<crate::fraud::FraudProof>,
    /// Submissions tried so far (failed tries included).
    pub attempts: u32,
    /// The L1 head block when the proof was last submitted.
    pub submitted_block: Option<u64>,
    pub outcome: ChallengeOutcome,
}

/// Where a challenge stands. JSON: `{"outcome": "upheld", "reward": 500}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ChallengeOutcome {
    /// Not submitted (yet): watch mode, or waiting to be (re)tried; `last_error` says why
    /// the last try failed.
    Unsubmitted { last_error: Option<String> },
    /// This verifier's proof was upheld; `reward` is its share of the slashed bond.
    Upheld { reward: Option<u64> },
    /// The batch was reverted before this verifier's proof landed (`by` names the
    /// challenger when known). The fraud is dealt with; nothing to do.
    AlreadyReverted { by: Option<Address> },
    /// The batch finalized before the proof landed.
    TooLate,
    /// The settlement layer rejected the proof (never expected: the verifier checks its
    /// proofs with the same adjudicator).
    Rejected { reason: String },
}

impl ChallengeOutcome {
    /// Whether nothing more will be tried.
    pub fn is_final(&self) -> bool {
        !matches!(self, ChallengeOutcome::Unsubmitted { .. })
    }

    /// A short snake_case label (metrics, logs).
    pub fn label(&self) -> &'static str {
        match self {
            ChallengeOutcome::Unsubmitted { .. } => "unsubmitted",
            ChallengeOutcome::Upheld { .. } => "upheld",
            ChallengeOutcome::AlreadyReverted { .. } => "already_reverted",
            ChallengeOutcome::TooLate => "too_late",
            ChallengeOutcome::Rejected { .. } => "rejected",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_parse_and_print_as_their_names() {
        for mode in [Mode::Watch, Mode::Challenge] {
            assert_eq!(mode.to_string().parse::<Mode>(), Ok(mode));
            assert_eq!(
                serde_json::to_value(mode).expect("json"),
                serde_json::json!(mode.name())
            );
        }
        assert!("audit".parse::<Mode>().is_err());
    }

    #[test]
    fn outcomes_are_tagged_and_round_trip() {
        let check = |outcome: ChallengeOutcome, json: serde_json::Value| {
            assert_eq!(serde_json::to_value(&outcome).expect("json"), json);
            assert_eq!(
                serde_json::from_value::<ChallengeOutcome>(json).expect("decode"),
                outcome
            );
        };
        check(
            ChallengeOutcome::Upheld { reward: Some(500) },
            serde_json::json!({"outcome": "upheld", "reward": 500}),
        );
        check(
            ChallengeOutcome::AlreadyReverted { by: None },
            serde_json::json!({"outcome": "already_reverted", "by": null}),
        );
        check(
            ChallengeOutcome::TooLate,
            serde_json::json!({"outcome": "too_late"}),
        );
        assert!(!ChallengeOutcome::Unsubmitted { last_error: None }.is_final());
        assert!(ChallengeOutcome::TooLate.is_final());
    }
}
