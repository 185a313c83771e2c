//! What the inspection and claim operations return: pending entries, claims, and stream/group/consumer info.

use std::time::Duration;

use serde::Serialize;

use crate::entry::Entry;
use crate::id::EntryId;

/// Result of an idempotent publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Published {
    /// The entry holding the message.
    pub entry_id: EntryId,
    /// True when the topic already held the message UUID: nothing was appended and `entry_id` is the existing entry.
    pub duplicate: bool,
}

/// Summary of a group's pending list (XPENDING without a range).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PendingSummary {
    /// Number of pending entries.
    pub count: u64,
    /// Smallest pending id.
    pub min: Option<EntryId>,
    /// Largest pending id.
    pub max: Option<EntryId>,
    /// Consumers with at least one pending entry and how many they hold, by name (byte order).
    pub consumers: Vec<(String, u64)>,
}

/// One pending entry (XPENDING with a range).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct PendingEntry {
    /// The entry id.
    pub id: EntryId,
    /// The consumer that owns it.
    pub consumer: String,
    /// Time since it was last delivered (or claimed).
    #[serde(rename = "idle_ms", serialize_with = "as_millis")]
    pub idle: Duration,
    /// How many times it was delivered.
    pub delivery_count: u64,
}

/// Entries taken over by a claim: full entries, or ids only with `JUSTID`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claimed {
    /// The claimed entries (delivery counts were incremented).
    Entries(Vec<Entry>),
    /// `JUSTID`: the claimed ids (delivery counts unchanged).
    Ids(Vec<EntryId>),
}

impl Claimed {
    /// The claimed ids, in either form.
    pub fn ids(&self) -> Vec<EntryId> {
        match self {
            Claimed::Entries(entries) => entries.iter().map(|e| e.id).collect(),
            Claimed::Ids(ids) => ids.clone(),
        }
    }

    /// Number of claimed entries.
    pub fn len(&self) -> usize {
        match self {
            Claimed::Entries(entries) => entries.len(),
            Claimed::Ids(ids) => ids.len(),
        }
    }

    /// True when nothing was claimed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Result of an automatic claim (XAUTOCLAIM).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoClaimed {
    /// Cursor for the next call; `0-0` when the scan reached the end of the pending list.
    pub next: EntryId,
    /// What was claimed.
    pub claimed: Claimed,
    /// Pending ids whose entries no longer exist; they were removed from the pending list.
    pub deleted: Vec<EntryId>,
}

/// Stream-level information (XINFO STREAM).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamInfo {
    /// Number of entries.
    pub length: u64,
    /// The last id generated (survives deletion of that entry).
    pub last_generated_id: EntryId,
    /// The largest id ever deleted (`0-0` if none).
    pub max_deleted_entry_id: EntryId,
    /// Entries ever appended (XSETID's `ENTRIESADDED` can set it). Unsigned, as Redis's counter: past
    /// `i64::MAX` Redis's reply shows it as a negative integer, the same 64 bits read as signed.
    pub entries_added: u64,
    /// Number of consumer groups.
    pub groups: u64,
    /// The first entry, if any.
    pub first_entry: Option<Entry>,
    /// The last entry, if any.
    pub last_entry: Option<Entry>,
}

/// Information on one consumer group (XINFO GROUPS).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct GroupInfo {
    /// Group name.
    pub name: String,
    /// Number of consumers.
    pub consumers: u64,
    /// Number of pending entries.
    pub pending: u64,
    /// The last id delivered to the group.
    pub last_delivered_id: EntryId,
    /// Entries the group has read, when known (Redis reports nil when it cannot tell).
    ///
    /// Signed, as Redis's counter is: `ENTRIESREAD` accepts up to `i64::MAX`, and a delivery past it wraps the
    /// counter to `i64::MIN`, which Redis then reports (`-9223372036854775808`); this field shows the same.
    pub entries_read: Option<i64>,
    /// Entries not yet delivered to the group, when known (nil when Redis cannot tell).
    ///
    /// Redis computes it as entries-added minus entries-read in signed 64-bit arithmetic (wrapping), so it is
    /// negative when `ENTRIESREAD` was set above the entries added (`-11` for `ENTRIESREAD 12` on a stream that
    /// had one entry): this field shows Redis's value, never a clamped one.
    pub lag: Option<i64>,
}

/// What a conditional consumer delete did ([`Backend::consumer_delete_if_idle`](crate::Backend::consumer_delete_if_idle)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConsumerDelete {
    /// The consumer owned nothing and was idle long enough: it is gone.
    Deleted,
    /// Kept: it still owns this many pending entries.
    HasPending(u64),
    /// Kept: it was seen this recently.
    NotIdle(Duration),
    /// There is no such consumer in the group.
    NoSuchConsumer,
}

/// Information on one consumer (XINFO CONSUMERS).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct ConsumerInfo {
    /// Consumer name.
    pub name: String,
    /// Number of pending entries it owns.
    pub pending: u64,
    /// Time since it was last seen (read or claimed).
    #[serde(rename = "idle_ms", serialize_with = "as_millis")]
    pub idle: Duration,
}

fn as_millis<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u64(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX))
}
