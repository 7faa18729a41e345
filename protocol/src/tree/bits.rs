//! Bit-level views of 256-bit keys: the tree branches on single bits, MSB-first.
//!
//! Bit 0 is the most significant bit of byte 0, so comparing keys bit by bit from bit 0 is
//! the same as comparing them bytewise. That is what makes an in-order walk of the tree
//! yield keys in ascending order, and "first key with a byte prefix" a leftmost descent.

use crate::primitives::H256;

/// Bit `index` of `key` (bit 0 = MSB of byte 0).
pub(crate) fn bit(key: &H256, index: u8) -> bool {
    let byte = key.0[usize::from(index / 8)];
    (byte >> (7 - index % 8)) & 1 == 1
}

/// The number of leading bits `a` and `b` share: 0..=256 (256 when equal).
pub(crate) fn common_prefix_bits(a: &H256, b: &H256) -> u16 {
    for (i, (x, y)) in a.0.iter().zip(b.0.iter()).enumerate() {
        let diff = x ^ y;
        if diff != 0 {
            // i < 32 and leading_zeros < 8, so this fits in u16 without overflow.
            return (i as u16) * 8 + diff.leading_zeros() as u16;
        }
    }
    256
}

/// True when the first `bits` bits (0..=256) of `a` and `b` are equal.
pub(crate) fn agree(a: &H256, b: &H256, bits: u16) -> bool {
    common_prefix_bits(a, b) >= bits
}

/// `key` with every bit at position >= `bits` cleared (`bits` in 0..=256).
pub(crate) fn masked(key: &H256, bits: u16) -> H256 {
    let mut out = *key;
    let bits = usize::from(bits.min(256));
    let full = bits / 8;
    if full < 32 {
        let keep = (bits % 8) as u32;
        // keep < 8: `0xff << (8 - keep)` would overflow for keep = 0, so shift in u16.
        out.0[full] &= ((0xff00u16 >> keep) & 0xff) as u8;
        for byte in &mut out.0[full + 1..] {
            *byte = 0;
        }
    }
    out
}

/// `prefix` (bits >= `index` zero) with bit `index` set to `value`.
pub(crate) fn with_bit(prefix: &H256, index: u8, value: bool) -> H256 {
    let mut out = *prefix;
    let mask = 0x80u8 >> (index % 8);
    let byte = &mut out.0[usize::from(index / 8)];
    if value {
        *byte |= mask;
    } else {
        *byte &= !mask;
    }
    out
}

/// The number of bytes needed to hold `bits` bits: ceil(bits / 8).
pub(crate) fn bytes_for(bits: u16) -> usize {
    usize::from(bits).div_ceil(8)
}

/// A byte prefix as a 256-bit key padded with zero bits, and its length in bits.
/// `None` when the prefix is longer than a key (no key can start with it).
pub(crate) fn padded_prefix(prefix: &[u8]) -> Option<(H256, u16)> {
    if prefix.len() > 32 {
        return None;
    }
    let mut key = [0u8; 32];
    key[..prefix.len()].copy_from_slice(prefix);
    // prefix.len() <= 32, so the bit count is <= 256.
    Some((H256(key), prefix.len() as u16 * 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(bytes: &[u8]) -> H256 {
        padded_prefix(bytes).expect("test prefixes are short").0
    }

    #[test]
    fn bits_are_msb_first() {
        let k = key(&[0b1000_0001, 0b0100_0000]);
        let ones: Vec<u8> = (0..=255u8).filter(|&i| bit(&k, i)).collect();
        assert_eq!(ones, vec![0, 7, 9]);
    }

    #[test]
    fn common_prefix_counts_shared_leading_bits() {
        let check = |a: &[u8], b: &[u8], expect: u16| {
            assert_eq!(common_prefix_bits(&key(a), &key(b)), expect)
        };
        check(&[0x00], &[0x80], 0);
        check(&[0x00], &[0x01], 7);
        check(&[0xab, 0x00], &[0xab, 0x40], 9);
        check(&[0xab], &[0xab], 256);
    }

    #[test]
    fn masking_clears_trailing_bits() {
        let ones = H256([0xff; 32]);
        let check =
            |bits: u16, expect: &[u8]| assert_eq!(masked(&ones, bits), key(expect), "bits={bits}");
        check(0, &[]);
        check(1, &[0x80]);
        check(8, &[0xff]);
        check(12, &[0xff, 0xf0]);
        assert_eq!(masked(&ones, 256), ones);
        assert_eq!(masked(&ones, 255).0[31], 0xfe);
    }

    #[test]
    fn with_bit_sets_and_clears() {
        let k = with_bit(&H256::ZERO, 9, true);
        assert_eq!(k, key(&[0x00, 0x40]));
        assert_eq!(with_bit(&k, 9, false), H256::ZERO);
        assert_eq!(bytes_for(0), 0);
        assert_eq!(bytes_for(1), 1);
        assert_eq!(bytes_for(8), 1);
        assert_eq!(bytes_for(9), 2);
        assert!(padded_prefix(&[0; 33]).is_none());
        assert_eq!(padded_prefix(&[1, 2]).map(|p| p.1), Some(16));
    }
}
