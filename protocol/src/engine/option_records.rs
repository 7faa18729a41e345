//! The values stored under the option keys (`0x0e` series, `0x0f` listing progress, `0x12`
//! implied volatilities), with
//! their canonical encodings (docs/PROTOCOL.md Part 8 §9). Apart from `records.rs` so the
//! perps' record file stays about perps; decoding is as strict as there.

use super::records::SignedPrice;
use crate::codec::{Decode, DecodeError, Encode, Reader, Writer};
use crate::options::payoff::OptionKind;
use crate::options::schedule::SERIES_ID_BASE;
use serde::{Deserialize, Serialize};

/// `0x0e` leaf: one listed option series. Encoding: `market(4) ‖ expiry_ms(8) ‖ strike(8)
/// ‖ kind(1: 0 call, 1 put) ‖ settlement_price(8)`, 29 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionSeries {
    /// The underlying perp market.
    pub market: u32,
    #[serde(with = "crate::action::int")]
    pub expiry_ms: u64,
    /// Price units (micro-USDC per whole unit).
    #[serde(with = "crate::action::int")]
    pub strike_price: u64,
    pub kind: SeriesKind,
    /// The index the series settled at; 0 until it is settled.
    #[serde(with = "crate::action::int")]
    pub settlement_price: u64,
}

/// Call or put, as stored and served (`call` / `put`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesKind {
    Call = 0,
    Put = 1,
}

impl SeriesKind {
    /// The payoff kind of `options::payoff`.
    pub fn payoff(self) -> OptionKind {
        match self {
            SeriesKind::Call => OptionKind::Call,
            SeriesKind::Put => OptionKind::Put,
        }
    }

    /// `C` or `P`, the last part of a series name.
    pub fn letter(self) -> char {
        match self {
            SeriesKind::Call => 'C',
            SeriesKind::Put => 'P',
        }
    }
}

/// `0x0f` leaf: the listing progress of every genesis option schedule. Encoding:
/// `listed(4) ‖ n(4) ‖ pending_expiry_ms(8) × n`, n = the genesis's schedule count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionListing {
    /// Series listed so far: the next series id is `SERIES_ID_BASE + listed`.
    pub listed: u32,
    /// Per schedule, in genesis order: the expiry it lists next (0 = not started).
    pub pending_expiry_ms: Vec<u64>,
}

impl OptionListing {
    /// The id the next listed series gets, or `None` once the id space is used up.
    pub fn next_series_id(&self) -> Option<u32> {
        SERIES_ID_BASE
            .checked_add(self.listed)
            .filter(|id| *id >= SERIES_ID_BASE)
    }
}

/// `0x12` leaf: every genesis oracle signer's latest implied volatility for one market's
/// options (slot i = `oracles[i]`; `price` holds the vol in ppm, 0 = none yet), and the
/// market's implied volatility: their fresh median at `timestamp_ms` (Part 8 §10).
/// Encoding: `n u32 ‖ (vol_ppm u64 ‖ timestamp_ms u64) × n ‖ vol_ppm u64 ‖ timestamp_ms u64`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImpliedVols {
    pub slots: Vec<SignedPrice>,
    pub vol_ppm: u64,
    pub timestamp_ms: u64,
}

impl Encode for ImpliedVols {
    fn encode_to(&self, w: &mut Writer) {
        w.u32(u32::try_from(self.slots.len()).expect("at most MAX_ORACLE_SIGNERS slots"));
        for slot in &self.slots {
            w.u64(slot.price).u64(slot.timestamp_ms);
        }
        w.u64(self.vol_ppm).u64(self.timestamp_ms);
    }
}

impl Decode for ImpliedVols {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let n = r.count("implied_vols", crate::genesis::MAX_ORACLE_SIGNERS)?;
        let mut slots = Vec::with_capacity(n);
        for _ in 0..n {
            slots.push(SignedPrice {
                price: r.u64("implied_vols.vol_ppm")?,
                timestamp_ms: r.u64("implied_vols.timestamp_ms")?,
            });
        }
        Ok(ImpliedVols {
            slots,
            vol_ppm: r.u64("implied_vols.vol_ppm")?,
            timestamp_ms: r.u64("implied_vols.timestamp_ms")?,
        })
    }
}

impl Encode for OptionSeries {
    fn encode_to(&self, w: &mut Writer) {
        w.u32(self.market)
            .u64(self.expiry_ms)
            .u64(self.strike_price)
            .u8(self.kind as u8)
            .u64(self.settlement_price);
    }
}

impl Decode for OptionSeries {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let market = r.u32("option_series.market")?;
        let expiry_ms = r.u64("option_series.expiry_ms")?;
        let strike_price = r.u64("option_series.strike_price")?;
        let kind = match r.u8("option_series.kind")? {
            0 => SeriesKind::Call,
            1 => SeriesKind::Put,
            _ => {
                return Err(DecodeError::Invalid {
                    field: "option_series.kind",
                    reason: "must be 0 (call) or 1 (put)".into(),
                });
            }
        };
        let settlement_price = r.u64("option_series.settlement_price")?;
        Ok(OptionSeries {
            market,
            expiry_ms,
            strike_price,
            kind,
            settlement_price,
        })
    }
}

impl Encode for OptionListing {
    fn encode_to(&self, w: &mut Writer) {
        w.u32(self.listed);
        w.u32(u32::try_from(self.pending_expiry_ms.len()).expect("one per market at most"));
        for e in &self.pending_expiry_ms {
            w.u64(*e);
        }
    }
}

impl Decode for OptionListing {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let listed = r.u32("option_listing.listed")?;
        let n = r.count(
            "option_listing.pending_expiry_ms",
            super::records::MAX_MARKETS,
        )?;
        let mut pending_expiry_ms = Vec::with_capacity(n);
        for _ in 0..n {
            pending_expiry_ms.push(r.u64("option_listing.pending_expiry_ms")?);
        }
        Ok(OptionListing {
            listed,
            pending_expiry_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_refuse_a_bad_kind() {
        let s = OptionSeries {
            market: 1,
            expiry_ms: 2,
            strike_price: 3,
            kind: SeriesKind::Put,
            settlement_price: 4,
        };
        let bytes = s.encode();
        assert_eq!(bytes.len(), 29);
        assert_eq!(OptionSeries::decode(&bytes), Ok(s));
        let mut bad = bytes.clone();
        bad[20] = 2;
        assert!(OptionSeries::decode(&bad).is_err());
        let l = OptionListing {
            listed: 7,
            pending_expiry_ms: vec![5, 6],
        };
        assert_eq!(OptionListing::decode(&l.encode()), Ok(l));
        let full = OptionListing {
            listed: u32::MAX - SERIES_ID_BASE + 1,
            pending_expiry_ms: vec![],
        };
        assert_eq!(full.next_series_id(), None);
    }
}
