//! The paging query every list endpoint takes (`?from=&limit=`), with the one clamp: a
//! missing limit is the endpoint's default, and any limit is brought into `1..=max`
//! rather than refused, so a client asking for "everything" gets the largest page.

use super::StoredNumber;
use serde::Deserialize;

#[derive(Debug, Clone, Copy, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct Page {
    /// The first entry's index (default 0).
    pub from: Option<StoredNumber>,
    /// At most this many entries (the endpoint's default when absent; clamped, not refused).
    pub limit: Option<u64>,
}

impl Page {
    /// `(from, limit)`: `from` defaults to 0, `limit` to `default`, clamped to `1..=max`.
    pub fn resolve(&self, default: u64, max: u64) -> (u64, u64) {
        (
            self.from.map_or(0, StoredNumber::get),
            clamp_limit(self.limit, default, max),
        )
    }
}

/// The one limit clamp, for endpoints whose cursor is not `from` (e.g. `after_seq`), in
/// whatever integer the endpoint counts in (`u64` on the wire, `usize` for a slice).
pub fn clamp_limit<T: Ord + From<u8>>(limit: Option<T>, default: T, max: T) -> T {
    limit.unwrap_or(default).clamp(T::from(1), max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_default_and_clamp() {
        // (from, limit, expected)
        let five = StoredNumber::try_from(5).ok();
        let table = [
            (None, None, (0, 100)),
            (five, Some(0), (5, 1)),
            (five, Some(10), (5, 10)),
            (None, Some(1_000_000), (0, 500)),
        ];
        for (from, limit, expected) in table {
            assert_eq!(
                Page { from, limit }.resolve(100, 500),
                expected,
                "{from:?} {limit:?}"
            );
        }
    }
}
