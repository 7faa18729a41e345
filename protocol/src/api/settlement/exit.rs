//! Exit mode's API (docs/spec/settlement.md §12): the signed claim, the phase the
//! settlement layer is in, and one account's claim.

use super::call::L1CallData;
use crate::codec::Writer;
use crate::fraud::hex_bytes;
use crate::primitives::{Address, H256};
use serde::{Deserialize, Serialize};

/// `POST /v1/exit/claim`: claims `account`'s equity at the exit root, proven by `witness`
/// (the root pruned to what `engine::exit::exit_valuation` reads, `Tree::to_witness_bytes`).
/// Anyone may submit; the payment goes to `account`. Method `claim_exit`, args
/// `address account ‖ bytes witness`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExitClaimCall {
    pub account: Address,
    #[serde(with = "hex_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^0x([0-9a-fA-F]{2})*$"))]
    pub witness: Vec<u8>,
}

impl L1CallData for ExitClaimCall {
    const METHOD: &'static str = "claim_exit";
    fn encode_args(&self, w: &mut Writer) {
        w.address(&self.account).bytes(&self.witness);
    }
}

/// Where the escape hatch stands (JSON: `"live"`, `"frozen"`, `"claiming"`, `"paid"`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExitPhase {
    /// Batches are accepted.
    #[default]
    Live,
    /// Frozen; claims open once no batch is pending (pending ones still finalize or are
    /// reverted by a proof).
    Frozen,
    /// Claims are registered until `claim_deadline_block`, then paid (pro rata if short).
    Claiming,
    /// Registered claims were paid at `paid_block`; later claims are paid at once, at the
    /// same ratio, from what remains.
    Paid,
}

/// `GET /v1/exit`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitStatus {
    pub phase: ExitPhase,
    /// While live with a queue message waiting: the block the rollup freezes in unless a
    /// batch consumes it first (it moves on whenever a batch is posted or reverted).
    pub freezes_at_block: Option<u64>,
    /// The block the rollup froze in, and the overdue queue message that froze it.
    pub frozen_block: Option<u64>,
    pub overdue_queue_index: Option<u64>,
    /// Claims are valued at this root: the last finalized batch's post-state root (the
    /// genesis root if none), fixed when claims open.
    pub exit_batch_index: Option<u64>,
    pub exit_root: Option<H256>,
    pub opened_block: Option<u64>,
    pub claim_deadline_block: Option<u64>,
    pub paid_block: Option<u64>,
    /// Deposits no live batch consumed, refunded to their senders when claims opened.
    pub refunded_deposits: u64,
    pub refunded_amount: u64,
    pub claims: u64,
    /// Σ max(equity, 0) of the registered claims.
    pub owed_total: u64,
    /// Escrow kept back for finalized withdrawals not yet claimed (`meta.total_withdrawals`
    /// of the exit root minus what was claimed), known from the first claim's witness.
    pub withdrawal_reserve: Option<u64>,
    /// What each claim is paid per unit owed, `numerator / denominator` (≤ 1), fixed at
    /// payout.
    pub payout_numerator: Option<u64>,
    pub payout_denominator: Option<u64>,
    pub paid_total: u64,
}

/// `GET /v1/exit/claims/{account}` and the answer to a claim.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitClaimView {
    pub account: Address,
    /// The equity proven at the exit root (may be negative: then nothing is owed).
    pub equity: i64,
    pub owed: u64,
    /// `None` until paid (registered claims are paid after the claim period).
    pub paid: Option<u64>,
    pub claimed_block: u64,
    pub claimed_by: Address,
    pub paid_block: Option<u64>,
}

/// `GET /v1/exit/proof/{account}` on the sequencer and on every verifier: the account's
/// valuation at the newest finalized root the node holds, and the witness to claim it with
/// (`ExitClaimCall::witness`). Claims are valued at the settlement layer's exit root, so a
/// proof is usable when `state_root` equals `GET /v1/exit` → `exit_root`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitProof {
    pub account: Address,
    /// The finalized batch the root is after (`None`: genesis).
    pub batch_index: Option<u64>,
    pub state_root: H256,
    pub collateral: i128,
    /// Σ (unrealized PnL + unsettled funding) at the root's mark prices.
    pub pnl: i128,
    pub equity: i128,
    #[serde(with = "hex_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^0x([0-9a-fA-F]{2})*$"))]
    pub witness: Vec<u8>,
}

impl ExitProof {
    /// The proof for `account` over `tree`, the state after `batch_index`.
    pub fn build(
        tree: &crate::tree::Tree,
        batch_index: Option<u64>,
        genesis: &crate::genesis::Genesis,
        account: &Address,
    ) -> Result<ExitProof, crate::engine::view::ViewError> {
        let (valuation, witness) = crate::engine::exit::prove_exit(tree, genesis, account)?;
        Ok(ExitProof {
            account: *account,
            batch_index,
            state_root: tree.root(),
            collateral: valuation.collateral,
            pnl: valuation.pnl,
            equity: valuation.equity,
            witness,
        })
    }
}
