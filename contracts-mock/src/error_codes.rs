//! The settlement layer's error codes: every code its API answers, the ledger's rules'
//! refusals included. The codes every service answers are service-shell's
//! (`service_shell::http::error_codes`), re-exported here so each rule and handler names
//! its codes from one module. A new error is a row here; the OpenAPI document lists it
//! from `ALL`.

pub use service_shell::http::error_codes::*;

service_shell::error_codes! {
    INVALID_BLOCK_COUNT = (BAD_REQUEST, "invalid_block_count", "a mine call asks for no blocks, or more than one call may mine (the message gives the range)");
    INVALID_TIMESTAMP = (BAD_REQUEST, "invalid_timestamp", "a block timestamp is past the year 9999");
    MALFORMED_BATCH = (BAD_REQUEST, "malformed_batch", "the posted batch data does not decode");
    MALFORMED_PROOF = (BAD_REQUEST, "malformed_proof", "the withdrawal proof does not decode");
    MALFORMED_WITNESS = (BAD_REQUEST, "malformed_witness", "the exit claim's witness does not decode");
    BAD_SIGNATURE = (UNAUTHORIZED, "bad_signature", "the L1 call's signature is invalid");
    SIGNER_MISMATCH = (UNAUTHORIZED, "signer_mismatch", "the L1 call's signature recovers another address than the call's `from`");
    FAUCET_DISABLED = (FORBIDDEN, "faucet_disabled", "the faucet is off on this chain");
    BOND_REQUIRED = (FORBIDDEN, "insufficient_bond", "posting or challenging needs a bond of at least the minimum; bond more first");
    NO_SUCH_BATCH = (NOT_FOUND, "no_such_batch", "no batch with this index or header hash has been posted");
    NO_SUCH_SUBMISSION = (NOT_FOUND, "no_such_submission", "no submission has this id");
    NO_UPHELD_PROOF = (NOT_FOUND, "no_upheld_proof", "no fraud proof was upheld against this submission");
    NO_EXIT_CLAIM = (NOT_FOUND, "no_exit_claim", "the account has not claimed its exit");
    BAD_NONCE = (CONFLICT, "bad_nonce", "the call's nonce is not the account's next L1 nonce");
    INSUFFICIENT_BALANCE = (CONFLICT, "insufficient_balance", "the account's L1 balance does not cover what the call pays");
    INSUFFICIENT_BOND = (CONFLICT, "insufficient_bond", "an unbond asks for more than the bond");
    BOND_LOCKED = (CONFLICT, "bond_locked", "the poster has batches in their challenge window, so its bond stays locked");
    SUPPLY_CAP = (CONFLICT, "supply_cap", "minting would take the supply past its cap");
    BATCH_NOT_FINAL = (CONFLICT, "batch_not_final", "the batch is still in its challenge window: claims against its root open after it");
    BATCH_REVERTED = (CONFLICT, "batch_reverted", "the batch was reverted: its roots settle nothing and there is nothing left to prove");
    BATCH_FINALIZED = (CONFLICT, "batch_finalized", "the batch is final: its challenge window closed");
    ALREADY_CLAIMED = (CONFLICT, "already_claimed", "the withdrawal or exit was already claimed");
    EXIT_NOT_OPEN = (CONFLICT, "exit_not_open", "exit claims are not open: the rollup is live, or batches are still pending");
    ROLLUP_FROZEN = (CONFLICT, "rollup_frozen", "the rollup froze (an overdue queue message with no batch posted): the call is no longer accepted; exit claims are open");
    INSUFFICIENT_ESCROW = (CONFLICT, "insufficient_escrow", "the escrow holds less than the withdrawal pays");
    ZERO_AMOUNT = (UNPROCESSABLE_ENTITY, "zero_amount", "the amount must be greater than zero");
    FAUCET_LIMIT = (UNPROCESSABLE_ENTITY, "faucet_limit", "the faucet mints at most its per-call limit");
    TIMESTAMP_BEFORE_HEAD = (UNPROCESSABLE_ENTITY, "timestamp_before_head", "a block timestamp is before the head block's");
    FORCED_ACTION_NOT_ALLOWED = (UNPROCESSABLE_ENTITY, "forced_action_not_allowed", "this action kind cannot be forced through the L1 queue");
    INVALID_FORCED_ACTION = (UNPROCESSABLE_ENTITY, "invalid_forced_action", "the forced action's L2 signature does not verify");
    WRONG_INDEX = (UNPROCESSABLE_ENTITY, "wrong_index", "the batch index is not the next one after the tip");
    WRONG_PARENT = (UNPROCESSABLE_ENTITY, "wrong_parent", "the batch's prev_header_hash is not the tip's header hash");
    WRONG_PREV_ROOT = (UNPROCESSABLE_ENTITY, "wrong_prev_root", "the batch's prev_state_root is not the tip's state root");
    BAD_CHECKPOINT = (UNPROCESSABLE_ENTITY, "bad_checkpoint", "the batch's last checkpoint is not its post-state root");
    BAD_CHECKPOINTS = (UNPROCESSABLE_ENTITY, "bad_checkpoints", "the batch's checkpoints are not one per chunk, or do not make its checkpoint root");
    BAD_RECEIPT_ROOTS = (UNPROCESSABLE_ENTITY, "bad_receipt_roots", "the batch's receipt roots are not one per chunk, or do not make its receipts root");
    QUEUE_ORDER = (UNPROCESSABLE_ENTITY, "queue_order", "the batch's L1 transactions do not carry consecutive queue indexes ending at its queue_end");
    BAD_BATCH_SHAPE = (UNPROCESSABLE_ENTITY, "bad_batch_shape", "the batch is empty, or its transaction count or root does not match its data");
    TIMESTAMP_REGRESSED = (UNPROCESSABLE_ENTITY, "timestamp_regressed", "the batch timestamp is before its parent's");
    TIMESTAMP_TOO_FAR_AHEAD = (UNPROCESSABLE_ENTITY, "timestamp_too_far_ahead", "the batch timestamp is further ahead of the L1 time than the allowed drift");
    TIMESTAMP_TOO_FAR_BEHIND = (UNPROCESSABLE_ENTITY, "timestamp_too_far_behind", "the batch timestamp is further behind the L1 time than the allowed drift");
    QUEUE_GAP = (UNPROCESSABLE_ENTITY, "queue_gap", "the batch does not consume the L1 queue from the next unconsumed message");
    QUEUE_BEYOND_END = (UNPROCESSABLE_ENTITY, "queue_beyond_end", "the batch consumes queue messages the queue does not hold");
    QUEUE_MISMATCH = (UNPROCESSABLE_ENTITY, "queue_mismatch", "a transaction does not carry its L1 queue message as queued");
    OVERDUE_MESSAGE_SKIPPED = (UNPROCESSABLE_ENTITY, "overdue_message_skipped", "an overdue L1 queue message must be included, and the batch leaves it out");
    PROOF_REJECTED = (UNPROCESSABLE_ENTITY, "proof_rejected", "the fraud proof does not show the batch wrong");
    HEADER_HASH_MISMATCH = (UNPROCESSABLE_ENTITY, "header_hash_mismatch", "the header hash names another batch than the index");
    INVALID_WITHDRAWAL_PROOF = (UNPROCESSABLE_ENTITY, "invalid_withdrawal_proof", "the proof does not show the withdrawal in the batch's post-state root");
    RESERVED_ACCOUNT = (UNPROCESSABLE_ENTITY, "reserved_account", "the insurance fund cannot claim an exit");
    WITNESS_ROOT_MISMATCH = (UNPROCESSABLE_ENTITY, "witness_root_mismatch", "the exit witness does not hash to the exit root");
    WITNESS_INCOMPLETE = (UNPROCESSABLE_ENTITY, "witness_incomplete", "the exit witness lacks a leaf the valuation reads");
    INVALID_WITNESS = (UNPROCESSABLE_ENTITY, "invalid_witness", "the exit witness cannot be valued");
    EQUITY_OUT_OF_RANGE = (UNPROCESSABLE_ENTITY, "equity_out_of_range", "the claimed equity does not fit the ledger");
}
