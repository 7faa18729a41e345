//! Genesis: the chain's fixed parameters (EIP-712 domain, oracle signers, checkpoint interval,
//! risk bounds) and each market's parameters. Every node and the settlement layer load the
//! same genesis; its hash is committed so that nodes with different rulebooks cannot agree
//! on a root by accident.

use crate::codec::{Encode, Writer};
use crate::options::schedule::{OptionSchedule, SERIES_ID_BASE};
use crate::primitives::{Address, H256, keccak256};
use crate::signing::signing_key_from_bytes;
use k256::ecdsa::SigningKey;
use serde::{Deserialize, Serialize};

/// The devnet's chain id: Hardhat's and Anvil's, which wallets already know.
pub const DEVNET_CHAIN_ID: u64 = 31337;

/// The devnet's rollup contract (EIP-712 `verifyingContract`),
/// `0x5FbDB2315678afecb367f032d93F642f64180aa3`: the first contract a Hardhat or Anvil
/// chain deploys, so wallet users recognise it. The eth-account vectors sign on it.
pub const DEVNET_VERIFYING_CONTRACT: Address = Address([
    0x5f, 0xbd, 0xb2, 0x31, 0x56, 0x78, 0xaf, 0xec, 0xb3, 0x67, 0xf0, 0x32, 0xd9, 0x3f, 0x64, 0x2f,
    0x64, 0x18, 0x0a, 0xa3,
]);

/// The preimage of the devnet's first oracle signer's secret key.
pub const DEVNET_ORACLE_KEY_PREIMAGE: &[u8] = b"vigil devnet oracle";

/// How many oracle signers the devnet genesis names: three, so that one signer's outlier
/// (or silence) never moves the median (docs/PROTOCOL.md Part 4 §7).
pub const DEVNET_ORACLE_SIGNERS: usize = 3;

/// The most oracle signers a genesis may name (bounds the `0x10` leaf, Part 4 §3).
pub const MAX_ORACLE_SIGNERS: usize = 16;

/// The devnet's first oracle signer's key, keccak256("vigil devnet oracle"): public on
/// purpose, so every binary's devnet genesis names the same oracles and any devnet feed
/// can sign for them.
pub fn devnet_oracle_key() -> SigningKey {
    devnet_oracle_signer_key(0)
}

/// Devnet oracle signer `i`'s key: keccak256 of "vigil devnet oracle" for `i = 0` (the key
/// of the one-signer genesis before there were several) and of "vigil devnet oracle {i}"
/// (one space, `i` in decimal) for `i ≥ 1`.
pub fn devnet_oracle_signer_key(i: usize) -> SigningKey {
    let preimage = match i {
        0 => DEVNET_ORACLE_KEY_PREIMAGE.to_vec(),
        i => format!("vigil devnet oracle {i}").into_bytes(),
    };
    signing_key_from_bytes(&keccak256(&preimage).0)
        .expect("the keccak256 of a devnet preimage is a valid secp256k1 scalar")
}

/// The devnet's [`DEVNET_ORACLE_SIGNERS`] oracle signer keys, in genesis order.
pub fn devnet_oracle_keys() -> Vec<SigningKey> {
    (0..DEVNET_ORACLE_SIGNERS)
        .map(devnet_oracle_signer_key)
        .collect()
}

/// The devnet's oracle signer addresses, in genesis order (`Genesis::oracles`).
pub fn devnet_oracles() -> Vec<Address> {
    devnet_oracle_keys()
        .iter()
        .map(crate::signing::address_of)
        .collect()
}

/// The longest market symbol a genesis may name, in bytes (printable ASCII).
pub const MAX_SYMBOL_BYTES: usize = 32;

/// Parameters of one perpetual futures market.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketParams {
    pub id: u32,
    pub symbol: String,
    /// `size` is counted in base lots of 10^-size_decimals of one whole unit.
    pub size_decimals: u8,
    /// Prices must be a multiple of this (micro-USDC per whole unit).
    pub tick_size: u64,
    /// Sizes must be a multiple of this (in size units).
    pub lot_size: u64,
    pub initial_margin_bps: u32,
    pub maintenance_margin_bps: u32,
    pub maker_fee_bps: u32,
    pub taker_fee_bps: u32,
    pub liquidation_fee_bps: u32,
    /// Orders priced further than this from the oracle price are rejected.
    pub price_band_bps: u32,
    /// Maximum total long size (= total short size), in size units.
    pub open_interest_cap: u64,
    /// Circuit breaker: a new oracle price more than this many bps away from the window's
    /// start price puts the market in reduce-only mode (0 = no move rule).
    #[serde(default)]
    pub breaker_move_bps: u32,
    /// The move window's length in ms (docs/PROTOCOL.md Part 4 §7.1).
    #[serde(default)]
    pub breaker_window_ms: u64,
    /// A tripped market resumes at the first in-bound price at least this long after it
    /// tripped.
    #[serde(default)]
    pub breaker_cooldown_ms: u64,
}

impl MarketParams {
    /// A market on the devnet markets' risk and fee terms: lot 1, 10 % initial and 5 %
    /// maintenance margin, 2 / 5 bps maker / taker fees, a 1 % liquidation fee and a 10 %
    /// price band around the oracle price.
    pub fn on_devnet_terms(
        id: u32,
        symbol: &str,
        size_decimals: u8,
        tick_size: u64,
        open_interest_cap: u64,
    ) -> MarketParams {
        MarketParams {
            id,
            symbol: symbol.into(),
            size_decimals,
            tick_size,
            lot_size: 1,
            initial_margin_bps: 1_000,
            maintenance_margin_bps: 500,
            maker_fee_bps: 2,
            taker_fee_bps: 5,
            liquidation_fee_bps: 100,
            price_band_bps: 1_000,
            open_interest_cap,
            breaker_move_bps: 1_000,
            breaker_window_ms: 60_000,
            breaker_cooldown_ms: 30_000,
        }
    }
}

/// Chain-wide parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Genesis {
    pub chain_id: u64,
    /// The rollup contract's address on the settlement layer (EIP-712 `verifyingContract`).
    pub verifying_contract: Address,
    /// The oracle signers, in slot order: only their `PriceUpdate`s are accepted, each
    /// signer's latest price per market is kept, and the index is the median of the fresh
    /// ones (docs/PROTOCOL.md Part 4 §7). 1 to `MAX_ORACLE_SIGNERS` distinct addresses.
    pub oracles: Vec<Address>,
    /// K: a checkpoint root is committed after every K transactions of a batch.
    pub checkpoint_interval_txs: u32,
    /// Prices older than this (relative to the batch timestamp) block risk-increasing
    /// orders and withdrawals.
    pub max_price_age_ms: u64,
    /// Funding accrues the premium over this period: a premium of p bps held for one
    /// period moves the index by p bps of the oracle price.
    pub funding_period_ms: u64,
    /// Cap on the absolute premium used for funding, in bps.
    pub max_funding_premium_bps: u32,
    /// Maximum maker fills (including self-trade cancellations) one order may consume,
    /// which bounds the keys a transaction touches and so the witness size.
    pub max_fills_per_order: u32,
    pub markets: Vec<MarketParams>,
    /// Option listing schedules, at most one per perp market (docs/PROTOCOL.md Part 8 §9);
    /// none means the chain lists no options.
    #[serde(default)]
    pub options: Vec<OptionSchedule>,
}

impl Genesis {
    /// The parameters of `market`, if it exists.
    pub fn market(&self, market: u32) -> Option<&MarketParams> {
        self.markets.iter().find(|m| m.id == market)
    }

    /// keccak256 of the canonical encoding; committed in every batch header.
    pub fn hash(&self) -> H256 {
        keccak256(&self.encode())
    }

    /// The option schedule of `market`, if it lists options.
    pub fn option_schedule(&self, market: u32) -> Option<&OptionSchedule> {
        self.options.iter().find(|s| s.market == market)
    }

    /// The slot of `signer` among the oracle signers, if it is one.
    pub fn oracle_slot(&self, signer: &Address) -> Option<usize> {
        self.oracles.iter().position(|o| o == signer)
    }

    /// A devnet genesis with BTC-PERP (id 1) and ETH-PERP (id 2) and one oracle signer
    /// (the binaries' devnet names several: [`Genesis::with_oracles`]).
    pub fn devnet(chain_id: u64, verifying_contract: Address, oracle: Address) -> Genesis {
        Genesis {
            chain_id,
            verifying_contract,
            oracles: vec![oracle],
            checkpoint_interval_txs: 16,
            max_price_age_ms: 60_000,
            funding_period_ms: 3_600_000,
            max_funding_premium_bps: 50,
            max_fills_per_order: 32,
            markets: vec![
                MarketParams::on_devnet_terms(1, "BTC-PERP", 4, 1_000_000, 100_000_000),
                MarketParams::on_devnet_terms(2, "ETH-PERP", 3, 10_000, 1_000_000_000),
            ],
            options: vec![devnet_btc_options()],
        }
    }

    /// This genesis with `oracles` as its oracle signers.
    pub fn with_oracles(self, oracles: Vec<Address>) -> Genesis {
        Genesis { oracles, ..self }
    }
}

/// The devnet's BTC-PERP options: daily expiries at 08:00 UTC from 2026-01-01, each listed
/// a day ahead (so one expiry is always trading), five strikes 1,000 USDC apart, premiums
/// in steps of 0.1 USDC, and the short margin of Part 8 §8's examples (15 % / 10 %).
pub fn devnet_btc_options() -> OptionSchedule {
    OptionSchedule {
        market: 1,
        first_expiry_ms: DEVNET_FIRST_EXPIRY_MS,
        expiry_interval_ms: 86_400_000,
        listing_lead_ms: 86_400_000,
        strike_step: 1_000_000_000,
        strikes_each_side: 2,
        premium_tick: 100_000,
        short_underlying_bps: 1_500,
        short_floor_bps: 1_000,
    }
}

/// 2026-01-01T08:00:00Z, the devnet's first option expiry.
pub const DEVNET_FIRST_EXPIRY_MS: u64 = 1_767_254_400_000;

/// Why a genesis is unusable; names the market and field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenesisError {
    #[error("genesis defines no markets")]
    NoMarkets,
    #[error("genesis defines {0} markets; at most {max} are allowed", max = crate::engine::records::MAX_MARKETS)]
    TooManyMarkets(usize),
    #[error("market id {0} is defined twice")]
    DuplicateMarket(u32),
    #[error("market {market} ({symbol}): {field} {problem}")]
    Market {
        market: u32,
        symbol: String,
        field: &'static str,
        problem: String,
    },
    #[error("options of market {market}: {field} {problem}")]
    Options {
        market: u32,
        field: &'static str,
        problem: String,
    },
    #[error("{field} {problem}")]
    Chain {
        field: &'static str,
        problem: String,
    },
}

/// Largest funding period accepted: 365 days, which keeps funding products far from overflow.
pub const MAX_FUNDING_PERIOD_MS: u64 = 365 * 24 * 3_600_000;
/// Largest `max_fills_per_order` accepted (bounds the keys one order may touch).
pub const MAX_FILLS_LIMIT: u32 = 256;

impl Genesis {
    /// Checks every parameter the engine relies on. Run it before `init_genesis`.
    pub fn validate(&self) -> Result<(), GenesisError> {
        let chain = |field: &'static str, problem: &str| {
            Err(GenesisError::Chain {
                field,
                problem: problem.to_string(),
            })
        };
        self.validate_oracles()?;
        if self.checkpoint_interval_txs == 0 {
            return chain("checkpoint_interval_txs", "must be at least 1");
        }
        if self.funding_period_ms == 0 || self.funding_period_ms > MAX_FUNDING_PERIOD_MS {
            return chain("funding_period_ms", "must be in 1..=31536000000 (365 days)");
        }
        if self.max_funding_premium_bps > 10_000 {
            return chain("max_funding_premium_bps", "must be at most 10000");
        }
        if self.max_fills_per_order == 0 || self.max_fills_per_order > MAX_FILLS_LIMIT {
            return chain("max_fills_per_order", "must be in 1..=256");
        }
        if self.markets.is_empty() {
            return Err(GenesisError::NoMarkets);
        }
        if self.markets.len() > crate::engine::records::MAX_MARKETS {
            return Err(GenesisError::TooManyMarkets(self.markets.len()));
        }
        let mut ids = std::collections::BTreeSet::new();
        for m in &self.markets {
            if !ids.insert(m.id) {
                return Err(GenesisError::DuplicateMarket(m.id));
            }
            m.validate()?;
        }
        self.validate_options()
    }

    /// Each schedule names a market of this genesis, at most one per market, and passes
    /// `OptionSchedule::validate`.
    fn validate_options(&self) -> Result<(), GenesisError> {
        let mut seen = std::collections::BTreeSet::new();
        for s in &self.options {
            let bad = |field: &'static str, problem: String| GenesisError::Options {
                market: s.market,
                field,
                problem,
            };
            if self.market(s.market).is_none() {
                return Err(bad("market", "is not a market of this genesis".into()));
            }
            if !seen.insert(s.market) {
                return Err(bad("market", "has a second option schedule".into()));
            }
            s.validate().map_err(|p| bad(p.field, p.problem))?;
        }
        Ok(())
    }
}

impl Genesis {
    /// 1 to `MAX_ORACLE_SIGNERS` signers, none the zero address, no address twice.
    fn validate_oracles(&self) -> Result<(), GenesisError> {
        let problem = if self.oracles.is_empty() || self.oracles.len() > MAX_ORACLE_SIGNERS {
            Some(format!(
                "must name 1 to {MAX_ORACLE_SIGNERS} signers (it names {})",
                self.oracles.len()
            ))
        } else if self.oracles.contains(&Address::ZERO) {
            Some("must not name the zero address".to_string())
        } else {
            let distinct: std::collections::BTreeSet<_> = self.oracles.iter().collect();
            (distinct.len() != self.oracles.len())
                .then(|| "must not name a signer twice".to_string())
        };
        match problem {
            Some(problem) => Err(GenesisError::Chain {
                field: "oracles",
                problem,
            }),
            None => Ok(()),
        }
    }
}

impl MarketParams {
    fn validate(&self) -> Result<(), GenesisError> {
        let bad = |field: &'static str, problem: &str| {
            Err(GenesisError::Market {
                market: self.id,
                symbol: self.symbol.clone(),
                field,
                problem: problem.to_string(),
            })
        };
        let printable = |c: char| c.is_ascii_graphic();
        if self.symbol.is_empty()
            || self.symbol.len() > MAX_SYMBOL_BYTES
            || !self.symbol.chars().all(printable)
        {
            return bad(
                "symbol",
                "must be 1 to 32 printable ASCII characters without spaces",
            );
        }
        if self.id >= SERIES_ID_BASE {
            return bad(
                "id",
                "must be below 2^31 (ids from 2^31 name option series)",
            );
        }
        if self.size_decimals > 18 {
            return bad("size_decimals", "must be at most 18");
        }
        if self.tick_size == 0 {
            return bad("tick_size", "must be positive");
        }
        if self.lot_size == 0 {
            return bad("lot_size", "must be positive");
        }
        if self.maintenance_margin_bps == 0 || self.maintenance_margin_bps > self.initial_margin_bps
        {
            return bad(
                "maintenance_margin_bps",
                "must be positive and at most initial_margin_bps",
            );
        }
        if self.initial_margin_bps > 10_000 {
            return bad("initial_margin_bps", "must be at most 10000");
        }
        for (field, bps) in [
            ("maker_fee_bps", self.maker_fee_bps),
            ("taker_fee_bps", self.taker_fee_bps),
            ("liquidation_fee_bps", self.liquidation_fee_bps),
            ("price_band_bps", self.price_band_bps),
        ] {
            if bps > 10_000 {
                return bad(field, "must be at most 10000");
            }
        }
        if self.open_interest_cap == 0 || self.open_interest_cap > i64::MAX as u64 {
            return bad("open_interest_cap", "must be in 1..=2^63-1");
        }
        if self.breaker_move_bps != 0 && self.breaker_window_ms == 0 {
            return bad(
                "breaker_window_ms",
                "must be positive when breaker_move_bps is",
            );
        }
        Ok(())
    }
}

impl Encode for MarketParams {
    fn encode_to(&self, w: &mut Writer) {
        w.u32(self.id)
            .bytes(self.symbol.as_bytes())
            .u8(self.size_decimals)
            .u64(self.tick_size)
            .u64(self.lot_size);
        w.u32(self.initial_margin_bps)
            .u32(self.maintenance_margin_bps)
            .u32(self.maker_fee_bps)
            .u32(self.taker_fee_bps);
        w.u32(self.liquidation_fee_bps)
            .u32(self.price_band_bps)
            .u64(self.open_interest_cap);
        w.u32(self.breaker_move_bps)
            .u64(self.breaker_window_ms)
            .u64(self.breaker_cooldown_ms);
    }
}

impl Encode for Genesis {
    fn encode_to(&self, w: &mut Writer) {
        w.u64(self.chain_id).address(&self.verifying_contract);
        w.u32(u32::try_from(self.oracles.len()).expect("few oracle signers"));
        for oracle in &self.oracles {
            w.address(oracle);
        }
        w.u32(self.checkpoint_interval_txs)
            .u64(self.max_price_age_ms)
            .u64(self.funding_period_ms);
        w.u32(self.max_funding_premium_bps)
            .u32(self.max_fills_per_order);
        w.u32(u32::try_from(self.markets.len()).expect("few markets"));
        for m in &self.markets {
            m.encode_to(w);
        }
        w.u32(u32::try_from(self.options.len()).expect("at most one schedule per market"));
        for s in &self.options {
            s.encode_to(w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signing::address_of;

    /// The devnet's oracle signers: the first is the one-signer devnet's key, the others
    /// hash "vigil devnet oracle 1" and "… 2"; all distinct, and the genesis naming them
    /// is valid.
    #[test]
    fn devnet_oracle_signers_are_derived_as_documented() {
        let keys = devnet_oracle_keys();
        assert_eq!(keys.len(), DEVNET_ORACLE_SIGNERS);
        for (i, preimage) in [
            "vigil devnet oracle",
            "vigil devnet oracle 1",
            "vigil devnet oracle 2",
        ]
        .iter()
        .enumerate()
        {
            let expected = signing_key_from_bytes(&keccak256(preimage.as_bytes()).0).unwrap();
            assert_eq!(address_of(&keys[i]), address_of(&expected), "signer {i}");
        }
        let oracles = devnet_oracles();
        let g = Genesis::devnet(DEVNET_CHAIN_ID, DEVNET_VERIFYING_CONTRACT, oracles[0])
            .with_oracles(oracles.clone());
        g.validate().expect("valid");
        assert_eq!(g.oracle_slot(&oracles[2]), Some(2));
        assert_eq!(g.oracle_slot(&Address([1; 20])), None);
    }

    /// The oracle list's rules: 1 to 16 signers, no zero address, no repeats.
    #[test]
    fn oracle_signer_validation() {
        let a = |b: u8| Address([b; 20]);
        let table: Vec<(Vec<Address>, bool)> = vec![
            (vec![a(1)], true),
            ((1..=16).map(a).collect(), true),
            (vec![], false),
            ((1..=17).map(a).collect(), false),
            (vec![a(1), Address::ZERO], false),
            (vec![a(1), a(2), a(1)], false),
        ];
        for (i, (oracles, ok)) in table.into_iter().enumerate() {
            let g = Genesis::devnet(1, a(9), a(1)).with_oracles(oracles);
            match g.validate() {
                Ok(()) => assert!(ok, "row {i}"),
                Err(GenesisError::Chain { field, .. }) => {
                    assert!(!ok, "row {i}");
                    assert_eq!(field, "oracles", "row {i}");
                }
                Err(other) => panic!("row {i}: {other}"),
            }
        }
    }

    /// The devnet constants are the values the docs, the eth-account vectors and wallets
    /// use; the oracle key is the hash of its preimage.
    #[test]
    fn devnet_constants_are_the_documented_values() {
        // The domain separator eth-account computed for {Vigil, 1, 31337, 0x5FbDB…0aa3}
        // (docs/PROTOCOL.md Part 2): the constants are exactly that chain and contract.
        assert_eq!(
            crate::signing::domain_separator(DEVNET_CHAIN_ID, &DEVNET_VERIFYING_CONTRACT)
                .to_string(),
            "0x61420cb39f00ebfebb7de7f043d6ee29d262489cbe9de3da87540755e0dc70b6"
        );
        assert_eq!(DEVNET_CHAIN_ID, 31337);
        let key = devnet_oracle_key();
        let expected = signing_key_from_bytes(&keccak256(b"vigil devnet oracle").0).expect("key");
        assert_eq!(address_of(&key), address_of(&expected));
        Genesis::devnet(DEVNET_CHAIN_ID, DEVNET_VERIFYING_CONTRACT, address_of(&key))
            .validate()
            .expect("the devnet genesis is valid");
    }

    /// A schedule must name a market of the genesis, once; its own fields are checked by
    /// `OptionSchedule::validate`.
    #[test]
    fn option_schedules_name_one_market_each() {
        type Mutation = fn(&mut Genesis);
        let table: &[(Mutation, Option<&str>)] = &[
            (|_| {}, None),
            (|g| g.options[0].market = 9, Some("market")),
            (|g| g.options.push(devnet_btc_options()), Some("market")),
            (|g| g.options[0].strike_step = 0, Some("strike_step")),
            (|g| g.options.clear(), None),
        ];
        for (i, (mutate, want)) in table.iter().enumerate() {
            let mut g =
                Genesis::devnet(DEVNET_CHAIN_ID, DEVNET_VERIFYING_CONTRACT, Address([2; 20]));
            mutate(&mut g);
            let got = match g.validate() {
                Ok(()) => None,
                Err(GenesisError::Options { field, .. }) => Some(field),
                Err(other) => panic!("row {i}: {other}"),
            };
            assert_eq!(got, *want, "row {i}");
        }
    }

    /// Each market-field rule refuses exactly what it should, naming the field.
    #[test]
    fn market_validation_names_the_field() {
        type Mutation = fn(&mut MarketParams);
        let table: &[(Mutation, Option<&str>)] = &[
            (|_| {}, None),
            (|m| m.symbol = String::new(), Some("symbol")),
            (|m| m.symbol = "X".repeat(MAX_SYMBOL_BYTES), None),
            (
                |m| m.symbol = "X".repeat(MAX_SYMBOL_BYTES + 1),
                Some("symbol"),
            ),
            (|m| m.symbol = "BTC PERP".into(), Some("symbol")),
            (|m| m.symbol = "BTC-PÉRP".into(), Some("symbol")),
            (|m| m.size_decimals = 19, Some("size_decimals")),
            (|m| m.tick_size = 0, Some("tick_size")),
            (|m| m.lot_size = 0, Some("lot_size")),
            (
                |m| m.maintenance_margin_bps = 0,
                Some("maintenance_margin_bps"),
            ),
            (|m| m.taker_fee_bps = 10_001, Some("taker_fee_bps")),
            (|m| m.open_interest_cap = 0, Some("open_interest_cap")),
            (|m| m.breaker_window_ms = 0, Some("breaker_window_ms")),
            (|m| (m.breaker_move_bps, m.breaker_window_ms) = (0, 0), None),
            (|m| m.id = SERIES_ID_BASE, Some("id")),
        ];
        for (i, (mutate, expect)) in table.iter().enumerate() {
            let mut g =
                Genesis::devnet(DEVNET_CHAIN_ID, DEVNET_VERIFYING_CONTRACT, Address([2; 20]));
            mutate(&mut g.markets[0]);
            let got = match g.validate() {
                Ok(()) => None,
                Err(GenesisError::Market { field, .. }) => Some(field),
                Err(other) => panic!("row {i}: {other}"),
            };
            assert_eq!(got, *expect, "row {i}");
        }
    }
}
