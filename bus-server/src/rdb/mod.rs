//! Reading Redis's serialization format (RDB), as far as RESTORE of a stream needs it: the DUMP payload's
//! footer (RDB version and CRC-64), lengths, strings (integer-encoded and LZF-compressed), millisecond times,
//! and, in `listpack` and `stream`, a stream object. Every read is bounds-checked: a malformed payload is an
//! error, never a panic.

mod listpack;
mod stream;

pub(crate) use stream::{StreamImage, load_stream};

/// The newest RDB version Redis 7.0 writes and reads.
const RDB_VERSION: u16 = 10;

/// A malformed payload (RESTORE answers `ERR Bad data format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadFormat;

/// A cursor over a payload.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// What a length field holds: a length, or the marker of a specially encoded string.
enum Length {
    Plain(u64),
    Encoded(u8),
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, at: 0 }
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], BadFormat> {
        let end = self.at.checked_add(n).ok_or(BadFormat)?;
        let slice = self.bytes.get(self.at..end).ok_or(BadFormat)?;
        self.at = end;
        Ok(slice)
    }

    pub(crate) fn byte(&mut self) -> Result<u8, BadFormat> {
        Ok(self.take(1)?[0])
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], BadFormat> {
        self.take(N)?.try_into().map_err(|_| BadFormat)
    }

    fn length_field(&mut self) -> Result<Length, BadFormat> {
        let first = self.byte()?;
        Ok(match first >> 6 {
            0 => Length::Plain(u64::from(first & 0x3f)),
            1 => Length::Plain((u64::from(first & 0x3f) << 8) | u64::from(self.byte()?)),
            3 => Length::Encoded(first & 0x3f),
            _ => match first {
                0x80 => Length::Plain(u64::from(u32::from_be_bytes(self.array()?))),
                0x81 => Length::Plain(u64::from_be_bytes(self.array()?)),
                _ => return Err(BadFormat),
            },
        })
    }

    /// A length (`rdbLoadLen`).
    pub(crate) fn length(&mut self) -> Result<u64, BadFormat> {
        match self.length_field()? {
            Length::Plain(n) => Ok(n),
            Length::Encoded(_) => Err(BadFormat),
        }
    }

    /// A length that counts items held in memory.
    pub(crate) fn count(&mut self) -> Result<usize, BadFormat> {
        usize::try_from(self.length()?).map_err(|_| BadFormat)
    }

    /// A string (`rdbGenericLoadStringObject`): raw, an integer in text, or LZF-compressed.
    pub(crate) fn string(&mut self) -> Result<Vec<u8>, BadFormat> {
        match self.length_field()? {
            Length::Plain(n) => Ok(self.take(usize::try_from(n).map_err(|_| BadFormat)?)?.to_vec()),
            Length::Encoded(0) => Ok(i8::from_le_bytes(self.array()?).to_string().into_bytes()),
            Length::Encoded(1) => Ok(i16::from_le_bytes(self.array()?).to_string().into_bytes()),
            Length::Encoded(2) => Ok(i32::from_le_bytes(self.array()?).to_string().into_bytes()),
            Length::Encoded(3) => {
                let compressed = self.count()?;
                let plain = self.count()?;
                lzf_decompress(self.take(compressed)?, plain)
            }
            Length::Encoded(_) => Err(BadFormat),
        }
    }

    /// A millisecond time (8 bytes, little-endian since RDB 9).
    pub(crate) fn millis(&mut self) -> Result<u64, BadFormat> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    /// A stream id as Redis encodes it in a key (16 bytes, big-endian ms then seq).
    pub(crate) fn raw_id(&mut self) -> Result<bus_core::EntryId, BadFormat> {
        let ms = u64::from_be_bytes(self.array()?);
        let seq = u64::from_be_bytes(self.array()?);
        Ok(bus_core::EntryId::new(ms, seq))
    }

    /// Whether the whole payload was read.
    pub(crate) fn is_done(&self) -> bool {
        self.at == self.bytes.len()
    }
}

/// The object of a DUMP payload, after checking its footer: 2 bytes of RDB version (at most Redis 7.0's) and
/// the CRC-64 of everything before it (`verifyDumpPayload`).
pub(crate) fn dump_body(payload: &[u8]) -> Option<&[u8]> {
    let split = payload.len().checked_sub(10)?;
    let (body, footer) = payload.split_at(split);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let crc = u64::from_le_bytes(footer[2..10].try_into().ok()?);
    (version <= RDB_VERSION && crc64(&payload[..split + 2]) == crc).then_some(body)
}

/// Redis's CRC-64 (Jones polynomial, reflected, initial value 0).
pub(crate) fn crc64(bytes: &[u8]) -> u64 {
    const POLY: u64 = 0x95ac_9329_ac4b_c9b5;
    bytes.iter().fold(0u64, |mut crc, &byte| {
        crc ^= u64::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ POLY } else { crc >> 1 };
        }
        crc
    })
}

/// LZF decompression of `input` into exactly `len` bytes.
fn lzf_decompress(input: &[u8], len: usize) -> Result<Vec<u8>, BadFormat> {
    let mut out: Vec<u8> = Vec::with_capacity(len);
    let mut reader = Reader::new(input);
    while !reader.is_done() {
        let ctrl = usize::from(reader.byte()?);
        if ctrl < 32 {
            out.extend_from_slice(reader.take(ctrl + 1)?);
        } else {
            let mut run = ctrl >> 5;
            if run == 7 {
                run += usize::from(reader.byte()?);
            }
            let back = ((ctrl & 0x1f) << 8) + usize::from(reader.byte()?) + 1;
            let start = out.len().checked_sub(back).ok_or(BadFormat)?;
            for i in 0..run + 2 {
                let byte = *out.get(start + i).ok_or(BadFormat)?;
                out.push(byte);
            }
        }
        if out.len() > len {
            return Err(BadFormat);
        }
    }
    if out.len() == len { Ok(out) } else { Err(BadFormat) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc64_is_redis_s() {
        // The check value of CRC-64/Jones as Redis's crc64.c tests it.
        assert_eq!(crc64(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
    }

    #[test]
    fn lengths_and_strings() {
        let mut reader = Reader::new(&[0x05, 0x41, 0x02, 0x80, 0, 0, 1, 0, 0xc0, 0xfe, 0x02, b'h', b'i']);
        assert_eq!(reader.length(), Ok(5));
        assert_eq!(reader.length(), Ok(0x102));
        assert_eq!(reader.length(), Ok(256));
        assert_eq!(reader.string(), Ok(b"-2".to_vec()));
        assert_eq!(reader.string(), Ok(b"hi".to_vec()));
        assert!(reader.is_done());
        assert_eq!(reader.byte(), Err(BadFormat));
    }

    #[test]
    fn lzf_literals_and_back_references() {
        // "abc" as a literal run, then a back reference of 3 bytes, 3 back: "abcabc".
        assert_eq!(
            lzf_decompress(&[2, b'a', b'b', b'c', 0x20, 2], 6),
            Ok(b"abcabc".to_vec())
        );
        assert_eq!(lzf_decompress(&[0x20, 5], 3), Err(BadFormat));
    }

    #[test]
    fn the_footer_is_checked() {
        let mut payload = vec![1, 2, 3, 9, 0];
        let crc = crc64(&payload);
        payload.extend_from_slice(&crc.to_le_bytes());
        assert_eq!(dump_body(&payload), Some(&[1u8, 2, 3][..]));
        payload[0] = 7;
        assert_eq!(dump_body(&payload), None);
        assert_eq!(dump_body(&[0; 4]), None);
    }
}
