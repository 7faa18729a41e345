//! The option listing schedule of a perp market, as the genesis states it, and the pure
//! listing rule derived from it (docs/PROTOCOL.md Part 8 §9): which expiry the next index
//! update lists and which strikes it lists around the index. The engine applies the rule
//! (`engine::option_listing`); this file holds only arithmetic, so every node computes the
//! same series from the same index and time.

use crate::codec::{Encode, Writer};
use crate::engine::math::MAX_PRICE;
use serde::{Deserialize, Serialize};

/// Most strikes a listing puts on each side of the at-the-money strike: bounds the series
/// one index update may list (`MAX_SERIES_PER_LISTING`).
pub const MAX_STRIKES_EACH_SIDE: u32 = 8;

/// Most series one listing writes: a call and a put at each of `2·8 + 1` strikes.
pub const MAX_SERIES_PER_LISTING: usize = 2 * (2 * MAX_STRIKES_EACH_SIDE as usize + 1);

/// Series ids start here, so they never meet a perp market id (genesis market ids are
/// below it) and an `Order` can name either (Part 8 §9).
pub const SERIES_ID_BASE: u32 = 0x8000_0000;

/// One perp market's option schedule: expiries `first_expiry_ms + k·expiry_interval_ms`
/// (k = 0, 1, …), each listed by the first index update at or after
/// `expiry − listing_lead_ms`, with `2·strikes_each_side + 1` strikes `strike_step` apart
/// centred on the index rounded to the step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionSchedule {
    /// The underlying perp market (its index is the options' underlying).
    pub market: u32,
    /// The first expiry (ms since the Unix epoch).
    pub first_expiry_ms: u64,
    /// Time between consecutive expiries.
    pub expiry_interval_ms: u64,
    /// An expiry is listed from this long before it.
    pub listing_lead_ms: u64,
    /// Distance between strikes, in price units (micro-USDC per whole unit).
    pub strike_step: u64,
    /// Strikes on each side of the at-the-money strike (0..=`MAX_STRIKES_EACH_SIDE`).
    pub strikes_each_side: u32,
    /// Option premiums must be a positive multiple of this (price units).
    pub premium_tick: u64,
    /// Short-option margin: the move covered, bps of the index (Part 8 §8).
    pub short_underlying_bps: u32,
    /// Short-option margin: the least cover, bps of the index (call) or strike (put).
    pub short_floor_bps: u32,
}

/// A schedule field the genesis may not hold: the field and what it must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleProblem {
    pub field: &'static str,
    pub problem: String,
}

impl OptionSchedule {
    /// Checks the fields the listing rule relies on (the market's existence is the
    /// genesis's check).
    pub fn validate(&self) -> Result<(), ScheduleProblem> {
        let bad = |field: &'static str, problem: &str| {
            Err(ScheduleProblem {
                field,
                problem: problem.to_string(),
            })
        };
        if self.expiry_interval_ms == 0 {
            return bad("expiry_interval_ms", "must be positive");
        }
        if self.listing_lead_ms == 0 {
            return bad("listing_lead_ms", "must be positive");
        }
        if self.strike_step == 0 || self.strike_step > MAX_PRICE {
            return bad("strike_step", "must be in 1..=MAX_PRICE (10^15)");
        }
        if self.strikes_each_side > MAX_STRIKES_EACH_SIDE {
            return bad("strikes_each_side", "must be at most 8");
        }
        if self.premium_tick == 0 || self.premium_tick > MAX_PRICE {
            return bad("premium_tick", "must be in 1..=MAX_PRICE (10^15)");
        }
        if self.short_underlying_bps == 0 || self.short_underlying_bps > 10_000 {
            return bad("short_underlying_bps", "must be in 1..=10000");
        }
        if self.short_floor_bps == 0 || self.short_floor_bps > 10_000 {
            return bad("short_floor_bps", "must be in 1..=10000");
        }
        Ok(())
    }

    /// The first scheduled expiry strictly after `time_ms` (saturating at `u64::MAX`).
    pub fn next_expiry_after(&self, time_ms: u64) -> u64 {
        if time_ms < self.first_expiry_ms {
            return self.first_expiry_ms;
        }
        let passed = (time_ms - self.first_expiry_ms) / self.expiry_interval_ms;
        passed
            .checked_add(1)
            .and_then(|k| k.checked_mul(self.expiry_interval_ms))
            .and_then(|d| d.checked_add(self.first_expiry_ms))
            .unwrap_or(u64::MAX)
    }

    /// The listing rule's step at index time `time_ms`, given the expiry the schedule
    /// lists next (`pending_expiry_ms`; 0 before the first listing): the expiry to list
    /// now (if any) and the pending expiry afterwards. An expiry that passed unlisted is
    /// skipped; at most one expiry is listed per index update.
    pub fn listing_at(&self, pending_expiry_ms: u64, time_ms: u64) -> ListingStep {
        let mut pending = pending_expiry_ms.max(self.first_expiry_ms);
        if time_ms >= pending {
            pending = self.next_expiry_after(time_ms);
        }
        if pending != u64::MAX && time_ms >= pending.saturating_sub(self.listing_lead_ms) {
            ListingStep {
                list_expiry_ms: Some(pending),
                pending_expiry_ms: pending.saturating_add(self.expiry_interval_ms),
            }
        } else {
            ListingStep {
                list_expiry_ms: None,
                pending_expiry_ms: pending,
            }
        }
    }

    /// The strikes listed around `index_price`, ascending: the index rounded to the
    /// nearest multiple of `strike_step` (halves up), then `strikes_each_side` steps either
    /// way, keeping those in `1..=MAX_PRICE`.
    pub fn strikes_around(&self, index_price: u64) -> Vec<u64> {
        let step = u128::from(self.strike_step);
        let centre = (u128::from(index_price) + step / 2) / step * step;
        let n = u128::from(self.strikes_each_side);
        (0..=2 * n)
            .filter_map(|j| (centre + j * step).checked_sub(n * step))
            .filter(|k| (1..=u128::from(MAX_PRICE)).contains(k))
            .map(|k| u64::try_from(k).expect("at most MAX_PRICE"))
            .collect()
    }
}

/// What the listing rule does at one index update (`OptionSchedule::listing_at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListingStep {
    /// The expiry listed now, if one is due.
    pub list_expiry_ms: Option<u64>,
    /// The expiry the schedule lists next.
    pub pending_expiry_ms: u64,
}

impl Encode for OptionSchedule {
    fn encode_to(&self, w: &mut Writer) {
        w.u32(self.market)
            .u64(self.first_expiry_ms)
            .u64(self.expiry_interval_ms)
            .u64(self.listing_lead_ms);
        w.u64(self.strike_step)
            .u32(self.strikes_each_side)
            .u64(self.premium_tick);
        w.u32(self.short_underlying_bps).u32(self.short_floor_bps);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400_000;

    fn schedule() -> OptionSchedule {
        OptionSchedule {
            market: 1,
            first_expiry_ms: 10 * DAY,
            expiry_interval_ms: DAY,
            listing_lead_ms: DAY,
            strike_step: 1_000,
            strikes_each_side: 2,
            premium_tick: 1,
            short_underlying_bps: 1_500,
            short_floor_bps: 1_000,
        }
    }

    /// (pending, time) → (listed, pending after): before the lead nothing; at exactly
    /// expiry − lead the expiry lists; a passed expiry is skipped to the next.
    #[test]
    fn the_listing_rule_step_by_step() {
        let s = schedule();
        let table: &[(u64, u64, Option<u64>, u64)] = &[
            (0, 9 * DAY - 1, None, 10 * DAY),
            (0, 9 * DAY, Some(10 * DAY), 11 * DAY),
            (11 * DAY, 10 * DAY - 1, None, 11 * DAY),
            (11 * DAY, 10 * DAY, Some(11 * DAY), 12 * DAY),
            // Nothing listed for days: the next expiry after the time lists.
            (11 * DAY, 15 * DAY + 5, Some(16 * DAY), 17 * DAY),
            (11 * DAY, 15 * DAY, Some(16 * DAY), 17 * DAY),
        ];
        for (i, &(pending, time, listed, after)) in table.iter().enumerate() {
            let step = s.listing_at(pending, time);
            assert_eq!(step.list_expiry_ms, listed, "row {i}");
            assert_eq!(step.pending_expiry_ms, after, "row {i}");
        }
    }

    /// The grid is centred on the index rounded to the step (halves up) and drops strikes
    /// below 1.
    #[test]
    fn strikes_are_a_grid_around_the_index() {
        let s = schedule();
        let table: &[(u64, &[u64])] = &[
            (10_000, &[8_000, 9_000, 10_000, 11_000, 12_000]),
            (10_499, &[8_000, 9_000, 10_000, 11_000, 12_000]),
            (10_500, &[9_000, 10_000, 11_000, 12_000, 13_000]),
            (1_200, &[1_000, 2_000, 3_000]),
            (1, &[1_000, 2_000]),
        ];
        for (index, want) in table {
            assert_eq!(s.strikes_around(*index), want.to_vec(), "index {index}");
        }
    }

    #[test]
    fn validation_names_the_field() {
        type Mutation = fn(&mut OptionSchedule);
        let table: &[(Mutation, Option<&str>)] = &[
            (|_| {}, None),
            (|s| s.expiry_interval_ms = 0, Some("expiry_interval_ms")),
            (|s| s.listing_lead_ms = 0, Some("listing_lead_ms")),
            (|s| s.strike_step = 0, Some("strike_step")),
            (|s| s.strikes_each_side = 9, Some("strikes_each_side")),
            (|s| s.premium_tick = 0, Some("premium_tick")),
            (|s| s.short_underlying_bps = 0, Some("short_underlying_bps")),
            (|s| s.short_floor_bps = 10_001, Some("short_floor_bps")),
        ];
        for (i, (mutate, want)) in table.iter().enumerate() {
            let mut s = schedule();
            mutate(&mut s);
            assert_eq!(s.validate().err().map(|p| p.field), *want, "row {i}");
        }
    }
}
