//! A stream object of an RDB payload (`rdbLoadObject`, types `STREAM_LISTPACKS` = 15, saved by Redis before
//! 7.0, and `STREAM_LISTPACKS_2` = 19): its nodes (a master id and a listpack each), length and last id, in
//! type 19 its first id, largest deleted id and entries added, then its groups with their pending entries and
//! consumers. Stream 15 payloads get Redis's values for what they lack: entries added = length, no deleted id,
//! groups' entries-read estimated.

use bus_core::{Entry, EntryId, Fields};
use bus_memory::GroupImage;
use bytes::Bytes;

use super::listpack::{self, Element, element_bytes};
use super::{BadFormat, Reader};

const STREAM_LISTPACKS: u8 = 15;
const STREAM_LISTPACKS_2: u8 = 19;
/// Entry flags of a stream node.
const DELETED: i64 = 1;
const SAME_FIELDS: i64 = 2;

/// A stream as a payload describes it.
#[derive(Debug)]
pub(crate) struct StreamImage {
    pub(crate) entries: Vec<Entry>,
    pub(crate) last_id: EntryId,
    pub(crate) max_deleted_id: EntryId,
    pub(crate) entries_added: u64,
    pub(crate) groups: Vec<GroupImage>,
}

/// The stream object of a payload whose type byte comes first; `None` for an object of another type.
pub(crate) fn load_stream(body: &[u8]) -> Result<Option<StreamImage>, BadFormat> {
    let mut reader = Reader::new(body);
    let kind = reader.byte()?;
    if kind != STREAM_LISTPACKS && kind != STREAM_LISTPACKS_2 {
        return Ok(None);
    }
    let mut entries = Vec::new();
    for _ in 0..reader.count()? {
        let key = reader.string()?;
        let master = Reader::new(&key).raw_id()?;
        node_entries(master, &listpack::decode(&reader.string()?)?, &mut entries)?;
    }
    let length = reader.length()?;
    let last_id = EntryId::new(reader.length()?, reader.length()?);
    let legacy = kind == STREAM_LISTPACKS;
    let (max_deleted_id, entries_added) = if legacy {
        (EntryId::MIN, length)
    } else {
        let _first = (reader.length()?, reader.length()?);
        let max_deleted = EntryId::new(reader.length()?, reader.length()?);
        (max_deleted, reader.length()?)
    };
    if u64::try_from(entries.len()).ok() != Some(length) {
        return Err(BadFormat);
    }
    let mut groups = Vec::new();
    for _ in 0..reader.count()? {
        groups.push(group(&mut reader, legacy)?);
    }
    if !reader.is_done() {
        return Err(BadFormat);
    }
    Ok(Some(StreamImage {
        entries,
        last_id,
        max_deleted_id,
        entries_added,
        groups,
    }))
}

fn group(reader: &mut Reader<'_>, legacy: bool) -> Result<GroupImage, BadFormat> {
    let name = String::from_utf8(reader.string()?).map_err(|_| BadFormat)?;
    let last_id = EntryId::new(reader.length()?, reader.length()?);
    let entries_read = if legacy {
        None
    } else {
        // Redis writes its signed counter as an unsigned length (-1: unknown).
        Some(i64::from_ne_bytes(reader.length()?.to_ne_bytes())).filter(|n| *n != -1)
    };
    let mut nacks = std::collections::BTreeMap::new();
    for _ in 0..reader.count()? {
        let id = reader.raw_id()?;
        let delivery_time = reader.millis()?;
        nacks.insert(id, (delivery_time, reader.length()?));
    }
    let (mut pending, mut consumers) = (Vec::new(), Vec::new());
    for _ in 0..reader.count()? {
        let consumer = String::from_utf8(reader.string()?).map_err(|_| BadFormat)?;
        consumers.push((consumer.clone(), reader.millis()?));
        for _ in 0..reader.count()? {
            let id = reader.raw_id()?;
            let (delivery_time, delivery_count) = nacks.remove(&id).ok_or(BadFormat)?;
            pending.push((id, consumer.clone(), delivery_time, delivery_count));
        }
    }
    // Every pending entry has an owner.
    if !nacks.is_empty() {
        return Err(BadFormat);
    }
    pending.sort_by_key(|(id, ..)| *id);
    Ok(GroupImage {
        name,
        last_id,
        entries_read,
        estimate: legacy,
        pending,
        consumers,
    })
}

/// An element as a count (non-negative).
fn count(element: Option<&Element>) -> Result<usize, BadFormat> {
    usize::try_from(element.ok_or(BadFormat)?.int()?).map_err(|_| BadFormat)
}

/// The live entries of one node: the master entry (count, deleted, the master fields, 0), then each entry's
/// flags, id deltas, fields (unless the master's), values and element count.
fn node_entries(master: EntryId, elements: &[Element], out: &mut Vec<Entry>) -> Result<(), BadFormat> {
    let mut items = elements.iter();
    let live = count(items.next())?;
    let deleted = count(items.next())?;
    let master_fields: Vec<Vec<u8>> = (0..count(items.next())?)
        .map(|_| items.next().cloned().map(element_bytes).ok_or(BadFormat))
        .collect::<Result<_, _>>()?;
    if count(items.next())? != 0 {
        return Err(BadFormat);
    }
    for _ in 0..live.checked_add(deleted).ok_or(BadFormat)? {
        let flags = items.next().ok_or(BadFormat)?.int()?;
        let ms = master.ms.wrapping_add_signed(items.next().ok_or(BadFormat)?.int()?);
        let seq = master.seq.wrapping_add_signed(items.next().ok_or(BadFormat)?.int()?);
        let mut pairs: Vec<(Bytes, Bytes)> = Vec::new();
        if flags & SAME_FIELDS != 0 {
            for field in &master_fields {
                let value = element_bytes(items.next().cloned().ok_or(BadFormat)?);
                pairs.push((Bytes::from(field.clone()), Bytes::from(value)));
            }
        } else {
            for _ in 0..count(items.next())? {
                let field = element_bytes(items.next().cloned().ok_or(BadFormat)?);
                let value = element_bytes(items.next().cloned().ok_or(BadFormat)?);
                pairs.push((Bytes::from(field), Bytes::from(value)));
            }
        }
        items.next().ok_or(BadFormat)?;
        if flags & DELETED == 0 {
            out.push(Entry::new(EntryId::new(ms, seq), Fields::from_pairs(pairs)));
        }
    }
    if items.next().is_some() {
        return Err(BadFormat);
    }
    Ok(())
}
