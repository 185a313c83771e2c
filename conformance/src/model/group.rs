//! One consumer group of the model: its position, its entries-read counter, its pending entries and consumers.

use std::time::Duration;

use bus_core::{ConsumerInfo, EntryId, PendingEntry, PendingSummary};

use super::LONG_IDLE;

/// One entry of a group's pending entries list (Redis's `streamNACK`): delivered, not yet acknowledged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingEntryModel {
    /// Entry id.
    pub id: EntryId,
    /// The consumer owning it.
    pub owner: String,
    /// Deliveries so far.
    pub delivery_count: u64,
    /// Whether its delivery time lies hours in the past (set by `XCLAIM … IDLE`).
    pub long_idle: bool,
}

impl PendingEntryModel {
    /// A pending entry just delivered (or created by a forced claim) to `owner`.
    pub(super) fn delivered(id: EntryId, owner: &str) -> PendingEntryModel {
        PendingEntryModel {
            id,
            owner: owner.to_owned(),
            delivery_count: 1,
            long_idle: false,
        }
    }

    /// Its idle time as the model knows it: none, or the hour an IDLE claim set (see [`super::LONG_IDLE`]).
    pub fn idle(&self) -> Duration {
        if self.long_idle { LONG_IDLE } else { Duration::ZERO }
    }

    /// The XPENDING row.
    pub fn row(&self) -> PendingEntry {
        PendingEntry {
            id: self.id,
            consumer: self.owner.clone(),
            idle: self.idle(),
            delivery_count: self.delivery_count,
        }
    }
}

/// A consumer group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupModel {
    /// Name.
    pub name: String,
    /// Last delivered id.
    pub last_id: EntryId,
    /// Entries read, `None` where Redis holds `SCG_INVALID_ENTRIES_READ` (-1); signed and wrapping like
    /// Redis's `long long` counter.
    pub entries_read: Option<i64>,
    /// The pending entries list, sorted by id.
    pub pending: Vec<PendingEntryModel>,
    /// Consumer names, sorted.
    pub consumers: Vec<String>,
}

/// An ENTRIESREAD argument (at most `i64::MAX`, the backends refuse more) as the group's signed counter.
pub(super) fn counter_from_option(entries_read: Option<u64>) -> Option<i64> {
    entries_read.and_then(|n| i64::try_from(n).ok())
}

/// `cg->entries_read++` in Redis: wraps past `i64::MAX`; reaching -1 would make it `SCG_INVALID_ENTRIES_READ`.
pub(super) fn counter_after_one_more(read: i64) -> Option<i64> {
    Some(read.wrapping_add(1)).filter(|&n| n != -1)
}

impl GroupModel {
    /// A group at `last_id`, with nothing pending and no consumers.
    pub(super) fn new(name: &str, last_id: EntryId, entries_read: Option<u64>) -> GroupModel {
        GroupModel {
            name: name.to_owned(),
            last_id,
            entries_read: counter_from_option(entries_read),
            pending: Vec::new(),
            consumers: Vec::new(),
        }
    }

    /// Creates the consumer if it is missing; true when it was.
    pub(super) fn ensure_consumer(&mut self, name: &str) -> bool {
        if self.consumers.iter().any(|c| c == name) {
            return false;
        }
        self.consumers.push(name.to_owned());
        self.consumers.sort();
        true
    }

    pub(super) fn pending_entry(&mut self, id: EntryId) -> Option<&mut PendingEntryModel> {
        self.pending.iter_mut().find(|p| p.id == id)
    }

    pub(super) fn insert_pending(&mut self, entry: PendingEntryModel) {
        self.pending.push(entry);
        self.pending.sort_by_key(|p| p.id);
    }

    /// How many pending entries the consumer owns.
    pub fn owned_by(&self, consumer: &str) -> u64 {
        self.pending.iter().filter(|p| p.owner == consumer).count() as u64
    }

    /// XPENDING summary.
    pub fn summary(&self) -> PendingSummary {
        PendingSummary {
            count: self.pending.len() as u64,
            min: self.pending.first().map(|p| p.id),
            max: self.pending.last().map(|p| p.id),
            consumers: self
                .consumers
                .iter()
                .map(|name| (name.clone(), self.owned_by(name)))
                .filter(|(_, owned)| *owned > 0)
                .collect(),
        }
    }

    /// XINFO CONSUMERS. Consumers are always "recently seen" in the model: nothing makes one idle for hours.
    pub fn consumers_info(&self) -> Vec<ConsumerInfo> {
        self.consumers
            .iter()
            .map(|name| ConsumerInfo {
                name: name.clone(),
                pending: self.owned_by(name),
                idle: Duration::ZERO,
            })
            .collect()
    }
}
