//! Parsing of stream replies from raw [`redis::Value`]s.
//!
//! The `redis` crate's typed stream replies collect fields into maps, which loses the field order, drops
//! duplicate fields and cannot represent the nil fields of a pending entry deleted from the stream. The bus
//! hands entries back exactly as stored, so it reads the raw values itself. Both RESP2 (flat arrays) and RESP3
//! (maps) shapes are accepted.

use std::collections::HashMap;

use bus_core::{Entry, EntryId, Fields, GroupEntry, Result, Topic, TopicEntries};
use bytes::Bytes;
use redis::Value;

use crate::error::Ctx;

/// The elements of an array-like value.
pub(crate) fn array(ctx: &Ctx<'_>, value: Value) -> Result<Vec<Value>> {
    match value {
        Value::Array(items) | Value::Set(items) => Ok(items),
        Value::Map(pairs) => Ok(pairs.into_iter().flat_map(|(k, v)| [k, v]).collect()),
        other => Err(ctx.protocol(format_args!("expected an array, got {other:?}"))),
    }
}

/// The bytes of a string-like value.
pub(crate) fn bytes(ctx: &Ctx<'_>, value: Value) -> Result<Bytes> {
    match value {
        Value::BulkString(data) => Ok(Bytes::from(data)),
        Value::SimpleString(text) => Ok(Bytes::from(text)),
        Value::Okay => Ok(Bytes::from_static(b"OK")),
        Value::Int(n) => Ok(Bytes::from(n.to_string())),
        Value::VerbatimString { text, .. } => Ok(Bytes::from(text)),
        other => Err(ctx.protocol(format_args!("expected a string, got {other:?}"))),
    }
}

/// A string-like value as text (lossy).
pub(crate) fn text(ctx: &Ctx<'_>, value: Value) -> Result<String> {
    Ok(String::from_utf8_lossy(&bytes(ctx, value)?).into_owned())
}

/// An integer, sent as an integer or as its decimal text.
pub(crate) fn int(ctx: &Ctx<'_>, value: Value) -> Result<i64> {
    match value {
        Value::Int(n) => Ok(n),
        Value::BulkString(ref data) => std::str::from_utf8(data)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| ctx.protocol(format_args!("expected an integer, got {value:?}"))),
        Value::SimpleString(ref s) => s
            .parse()
            .map_err(|_| ctx.protocol(format_args!("expected an integer, got {value:?}"))),
        other => Err(ctx.protocol(format_args!("expected an integer, got {other:?}"))),
    }
}

/// A non-negative integer.
pub(crate) fn uint(ctx: &Ctx<'_>, value: Value) -> Result<u64> {
    let n = int(ctx, value)?;
    u64::try_from(n).map_err(|_| ctx.protocol(format_args!("expected a non-negative integer, got {n}")))
}

/// An optional non-negative integer (nil allowed).
pub(crate) fn opt_uint(ctx: &Ctx<'_>, value: Value) -> Result<Option<u64>> {
    match value {
        Value::Nil => Ok(None),
        other => uint(ctx, other).map(Some),
    }
}

/// An entry id.
pub(crate) fn id(ctx: &Ctx<'_>, value: Value) -> Result<EntryId> {
    let raw = bytes(ctx, value)?;
    std::str::from_utf8(&raw)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ctx.protocol(format_args!("invalid entry id {:?}", String::from_utf8_lossy(&raw))))
}

/// An optional entry id (nil allowed).
pub(crate) fn opt_id(ctx: &Ctx<'_>, value: Value) -> Result<Option<EntryId>> {
    match value {
        Value::Nil => Ok(None),
        other => id(ctx, other).map(Some),
    }
}

/// The field/value list of an entry, order and duplicates kept.
fn fields(ctx: &Ctx<'_>, value: Value) -> Result<Fields> {
    let items = array(ctx, value)?;
    if items.len() % 2 != 0 {
        return Err(ctx.protocol("odd number of field elements"));
    }
    let mut pairs = Vec::with_capacity(items.len() / 2);
    let mut iter = items.into_iter();
    while let (Some(name), Some(value)) = (iter.next(), iter.next()) {
        pairs.push((bytes(ctx, name)?, bytes(ctx, value)?));
    }
    Ok(Fields::from_pairs(pairs))
}

/// `[id, fields]` or `[id, nil]` (a deleted pending entry).
pub(crate) fn group_entry(ctx: &Ctx<'_>, value: Value) -> Result<GroupEntry> {
    let mut parts = array(ctx, value)?.into_iter();
    let (Some(raw_id), Some(raw_fields)) = (parts.next(), parts.next()) else {
        return Err(ctx.protocol("entry without id and fields"));
    };
    let entry_id = id(ctx, raw_id)?;
    match raw_fields {
        Value::Nil => Ok(GroupEntry::Deleted(entry_id)),
        raw => Ok(GroupEntry::Present(Entry::new(entry_id, fields(ctx, raw)?))),
    }
}

/// `[id, fields]`.
pub(crate) fn entry(ctx: &Ctx<'_>, value: Value) -> Result<Entry> {
    match group_entry(ctx, value)? {
        GroupEntry::Present(entry) => Ok(entry),
        GroupEntry::Deleted(id) => Err(ctx.protocol(format_args!("entry {id} without fields"))),
    }
}

/// An optional entry (nil allowed).
pub(crate) fn opt_entry(ctx: &Ctx<'_>, value: Value) -> Result<Option<Entry>> {
    match value {
        Value::Nil => Ok(None),
        other => entry(ctx, other).map(Some),
    }
}

/// A list of entries (nil: none).
pub(crate) fn entries(ctx: &Ctx<'_>, value: Value) -> Result<Vec<Entry>> {
    if value == Value::Nil {
        return Ok(Vec::new());
    }
    array(ctx, value)?.into_iter().map(|v| entry(ctx, v)).collect()
}

/// Entries of a claim: deleted ones (nil fields) are skipped, as Redis 7.0 drops them from the pending list.
pub(crate) fn claimed_entries(ctx: &Ctx<'_>, value: Value) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for item in array(ctx, value)? {
        if let GroupEntry::Present(entry) = group_entry(ctx, item)? {
            out.push(entry);
        }
    }
    Ok(out)
}

/// A list of ids.
pub(crate) fn ids(ctx: &Ctx<'_>, value: Value) -> Result<Vec<EntryId>> {
    array(ctx, value)?.into_iter().map(|v| id(ctx, v)).collect()
}

/// The reply of XREAD / XREADGROUP: `[[key, entries], …]` (RESP2) or `{key: entries}` (RESP3), mapped back to
/// the topics by key. `parse` turns each entry.
pub(crate) fn per_topic<E>(
    ctx: &Ctx<'_>,
    value: Value,
    keys: &HashMap<Vec<u8>, Topic>,
    parse: impl Fn(&Ctx<'_>, Value) -> Result<E>,
) -> Result<Vec<TopicEntries<E>>> {
    let pairs: Vec<(Value, Value)> = match value {
        Value::Map(pairs) => pairs,
        other => {
            let mut pairs = Vec::new();
            for item in array(ctx, other)? {
                let mut parts = array(ctx, item)?.into_iter();
                let (Some(key), Some(list)) = (parts.next(), parts.next()) else {
                    return Err(ctx.protocol("stream reply without key and entries"));
                };
                pairs.push((key, list));
            }
            pairs
        }
    };
    let mut out = Vec::with_capacity(pairs.len());
    for (key, list) in pairs {
        let key = bytes(ctx, key)?;
        let topic = keys
            .get(key.as_ref())
            .cloned()
            .ok_or_else(|| ctx.protocol(format_args!("unknown key {:?}", String::from_utf8_lossy(&key))))?;
        let entries = match list {
            Value::Nil => Vec::new(),
            list => array(ctx, list)?
                .into_iter()
                .map(|v| parse(ctx, v))
                .collect::<Result<_>>()?,
        };
        out.push(TopicEntries { topic, entries });
    }
    Ok(out)
}

/// The name/value pairs of an XINFO reply (flat array in RESP2, map in RESP3), by name.
pub(crate) fn info_map(ctx: &Ctx<'_>, value: Value) -> Result<HashMap<String, Value>> {
    let pairs: Vec<(Value, Value)> = match value {
        Value::Map(pairs) => pairs,
        other => {
            let items = array(ctx, other)?;
            let mut pairs = Vec::with_capacity(items.len() / 2);
            let mut iter = items.into_iter();
            while let (Some(k), Some(v)) = (iter.next(), iter.next()) {
                pairs.push((k, v));
            }
            pairs
        }
    };
    pairs.into_iter().map(|(k, v)| Ok((text(ctx, k)?, v))).collect()
}

/// Takes a field out of an XINFO map, failing when Redis did not send it.
pub(crate) fn field(ctx: &Ctx<'_>, map: &mut HashMap<String, Value>, name: &str) -> Result<Value> {
    map.remove(name)
        .ok_or_else(|| ctx.protocol(format_args!("missing field {name:?}")))
}
