//! The option listing rule in the STF (docs/PROTOCOL.md Part 8 §9): after every accepted
//! index update of a market with a genesis option schedule, the schedule's next expiry is
//! listed if it is due at the index time, with a call and a put at each strike of the grid
//! around the new index. Series ids are consecutive from `SERIES_ID_BASE`, in listing
//! order (strikes ascending, the call before the put). Every node therefore lists the same
//! series at the same transaction; the arithmetic is `options::schedule`'s.

use super::keys::option_expiry_key;
use super::option_records::{OptionSeries, SeriesKind};
use super::storage::{load_option_listing, store_option_listing, store_option_series};
use crate::genesis::Genesis;
use crate::state::{State, StateError};

/// Applies the listing rule of `market`'s schedule (if it has one) at index `index_price`
/// and index time `at_ms`. Returns the ids of the series it listed (none when no expiry is
/// due, or once the series id space is used up).
pub fn on_index<S: State>(
    st: &mut S,
    genesis: &Genesis,
    market: u32,
    index_price: u64,
    at_ms: u64,
) -> Result<Vec<u32>, StateError> {
    let Some(slot) = genesis.options.iter().position(|s| s.market == market) else {
        return Ok(Vec::new());
    };
    let schedule = &genesis.options[slot];
    let mut listing = load_option_listing(st, genesis.options.len())?;
    let step = schedule.listing_at(listing.pending_expiry_ms[slot], at_ms);
    // Nothing due: nothing is written (an expiry that passed unlisted is skipped by the
    // rule itself at the next listing, so the leaf need not follow the time).
    let Some(expiry_ms) = step.list_expiry_ms else {
        return Ok(Vec::new());
    };
    listing.pending_expiry_ms[slot] = step.pending_expiry_ms;
    let mut listed = Vec::new();
    for strike_price in schedule.strikes_around(index_price) {
        for kind in [SeriesKind::Call, SeriesKind::Put] {
            let Some(id) = listing.next_series_id() else {
                break;
            };
            let series = OptionSeries {
                market,
                expiry_ms,
                strike_price,
                kind,
                settlement_price: 0,
            };
            store_option_series(st, id, &series)?;
            st.set(&option_expiry_key(expiry_ms, id), id.to_be_bytes().to_vec())?;
            listing.listed += 1;
            listed.push(id);
        }
    }
    store_option_listing(st, &listing)?;
    Ok(listed)
}
