//! The byte accounting of Redis's listpacks, as far as stream nodes need it.
//!
//! Redis closes a stream node when its listpack's size (`lpBytes`) plus the new entry's raw field bytes reaches
//! `stream-node-max-bytes` (see `NodeLayout`), so where node boundaries fall, and with them what `MAXLEN ~`,
//! `MINID ~` and `LIMIT` remove, depends on the exact encoded size of every element Redis stores. This module
//! computes those sizes as `listpack.c` (Redis 7.0) encodes them: integers in 1 to 9 bytes by range, strings with
//! a 1, 2 or 5 byte header by length (strings that read as a 64-bit integer are stored as integers), and after each
//! element its length again in a 1 to 5 byte "backlen". Nothing is encoded: only sizes are added up.
//!
//! The stream layout (`t_stream.c`, `streamAppendItem`): a new node starts with a master entry
//! `count deleted num-fields field… 0` taken from its first entry; each entry is `flags ms-delta seq-delta
//! [num-fields field…] value… lp-count`, the bracketed part omitted when its field names equal the master's
//! (`STREAM_ITEM_FLAG_SAMEFIELDS`). Deleting an entry rewrites `flags` (same size) and the two counters of the
//! master entry, whose encodings can grow or shrink.

use bus_core::id::parse_i64_strict;
use bus_core::{EntryId, Fields};

/// A listpack's header (total bytes, element count) and end byte: the size of an empty listpack.
pub(crate) const EMPTY_LISTPACK: u64 = 6 + 1;

/// `STREAM_ITEM_FLAG_SAMEFIELDS`: the entry's field names are the master entry's.
const SAME_FIELDS_FLAG: i64 = 2;

/// Bytes of the backlen that follows a listpack element whose encoding and data take `encoded` bytes (Redis's
/// `lpEncodeBacklen`): what a reader of Redis's listpacks (a RESTORE payload) skips after each element.
///
/// ```
/// assert_eq!((bus_memory::listpack_backlen(127), bus_memory::listpack_backlen(128)), (1, 2));
/// ```
pub fn backlen(encoded: u64) -> u64 {
    match encoded {
        0..=127 => 1,
        128..=16_382 => 2,
        16_383..=2_097_150 => 3,
        2_097_151..=268_435_454 => 4,
        _ => 5,
    }
}

/// Bytes an integer element takes, backlen included (`lpEncodeIntegerGetType`).
pub(crate) fn integer(value: i64) -> u64 {
    let encoded = match value {
        0..=127 => 1,
        -4096..=4095 => 2,
        -32_768..=32_767 => 3,
        -8_388_608..=8_388_607 => 4,
        -2_147_483_648..=2_147_483_647 => 5,
        _ => 9,
    };
    encoded + backlen(encoded)
}

/// Bytes a string element takes, backlen included (`lpEncodeGetType`): as an integer when it is the canonical
/// text of one, else a header by length and the bytes.
pub(crate) fn string(bytes: &[u8]) -> u64 {
    if let Some(value) = as_integer(bytes) {
        return integer(value);
    }
    let len = bytes.len() as u64;
    let encoded = match len {
        0..=63 => 1 + len,
        64..=4095 => 2 + len,
        _ => 5 + len,
    };
    encoded + backlen(encoded)
}

/// `lpStringToInt64`: the integer a string is the canonical decimal text of, the rule of Redis's `string2ll`.
/// Like Redis, it looks no further at 21 bytes or more (no `i64` is written that long), so large values cost
/// nothing here.
fn as_integer(bytes: &[u8]) -> Option<i64> {
    if bytes.len() >= 21 {
        return None;
    }
    std::str::from_utf8(bytes).ok().and_then(parse_i64_strict)
}

/// A new node's listpack with its master entry for `fields`, before its first entry: `count` 1, `deleted` 0,
/// the field count, the names, the terminating 0.
pub(crate) fn new_node(fields: &Fields) -> u64 {
    let names: u64 = fields.iter().map(|(name, _)| string(name)).sum();
    EMPTY_LISTPACK + integer(1) + integer(0) + integer(fields.len() as i64) + names + integer(0)
}

/// The bytes one entry adds to a node whose master entry has id `master`; `same_fields` when its names are the
/// master entry's.
pub(crate) fn entry(id: EntryId, master: EntryId, fields: &Fields, same_fields: bool) -> u64 {
    let count = fields.len() as i64;
    // Redis stores the deltas as `long long`: a sequence below the master's wraps to a negative delta.
    let ms_delta = id.ms.wrapping_sub(master.ms) as i64;
    let seq_delta = id.seq.wrapping_sub(master.seq) as i64;
    let flags = if same_fields { SAME_FIELDS_FLAG } else { 0 };
    let mut bytes = integer(flags) + integer(ms_delta) + integer(seq_delta);
    let mut elements = count + 3;
    for (name, value) in fields.iter() {
        if !same_fields {
            bytes += string(name);
        }
        bytes += string(value);
    }
    if !same_fields {
        bytes += integer(count);
        elements += count + 1;
    }
    bytes + integer(elements)
}

/// How a node's size changes when a master-entry counter goes from `from` to `to` (`lpReplaceInteger`).
pub(crate) fn counter_change(from: u64, to: u64) -> i64 {
    integer(to as i64) as i64 - integer(from as i64) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_take_redis_encoding_sizes() {
        let sizes = [
            (0, 2),
            (127, 2),
            (128, 3),
            (-1, 3),
            (-4096, 3),
            (4095, 3),
            (4096, 4),
            (-32_769, 5),
            (8_388_607, 5),
            (8_388_608, 6),
            (i64::from(i32::MIN), 6),
            (i64::from(i32::MAX) + 1, 10),
            (i64::MIN, 10),
        ];
        for (value, size) in sizes {
            assert_eq!(integer(value), size, "{value}");
        }
    }

    #[test]
    fn strings_that_are_canonical_integers_are_stored_as_integers() {
        assert_eq!(string(b"1"), 2);
        assert_eq!(string(b"-4096"), 3);
        assert_eq!(string(b"9223372036854775807"), 10);
        assert_eq!(string(b"-9223372036854775808"), 10);
        // Not canonical, or out of range: strings.
        for text in ["01", "-0", "+1", "1 ", "9223372036854775808", "-", ""] {
            assert_eq!(string(text.as_bytes()), 1 + text.len() as u64 + 1, "{text:?}");
        }
    }

    #[test]
    fn string_headers_and_backlens_grow_with_the_length() {
        assert_eq!(string(&[b'a'; 63]), 1 + 63 + 1);
        assert_eq!(string(&[b'a'; 64]), 2 + 64 + 1);
        assert_eq!(
            string(&[b'a'; 126]),
            2 + 126 + 2,
            "an encoding of 128 bytes needs a 2-byte backlen"
        );
        assert_eq!(string(&[b'a'; 4096]), 5 + 4096 + 2);
        assert_eq!(string(&vec![b'a'; 16_378]), 5 + 16_378 + 3);
    }

    #[test]
    fn an_entry_with_the_master_fields_stores_only_its_values() {
        let fields = Fields::from_pairs([("name", "value"), ("n", "7")]);
        let master = EntryId::new(1000, 0);
        // flags 2, ms delta 5, seq delta 0, "value", 7, lp-count 5.
        assert_eq!(
            entry(EntryId::new(1005, 0), master, &fields, true),
            2 + 2 + 2 + 7 + 2 + 2
        );
        // flags 0, deltas, num-fields 2, "name" "value" "n" 7, lp-count 8.
        assert_eq!(
            entry(EntryId::new(1005, 0), master, &fields, false),
            2 + 2 + 2 + 2 + 6 + 7 + 3 + 2 + 2
        );
        // A sequence below the master's is a negative delta.
        let seq = entry(EntryId::new(1001, 0), EntryId::new(1000, 5), &fields, true);
        assert_eq!(seq, 2 + 2 + 3 + 7 + 2 + 2);
        assert_eq!(new_node(&fields), 7 + 2 + 2 + 2 + 6 + 3 + 2);
        assert_eq!(counter_change(127, 128), 1);
        assert_eq!(counter_change(128, 127), -1);
    }
}
