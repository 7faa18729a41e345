//! The action kinds as one table: per kind, whether it may enter through the L1 queue as a
//! forced action and its touched-key bound, next to what its declaration in `action/mod.rs`
//! gives (JSON/EIP-712 name, canonical-encoding tag, EIP-712 type string and type hash).
//! `Action::kind()` is the one `match` from an action to its row; encoding, signing, the
//! witness bound and the settlement layer's forced-inclusion check read the row, so adding
//! a kind is its declaration, one row here and its state transition (ARCHITECTURE.md,
//! "Adding an action kind").

use super::{
    Action, ActionKind, ActionMessage, AgentCancel, AgentCancelAll, AgentOrder,
    AgentScheduleCancel, ApproveAgent, BulkModify, Cancel, CancelAll, CancelByClientId,
    ClientOrder, ImpliedVolUpdate, IsolatedMargin, Liquidate, ModifyOrder, Order, PriceUpdate,
    RevokeAgent, ScheduleCancel, SetLeverage, SetMarginMode, TpSl, TriggerOrder, Withdraw,
};
use crate::engine::triggers::{TP_SL_CLOSE_PATHS, cancel_all_trigger_paths};
use crate::primitives::H256;

/// Whether a kind may be forced through the L1 queue. Only actions that get a user out
/// may: a forced action bypasses the sequencer, so nothing that opens risk or moves
/// someone else's funds is allowed. The oracle's own signed `PriceUpdate` may be forced
/// too (relayed by anyone): otherwise the sequencer could starve a forced withdrawal by
/// letting prices go stale, and a relayer cannot forge one (the signature must be the
/// oracle's, checked on L1 and again by the STF).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forcible {
    Always,
    Never,
    /// Only when it can only close (a reduce-only order).
    IfReduceOnly,
}

/// The genesis sizes a touched-key bound depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundSizes {
    /// Number of markets (M).
    pub markets: usize,
    /// Fills one order may take (F = `max_fills_per_order`).
    pub fills: usize,
    /// Open orders one account may hold (O = `MAX_OPEN_ORDERS`).
    pub open_orders: usize,
}

/// One row of [`ActionKind::TABLE`].
#[derive(Debug, Clone, Copy)]
pub struct ActionRow {
    pub kind: ActionKind,
    /// The JSON `type` and the EIP-712 primary type name.
    pub name: &'static str,
    pub type_string: &'static str,
    /// keccak256(type_string), precomputed (a test recomputes it).
    pub type_hash: H256,
    pub forcible: Forcible,
    /// The most state paths one such action touches (derivations: docs/PROTOCOL.md
    /// Part 4 §14).
    pub max_touched: fn(BoundSizes) -> usize,
}

impl ActionRow {
    /// The row of message type `M`: its declaration gives the kind, name, type string and
    /// type hash; the row adds what is policy rather than shape.
    const fn of<M: ActionMessage>(
        forcible: Forcible,
        max_touched: fn(BoundSizes) -> usize,
    ) -> ActionRow {
        ActionRow {
            kind: M::KIND,
            name: M::NAME,
            type_string: M::TYPE_STRING,
            type_hash: M::TYPE_HASH,
            forcible,
            max_touched,
        }
    }
}

/// Why an action may not be forced through L1; `Display` is the settlement layer's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0} cannot be forced: only Withdraw, Cancel, CancelAll, reduce-only Orders (closing a position) and the oracle's PriceUpdates can"
)]
pub struct NotForcible(pub &'static str);

/// `Order`: 11 + F·(M + 7) + 2·(M − 1) + M. (A signature from another key reads one leaf,
/// the agent approval, and stops there: far below every bound.) Every order that leaves
/// the book may take its expiry entry and client-id leaf with it: 2 paths per event, and
/// per cancelled order in the bounds below. The last M: the taker's leverage leaf in each
/// market, read by its margin checks (`engine::leverage`). Then the positions its fills
/// closed lose their TP/SL pair in the same transaction (`engine::triggers::drop_closed`):
/// per (account, market) pair of the fills, the taker's and F makers',
/// `TP_SL_CLOSE_PATHS`.
fn order_bound(s: BoundSizes) -> usize {
    11 + s.fills * (s.markets + 7)
        + 2 * s.markets.saturating_sub(1)
        + s.markets
        + (s.fills + 1) * TP_SL_CLOSE_PATHS
}

/// `Liquidate`: a perp market's three stages, 11 + 2·M + 4·O + F·(M + 7) + 3·K (K =
/// `ADL_MAX_COUNTERPARTIES`; reached exactly by `engine::liquidation_bound`, Part 4 §14),
/// and the TP/SL pairs of the positions it closed: the liquidated account's, the F makers'
/// and the K deleveraged counterparties'; or a series' book leg and close against its
/// longs (`option_liquidation_paths`, Part 8 §15), whichever is larger.
fn liquidate_bound(s: BoundSizes) -> usize {
    let k = crate::engine::ADL_MAX_COUNTERPARTIES;
    let perp = 11
        + 2 * s.markets
        + 4 * s.open_orders
        + s.fills * (s.markets + 7)
        + 3 * k
        + (1 + s.fills + k) * TP_SL_CLOSE_PATHS;
    perp.max(crate::engine::option_liquidation_paths(s))
}

/// `PriceUpdate`: 4 (market, the signers' prices, best bid and best ask); the option
/// listing it may trigger: the listing leaf and at most `MAX_SERIES_PER_LISTING` series
/// leaves with their option-expiry entries (docs/PROTOCOL.md Part 8 §9, §13); then the trigger orders it fires, at most C =
/// `TRIGGER_FIRE_PER_UPDATE`: per firing the two direction probes, the trigger key and its
/// index entry, for a TP/SL leg the link, the other leg (index and trigger key) and the
/// position, then the order it places (an `Order`'s bound); and the two last probes:
/// 6 + 1 + 2S + C·(8 + Order).
fn price_update_bound(s: BoundSizes) -> usize {
    6 + 1
        + 2 * crate::options::schedule::MAX_SERIES_PER_LISTING
        + crate::engine::triggers::TRIGGER_FIRE_PER_UPDATE * (8 + order_bound(s))
}

/// `ImpliedVolUpdate`: the market's implied-volatility leaf (`0x12`), read and written.
const IMPLIED_VOL_UPDATE_BOUND: usize = 1;

/// `Cancel`: 7 for a resting order (with its expiry entry and client-id leaf); one that
/// names no resting order looks for a trigger order instead (`engine::triggers`): the
/// three index slots of the nonce (one `first_with_prefix` probe each: order, take-profit,
/// stop-loss), the two legs' trigger-book keys and the position's TP/SL link: 6 more.
const CANCEL_BOUND: usize = 13;

/// `TriggerOrder`: the approval leaf (signed by an agent), the nonce set, the market
/// leaf (the sequence number), the trigger-book key, the index key and the account's
/// trigger count (the cap, `MAX_TRIGGER_ORDERS`): 6.
const TRIGGER_ORDER_BOUND: usize = 6;

/// `TpSl`: the approval leaf, the nonce set, the position, the market leaf, the old
/// pair (link, two legs × book and index key), the new one (the same) and the account's
/// trigger count: 4 + 5 + 5 + 1.
const TP_SL_BOUND: usize = 15;

/// `CancelAll`: 3 + 4·O + M for the resting orders, then the waiting trigger orders
/// (`engine::triggers::cancel_all_trigger_paths`: 4·T + 2, T = `MAX_TRIGGER_ORDERS`).
fn cancel_all_bound(s: BoundSizes) -> usize {
    3 + 4 * s.open_orders + s.markets + cancel_all_trigger_paths()
}

/// `ApproveAgent` / `RevokeAgent`: the nonce set and the approval leaf (read, then written
/// or deleted). The agent kinds add the approval leaf to the bound of what they do.
const AGENT_ADMIN_BOUND: usize = 2;

/// `ScheduleCancel`: the nonce set, the schedule leaf, the old due-index entry (deleted)
/// and the new one (written). The sweep every transaction runs first is added per
/// transaction (`engine::bounds`), not per kind.
const SCHEDULE_CANCEL_BOUND: usize = 4;

/// `CancelByClientId`: `Cancel`'s bound and the client-id leaf, plus the signer's agent
/// approval (read when an agent signs).
const CANCEL_BY_CLIENT_ID_BOUND: usize = CANCEL_BOUND + 2;

/// `ClientOrder`: an `Order`, its client-id leaf (checked, then written) and expiry entry,
/// plus the signer's agent approval.
fn client_order_bound(s: BoundSizes) -> usize {
    order_bound(s) + 3
}

/// `ModifyOrder`: the order found by client id and taken off the book (a cancel with its
/// client-id leaf), then placed again as a `ClientOrder`.
fn modify_order_bound(s: BoundSizes) -> usize {
    CANCEL_BY_CLIENT_ID_BOUND + client_order_bound(s)
}

/// `SetLeverage`: the approval leaf (signed by an agent), the nonce set, the setting leaf,
/// the account, then the order margin of §8 over its markets at the new leverage (per
/// market its position, market and setting leaf): 4 + 3·M.
fn set_leverage_bound(s: BoundSizes) -> usize {
    4 + 3 * s.markets
}

/// `SetMarginMode`: the approval leaf (signed by an agent), the nonce set, the position
/// leaf, the account (its market list), and the probe of the account's trigger orders in
/// the market (a `first_with_prefix` path); when the probe finds one, the refusal reads the
/// account's trigger count (`0x1c`) to name it: 6.
const SET_MARGIN_MODE_BOUND: usize = 6;

/// `IsolatedMargin`: the approval leaf, the nonce set and the account (3); an add reads
/// the isolated position leaf and, for the cross order margin of §8, every other market's
/// position, market and leverage leaf: 3 + 1 + 3·(M − 1) = 1 + 3·M; a removal reads the
/// position, its market and its leverage leaf: 6 (more only when M < 2).
fn isolated_margin_bound(s: BoundSizes) -> usize {
    (1 + 3 * s.markets).max(6)
}

/// Paths one `BulkModify` item touches beyond what the action shares: the order's
/// client-id leaf, index leaf, old book leaf and old expiry entry, its new book leaf and
/// new expiry entry (docs/PROTOCOL.md Part 4 §27).
pub const BULK_MODIFY_ITEM_PATHS: usize = 6;

/// `BulkModify`: the approval leaf (signed by an agent), the nonce set and the account
/// (3); the order margin of §8 at the end, per market its position, market and leverage
/// leaf (3·M), which also covers every item's own reads of its market; per market the
/// items touched, the best-bid and best-ask probes of the crossing check and the mark
/// sample (2·min(N, M)); per item [`BULK_MODIFY_ITEM_PATHS`] (N = `MAX_BULK_MODIFY_ITEMS`).
/// No fills: an item never matches. Reached exactly by `tests/it/engine/bulk_modify.rs`.
fn bulk_modify_bound(s: BoundSizes) -> usize {
    let n = super::MAX_BULK_MODIFY_ITEMS;
    3 + 3 * s.markets + 2 * n.min(s.markets) + n * BULK_MODIFY_ITEM_PATHS
}

impl ActionKind {
    /// Every action kind, in tag order.
    pub const TABLE: [ActionRow; ActionKind::ALL.len()] = [
        ActionRow::of::<Order>(Forcible::IfReduceOnly, order_bound),
        ActionRow::of::<Cancel>(Forcible::Always, |_| CANCEL_BOUND),
        ActionRow::of::<CancelAll>(Forcible::Always, cancel_all_bound),
        // The reservation also reads the leverage leaf of each market (M).
        ActionRow::of::<Withdraw>(Forcible::Always, |s| 4 + 3 * s.markets),
        ActionRow::of::<Liquidate>(Forcible::Never, liquidate_bound),
        ActionRow::of::<PriceUpdate>(Forcible::Always, price_update_bound),
        // Agent management needs the account's own key and never leaves the account
        // stuck, so it is not forcible; the agent kinds act for another account, which can
        // force its own Cancel / CancelAll instead.
        ActionRow::of::<ApproveAgent>(Forcible::Never, |_| AGENT_ADMIN_BOUND),
        ActionRow::of::<RevokeAgent>(Forcible::Never, |_| AGENT_ADMIN_BOUND),
        ActionRow::of::<AgentOrder>(Forcible::Never, |s| order_bound(s) + 1),
        ActionRow::of::<AgentCancel>(Forcible::Never, |_| CANCEL_BOUND + 1),
        ActionRow::of::<AgentCancelAll>(Forcible::Never, |s| cancel_all_bound(s) + 1),
        // The dead-man's switch only ever cancels the account's own orders, which its
        // forcible Cancel / CancelAll already do; it is not forcible.
        ActionRow::of::<ScheduleCancel>(Forcible::Never, |_| SCHEDULE_CANCEL_BOUND),
        ActionRow::of::<AgentScheduleCancel>(Forcible::Never, |_| SCHEDULE_CANCEL_BOUND + 1),
        // The client-order kinds are signed by the account or one of its agents; the
        // account can force its own Cancel / CancelAll, so they are not forcible.
        ActionRow::of::<ClientOrder>(Forcible::Never, client_order_bound),
        ActionRow::of::<CancelByClientId>(Forcible::Never, |_| CANCEL_BY_CLIENT_ID_BOUND),
        ActionRow::of::<ModifyOrder>(Forcible::Never, modify_order_bound),
        // A trigger order opens risk when it fires, like an `Order`; a forced one would
        // have to be reduce-only *and* fire later, outside the L1 deadline: not forcible.
        ActionRow::of::<TriggerOrder>(Forcible::Never, |_| TRIGGER_ORDER_BOUND),
        ActionRow::of::<TpSl>(Forcible::Never, |_| TP_SL_BOUND),
        // The oracle's implied volatility only prices options; a stale one never keeps
        // anybody from getting out, so it is not forcible (docs/PROTOCOL.md Part 8 §10).
        ActionRow::of::<ImpliedVolUpdate>(Forcible::Never, |_| IMPLIED_VOL_UPDATE_BOUND),
        // A trading setting signed by the account or its agent; it never gets anybody out
        // of a position, so it is not forcible.
        ActionRow::of::<SetLeverage>(Forcible::Never, set_leverage_bound),
        // Margin-mode settings move no money out of the account and never get anybody out
        // of a position (a flat isolated position returns its margin by itself): not
        // forcible.
        ActionRow::of::<SetMarginMode>(Forcible::Never, |_| SET_MARGIN_MODE_BOUND),
        ActionRow::of::<IsolatedMargin>(Forcible::Never, isolated_margin_bound),
        // Changes the account's resting orders only (the account can force Cancel /
        // CancelAll to get out): not forcible.
        ActionRow::of::<BulkModify>(Forcible::Never, bulk_modify_bound),
    ];

    pub fn row(self) -> &'static ActionRow {
        &ActionKind::TABLE[usize::from(self.tag())]
    }

    /// The canonical-encoding tag.
    pub fn tag(self) -> u8 {
        self as u8
    }

    pub fn from_tag(tag: u8) -> Option<ActionKind> {
        ActionKind::TABLE.get(usize::from(tag)).map(|row| row.kind)
    }

    pub fn name(self) -> &'static str {
        self.row().name
    }

    pub fn from_name(name: &str) -> Option<ActionKind> {
        ActionKind::TABLE
            .iter()
            .find(|row| row.name == name)
            .map(|row| row.kind)
    }

    /// "Order, Cancel, … or PriceUpdate", for messages.
    pub fn names() -> String {
        let names = ActionKind::TABLE.map(|row| row.name);
        match names.split_last() {
            Some((last, [])) => (*last).to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    pub fn type_string(self) -> &'static str {
        self.row().type_string
    }

    pub fn type_hash(self) -> H256 {
        self.row().type_hash
    }

    pub fn max_touched(self, sizes: BoundSizes) -> usize {
        (self.row().max_touched)(sizes)
    }
}

// `row()` and `from_tag()` index the table by tag, so the rows and the declarations must
// both stand in tag order; the build fails where they do not.
const _: () = {
    let mut i = 0;
    while i < ActionKind::TABLE.len() {
        assert!(
            ActionKind::TABLE[i].kind as usize == i && ActionKind::ALL[i] as usize == i,
            "ActionKind::TABLE rows and the action declarations must stand in tag order"
        );
        i += 1;
    }
};

impl Action {
    /// The forced-inclusion rule: may this action enter through the L1 queue?
    pub fn check_forcible(&self) -> Result<(), NotForcible> {
        let allowed = match self.kind().row().forcible {
            Forcible::Always => true,
            Forcible::Never => false,
            Forcible::IfReduceOnly => matches!(self, Action::Order(o) if o.reduce_only),
        };
        if allowed {
            Ok(())
        } else {
            Err(NotForcible(self.type_name()))
        }
    }
}
