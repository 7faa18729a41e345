//! The type of every id, index, sequence number and cursor a request names in a path or a
//! query. The services store these as SQLite integers, which are signed 64-bit, so no row
//! is ever keyed above `i64::MAX`, and binding a larger `u64` fails inside rusqlite (as a
//! 500, which the API fuzzer found at each such endpoint). The number is refused where it is
//! parsed instead, with the bound in the message, and the OpenAPI documents carry the same
//! bound so generated clients never send one.

use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::{PartialSchema, ToSchema};

/// A request's id, index, sequence number or cursor: a `u64` no larger than `i64::MAX`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(try_from = "u64")]
pub struct StoredNumber(u64);

impl StoredNumber {
    /// The largest: SQLite's largest integer.
    pub const MAX: u64 = i64::MAX as u64;

    pub fn get(self) -> u64 {
        self.0
    }
}

/// Why a number was refused: it names the number and the bound (serde prefixes the field).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AboveStoredMax(u64);

impl fmt::Display for AboveStoredMax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is above {}, the largest id, index or sequence number a Vigil service stores; \
             send a value from 0 to {}",
            self.0,
            StoredNumber::MAX,
            StoredNumber::MAX
        )
    }
}

impl TryFrom<u64> for StoredNumber {
    type Error = AboveStoredMax;

    fn try_from(value: u64) -> Result<Self, AboveStoredMax> {
        if value > StoredNumber::MAX {
            return Err(AboveStoredMax(value));
        }
        Ok(StoredNumber(value))
    }
}

impl From<StoredNumber> for u64 {
    fn from(n: StoredNumber) -> u64 {
        n.0
    }
}

impl fmt::Display for StoredNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialSchema for StoredNumber {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(0u64))
            .maximum(Some(StoredNumber::MAX))
            .description(Some(
                "An id, index, sequence number or cursor: 0 to 2^63 - 1 (SQLite's integers).",
            ))
            .into()
    }
}

impl ToSchema for StoredNumber {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("StoredNumber")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_up_to_sqlites_largest_integer_parse_and_larger_are_refused_with_the_bound() {
        // (query value, parsed or the refusal's start)
        let table: [(&str, Result<u64, &str>); 4] = [
            ("0", Ok(0)),
            ("9223372036854775807", Ok(i64::MAX as u64)),
            (
                "9223372036854775808",
                Err("9223372036854775808 is above 9223372036854775807"),
            ),
            (
                "18446744073709551615",
                Err("18446744073709551615 is above 9223372036854775807"),
            ),
        ];
        for (text, expect) in table {
            let parsed: Result<StoredNumber, _> = serde_json::from_str(text);
            match (parsed, expect) {
                (Ok(n), Ok(want)) => assert_eq!(n.get(), want, "{text}"),
                (Err(e), Err(start)) => {
                    assert!(e.to_string().starts_with(start), "{text}: {e}")
                }
                (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
            }
        }
    }
}
