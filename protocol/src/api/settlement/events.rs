//! The settlement layer's ordered event log (`GET /v1/events`). Verifiers follow this log,
//! not the sequencer: `batch_posted` carries the full batch data, so the log alone is enough
//! to re-execute the chain. A `batch_posted` event's batch, as the verifier keeps it and the
//! explorer indexes it, is a `PostedBatch` (`Event::posted_batch`).

use crate::action::SignedAction;
use crate::fraud::hex_bytes;
use crate::primitives::{Address, H256};
use serde::{Deserialize, Serialize};

/// One state change, numbered from 1 in commit order, with the L1 block it happened in.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub seq: u64,
    pub block: u64,
    pub timestamp_ms: u64,
    pub event: EventKind,
}

/// What changed. JSON: `{"type": "batch_posted", ...fields}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventKind {
    /// The devnet faucet created tokens.
    Minted { account: Address, amount: u64 },
    /// `amount` moved from `account`'s balance into its bond, now `bond`.
    Bonded {
        account: Address,
        amount: u64,
        bond: u64,
    },
    /// `amount` moved from `account`'s bond back to its balance, leaving `bond`.
    Unbonded {
        account: Address,
        amount: u64,
        bond: u64,
    },
    /// `from` escrowed `amount`; queue message `queue_index` credits `account` on L2.
    Deposited {
        queue_index: u64,
        from: Address,
        account: Address,
        amount: u64,
    },
    /// `from` forced `action` into the queue at `queue_index`.
    ForcedQueued {
        queue_index: u64,
        from: Address,
        action: SignedAction,
    },
    /// A batch was accepted. `data` is its canonical encoding.
    BatchPosted {
        submission_id: u64,
        index: u64,
        header_hash: H256,
        poster: Address,
        deadline_block: u64,
        #[serde(with = "hex_bytes")]
        #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^0x([0-9a-fA-F]{2})*$"))]
        data: Vec<u8>,
    },
    /// A fraud proof against `batch_index` was upheld; `batch_reverted` and `slashed` follow.
    ChallengeUpheld {
        batch_index: u64,
        submission_id: u64,
        chunk: u32,
        challenger: Address,
        claimed_root: H256,
        computed_root: H256,
        /// The chunk's committed receipt root and the one re-execution gives (zero in
        /// events logged before receipts were committed).
        #[serde(default)]
        claimed_receipts_root: H256,
        #[serde(default)]
        computed_receipts_root: H256,
    },
    /// A batch left the chain (the challenged one, then every later one, ascending).
    BatchReverted {
        index: u64,
        submission_id: u64,
        header_hash: H256,
    },
    /// The sequencer's bond was taken: `challenger_reward` to the challenger, `burned` destroyed.
    Slashed {
        sequencer: Address,
        amount: u64,
        challenger: Address,
        challenger_reward: u64,
        burned: u64,
    },
    /// The batch's window passed with its parent final; its post-state root is settled.
    BatchFinalized {
        index: u64,
        submission_id: u64,
        header_hash: H256,
        post_state_root: H256,
    },
    /// Withdrawal `withdrawal_id` was paid to `account` out of escrow.
    WithdrawalClaimed {
        withdrawal_id: u64,
        account: Address,
        amount: u64,
        batch_index: u64,
        claimed_by: Address,
    },
    /// Exit mode: queue message `queue_index` stayed overdue for the freeze delay with no
    /// batch posted; no batch is accepted any more.
    RollupFrozen { queue_index: u64 },
    /// Exit claims opened at `exit_root` (batch `exit_batch_index`, `None`: genesis); they
    /// are registered until `claim_deadline_block`.
    ExitOpened {
        exit_batch_index: Option<u64>,
        exit_root: H256,
        claim_deadline_block: u64,
    },
    /// A deposit no live batch consumed went back from escrow to its sender.
    DepositRefunded {
        queue_index: u64,
        sender: Address,
        amount: u64,
    },
    /// `account`'s exit claim was registered (and, after the payout, paid `paid`).
    ExitClaimed {
        account: Address,
        equity: i64,
        owed: u64,
        paid: Option<u64>,
        claimed_by: Address,
    },
    /// The claim period ended: registered claims were paid `numerator / denominator` of
    /// what they are owed, `paid_total` in all.
    ExitPaid {
        claims: u64,
        owed_total: u64,
        paid_total: u64,
        numerator: u64,
        denominator: u64,
    },
}

/// `GET /v1/events?after=N&limit=M&wait_ms=W`: events with `seq > after`, ascending.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsResponse {
    pub events: Vec<Event>,
    /// The newest seq in the log when the answer was made (0 if empty).
    pub last_seq: u64,
}

/// A batch as its `batch_posted` event carried it, with the block it was posted in: enough
/// to re-check it after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedBatch {
    pub submission_id: u64,
    pub index: u64,
    pub header_hash: H256,
    pub poster: Address,
    pub posted_block: u64,
    pub deadline_block: u64,
    /// The canonical encoding of the batch.
    #[serde(with = "hex_bytes")]
    pub data: Vec<u8>,
}

impl Event {
    /// The batch a `batch_posted` event posted; `None` for every other event.
    pub fn posted_batch(&self) -> Option<PostedBatch> {
        let EventKind::BatchPosted {
            submission_id,
            index,
            header_hash,
            poster,
            deadline_block,
            data,
        } = &self.event
        else {
            return None;
        };
        Some(PostedBatch {
            submission_id: *submission_id,
            index: *index,
            header_hash: *header_hash,
            poster: *poster,
            posted_block: self.block,
            deadline_block: *deadline_block,
            data: data.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_tagged_by_type_and_round_trip() {
        let event = Event {
            seq: 3,
            block: 9,
            timestamp_ms: 1_000,
            event: EventKind::BatchPosted {
                submission_id: 1,
                index: 0,
                header_hash: H256([1; 32]),
                poster: Address([2; 20]),
                deadline_block: 14,
                data: vec![0xde, 0xad],
            },
        };
        let json = serde_json::to_value(&event).expect("json");
        assert_eq!(json["event"]["type"], "batch_posted");
        assert_eq!(json["event"]["data"], "0xdead");
        assert_eq!(
            serde_json::from_value::<Event>(json).expect("round trip"),
            event
        );
    }
}
