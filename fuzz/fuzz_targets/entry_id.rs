//! Every argument form of an entry id, on arbitrary text: no parser may panic, and an id that parses prints
//! back to a text that parses to the same id (ids are printed in their canonical `ms-seq` form).
#![no_main]

use std::str::FromStr;

use bus_core::{AppendId, EntryId, GroupCursor, GroupStart, RangeBound, ReadCursor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    for missing_seq in [0, u64::MAX] {
        if let Ok(id) = EntryId::parse_strict(text, missing_seq) {
            assert_eq!(EntryId::from_str(&id.to_string()).ok(), Some(id), "strict {text:?}");
        }
        if let Ok(id) = EntryId::parse_lenient(text, missing_seq) {
            assert_eq!(EntryId::from_str(&id.to_string()).ok(), Some(id), "lenient {text:?}");
        }
    }
    if let Ok(id) = AppendId::from_str(text) {
        assert_eq!(AppendId::from_str(&id.to_string()).ok(), Some(id), "append {text:?}");
    }
    if let Ok(cursor) = ReadCursor::from_str(text) {
        assert_eq!(ReadCursor::from_str(&cursor.to_string()).ok(), Some(cursor), "read {text:?}");
    }
    if let Ok(cursor) = GroupCursor::from_str(text) {
        assert_eq!(GroupCursor::from_str(&cursor.to_string()).ok(), Some(cursor), "group read {text:?}");
    }
    let _ = GroupStart::from_str(text);
    let _ = GroupStart::parse_setid(text);
    for bound in [RangeBound::parse_start(text), RangeBound::parse_end(text)] {
        if let Ok(bound) = bound {
            let _ = bound.resolve_start();
            let _ = bound.resolve_end();
        }
    }
    let _ = bus_core::id::parse_u64(text);
    let _ = bus_core::id::parse_i64_strict(text);
});
