//! The canonical binary encoding used for everything that is hashed or stored in the tree.
//!
//! Rules (also in docs/PROTOCOL.md §Encoding): integers are fixed-width big-endian; `bool`
//! is one byte 0/1 (anything else is malformed); byte strings and lists carry a `u32`
//! big-endian length/count prefix; enums carry a one-byte tag. There is exactly one
//! encoding per value, so hashes of encodings are well-defined, and decoding rejects
//! trailing bytes, so a decoded value re-encodes to the same bytes.

use crate::primitives::{Address, H256};

/// Why a byte string did not decode; names the field being read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unexpected end of data while reading {0}")]
    Eof(&'static str),
    #[error("invalid {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("{0} trailing bytes after the value")]
    Trailing(usize),
    #[error("{field} is too long: {len} > {max}")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
}

/// Appends canonical encodings to a byte vector.
#[derive(Debug, Default, Clone)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        Writer { buf: Vec::new() }
    }
    /// A writer into `buf`'s allocation, emptied first: for a caller that encodes one value
    /// after another and takes the buffer back each time ([`Writer::finish`]).
    pub fn reusing(mut buf: Vec<u8>) -> Self {
        buf.clear();
        Writer { buf }
    }
    pub fn with_capacity(n: usize) -> Self {
        Writer {
            buf: Vec::with_capacity(n),
        }
    }
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.buf.push(v);
        self
    }
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(v as u8)
    }
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn u128(&mut self, v: u128) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn i128(&mut self, v: i128) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn h256(&mut self, v: &H256) -> &mut Self {
        self.buf.extend_from_slice(&v.0);
        self
    }
    pub fn address(&mut self, v: &Address) -> &mut Self {
        self.buf.extend_from_slice(&v.0);
        self
    }
    /// Raw bytes with no length prefix (for fixed-size fields).
    pub fn raw(&mut self, v: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(v);
        self
    }
    /// A `u32` length prefix followed by the bytes.
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        let len = u32::try_from(v.len()).expect("byte strings are far below 4 GiB");
        self.u32(len);
        self.raw(v)
    }
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// Reads canonical encodings from a byte slice. Every read names its field for errors.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }
    pub fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.remaining() < n {
            return Err(DecodeError::Eof(field));
        }
        let out = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }
    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, field)?);
        Ok(out)
    }
    pub fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, field)?[0])
    }
    pub fn bool(&mut self, field: &'static str) -> Result<bool, DecodeError> {
        match self.u8(field)? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(DecodeError::Invalid {
                field,
                reason: format!("bool byte {other}"),
            }),
        }
    }
    pub fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        self.array(field).map(u16::from_be_bytes)
    }
    pub fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        self.array(field).map(u32::from_be_bytes)
    }
    pub fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        self.array(field).map(u64::from_be_bytes)
    }
    pub fn u128(&mut self, field: &'static str) -> Result<u128, DecodeError> {
        self.array(field).map(u128::from_be_bytes)
    }
    pub fn i128(&mut self, field: &'static str) -> Result<i128, DecodeError> {
        self.array(field).map(i128::from_be_bytes)
    }
    pub fn h256(&mut self, field: &'static str) -> Result<H256, DecodeError> {
        self.array(field).map(H256)
    }
    pub fn address(&mut self, field: &'static str) -> Result<Address, DecodeError> {
        self.array(field).map(Address)
    }
    /// A `u32`-length-prefixed byte string of at most `max` bytes.
    pub fn bytes(&mut self, field: &'static str, max: usize) -> Result<&'a [u8], DecodeError> {
        let len = self.u32(field)? as usize;
        if len > max {
            return Err(DecodeError::TooLong { field, len, max });
        }
        self.take(len, field)
    }
    /// A `u32` list count, bounded by `max` so hostile input cannot make us allocate.
    pub fn count(&mut self, field: &'static str, max: usize) -> Result<usize, DecodeError> {
        let len = self.u32(field)? as usize;
        if len > max {
            return Err(DecodeError::TooLong { field, len, max });
        }
        Ok(len)
    }
    /// Fails unless every byte was consumed.
    pub fn finish(self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(DecodeError::Trailing(n)),
        }
    }
}

/// One field of a record or message: a value with one layout, read under the field's name
/// (which errors carry). The generated encoders (`declare_actions!`, the engine's
/// `record_codec!`) are one `write`/`read` per field, the field's type picking the layout.
pub trait Field: Sized {
    fn write(&self, w: &mut Writer);
    fn read(r: &mut Reader<'_>, field: &'static str) -> Result<Self, DecodeError>;
}

/// Fixed-width scalars: the `Writer`/`Reader` method of the same name.
macro_rules! scalar_field {
    ($($ty:ty => $method:ident),+) => {
        $(impl Field for $ty {
            fn write(&self, w: &mut Writer) {
                w.$method(*self);
            }
            fn read(r: &mut Reader<'_>, field: &'static str) -> Result<Self, DecodeError> {
                r.$method(field)
            }
        })+
    };
}

scalar_field!(u8 => u8, bool => bool, u32 => u32, u64 => u64, u128 => u128, i128 => i128);

impl Field for Address {
    fn write(&self, w: &mut Writer) {
        w.address(self);
    }
    fn read(r: &mut Reader<'_>, field: &'static str) -> Result<Self, DecodeError> {
        r.address(field)
    }
}

/// What [`Encode::encode`] writes into before copying the bytes out: room for every state
/// record (the largest, a full nonce set, is 516 bytes), so encoding one never grows it.
const ENCODE_SCRATCH: usize = 1024;

/// A type with one canonical byte encoding.
pub trait Encode {
    fn encode_to(&self, w: &mut Writer);
    /// The encoding in a vector of exactly its length. Written into a scratch buffer
    /// that is then copied out: a vector grown from empty reallocates at every doubling
    /// (the STF's profile showed those reallocations at about a tenth of its time, a
    /// value being encoded at every write) and keeps up to half its capacity spare, which
    /// a tree leaf would hold for as long as it lives.
    fn encode(&self) -> Vec<u8> {
        let mut w = Writer::with_capacity(ENCODE_SCRATCH);
        self.encode_to(&mut w);
        w.buf.as_slice().to_vec()
    }
}

/// The inverse of [`Encode`]; `decode` rejects trailing bytes.
pub trait Decode: Sized {
    fn decode_from(r: &mut Reader<'_>) -> Result<Self, DecodeError>;
    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let v = Self::decode_from(&mut r)?;
        r.finish()?;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_are_big_endian_and_strings_length_prefixed() {
        let mut w = Writer::new();
        w.u16(0x0102).u32(3).bytes(b"ab").bool(true);
        assert_eq!(w.buf, [1, 2, 0, 0, 0, 3, 0, 0, 0, 2, b'a', b'b', 1]);
        let mut r = Reader::new(&w.buf);
        assert_eq!(r.u16("a").unwrap(), 0x0102);
        assert_eq!(r.u32("b").unwrap(), 3);
        assert_eq!(r.bytes("c", 10).unwrap(), b"ab");
        assert!(r.bool("d").unwrap());
        r.finish().unwrap();
    }

    #[test]
    fn malformed_input_names_the_field() {
        assert_eq!(
            Reader::new(&[2]).bool("isBuy"),
            Err(DecodeError::Invalid {
                field: "isBuy",
                reason: "bool byte 2".into()
            })
        );
        assert_eq!(
            Reader::new(&[0, 0]).u32("count"),
            Err(DecodeError::Eof("count"))
        );
        assert_eq!(
            Reader::new(&[0, 0, 0, 9]).bytes("data", 4),
            Err(DecodeError::TooLong {
                field: "data",
                len: 9,
                max: 4
            })
        );
        let mut r = Reader::new(&[1, 2]);
        r.u8("x").unwrap();
        assert_eq!(r.finish(), Err(DecodeError::Trailing(1)));
    }

    /// A value of `n` bytes of `u64`s, to encode at every size around the scratch buffer's.
    struct Words(usize);

    impl Encode for Words {
        fn encode_to(&self, w: &mut Writer) {
            for i in 0..self.0 {
                w.u64(i as u64);
            }
        }
    }

    /// `encode` is exactly `encode_to` into an empty writer, below, at and above the
    /// scratch buffer's size, and its vector holds no spare capacity.
    #[test]
    fn encode_is_the_bytes_of_encode_to_at_exact_capacity() {
        for words in [0, 1, 7, ENCODE_SCRATCH / 8 - 1, ENCODE_SCRATCH / 8, 300] {
            let value = Words(words);
            let mut w = Writer::new();
            value.encode_to(&mut w);
            let bytes = value.encode();
            assert_eq!(bytes, w.buf, "{words} words");
            assert_eq!(bytes.capacity(), bytes.len(), "{words} words");
        }
    }
}
