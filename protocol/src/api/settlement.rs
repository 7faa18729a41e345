//! The settlement layer's HTTP API (`contracts-mock`, the L1 stand-in): how an L1 call is
//! signed, the request bodies, the responses and the event log, as serde types.
//!
//! A client (sequencer, verifier, the `vigil` CLI) builds a call payload, wraps it in a
//! [`SignedCall`] with its L1 nonce and signature, and POSTs it as JSON. The normative
//! description (signing format, rules, boundaries, endpoint table) is
//! docs/spec/settlement.md.

mod call;
mod events;
mod exit;
mod requests;
mod views;

pub use call::{
    EIP712_DOMAIN_TYPE, L1_CALL_TYPE, L1_DOMAIN_NAME, L1_DOMAIN_VERSION, L1CallData, SignedCall,
    l1_call_digest, l1_domain_separator,
};
pub use events::{Event, EventKind, EventsResponse, PostedBatch};
pub use exit::{ExitClaimCall, ExitClaimView, ExitPhase, ExitProof, ExitStatus};
pub use requests::{
    BondCall, ChallengeCall, ClaimWithdrawalCall, DepositCall, FaucetRequest, ForceCall,
    MineRequest, PostBatchCall, UnbondCall,
};
pub use views::{
    AccountResponse, BatchStatus, BatchView, BatchesResponse, BlockInfo, BondEntry, BondResponse,
    BondsResponse, ChallengeResponse, ClaimResponse, DepositResponse, ErrorBody, FaucetResponse,
    ForceResponse, MineResponse, PostBatchResponse, QueueEntry, QueueResponse, SettlementParams,
    SlashInfo, StatusResponse, Supply, TipInfo, UpheldProof, WithdrawalResponse,
};
