//! Plain-text tables for people: the first `left` columns (names, sides) left-aligned,
//! the rest (numbers) right-aligned, so fixed-precision figures line up on their points.

use std::fmt::Write as _;

/// `header` over `rows`, columns two spaces apart, no trailing spaces.
pub fn render(header: &[&str], rows: &[Vec<String>], left: usize) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(cell.chars().count());
            }
        }
    }
    let header: Vec<String> = header.iter().map(|h| (*h).to_string()).collect();
    let mut text = line(&header, &widths, left);
    for row in rows {
        text.push('\n');
        text.push_str(&line(row, &widths, left));
    }
    text
}

fn line(cells: &[String], widths: &[usize], left: usize) -> String {
    let mut out = String::new();
    for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
        let gap = if i == 0 { "" } else { "  " };
        let _ = if i < left {
            write!(out, "{gap}{cell:<width$}")
        } else {
            write!(out, "{gap}{cell:>width$}")
        };
    }
    out.trim_end().to_string()
}

/// How many trailing digits of an order id (a nonce: microseconds since the epoch, 16
/// digits) people see. `vigil cancel` and `vigil modify` take them back: an id that is no
/// open order's full id names the open order whose id ends in those digits (docs/JSON.md).
pub const SHORT_ORDER_ID_DIGITS: u32 = 6;

/// An order id as printed for people: its last six digits (`482913`); ids below a million
/// print whole. `--json` keeps the full id.
pub fn order_id(nonce: u64) -> String {
    let modulus = 10u64.pow(SHORT_ORDER_ID_DIGITS);
    if nonce < modulus {
        nonce.to_string()
    } else {
        format!(
            "{:0width$}",
            nonce % modulus,
            width = SHORT_ORDER_ID_DIGITS as usize
        )
    }
}

/// Which of `ids` (an account's open and waiting order ids) `typed` names: the id itself,
/// else the one ending in its digits; `Err` lists the full ids when several end in them.
pub fn resolve_order_id(typed: u64, ids: &[u64]) -> Result<Option<u64>, Vec<u64>> {
    if ids.contains(&typed) {
        return Ok(Some(typed));
    }
    let modulus = 10u64.pow(SHORT_ORDER_ID_DIGITS);
    if typed >= modulus {
        return Ok(None);
    }
    let mut matching: Vec<u64> = ids
        .iter()
        .copied()
        .filter(|id| id % modulus == typed)
        .collect();
    matching.dedup();
    match matching.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(*one)),
        _ => Err(matching),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What resolving a typed id gives: the one full id (or none), or the ambiguous ones.
    type Resolved = Result<Option<u64>, Vec<u64>>;

    #[test]
    fn short_order_ids_print_and_resolve() {
        assert_eq!(order_id(1_765_038_123_456_789), "456789");
        assert_eq!(order_id(1_765_038_123_000_042), "000042");
        assert_eq!(order_id(7), "7");
        let ids = [1_765_038_123_456_789, 1_765_038_124_000_042, 7];
        let table: &[(u64, Resolved)] = &[
            (456_789, Ok(Some(1_765_038_123_456_789))),
            (42, Ok(Some(1_765_038_124_000_042))),
            (7, Ok(Some(7))),
            (1_765_038_123_456_789, Ok(Some(1_765_038_123_456_789))),
            (111_111, Ok(None)),
            (1_765_038_999_999_999, Ok(None)),
        ];
        for (typed, want) in table {
            assert_eq!(&resolve_order_id(*typed, &ids), want, "{typed}");
        }
        let twins = [1_765_038_123_456_789, 1_765_038_124_456_789];
        assert_eq!(resolve_order_id(456_789, &twins), Err(twins.to_vec()));
    }
}
