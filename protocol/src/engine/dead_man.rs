//! The dead-man's switch (issue #16): an account schedules "cancel all my orders at time
//! T" with `ScheduleCancel` (or its agent with `AgentScheduleCancel`), pushes it back by
//! scheduling again, or clears it with T = 0. Bots keep pushing it back while they are
//! alive; when they die, their quotes come off the book by themselves.
//!
//! Two leaves per switch: the schedule `0x0c ‖ keccak256(owner)[..31]` → `(owner, T)`
//! (found by owner, to move or clear it) and the due index `0x0d ‖ T ‖ owner` → owner,
//! whose first key is the switch due first. Every transaction starts with [`sweep`]: while
//! the first due key's T is at or before the batch timestamp, that switch fires (the
//! account's orders are cancelled through the `CancelAll` path), at most
//! [`DEAD_MAN_SWEEP_PER_TX`] per transaction; the rest carry over to the next
//! transaction in key order. The sweep is part of the transaction's atomic unit, so a
//! rejected transaction undoes it and the next one sweeps the same keys: every node fires
//! the same switches at the same transaction. docs/PROTOCOL.md Part 4 §19.

use super::cancels::cancel_under;
use super::keys::{
    DEAD_MAN_DUE_PREFIX, account_orders_prefix, dead_man_due_key, dead_man_due_time, dead_man_key,
};
use super::receipt::{CancelReason, CancelledOrder, Receipt, Status, TriggerEvent};
use super::records::DeadManSwitch;
use super::storage::{load_account, read, store_account};
use super::{BlockContext, Halt, reject_with, triggers};
use crate::action::{DEAD_MAN_MIN_DELAY_MS, ScheduleCancel};
use crate::primitives::Address;
use crate::state::{Key, State, StateError};

/// The most switches one transaction's sweep fires; the others wait for the next
/// transaction (bounding every transaction's touched keys, `engine::bounds`).
pub const DEAD_MAN_SWEEP_PER_TX: usize = 2;

/// What a sweep did: the accounts whose switch fired, in order, and their cancelled orders.
#[derive(Debug, Default)]
pub(super) struct Swept {
    accounts: Vec<Address>,
    cancelled: Vec<CancelledOrder>,
    triggered: Vec<TriggerEvent>,
}

impl Swept {
    /// `receipt` with the sweep recorded ahead of what the transaction itself did.
    pub(super) fn onto(self, mut receipt: Receipt) -> Receipt {
        if self.accounts.is_empty() {
            return receipt;
        }
        let mut cancelled = self.cancelled;
        cancelled.append(&mut receipt.cancelled);
        receipt.cancelled = cancelled;
        let mut triggered = self.triggered;
        triggered.append(&mut receipt.triggered);
        receipt.triggered = triggered;
        receipt.dead_man = self.accounts;
        receipt
    }
}

/// `owner`'s scheduled switch time, if one is set (and the leaf is really `owner`'s).
pub fn scheduled_time<S: State>(st: &mut S, owner: &Address) -> Result<Option<u64>, StateError> {
    let found: Option<DeadManSwitch> = read(st, &dead_man_key(owner))?;
    Ok(found.filter(|s| s.owner == *owner).map(|s| s.time_ms))
}

/// `ScheduleCancel` (after the common checks): sets, moves or clears the switch.
pub(super) fn schedule<S: State>(
    st: &mut S,
    ctx: &BlockContext,
    c: &ScheduleCancel,
) -> Result<Receipt, Halt> {
    let earliest = ctx.timestamp_ms.saturating_add(DEAD_MAN_MIN_DELAY_MS);
    if c.time != 0 && c.time < earliest {
        return reject_with(
            Status::DeadManTooSoon,
            format!(
                "time {} ms; the batch is at {} ms, so the earliest is {earliest} ms (or 0 to clear)",
                c.time, ctx.timestamp_ms
            ),
        );
    }
    clear(st, &c.account)?;
    if c.time != 0 {
        let switch = DeadManSwitch {
            owner: c.account,
            time_ms: c.time,
        };
        st.set_record(&dead_man_key(&c.account), &switch)?;
        st.set(&dead_man_due_key(c.time, &c.account), c.account.0.to_vec())?;
    }
    Ok(Receipt::ok())
}

/// Deletes `owner`'s switch (schedule and due entry), if any.
fn clear<S: State>(st: &mut S, owner: &Address) -> Result<(), StateError> {
    if let Some(time) = scheduled_time(st, owner)? {
        st.delete(&dead_man_key(owner))?;
        st.delete(&dead_man_due_key(time, owner))?;
    }
    Ok(())
}

/// Fires the switches due at the batch timestamp, first due first, at most
/// [`DEAD_MAN_SWEEP_PER_TX`] of them.
pub(super) fn sweep<S: State>(st: &mut S, ctx: &BlockContext) -> Result<Swept, Halt> {
    let mut swept = Swept::default();
    for _ in 0..DEAD_MAN_SWEEP_PER_TX {
        let Some((key, owner)) = first_due(st)? else {
            break;
        };
        if dead_man_due_time(&key) > ctx.timestamp_ms {
            break;
        }
        // The key itself goes first, so a due entry always leaves with its firing.
        st.delete(&key)?;
        let (mut cancelled, mut triggered) = fire(st, &owner)?;
        swept.cancelled.append(&mut cancelled);
        swept.triggered.append(&mut triggered);
        swept.accounts.push(owner);
    }
    Ok(swept)
}

/// The first due-index entry and the owner it names.
pub(super) fn first_due<S: State>(st: &mut S) -> Result<Option<(Key, Address)>, StateError> {
    st.first_with_prefix_with(&DEAD_MAN_DUE_PREFIX, |key, value| {
        let owner = <[u8; 20]>::try_from(value).map_err(|_| StateError::Malformed {
            key: *key,
            reason: "a dead-man due entry holds a 20-byte owner".into(),
        })?;
        Ok((*key, Address(owner)))
    })?
    .transpose()
}

/// Fires `owner`'s switch: clears it and cancels every order of the account, as
/// `CancelAll` does (resting orders with reason `dead_man`, then the trigger orders).
pub(super) fn fire<S: State>(
    st: &mut S,
    owner: &Address,
) -> Result<(Vec<CancelledOrder>, Vec<TriggerEvent>), Halt> {
    clear(st, owner)?;
    let mut acct = load_account(st, owner)?;
    let cancelled = cancel_under(
        st,
        &mut acct,
        &account_orders_prefix(owner),
        None,
        CancelReason::DeadMan,
    )?;
    store_account(st, &acct)?;
    Ok((cancelled, triggers::cancel_all(st, owner)?))
}
