//! One stream of the model: its entries, the nodes (listpacks) they sit in, and what Redis derives from them
//! (entries-read estimates, lag, node-by-node trimming), following `t_stream.c`.

use std::time::Duration;

use bus_core::{Entry, EntryId, Fields, GroupInfo, StreamInfo, Trim, TrimStrategy, Uuid};

use super::group::GroupModel;
use super::{DEFAULT_APPROX_LIMIT, Hint, NODE_ENTRIES, uuid_in};

/// One node (listpack) of a stream: slots for entries, `false` once deleted (a tombstone).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
struct Node {
    slots: Vec<(EntryId, bool)>,
}

impl Node {
    fn live(&self) -> u64 {
        self.slots.iter().filter(|(_, live)| *live).count() as u64
    }
}

/// One stream.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StreamModel {
    /// Live entries in id order.
    pub entries: Vec<Entry>,
    nodes: Vec<Node>,
    /// Last generated id.
    pub last_id: EntryId,
    /// Largest deleted id.
    pub max_deleted: EntryId,
    /// Entries ever added.
    pub entries_added: u64,
    /// Groups, sorted by name.
    pub groups: Vec<GroupModel>,
    /// The TTL the key was last given (PEXPIRE), kept by writes; the model has no clock, so it is the deadline
    /// as set, and a backend's PTTL must lie within a minute below it.
    pub ttl: Option<Duration>,
}

impl StreamModel {
    pub(super) fn len(&self) -> u64 {
        self.entries.len() as u64
    }

    /// `s->first_id`: the first live entry, 0-0 when empty.
    pub(super) fn first_id(&self) -> EntryId {
        self.entries.first().map_or(EntryId::MIN, |e| e.id)
    }

    /// The group of that name, if the stream has one.
    pub fn group(&self, name: &str) -> Option<&GroupModel> {
        self.groups.iter().find(|g| g.name == name)
    }

    pub(super) fn group_mut(&mut self, name: &str) -> Option<&mut GroupModel> {
        self.groups.iter_mut().find(|g| g.name == name)
    }

    /// `streamRangeHasTombstones(s, start, NULL)`.
    pub(super) fn has_tombstones_from(&self, start: EntryId) -> bool {
        // The stream is empty or has no tombstones.
        if self.len() == 0 || self.max_deleted == EntryId::MIN {
            return false;
        }
        // The latest tombstone is before the first entry.
        if self.first_id() > self.max_deleted {
            return false;
        }
        // start_id <= max_deleted_entry_id <= end_id (end is the maximum id).
        start <= self.max_deleted
    }

    /// `streamEstimateDistanceFromFirstEverEntry`: `None` is `SCG_INVALID_ENTRIES_READ` (-1). Redis returns its
    /// unsigned counters as `long long`, so a counter past `i64::MAX` comes out negative.
    pub(super) fn estimate_distance(&self, id: EntryId) -> Option<i64> {
        let known = |counter: u64| Some(counter as i64).filter(|&n| n != -1);
        // The counter of any ID in an empty, never-before-used stream is 0.
        if self.entries_added == 0 {
            return Some(0);
        }
        // In the empty stream, if the ID is smaller or equal to the last ID, it is entries_added.
        if self.len() == 0 && id <= self.last_id {
            return known(self.entries_added);
        }
        if id == self.last_id {
            return known(self.entries_added);
        } else if id > self.last_id {
            return None;
        }
        let first = self.first_id();
        if self.max_deleted == EntryId::MIN || self.max_deleted < first {
            // There's definitely no fragmentation ahead.
            if id < first {
                return known(self.entries_added.wrapping_sub(self.len()));
            } else if id == first {
                return known(self.entries_added.wrapping_sub(self.len()).wrapping_add(1));
            }
        }
        None
    }

    /// `streamReplyWithCGLag`: `(long long)entries_added - entries_read`, signed and wrapping, so it is negative
    /// when ENTRIESREAD was set above the entries added.
    fn lag(&self, group: &GroupModel) -> Option<i64> {
        if self.entries_added == 0 {
            // The lag of a newly-initialized stream is 0.
            return Some(0);
        }
        let lag = |read: i64| (self.entries_added as i64).wrapping_sub(read);
        if let Some(read) = group.entries_read
            && !self.has_tombstones_from(group.last_id)
        {
            return Some(lag(read));
        }
        self.estimate_distance(group.last_id).map(lag)
    }

    /// `streamAppendItem` after the id checks: a new node when the tail holds `NODE_ENTRIES` slots.
    pub(super) fn push(&mut self, id: EntryId, fields: Fields) {
        match self.nodes.last_mut() {
            Some(node) if node.slots.len() < NODE_ENTRIES => node.slots.push((id, true)),
            _ => self.nodes.push(Node {
                slots: vec![(id, true)],
            }),
        }
        self.entries.push(Entry::new(id, fields));
        self.entries_added += 1;
        self.last_id = id;
    }

    /// `streamDeleteItem`: marks the slot deleted, frees a node left without live entries.
    pub(super) fn delete(&mut self, id: EntryId) -> bool {
        let Some(pos) = self.entries.iter().position(|e| e.id == id) else {
            return false;
        };
        self.entries.remove(pos);
        self.kill_slot(id);
        true
    }

    pub(super) fn kill_slot(&mut self, id: EntryId) {
        for index in 0..self.nodes.len() {
            let Some(node) = self.nodes.get_mut(index) else {
                continue;
            };
            if let Some(slot) = node.slots.iter_mut().find(|(slot_id, live)| *slot_id == id && *live) {
                slot.1 = false;
                if node.live() == 0 {
                    self.nodes.remove(index);
                }
                return;
            }
        }
    }

    pub(super) fn remove_entry(&mut self, id: EntryId) {
        self.entries.retain(|e| e.id != id);
    }

    /// `streamTrim`, node by node from the head.
    fn trim_by_nodes(&mut self, strategy: TrimStrategy, approx: bool, limit: u64) -> u64 {
        let mut deleted = 0u64;
        while let Some(node) = self.nodes.first() {
            if let TrimStrategy::MaxLen(max) = strategy
                && self.len() <= max
            {
                break;
            }
            let entries = node.live();
            // Check if we exceeded the amount of work we could do.
            if limit != 0 && deleted + entries > limit {
                break;
            }
            // Check if we can remove the whole node.
            let remove_node = match strategy {
                TrimStrategy::MaxLen(max) => self.len() - entries >= max,
                // The node's last id, tombstone or not (`lpGetEdgeStreamID`), is below the threshold.
                TrimStrategy::MinId(min) => node.slots.last().is_some_and(|(last, _)| *last < min),
            };
            if remove_node {
                let node = self.nodes.remove(0);
                for (id, live) in node.slots {
                    if live {
                        self.remove_entry(id);
                    }
                }
                deleted += entries;
                continue;
            }
            // If we cannot remove a whole element, and approx is true, stop here.
            if approx {
                break;
            }
            // Mark entries of this node deleted until the strategy is satisfied; the node stays, even when
            // no live entry is left in it.
            let mut index = 0;
            while let Some(&(id, live)) = self.nodes.first().and_then(|n| n.slots.get(index)) {
                let stop = match strategy {
                    TrimStrategy::MaxLen(max) => self.len() <= max,
                    TrimStrategy::MinId(min) => id >= min,
                };
                if stop {
                    break;
                }
                if live {
                    if let Some(slot) = self.nodes.first_mut().and_then(|n| n.slots.get_mut(index)) {
                        slot.1 = false;
                    }
                    self.remove_entry(id);
                    deleted += 1;
                }
                index += 1;
            }
            break;
        }
        deleted
    }

    /// A trim. Approximate trims follow the nodes, unless the backend's count is given (no exact node emulation):
    /// then it is checked to lie within Redis's bounds and the oldest entries are removed accordingly.
    pub(super) fn trim(&mut self, trim: &Trim, hint: Hint) -> Result<u64, String> {
        let limit = match (trim.approx, trim.limit) {
            (false, _) => 0,
            (true, Some(limit)) => limit,
            (true, None) => DEFAULT_APPROX_LIMIT,
        };
        match (trim.approx, hint.approx_removed) {
            (true, Some(removed)) => {
                let exact = self.clone().trim_by_nodes(trim.strategy, false, 0);
                if removed > exact || (limit != 0 && removed > limit) {
                    return Err(format!(
                        "approximate trim {trim:?} removed {removed} entries; an exact trim removes {exact}, LIMIT is \
                         {limit} (0: none): it may remove fewer, never more"
                    ));
                }
                for _ in 0..removed {
                    if let Some(first) = self.entries.first().map(|e| e.id) {
                        self.remove_entry(first);
                        self.kill_slot(first);
                    }
                }
                Ok(removed)
            }
            _ => Ok(self.trim_by_nodes(trim.strategy, trim.approx, limit)),
        }
    }

    pub(super) fn range(&self, start: EntryId, end: EntryId) -> impl DoubleEndedIterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.id >= start && e.id <= end)
    }

    /// XINFO STREAM.
    pub fn info(&self) -> StreamInfo {
        StreamInfo {
            length: self.len(),
            last_generated_id: self.last_id,
            max_deleted_entry_id: self.max_deleted,
            entries_added: self.entries_added,
            groups: self.groups.len() as u64,
            first_entry: self.entries.first().cloned(),
            last_entry: self.entries.last().cloned(),
        }
    }

    /// XINFO GROUPS.
    pub fn groups_info(&self) -> Vec<GroupInfo> {
        self.groups
            .iter()
            .map(|g| GroupInfo {
                name: g.name.clone(),
                consumers: g.consumers.len() as u64,
                pending: g.pending.len() as u64,
                last_delivered_id: g.last_id,
                entries_read: g.entries_read,
                lag: self.lag(g),
            })
            .collect()
    }

    /// The oldest live entry holding the UUID.
    pub(super) fn lookup(&self, uuid: Uuid) -> Option<EntryId> {
        self.entries
            .iter()
            .find(|e| uuid_in(&e.fields) == Some(uuid))
            .map(|e| e.id)
    }
}
