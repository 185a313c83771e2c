//! Entry storage of one stream, laid out like Redis's: a sequence of nodes (listpacks) sized as Redis sizes them.
//!
//! Redis keeps entries in listpack nodes and deleting an entry only marks it (a tombstone) until its whole node
//! empties; approximate trimming removes whole nodes only. Emulating the nodes, with the limits of the backend's
//! [`NodeLayout`] (entries per node, tombstones included, and Redis's listpack bytes, see `listpack`), makes
//! `MAXLEN ~`/`MINID ~` and `LIMIT` remove exactly the entries a real server would. Nodes are found by binary
//! search, so append is O(1), a lookup by id O(log n) and a range O(log n + k). Removals report each removed
//! entry to the caller, which keeps the UUID index (`crate::index`) in step.
//!
//! Slots are kept in append order, as in a listpack. Live entries are always in increasing id order, and so are
//! all slots unless XSETID moved the last id below a deleted entry and a later append reused the gap: the
//! stream is then *disordered* and lookups scan instead of searching (Redis walks its listpacks the same way;
//! only the search shortcut is lost).

use std::collections::VecDeque;

use bus_core::{Entry, EntryId, Fields, TrimStrategy};

use crate::info::NodeInfo;
use crate::layout::NodeLayout;
use crate::listpack;

/// One slot of a node: an entry, or the tombstone of a deleted one.
#[derive(Clone, Debug)]
struct Slot {
    id: EntryId,
    fields: Option<Fields>,
}

/// A node: consecutive slots. XDEL removes a node with its last live entry; a node an exact trim empties stays
/// (as in Redis, whose `streamTrim` only marks entries deleted) and goes on filling until it is full.
#[derive(Clone, Debug)]
struct Node {
    slots: Vec<Slot>,
    live: u64,
    /// The listpack's size as Redis would have it (`lpBytes`).
    bytes: u64,
    /// The fields of the node's first entry, whose names form the master entry.
    master: Fields,
}

impl Node {
    /// A node holding one entry: the master entry built from it, then the entry.
    fn new(id: EntryId, fields: Fields) -> Node {
        let bytes = listpack::new_node(&fields) + listpack::entry(id, id, &fields, true);
        Node {
            slots: vec![Slot {
                id,
                fields: Some(fields.clone()),
            }],
            live: 1,
            bytes,
            master: fields,
        }
    }

    /// The master entry's id: the node's key in Redis's radix tree.
    fn master_id(&self) -> EntryId {
        self.slots.first().map_or(EntryId::MIN, |s| s.id)
    }

    fn last_id(&self) -> EntryId {
        self.slots.last().map_or(EntryId::MIN, |s| s.id)
    }

    /// `streamAppendItem`'s test: the node takes the entry unless its listpack plus the entry's raw bytes reaches
    /// the byte limit, or it holds `max_entries` slots.
    fn has_room(&self, fields: &Fields, layout: &NodeLayout) -> bool {
        if self.bytes + fields.byte_len() as u64 >= layout.byte_limit() {
            return false;
        }
        layout.max_entries == 0 || (self.slots.len() as u64) < layout.max_entries
    }

    fn append(&mut self, id: EntryId, fields: Fields) {
        let same_fields =
            self.master.len() == fields.len() && self.master.iter().zip(fields.iter()).all(|((a, _), (b, _))| a == b);
        let entry = listpack::entry(id, self.master_id(), &fields, same_fields);
        self.resize(listpack::counter_change(self.live, self.live + 1));
        self.bytes += entry;
        self.slots.push(Slot {
            id,
            fields: Some(fields),
        });
        self.live += 1;
    }

    /// Accounts for `removed` more entries marked deleted: the master entry's live and deleted counters change.
    fn mark_deleted(&mut self, removed: u64) {
        let deleted = self.slots.len() as u64 - self.live;
        let change = listpack::counter_change(self.live, self.live - removed)
            + listpack::counter_change(deleted, deleted + removed);
        self.resize(change);
        self.live -= removed;
    }

    fn resize(&mut self, change: i64) {
        self.bytes = self.bytes.saturating_add_signed(change);
    }

    /// The index of the live slot with this id.
    fn live_slot(&self, id: EntryId, disordered: bool) -> Option<usize> {
        let index = if disordered {
            self.slots.iter().position(|s| s.id == id && s.fields.is_some())?
        } else {
            self.slots.binary_search_by(|slot| slot.id.cmp(&id)).ok()?
        };
        self.slots[index].fields.is_some().then_some(index)
    }
}

/// The entries of a stream with the counters Redis keeps beside them.
#[derive(Debug, Default)]
pub(crate) struct Stream {
    nodes: VecDeque<Node>,
    length: u64,
    pub(crate) last_id: EntryId,
    pub(crate) max_deleted_id: EntryId,
    pub(crate) entries_added: u64,
    /// Some slot ids are out of order (see the module documentation); cleared when the last node goes.
    disordered: bool,
}

impl Stream {
    pub(crate) fn len(&self) -> u64 {
        self.length
    }

    /// Redis's `first_id`: the first live entry, or 0-0 when empty.
    pub(crate) fn first_id(&self) -> EntryId {
        self.first_slot().map_or(EntryId::MIN, |slot| slot.id)
    }

    /// The id of the last live entry (Redis's `streamLastValidID`). Only a node an exact trim emptied can hold no
    /// live entry, and only at the head, so this looks at one or two nodes.
    pub(crate) fn last_live_id(&self) -> Option<EntryId> {
        self.nodes
            .iter()
            .rev()
            .flat_map(|node| node.slots.iter().rev())
            .find(|slot| slot.fields.is_some())
            .map(|slot| slot.id)
    }

    fn first_slot(&self) -> Option<&Slot> {
        self.nodes
            .iter()
            .flat_map(|node| node.slots.iter())
            .find(|slot| slot.fields.is_some())
    }

    pub(crate) fn first_entry(&self) -> Option<Entry> {
        self.first_slot().and_then(live_entry)
    }

    pub(crate) fn last_entry(&self) -> Option<Entry> {
        let id = self.last_live_id()?;
        self.get(id).map(|fields| Entry::new(id, fields.clone()))
    }

    /// Appends an entry whose id the caller checked to be above `last_id`, into the tail node if it has room
    /// under `layout`, else into a new node.
    pub(crate) fn push(&mut self, id: EntryId, fields: Fields, layout: &NodeLayout) {
        match self.nodes.back_mut() {
            Some(node) if node.has_room(&fields, layout) => {
                self.disordered |= id <= node.last_id();
                node.append(id, fields);
            }
            tail => {
                self.disordered |= tail.is_some_and(|node| id <= node.last_id());
                self.nodes.push_back(Node::new(id, fields));
            }
        }
        self.length += 1;
        self.entries_added += 1;
        self.last_id = id;
    }

    /// The fields of a live entry.
    pub(crate) fn get(&self, id: EntryId) -> Option<&Fields> {
        let (node, slot) = self.find_live(id)?;
        self.nodes.get(node)?.slots.get(slot)?.fields.as_ref()
    }

    /// The node and slot of a live entry.
    fn find_live(&self, id: EntryId) -> Option<(usize, usize)> {
        if self.disordered {
            return self
                .nodes
                .iter()
                .enumerate()
                .find_map(|(index, node)| Some((index, node.live_slot(id, true)?)));
        }
        let index = self.nodes.partition_point(|node| node.last_id() < id);
        let node = self.nodes.get(index).filter(|node| node.master_id() <= id)?;
        Some((index, node.live_slot(id, false)?))
    }

    /// Live entries with `start <= id <= end`, ascending, at most `count` (0: no limit).
    pub(crate) fn range(&self, start: EntryId, end: EntryId, count: usize) -> Vec<Entry> {
        let limit = if count == 0 { usize::MAX } else { count };
        let first_node = if self.disordered {
            0
        } else {
            self.nodes.partition_point(|node| node.last_id() < start)
        };
        self.nodes
            .range(first_node..)
            .flat_map(|node| node.slots.iter())
            .filter(|slot| slot.fields.is_some())
            .skip_while(|slot| slot.id < start)
            .take_while(|slot| slot.id <= end)
            .filter_map(live_entry)
            .take(limit)
            .collect()
    }

    /// Live entries with `start <= id <= end`, descending, at most `count` (0: no limit).
    pub(crate) fn rev_range(&self, start: EntryId, end: EntryId, count: usize) -> Vec<Entry> {
        let limit = if count == 0 { usize::MAX } else { count };
        let past_last_node = if self.disordered {
            self.nodes.len()
        } else {
            self.nodes.partition_point(|node| node.master_id() <= end)
        };
        self.nodes
            .range(..past_last_node)
            .rev()
            .flat_map(|node| node.slots.iter().rev())
            .filter(|slot| slot.fields.is_some())
            .skip_while(|slot| slot.id > end)
            .take_while(|slot| slot.id >= start)
            .filter_map(live_entry)
            .take(limit)
            .collect()
    }

    /// Deletes one entry (XDEL's per-id step) and returns its fields; the caller updates `max_deleted_id`.
    pub(crate) fn delete(&mut self, id: EntryId) -> Option<Fields> {
        let (node_index, slot_index) = self.find_live(id)?;
        let node = self.nodes.get_mut(node_index)?;
        let fields = node.slots.get_mut(slot_index)?.fields.take()?;
        if node.live == 1 {
            self.nodes.remove(node_index);
            self.disordered &= !self.nodes.is_empty();
        } else {
            node.mark_deleted(1);
        }
        self.length -= 1;
        Some(fields)
    }

    /// Redis's `streamTrim`: removes whole nodes from the head while the strategy allows, then (exact trims
    /// only) marks entries of the next node deleted. `limit` bounds the entries removed (0: unbounded).
    /// `removed` sees every entry removed.
    pub(crate) fn trim(
        &mut self,
        strategy: TrimStrategy,
        approx: bool,
        limit: u64,
        removed: &mut impl FnMut(EntryId, &Fields),
    ) -> u64 {
        let mut deleted = 0u64;
        while let Some(node) = self.nodes.front() {
            if let TrimStrategy::MaxLen(max) = strategy
                && self.length <= max
            {
                break;
            }
            let entries = node.live;
            if limit != 0 && deleted + entries > limit {
                break;
            }
            let remove_node = match strategy {
                TrimStrategy::MaxLen(max) => self.length - entries >= max,
                // The node's last slot, tombstone or not (`lpGetEdgeStreamID`).
                TrimStrategy::MinId(min) => node.last_id() < min,
            };
            if remove_node {
                if let Some(node) = self.nodes.pop_front() {
                    for slot in &node.slots {
                        if let Some(fields) = &slot.fields {
                            removed(slot.id, fields);
                        }
                    }
                }
                self.length -= entries;
                deleted += entries;
                continue;
            }
            if !approx {
                deleted += self.trim_front_node(strategy, removed);
            }
            break;
        }
        self.disordered &= !self.nodes.is_empty();
        deleted
    }

    /// The exact part of a trim: marks entries of the first node deleted, in slot order, until the strategy is
    /// satisfied. The node stays even when no live entry is left (a MINID at a tombstone that ends it): Redis
    /// keeps it, appends fill it up, and the node boundaries of later approximate trims depend on it.
    fn trim_front_node(&mut self, strategy: TrimStrategy, removed: &mut impl FnMut(EntryId, &Fields)) -> u64 {
        let Some(node) = self.nodes.front_mut() else {
            return 0;
        };
        let mut count = 0;
        for slot in &mut node.slots {
            let satisfied = match strategy {
                TrimStrategy::MaxLen(max) => self.length <= max,
                TrimStrategy::MinId(min) => slot.id >= min,
            };
            if satisfied {
                break;
            }
            if let Some(fields) = slot.fields.take() {
                self.length -= 1;
                removed(slot.id, &fields);
                count += 1;
            }
        }
        node.mark_deleted(count);
        count
    }

    /// Number of nodes (Redis's `radix-tree-keys`).
    pub(crate) fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes' keys in Redis's radix tree (their master ids), in node order.
    pub(crate) fn node_keys(&self) -> impl Iterator<Item = EntryId> + '_ {
        self.nodes.iter().map(Node::master_id)
    }

    /// Each node's master id, entries, tombstones and listpack bytes, in node order.
    pub(crate) fn nodes_info(&self) -> impl Iterator<Item = NodeInfo> + '_ {
        self.nodes.iter().map(|node| NodeInfo {
            master_id: node.master_id(),
            entries: node.live,
            deleted: node.slots.len() as u64 - node.live,
            bytes: node.bytes,
        })
    }

    /// Redis's `streamRangeHasTombstones(s, start, NULL)`: may a deleted entry lie at or after `start`?
    pub(crate) fn has_tombstones_from(&self, start: EntryId) -> bool {
        if self.length == 0 || self.max_deleted_id == EntryId::MIN {
            return false;
        }
        if self.first_id() > self.max_deleted_id {
            return false;
        }
        start <= self.max_deleted_id
    }

    /// Redis's `streamEstimateDistanceFromFirstEverEntry`: the entries-read counter an id corresponds to, when it
    /// can be known without scanning (`None` is Redis's `SCG_INVALID_ENTRIES_READ`). Redis returns its unsigned
    /// counters as signed 64-bit values, so the results are the same bits read as `i64`.
    pub(crate) fn estimate_entries_read(&self, id: EntryId) -> Option<i64> {
        if self.entries_added == 0 {
            return Some(0);
        }
        let added = self.entries_added as i64;
        if self.length == 0 && id <= self.last_id {
            return entries_read(added);
        }
        match id.cmp(&self.last_id) {
            std::cmp::Ordering::Equal => return entries_read(added),
            std::cmp::Ordering::Greater => return None,
            std::cmp::Ordering::Less => {}
        }
        let first = self.first_id();
        if self.max_deleted_id == EntryId::MIN || self.max_deleted_id < first {
            let before_first = added.wrapping_sub(self.length as i64);
            match id.cmp(&first) {
                std::cmp::Ordering::Less => return entries_read(before_first),
                std::cmp::Ordering::Equal => return entries_read(before_first.wrapping_add(1)),
                std::cmp::Ordering::Greater => {}
            }
        }
        None
    }

    /// A group's lag given its entries-read counter: `(long long)entries_added - entries_read`, which wraps and
    /// is negative when ENTRIESREAD was set above the entries added.
    pub(crate) fn lag_after(&self, entries_read: i64) -> i64 {
        (self.entries_added as i64).wrapping_sub(entries_read)
    }
}

/// An entries-read counter as Redis holds it: `-1` is `SCG_INVALID_ENTRIES_READ` (unknown), every other value,
/// negative ones included (a counter incremented past `i64::MAX` wraps), is a counter.
pub(crate) fn entries_read(counter: i64) -> Option<i64> {
    (counter != -1).then_some(counter)
}

fn live_entry(slot: &Slot) -> Option<Entry> {
    slot.fields.as_ref().map(|fields| Entry::new(slot.id, fields.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HUNDRED: NodeLayout = NodeLayout::HUNDRED_ENTRIES;

    fn stream_with(n: u64) -> Stream {
        let mut stream = Stream::default();
        for i in 1..=n {
            stream.push(EntryId::new(i, 0), Fields::from_pairs([("n", i.to_string())]), &HUNDRED);
        }
        stream
    }

    fn ids(entries: &[Entry]) -> Vec<u64> {
        entries.iter().map(|e| e.id.ms).collect()
    }

    #[test]
    fn nodes_hold_one_hundred_slots_tombstones_included() {
        let mut stream = stream_with(250);
        assert_eq!(stream.node_count(), 3);
        assert!(stream.delete(EntryId::new(1, 0)).is_some());
        assert_eq!(stream.node_count(), 3);
        for i in 2..=100 {
            assert!(stream.delete(EntryId::new(i, 0)).is_some());
        }
        assert_eq!(stream.node_count(), 2, "an emptied node is removed");
        assert_eq!(stream.len(), 150);
        assert!(stream.delete(EntryId::new(5, 0)).is_none());
    }

    #[test]
    fn a_node_emptied_by_an_exact_trim_stays_and_fills_up() {
        let mut stream = stream_with(2);
        assert!(stream.delete(EntryId::new(2, 0)).is_some());
        assert_eq!(
            stream.trim(TrimStrategy::MinId(EntryId::new(2, 0)), false, 0, &mut |_, _| {}),
            1
        );
        assert_eq!((stream.len(), stream.node_count()), (0, 1));
        assert_eq!((stream.first_id(), stream.last_live_id()), (EntryId::MIN, None));
        for i in 3..=101 {
            stream.push(EntryId::new(i, 0), Fields::from_pairs([("n", "1")]), &HUNDRED);
        }
        assert_eq!(stream.node_count(), 2, "3-0 … 100-0 joined the emptied node");
        assert_eq!(stream.first_id(), EntryId::new(3, 0));
        assert_eq!(stream.trim(TrimStrategy::MaxLen(1), true, 0, &mut |_, _| {}), 98);
        assert_eq!(stream.last_live_id(), Some(EntryId::new(101, 0)));
    }

    #[test]
    fn ranges_skip_tombstones_and_respect_bounds() {
        let mut stream = stream_with(300);
        stream.delete(EntryId::new(150, 0));
        let forward = stream.range(EntryId::new(148, 0), EntryId::new(152, 0), 0);
        assert_eq!(ids(&forward), [148, 149, 151, 152]);
        let backward = stream.rev_range(EntryId::new(148, 0), EntryId::new(152, 0), 3);
        assert_eq!(ids(&backward), [152, 151, 149]);
        assert_eq!(ids(&stream.range(EntryId::new(299, 0), EntryId::MAX, 5)), [299, 300]);
        assert!(stream.range(EntryId::new(301, 0), EntryId::MAX, 0).is_empty());
        assert_eq!(ids(&stream.rev_range(EntryId::MIN, EntryId::new(1, 5), 0)), [1]);
    }

    #[test]
    fn approximate_trim_removes_whole_nodes_only() {
        let mut stream = stream_with(250);
        assert_eq!(stream.trim(TrimStrategy::MaxLen(120), true, 0, &mut |_, _| {}), 100);
        assert_eq!(stream.len(), 150);
        assert_eq!(stream.trim(TrimStrategy::MaxLen(120), false, 0, &mut |_, _| {}), 30);
        assert_eq!(stream.len(), 120);
        assert_eq!(stream.first_id(), EntryId::new(131, 0));
        // LIMIT stops before a node that would exceed it.
        let mut limited = stream_with(500);
        assert_eq!(limited.trim(TrimStrategy::MaxLen(0), true, 250, &mut |_, _| {}), 200);
        assert_eq!(
            limited.trim(TrimStrategy::MinId(EntryId::new(450, 0)), true, 0, &mut |_, _| {}),
            200
        );
        assert_eq!(limited.first_id(), EntryId::new(401, 0));
    }
}
