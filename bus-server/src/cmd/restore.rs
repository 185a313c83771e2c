//! `RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]`: creates a key from
//! a DUMP payload. Redis's order: the options, the key (BUSYKEY unless REPLACE), the TTL, the payload's version
//! and checksum, then the object (`Bad data format`).
//!
//! Deviation: only streams can be restored (bus-memory's other types are minimal); a payload of another type
//! answers `ERR Bad data format`. IDLETIME and FREQ are checked and ignored (there is no eviction).

use std::time::Duration;

use bus_core::{AppendOptions, Backend, EntryId, GroupCreateOptions, GroupStart, Topic};
use bus_memory::MemoryBackend;
use bytes::Bytes;

use crate::client::Client;
use crate::command::{CmdResult, CommandSpec, KeySpec, doc, handler, integer, is, syntax_error, topic};
use crate::rdb::{StreamImage, dump_body, load_stream};
use crate::resp::Reply;

pub(crate) const SPEC: CommandSpec = CommandSpec::new(
    "restore",
    -4,
    &["write", "denyoom"],
    &["@keyspace", "@write", "@slow", "@dangerous"],
    doc(
        "Create a key using the provided serialized value, previously obtained using DUMP.",
        "2.6.0",
        "generic",
        "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
    ),
    handler!(run),
)
.keys((1, 1, 1), &[KeySpec::first(&["OW", "update"])]);

fn bad_format() -> Reply {
    Reply::error("ERR Bad data format")
}

/// REPLACE and ABSTTL; IDLETIME and FREQ are checked as Redis checks them (and exclude each other).
fn options(args: &[Bytes]) -> Result<(bool, bool), Reply> {
    let (mut replace, mut absttl, mut idle, mut freq) = (false, false, false, false);
    let mut j = 4;
    while j < args.len() {
        let more = args.len() - j - 1;
        if is(&args[j], "REPLACE") {
            replace = true;
        } else if is(&args[j], "ABSTTL") {
            absttl = true;
        } else if is(&args[j], "IDLETIME") && more >= 1 && !freq {
            if integer(&args[j + 1])? < 0 {
                return Err(Reply::error("ERR Invalid IDLETIME value, must be >= 0"));
            }
            idle = true;
            j += 1;
        } else if is(&args[j], "FREQ") && more >= 1 && !idle {
            if !(0..=255).contains(&integer(&args[j + 1])?) {
                return Err(Reply::error("ERR Invalid FREQ value, must be >= 0 and <= 255"));
            }
            freq = true;
            j += 1;
        } else {
            return Err(syntax_error());
        }
        j += 1;
    }
    Ok((replace, absttl))
}

/// Whether the image can be stored as it is: ids in order, counters consistent (so the appends that rebuild it
/// cannot fail half-way).
fn consistent(image: &StreamImage) -> bool {
    let ordered = image.entries.windows(2).all(|pair| pair[0].id < pair[1].id);
    let last = image.entries.last().map_or(EntryId::MIN, |entry| entry.id);
    let length = u64::try_from(image.entries.len()).unwrap_or(u64::MAX);
    ordered
        && image.entries.first().is_none_or(|entry| entry.id > EntryId::MIN)
        && last <= image.last_id
        && image.max_deleted_id <= image.last_id
        && image.entries_added >= length
        && i64::try_from(image.entries_added).is_ok()
}

async fn restore(db: &MemoryBackend, key: &Topic, image: StreamImage) -> Result<(), Reply> {
    if image.entries.is_empty() {
        // An empty stream: created by a group that is then dropped.
        let placeholder = "\u{0}restore";
        let options = GroupCreateOptions::new().mkstream();
        db.group_create(key, placeholder, GroupStart::Id(EntryId::MIN), &options)
            .await?;
        db.group_destroy(key, placeholder).await?;
    }
    for entry in image.entries {
        db.append(key, entry.fields, &AppendOptions::new().id(entry.id)).await?;
    }
    let max_deleted = Some(image.max_deleted_id).filter(|id| *id != EntryId::MIN);
    db.set_stream_id(key, image.last_id, Some(image.entries_added), max_deleted)?;
    for group in image.groups {
        db.restore_group(key, group)?;
    }
    Ok(())
}

async fn run(client: &mut Client, args: &[Bytes]) -> CmdResult {
    let (replace, absttl) = options(args)?;
    let key = topic(&args[1])?;
    let db = client.db();
    if !replace && db.key_type(&key).is_some() {
        return Err(Reply::error("BUSYKEY Target key name already exists."));
    }
    let ttl = integer(&args[2])?;
    let ttl = u64::try_from(ttl).map_err(|_| Reply::error("ERR Invalid TTL value, must be >= 0"))?;
    let Some(body) = dump_body(&args[3]) else {
        return Err(Reply::error("ERR DUMP payload version or checksum are wrong"));
    };
    let image = match load_stream(body) {
        Ok(Some(image)) if consistent(&image) => image,
        _ => return Err(bad_format()),
    };
    if replace {
        db.del(std::slice::from_ref(&key));
    }
    let left = match (ttl, absttl) {
        (0, _) => None,
        (at, true) => Some(at.saturating_sub(db.clock().now_ms())),
        (ms, false) => Some(ms),
    };
    // A deadline already past: the key is not created (Redis deletes it at once).
    if left == Some(0) {
        return Ok(Reply::ok());
    }
    restore(db, &key, image).await?;
    if let Some(ms) = left {
        db.expire_topic(&key, Duration::from_millis(ms)).await?;
    }
    Ok(Reply::ok())
}
