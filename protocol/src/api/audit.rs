//! What a node's invariant auditor reports (the sequencer's and every verifier's
//! `/v1/status`): the named state invariants of PROTOCOL.md Part 4 §15 checked on the
//! state after every batch, and the first one that did not hold.

use serde::{Deserialize, Serialize};

/// A named state invariant (PROTOCOL.md Part 4 §15) that did not hold after a batch: the
/// engine itself is wrong, or the node's state was corrupted.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvariantAlert {
    pub batch_index: u64,
    /// The invariant's name, e.g. `money-conserved`.
    pub invariant: String,
    /// The numbers that disagree.
    pub detail: String,
}

/// The invariant auditor of a node: the newest batch whose post-state passed every named
/// invariant, and the first violation found (the sequencer stops posting on it;
/// a verifier raises it as an alert).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditStatus {
    pub passed_batch: Option<u64>,
    pub violation: Option<InvariantAlert>,
}

/// What the rollup owes against what backs it, after one batch (a verifier publishes it
/// for the newest batch it verified; `protocol::engine::solvency::solvency` computes it).
/// All amounts in micro-USDC.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Solvency {
    pub batch_index: u64,
    /// Deposits included minus withdrawals made on L2: everything the rollup's accounts,
    /// pools and fee balance hold together (invariant `money-conserved`). The settlement
    /// layer's escrow must cover it: it also holds deposits not yet included and
    /// withdrawals not yet claimed, so escrow − liabilities ≥ 0 once the node is caught up.
    pub liabilities: i128,
    /// Σ collateral of trader accounts.
    pub trader_collateral: i128,
    /// The insurance fund's collateral (negative: a deficit).
    pub insurance_fund: i128,
    /// Σ of the markets' PnL pools (realized PnL and funding in transit).
    pub pnl_pools: i128,
    pub fees: i128,
    /// Per market: the long open interest (= the short) in base units and the mark.
    pub markets: Vec<MarketInterest>,
}

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketInterest {
    pub market: u32,
    pub open_interest: u64,
    pub mark_price: u64,
}
