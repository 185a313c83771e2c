//! Parsing of replies from raw [`redis::Value`]s into bus-core's types.
//!
//! The `redis` crate's typed stream replies collect fields into maps, which loses the field order, drops
//! duplicate fields and cannot represent the nil fields of a pending entry deleted from the stream. The bus
//! hands entries back exactly as stored, so it reads the raw values itself, and builds the records of the
//! composite replies (XPENDING, XCLAIM/XAUTOCLAIM, XINFO, the conditional consumer delete) from them too. Both
//! RESP2 (flat arrays) and RESP3 (maps) shapes are accepted; a reply of another shape is a protocol error
//! naming the operation.

use std::collections::HashMap;
use std::time::Duration;

use bus_core::{
    AutoClaimed, Claimed, ConsumerDelete, ConsumerInfo, Entry, EntryId, Fields, GroupEntry, GroupInfo, PendingEntry,
    PendingSummary, Result, StreamInfo, Topic, TopicEntries,
};
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
fn bytes(ctx: &Ctx<'_>, value: Value) -> Result<Bytes> {
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
fn text(ctx: &Ctx<'_>, value: Value) -> Result<String> {
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

/// An optional integer (nil allowed), of any sign.
fn opt_int(ctx: &Ctx<'_>, value: Value) -> Result<Option<i64>> {
    match value {
        Value::Nil => Ok(None),
        other => int(ctx, other).map(Some),
    }
}

/// An unsigned 64-bit counter that Redis replies through `addReplyLongLong`: past `i64::MAX` it arrives negative,
/// and the same bits read as unsigned are the counter.
fn counter(ctx: &Ctx<'_>, value: Value) -> Result<u64> {
    Ok(int(ctx, value)? as u64)
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
fn opt_entry(ctx: &Ctx<'_>, value: Value) -> Result<Option<Entry>> {
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
fn claimed_entries(ctx: &Ctx<'_>, value: Value) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    for item in array(ctx, value)? {
        if let GroupEntry::Present(entry) = group_entry(ctx, item)? {
            out.push(entry);
        }
    }
    Ok(out)
}

/// A list of ids.
fn ids(ctx: &Ctx<'_>, value: Value) -> Result<Vec<EntryId>> {
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
fn info_map(ctx: &Ctx<'_>, value: Value) -> Result<HashMap<String, Value>> {
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
fn field(ctx: &Ctx<'_>, map: &mut HashMap<String, Value>, name: &str) -> Result<Value> {
    map.remove(name)
        .ok_or_else(|| ctx.protocol(format_args!("missing field {name:?}")))
}

/// The summary form of XPENDING: `[count, min, max, [[consumer, count], …] or nil]`.
pub(crate) fn pending_summary(ctx: &Ctx<'_>, value: Value) -> Result<PendingSummary> {
    let mut parts = array(ctx, value)?.into_iter();
    let (Some(count), Some(min), Some(max), Some(consumers)) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ctx.protocol("XPENDING summary without four elements"));
    };
    let consumers = match consumers {
        Value::Nil => Vec::new(),
        list => array(ctx, list)?
            .into_iter()
            .map(|pair| {
                let mut pair = array(ctx, pair)?.into_iter();
                let (Some(name), Some(count)) = (pair.next(), pair.next()) else {
                    return Err(ctx.protocol("XPENDING consumer without name and count"));
                };
                Ok((text(ctx, name)?, uint(ctx, count)?))
            })
            .collect::<Result<_>>()?,
    };
    Ok(PendingSummary {
        count: uint(ctx, count)?,
        min: opt_id(ctx, min)?,
        max: opt_id(ctx, max)?,
        consumers,
    })
}

/// The extended form of XPENDING: `[[id, consumer, idle ms, delivery count], …]`.
pub(crate) fn pending_entries(ctx: &Ctx<'_>, value: Value) -> Result<Vec<PendingEntry>> {
    array(ctx, value)?
        .into_iter()
        .map(|item| {
            let mut parts = array(ctx, item)?.into_iter();
            let (Some(id_value), Some(consumer), Some(idle), Some(count)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                return Err(ctx.protocol("XPENDING entry without four elements"));
            };
            Ok(PendingEntry {
                id: id(ctx, id_value)?,
                consumer: text(ctx, consumer)?,
                idle: Duration::from_millis(uint(ctx, idle)?),
                delivery_count: uint(ctx, count)?,
            })
        })
        .collect()
}

/// What a claim returned: ids with `JUSTID`, entries otherwise.
pub(crate) fn claimed(ctx: &Ctx<'_>, value: Value, just_id: bool) -> Result<Claimed> {
    if just_id {
        Ok(Claimed::Ids(ids(ctx, value)?))
    } else {
        Ok(Claimed::Entries(claimed_entries(ctx, value)?))
    }
}

/// XAUTOCLAIM's `[next, claimed, deleted ids]`.
pub(crate) fn auto_claimed(ctx: &Ctx<'_>, value: Value, just_id: bool) -> Result<AutoClaimed> {
    let mut parts = array(ctx, value)?.into_iter();
    let (Some(next), Some(claimed_value), Some(deleted)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ctx.protocol("XAUTOCLAIM reply without three elements"));
    };
    Ok(AutoClaimed {
        next: id(ctx, next)?,
        claimed: claimed(ctx, claimed_value, just_id)?,
        deleted: ids(ctx, deleted)?,
    })
}

/// The conditional consumer delete script's `{outcome, value}`.
pub(crate) fn consumer_delete(ctx: &Ctx<'_>, value: Value) -> Result<ConsumerDelete> {
    let mut parts = array(ctx, value)?.into_iter();
    let (Some(outcome), Some(amount)) = (parts.next(), parts.next()) else {
        return Err(ctx.protocol("conditional consumer delete without outcome and value"));
    };
    let amount = uint(ctx, amount)?;
    match text(ctx, outcome)?.as_str() {
        "deleted" => Ok(ConsumerDelete::Deleted),
        "pending" => Ok(ConsumerDelete::HasPending(amount)),
        "idle" => Ok(ConsumerDelete::NotIdle(Duration::from_millis(amount))),
        "missing" => Ok(ConsumerDelete::NoSuchConsumer),
        other => Err(ctx.protocol(format!("unknown conditional delete outcome {other:?}"))),
    }
}

/// XINFO STREAM.
pub(crate) fn stream_info(ctx: &Ctx<'_>, value: Value) -> Result<StreamInfo> {
    let mut map = info_map(ctx, value)?;
    let mut take = |name: &str| field(ctx, &mut map, name);
    Ok(StreamInfo {
        length: uint(ctx, take("length")?)?,
        last_generated_id: id(ctx, take("last-generated-id")?)?,
        max_deleted_entry_id: id(ctx, take("max-deleted-entry-id")?)?,
        entries_added: counter(ctx, take("entries-added")?)?,
        groups: uint(ctx, take("groups")?)?,
        first_entry: opt_entry(ctx, take("first-entry")?)?,
        last_entry: opt_entry(ctx, take("last-entry")?)?,
    })
}

/// A list of XINFO records (XINFO GROUPS, XINFO CONSUMERS), each built by `record` from a `take` that hands
/// out its fields by name.
fn info_list<T>(
    ctx: &Ctx<'_>,
    value: Value,
    record: impl Fn(&mut dyn FnMut(&str) -> Result<Value>) -> Result<T>,
) -> Result<Vec<T>> {
    array(ctx, value)?
        .into_iter()
        .map(|item| {
            let mut map = info_map(ctx, item)?;
            record(&mut |name| field(ctx, &mut map, name))
        })
        .collect()
}

/// XINFO GROUPS.
pub(crate) fn groups_info(ctx: &Ctx<'_>, value: Value) -> Result<Vec<GroupInfo>> {
    info_list(ctx, value, |take| {
        Ok(GroupInfo {
            name: text(ctx, take("name")?)?,
            consumers: uint(ctx, take("consumers")?)?,
            pending: uint(ctx, take("pending")?)?,
            last_delivered_id: id(ctx, take("last-delivered-id")?)?,
            // Both signed, as Redis's counters: a negative value (ENTRIESREAD above entries-added, a counter
            // wrapped past i64::MAX) is Redis's answer, not a protocol error.
            entries_read: opt_int(ctx, take("entries-read")?)?,
            lag: opt_int(ctx, take("lag")?)?,
        })
    })
}

/// XINFO CONSUMERS.
pub(crate) fn consumers_info(ctx: &Ctx<'_>, value: Value) -> Result<Vec<ConsumerInfo>> {
    info_list(ctx, value, |take| {
        Ok(ConsumerInfo {
            name: text(ctx, take("name")?)?,
            pending: uint(ctx, take("pending")?)?,
            idle: Duration::from_millis(uint(ctx, take("idle")?)?),
        })
    })
}
