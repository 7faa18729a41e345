//! Serde adapter: integers as JSON numbers or decimal strings (wallet libraries often send
//! `uint64` as strings because JavaScript numbers lose precision past 2^53). Serializes as
//! a number.

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};
use std::fmt;
use std::marker::PhantomData;

pub trait Int: Copy + TryFrom<u64> + std::str::FromStr + Into<u128> {}
impl Int for u8 {}
impl Int for u32 {}
impl Int for u64 {}

pub fn serialize<T: Int, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
    let wide: u128 = (*v).into();
    s.serialize_u64(u64::try_from(wide).map_err(serde::ser::Error::custom)?)
}

pub fn deserialize<'de, T: Int, D: Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    struct V<T>(PhantomData<T>);
    impl<T: Int> Visitor<'_> for V<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write!(
                f,
                "an unsigned integer up to {} bits, as a number or decimal string",
                std::mem::size_of::<T>() * 8
            )
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
            T::try_from(v).map_err(|_| {
                E::custom(format!(
                    "{v} is out of range for a {}-bit integer",
                    std::mem::size_of::<T>() * 8
                ))
            })
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
            let u = u64::try_from(v).map_err(|_| E::custom(format!("{v} is negative")))?;
            self.visit_u64(u)
        }
        fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(E::custom(format!("{s:?} is not a decimal integer")));
            }
            let v: u64 = s
                .parse()
                .map_err(|_| E::custom(format!("{s} is out of range")))?;
            self.visit_u64(v)
        }
    }
    d.deserialize_any(V(PhantomData))
}

/// The adapter for `uint128` fields (`clientId`): a decimal string on output (JavaScript
/// numbers lose precision past 2^53), a number or a decimal string on input.
pub mod wide {
    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};
    use std::fmt;

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = u128;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an unsigned integer up to 128 bits, as a number or decimal string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<u128, E> {
                Ok(v.into())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<u128, E> {
                u128::try_from(v).map_err(|_| E::custom(format!("{v} is negative")))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<u128, E> {
                if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(E::custom(format!("{s:?} is not a decimal integer")));
                }
                s.parse()
                    .map_err(|_| E::custom(format!("{s} is out of range for a 128-bit integer")))
            }
        }
        d.deserialize_any(V)
    }
}
