//! A state's solvency figures (`api::audit::Solvency`): liabilities, trader collateral, the
//! insurance fund, PnL pools, fees and each market's open interest, read from the account,
//! market and meta leaves in one pass. Pure: a verifier publishes them for each batch it
//! verifies, next to the settlement layer's escrow.

use super::INSURANCE_FUND;
use super::keys::{KIND_ACCOUNT, KIND_MARKET, KIND_META, KIND_POSITION};
use super::records::{Account, MarketState, Meta, Position};
use super::storage::decode_at;
use crate::api::audit::{MarketInterest, Solvency};
use crate::state::Key;

/// The solvency figures of the state whose leaves are `entries`, after batch `batch_index`.
/// `Err` names a leaf that does not decode.
pub fn solvency<'a, V: AsRef<[u8]> + 'a>(
    batch_index: u64,
    entries: impl IntoIterator<Item = (&'a Key, V)>,
) -> Result<Solvency, String> {
    let mut s = Solvency {
        batch_index,
        ..Solvency::default()
    };
    for (key, value) in entries {
        let value = value.as_ref();
        match key.0[0] {
            KIND_ACCOUNT => {
                let a: Account = decode_at(key, value).map_err(|e| e.to_string())?;
                if a.owner == INSURANCE_FUND {
                    s.insurance_fund = a.collateral;
                } else {
                    s.trader_collateral = s.trader_collateral.saturating_add(a.collateral);
                }
            }
            // An isolated position's margin is trader money too (Part 4 §26).
            KIND_POSITION => {
                let p: Position = decode_at(key, value).map_err(|e| e.to_string())?;
                let margin = p.isolated.unwrap_or(0);
                s.trader_collateral = s.trader_collateral.saturating_add(margin);
            }
            KIND_MARKET => {
                let m: MarketState = decode_at(key, value).map_err(|e| e.to_string())?;
                s.pnl_pools = s.pnl_pools.saturating_add(m.pnl_pool);
                s.markets.push(MarketInterest {
                    market: u32::from_be_bytes([key.0[1], key.0[2], key.0[3], key.0[4]]),
                    open_interest: m.long_open_interest,
                    mark_price: m.mark_price,
                });
            }
            KIND_META => {
                let meta: Meta = decode_at(key, value).map_err(|e| e.to_string())?;
                s.fees = meta.fees;
                let deposits = i128::try_from(meta.total_deposits).unwrap_or(i128::MAX);
                let withdrawals = i128::try_from(meta.total_withdrawals).unwrap_or(i128::MAX);
                s.liabilities = deposits.saturating_sub(withdrawals);
            }
            _ => {}
        }
    }
    s.markets.sort_by_key(|m| m.market);
    Ok(s)
}
