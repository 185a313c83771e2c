//! Decoding a listpack (Redis's `listpack.c` format): a 6-byte header, elements each an encoding byte, its
//! data and a back-length, then `0xFF`. Elements are strings or integers (Redis stores a string that reads as
//! an integer as the integer); [`element_bytes`] gives an element back as the bytes it was appended as.

use super::{BadFormat, Reader};

/// One element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Element {
    Int(i64),
    Str(Vec<u8>),
}

impl Element {
    /// The element as an integer (stream node fields: counts, flags, id deltas).
    pub(crate) fn int(&self) -> Result<i64, BadFormat> {
        match self {
            Element::Int(n) => Ok(*n),
            Element::Str(_) => Err(BadFormat),
        }
    }
}

/// The bytes an element was appended as.
pub(crate) fn element_bytes(element: Element) -> Vec<u8> {
    match element {
        Element::Int(n) => n.to_string().into_bytes(),
        Element::Str(bytes) => bytes,
    }
}

/// A signed integer of `bits` bits in the low bits of `value`.
fn signed(value: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    i64::from_ne_bytes((value << shift).to_ne_bytes()) >> shift
}

fn le(bytes: &[u8]) -> u64 {
    bytes.iter().rev().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
}

/// Every element of a listpack.
pub(crate) fn decode(listpack: &[u8]) -> Result<Vec<Element>, BadFormat> {
    let mut reader = Reader::new(listpack);
    let total = usize::try_from(le(reader.take(4)?)).map_err(|_| BadFormat)?;
    if total != listpack.len() {
        return Err(BadFormat);
    }
    reader.take(2)?;
    let mut elements = Vec::new();
    loop {
        let encoding = reader.byte()?;
        if encoding == 0xff {
            break;
        }
        let (element, len) = match encoding {
            0x00..=0x7f => (Element::Int(i64::from(encoding)), 1),
            0x80..=0xbf => {
                let n = usize::from(encoding & 0x3f);
                (Element::Str(reader.take(n)?.to_vec()), 1 + n)
            }
            0xc0..=0xdf => {
                let value = (u64::from(encoding & 0x1f) << 8) | u64::from(reader.byte()?);
                (Element::Int(signed(value, 13)), 2)
            }
            0xe0..=0xef => {
                let n = (usize::from(encoding & 0x0f) << 8) | usize::from(reader.byte()?);
                (Element::Str(reader.take(n)?.to_vec()), 2 + n)
            }
            0xf0 => {
                let n = usize::try_from(le(reader.take(4)?)).map_err(|_| BadFormat)?;
                (Element::Str(reader.take(n)?.to_vec()), 5 + n)
            }
            0xf1 => (Element::Int(signed(le(reader.take(2)?), 16)), 3),
            0xf2 => (Element::Int(signed(le(reader.take(3)?), 24)), 4),
            0xf3 => (Element::Int(signed(le(reader.take(4)?), 32)), 5),
            0xf4 => (Element::Int(signed(le(reader.take(8)?), 64)), 9),
            _ => return Err(BadFormat),
        };
        let backlen = bus_memory::listpack_backlen(u64::try_from(len).map_err(|_| BadFormat)?);
        reader.take(usize::try_from(backlen).map_err(|_| BadFormat)?)?;
        elements.push(element);
    }
    if reader.is_done() { Ok(elements) } else { Err(BadFormat) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_encoding() {
        // Header (total 23 bytes, 5 elements), then: 7-bit 5, 6-bit string "ab", 13-bit -1, int16 300, end.
        let body: Vec<u8> = vec![
            0x05, 0x01, // 5
            0x82, b'a', b'b', 0x03, // "ab"
            0xdf, 0xff, 0x02, // -1 (13 bits)
            0xf1, 0x2c, 0x01, 0x03, // 300
            0xf4, 1, 0, 0, 0, 0, 0, 0, 0x80, 0x09, // i64::MIN + 1
        ];
        let total = u32::try_from(body.len() + 7).unwrap();
        let mut listpack = total.to_le_bytes().to_vec();
        listpack.extend_from_slice(&[5, 0]);
        listpack.extend_from_slice(&body);
        listpack.push(0xff);
        let elements = decode(&listpack).unwrap();
        assert_eq!(
            elements,
            [
                Element::Int(5),
                Element::Str(b"ab".to_vec()),
                Element::Int(-1),
                Element::Int(300),
                Element::Int(i64::MIN + 1)
            ]
        );
        assert_eq!(element_bytes(Element::Int(-1)), b"-1");
        assert_eq!(decode(&listpack[..listpack.len() - 1]), Err(BadFormat));
    }
}
