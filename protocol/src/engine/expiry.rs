//! Resting-order expiry (good-till-time, issue #16): an order placed by `ClientOrder` rests
//! until its `expiresAt` at most. A batch at a timestamp past it never fills it: matching
//! that meets it removes it (`matching`, reason `expired`), and the sweep here removes the
//! others.
//!
//! Each such order has an expiry-index entry `0x13 ‖ expiresAt ‖ book key` (written and
//! deleted with the order by `book`), whose first key is the order that expires first.
//! Every transaction, after the dead-man sweep, runs [`sweep`]: while the first entry's
//! time is before the batch timestamp, that order leaves the book, at most
//! [`ORDER_EXPIRY_SWEEP_PER_TX`] per transaction; the rest carry over to the next
//! transaction in key order. Like the dead-man sweep it is part of the transaction's
//! atomic unit, so every node removes the same orders at the same transaction.
//! docs/PROTOCOL.md Part 4 §20.

use super::book::{release_order, remove_order, side_of_key};
use super::keys::{ORDER_EXPIRY_PREFIX, parse_book_key, parse_order_expiry_key};
use super::receipt::{CancelReason, CancelledOrder, OptionSettlement, Receipt};
use super::records::BookOrder;
use super::storage::{load_account, load_position, read, store_account, store_position};
use super::{BlockContext, Halt};
use crate::state::{Key, State, StateError};

/// The most expired orders one transaction's sweep removes; the others wait for the next
/// transaction (bounding every transaction's touched keys, `engine::bounds`).
pub const ORDER_EXPIRY_SWEEP_PER_TX: usize = 4;

/// The orders a sweep removed, in removal order.
#[derive(Debug, Default)]
pub(super) struct Expired(
    pub(super) Vec<CancelledOrder>,
    /// The option positions settled by the settlement sweep (Part 8 §16).
    pub(super) Vec<OptionSettlement>,
);

impl Expired {
    /// `receipt` with the removed orders ahead of what the transaction itself cancelled,
    /// and the sweep's option settlements.
    pub(super) fn onto(self, mut receipt: Receipt) -> Receipt {
        let mut cancelled = self.0;
        cancelled.append(&mut receipt.cancelled);
        receipt.cancelled = cancelled;
        receipt.settled = self.1;
        receipt
    }
}

/// Removes the orders expired at the batch timestamp, first to expire first, at most
/// [`ORDER_EXPIRY_SWEEP_PER_TX`] of them.
pub(super) fn sweep<S: State>(st: &mut S, ctx: &BlockContext) -> Result<Expired, Halt> {
    let mut expired = Expired::default();
    for _ in 0..ORDER_EXPIRY_SWEEP_PER_TX {
        let Some((time, book_key)) = first_entry(st)? else {
            break;
        };
        if time >= ctx.timestamp_ms {
            break;
        }
        expired.0.push(remove_expired(st, &book_key)?);
    }
    Ok(expired)
}

/// The first expiry-index entry: (its time, the book key of its order).
pub(super) fn first_entry<S: State>(st: &mut S) -> Result<Option<(u64, Key)>, StateError> {
    st.first_with_prefix_with(&ORDER_EXPIRY_PREFIX, |key, _| parse_order_expiry_key(key))
}

/// Takes the order at `book_key` off the book (its expiry entry and client-id leaf go with
/// it) and uncounts it on its owner.
pub(super) fn remove_expired<S: State>(st: &mut S, book_key: &Key) -> Result<CancelledOrder, Halt> {
    remove_resting(st, book_key, CancelReason::Expired)
}

/// Takes the resting order at `book_key` off the book for `reason` (good-till-time, or its
/// option series' expiry) and uncounts it on its owner.
pub(super) fn remove_resting<S: State>(
    st: &mut S,
    book_key: &Key,
    reason: CancelReason,
) -> Result<CancelledOrder, Halt> {
    let malformed = || StateError::Malformed {
        key: *book_key,
        reason: "an expiry entry names no resting order".into(),
    };
    let (market, _, _, _) = parse_book_key(book_key).ok_or_else(malformed)?;
    let order: BookOrder = read(st, book_key)?.ok_or_else(malformed)?;
    remove_order(st, market, book_key, &order)?;
    let mut acct = load_account(st, &order.account)?;
    let mut pos = load_position(st, &order.account, market)?;
    release_order(&mut acct, &mut pos, side_of_key(book_key)?, &order)?;
    store_position(st, &mut acct, market, &pos)?;
    store_account(st, &acct)?;
    Ok(CancelledOrder {
        market,
        account: order.account,
        nonce: order.nonce,
        remaining: order.remaining,
        reason,
    })
}
