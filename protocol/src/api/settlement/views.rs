//! Response bodies of the settlement layer: chain status, accounts, bonds, batches, the L1
//! queue, withdrawals, the answers to calls, and the error body.

use crate::action::L1Message;
use crate::primitives::{Address, H256};
use serde::{Deserialize, Serialize};

/// Every 4xx/5xx body. `code` is stable snake_case for programs; `message` is for people.
/// `details` carries structured context where there is some (e.g. a proof's rejection).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

/// The L1 head: every call executes in this block.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockInfo {
    pub number: u64,
    pub timestamp_ms: u64,
}

/// The last live (pending or finalized) batch, or genesis when there is none.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TipInfo {
    /// `None` at genesis.
    pub index: Option<u64>,
    /// The tip's header hash; at genesis, `genesis_anchor(genesis)`.
    pub header_hash: H256,
    pub state_root: H256,
    /// The tip's timestamp (0 at genesis): the next batch's timestamp must not be below it.
    pub timestamp_ms: u64,
    /// The first L1 queue index the next batch must consume.
    pub queue_end: u64,
}

/// The rules' numbers, as configured.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementParams {
    pub chain_id: u64,
    pub verifying_contract: Address,
    pub genesis_hash: H256,
    /// This settlement layer's identity, fixed when its database was created: two with the
    /// same genesis (every devnet) differ in it, and a node refuses to follow another one
    /// than its data dir was built from.
    #[serde(default)]
    pub instance_id: H256,
    /// The L1-call EIP-712 domain separator clients sign under.
    pub domain_separator: H256,
    pub checkpoint_interval_txs: u32,
    pub challenge_window_blocks: u64,
    pub force_inclusion_deadline_blocks: u64,
    pub min_sequencer_bond: u64,
    pub min_challenger_bond: u64,
    pub slash_share_bps: u32,
    pub max_timestamp_drift_ms: u64,
    /// `None` when blocks are mined by hand (`--manual-blocks`).
    pub block_time_ms: Option<u64>,
    pub faucet_max_amount: u64,
    /// Exit mode: blocks a queue message may stay overdue, with no batch posted, before
    /// the rollup freezes (F).
    pub freeze_delay_blocks: u64,
    /// Exit mode: blocks claims are registered before they are paid (P).
    pub exit_claim_period_blocks: u64,
}

/// Token accounting. `conserved` is `minted == balances + escrow + bonds + burned`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Supply {
    pub minted: u64,
    pub balances: u64,
    pub escrow: u64,
    pub bonds: u64,
    pub burned: u64,
    pub conserved: bool,
}

/// `GET /v1/status`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusResponse {
    pub block: BlockInfo,
    pub tip: TipInfo,
    pub next_batch_index: u64,
    /// The highest finalized batch index, if any.
    pub finalized_index: Option<u64>,
    pub pending_batches: u64,
    pub queue_length: u64,
    pub last_event_seq: u64,
    pub params: SettlementParams,
    pub supply: Supply,
}

/// `GET /v1/accounts/{address}`. `nonce` is the nonce the account's next call must carry.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountResponse {
    pub address: Address,
    pub balance: u64,
    pub nonce: u64,
    pub bond: u64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BondEntry {
    pub account: Address,
    pub amount: u64,
}

/// `GET /v1/bonds`: every non-zero bond, by address.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BondsResponse {
    pub bonds: Vec<BondEntry>,
}

/// Where a posted batch stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum BatchStatus {
    /// Challengeable while the head block is ≤ `deadline_block`.
    Pending {
        deadline_block: u64,
    },
    Finalized {
        finalized_block: u64,
    },
    Reverted {
        reverted_block: u64,
    },
}

/// One posted batch (a "submission": after a revert, a later submission may reuse the index).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchView {
    /// Unique per posting, in posting order.
    pub submission_id: u64,
    pub index: u64,
    pub header_hash: H256,
    pub prev_header_hash: H256,
    pub prev_state_root: H256,
    pub post_state_root: H256,
    pub timestamp_ms: u64,
    pub queue_start: u64,
    pub queue_end: u64,
    pub tx_count: u32,
    pub poster: Address,
    pub posted_block: u64,
    pub status: BatchStatus,
    /// The canonical encoding of the whole batch (omitted in listings).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::fraud::opt_hex_bytes"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, pattern = "^0x([0-9a-fA-F]{2})*$"))]
    pub data: Option<Vec<u8>>,
}

/// `GET /v1/batches`: live batches by index.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchesResponse {
    pub batches: Vec<BatchView>,
}

/// One L1 queue message.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    pub index: u64,
    pub message: L1Message,
    pub sender: Address,
    pub enqueued_block: u64,
    pub enqueued_timestamp_ms: u64,
    /// A batch posted while the head block is > this must have consumed the message.
    pub deadline_block: u64,
    /// The live batch that consumes it, if any.
    pub consumed_by: Option<u64>,
}

/// `GET /v1/queue?from=&limit=`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueResponse {
    pub length: u64,
    /// The first index no live batch consumes yet.
    pub next_unconsumed: u64,
    pub messages: Vec<QueueEntry>,
}

/// `GET /v1/withdrawals/{id}`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawalResponse {
    pub withdrawal_id: u64,
    pub claimed: bool,
    /// Set once claimed.
    pub account: Option<Address>,
    pub amount: Option<u64>,
    pub batch_index: Option<u64>,
    pub claimed_block: Option<u64>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaucetResponse {
    pub address: Address,
    pub balance: u64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MineResponse {
    pub block: BlockInfo,
    /// Batch indices finalized by these blocks, in order.
    pub finalized: Vec<u64>,
}

/// Answer to bond and unbond.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BondResponse {
    pub account: Address,
    pub balance: u64,
    pub bond: u64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepositResponse {
    pub queue_index: u64,
    pub block: u64,
    pub deadline_block: u64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForceResponse {
    pub queue_index: u64,
    pub block: u64,
    pub deadline_block: u64,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostBatchResponse {
    pub submission_id: u64,
    pub index: u64,
    pub header_hash: H256,
    pub posted_block: u64,
    /// Challengeable while the head block is ≤ this; final from the next block on.
    pub deadline_block: u64,
}

/// What an upheld fraud proof cost the sequencer.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlashInfo {
    pub sequencer: Address,
    pub amount: u64,
    pub challenger: Address,
    pub challenger_reward: u64,
    pub burned: u64,
}

/// `POST /v1/challenge` when the proof is upheld (a rejected proof is a 422 `ErrorBody`
/// with code `proof_rejected` and the rejection in `details`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeResponse {
    pub batch_index: u64,
    pub chunk: u32,
    pub claimed_root: H256,
    pub computed_root: H256,
    /// The chunk's committed receipt root and the one re-execution gives (a proof is
    /// upheld when either pair differs).
    pub claimed_receipts_root: H256,
    pub computed_receipts_root: H256,
    /// Every batch index reverted, ascending (the challenged one and all later ones).
    pub reverted: Vec<u64>,
    pub slash: SlashInfo,
    pub tip: TipInfo,
}

/// `GET /v1/challenges/{submission_id}`: an upheld fraud proof as the settlement layer
/// ruled on it, witness included, so anyone can run `protocol::fraud::adjudicate` again.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpheldProof {
    /// The challenged submission (reverted by this ruling).
    pub submission_id: u64,
    /// The L1 block of the ruling.
    pub block: u64,
    pub challenger: Address,
    pub claimed_root: H256,
    pub computed_root: H256,
    pub claimed_receipts_root: H256,
    pub computed_receipts_root: H256,
    pub proof: crate::fraud::FraudProof,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimResponse {
    pub withdrawal_id: u64,
    pub account: Address,
    pub amount: u64,
    pub block: u64,
}
