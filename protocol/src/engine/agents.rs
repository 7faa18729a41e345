//! Agent keys (issue #16): an account approves an agent address, which may then sign
//! `AgentOrder`, `AgentCancel` and `AgentCancelAll` for it (never withdrawals, liquidations
//! or agent approvals), until the approval's `valid_until` or a `RevokeAgent`.
//!
//! One leaf per (account, agent) under `0x0b ‖ keccak256(account)[..11] ‖ agent`, so the
//! check an agent's action needs is one read, and an account's agents are one prefix walk
//! (the read API). The leaf names its owner, which every check compares, so a key-prefix
//! collision could only ever hide an approval, never lend one. docs/PROTOCOL.md Part 4 §18.

use super::genesis_state::INSURANCE_FUND;
use super::keys::agent_key;
use super::receipt::{Receipt, Status};
use super::records::AgentApproval;
use super::storage::read;
use super::{BlockContext, Halt, reject, reject_with};
use crate::action::{ApproveAgent, RevokeAgent};
use crate::codec::Encode;
use crate::primitives::Address;
use crate::state::{State, StateError};

/// The approval `owner` gave `agent`, if any (and if the leaf is really `owner`'s).
pub fn approval<S: State>(
    st: &mut S,
    owner: &Address,
    agent: &Address,
) -> Result<Option<AgentApproval>, StateError> {
    let found: Option<AgentApproval> = read(st, &agent_key(owner, agent))?;
    Ok(found.filter(|a| a.owner == *owner && a.agent == *agent))
}

/// Rejects unless `agent` holds an approval of `owner` valid at the batch timestamp.
pub(super) fn check_approved<S: State>(
    st: &mut S,
    ctx: &BlockContext,
    owner: &Address,
    agent: &Address,
) -> Result<(), Halt> {
    let Some(found) = approval(st, owner, agent)? else {
        return reject_with(
            Status::AgentNotApproved,
            format!("{agent} is not an agent of {owner}"),
        );
    };
    if !found.is_valid_at(ctx.timestamp_ms) {
        return reject_with(
            Status::AgentExpired,
            format!(
                "{agent}'s approval by {owner} ended at {} ms; the batch is at {} ms",
                found.valid_until, ctx.timestamp_ms
            ),
        );
    }
    Ok(())
}

/// `ApproveAgent`: writes (or replaces) the approval.
pub(super) fn approve<S: State>(
    st: &mut S,
    ctx: &BlockContext,
    a: &ApproveAgent,
) -> Result<Receipt, Halt> {
    if a.agent == a.account || a.agent == INSURANCE_FUND {
        return reject_with(Status::InvalidAgent, format!("agent {}", a.agent));
    }
    if a.valid_until != 0 && a.valid_until < ctx.timestamp_ms {
        return reject_with(
            Status::AgentExpired,
            format!(
                "validUntil {} ms is before the batch timestamp {} ms (0 means until revoked)",
                a.valid_until, ctx.timestamp_ms
            ),
        );
    }
    let record = AgentApproval {
        owner: a.account,
        agent: a.agent,
        valid_until: a.valid_until,
        name: a.name.clone(),
    };
    st.set(&agent_key(&a.account, &a.agent), record.encode())?;
    Ok(Receipt::ok())
}

/// `RevokeAgent`: deletes the approval (an expired one too).
pub(super) fn revoke<S: State>(st: &mut S, r: &RevokeAgent) -> Result<Receipt, Halt> {
    if approval(st, &r.account, &r.agent)?.is_none() {
        return reject(Status::AgentNotApproved);
    }
    st.delete(&agent_key(&r.account, &r.agent))?;
    Ok(Receipt::ok())
}
