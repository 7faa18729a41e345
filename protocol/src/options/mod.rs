//! European cash-settled options on a perp market's index: the pure pricing foundation of
//! issue #20 (docs/PROTOCOL.md Part 8), and the genesis listing schedule (`schedule`), whose
//! rule the engine applies at each index update (`engine::option_listing`).
//!
//! Map: `fixed` (the 18-decimal fixed-point number with ln, exp and √) → `normal` (φ and Φ)
//! → `black_scholes` (mark and greeks from index, strike, time to expiry and implied vol);
//! `payoff` (intrinsic value, expiry settlement) and `margin` (the short-option rule).
//! Integer arithmetic only, every step checked and rounded as the spec says, so a second
//! implementation following Part 8 reproduces every output bit for bit.

pub mod black_scholes;
pub mod fixed;
pub mod margin;
pub mod normal;
pub mod payoff;
pub mod schedule;

pub use black_scholes::{OptionInputs, OptionQuote, Terms, quote, terms};
pub use fixed::Fixed;

use crate::engine::math::MAX_PRICE;
use black_scholes::{MAX_IMPLIED_VOL_PPM, MAX_TIME_TO_EXPIRY_MS};

/// Inputs the options functions refuse, each naming the value and the range it must be in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionsError {
    #[error(
        "index price {index_price} is outside 1..={MAX_PRICE} price units (micro-USDC per whole \
         unit); pass the market's index price"
    )]
    IndexPriceOutOfRange { index_price: u64 },
    #[error(
        "strike price {strike_price} is outside 1..={MAX_PRICE} price units (micro-USDC per whole \
         unit); pick a strike in that range"
    )]
    StrikePriceOutOfRange { strike_price: u64 },
    #[error(
        "time to expiry {time_to_expiry_ms} ms is beyond the {MAX_TIME_TO_EXPIRY_MS} ms (ten \
         years) options are priced for; list a nearer expiry"
    )]
    TimeToExpiryOutOfRange { time_to_expiry_ms: u64 },
    #[error(
        "implied volatility {implied_vol_ppm} ppm is above {MAX_IMPLIED_VOL_PPM} ppm (500 % a \
         year); pass the volatility in ppm, e.g. 800000 for 80 %"
    )]
    ImpliedVolOutOfRange { implied_vol_ppm: u64 },
    #[error(
        "fixed-point arithmetic overflowed on in-range inputs {inputs}: a bug in \
         protocol::options, please report it with these inputs"
    )]
    ArithmeticOverflow { inputs: String },
}
