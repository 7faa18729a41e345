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
