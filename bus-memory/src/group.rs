//! Consumer groups: the last-delivered id, the entries-read counter, the pending entries list (PEL) and the
//! consumers, with the delivery, history, ack and claim rules of Redis 7.0's `t_stream.c`.
//!
//! Each pending entry is stored once in the group PEL (owner, delivery time, delivery count) and its id in the
//! owner's own ordered set, as Redis does with its two radix trees, so history reads and per-consumer queries
//! cost O(log n + k) and an ack O(log n).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use bus_core::{
    AutoClaimed, Claimed, ConsumerDelete, ConsumerInfo, Entry, EntryId, GroupEntry, GroupInfo, PendingEntry,
    PendingSummary,
};

use crate::stream::{Stream, entries_read};

/// A pending entry's bookkeeping: who owns the delivery, when it was last delivered, how often (Redis's
/// `streamNACK`, an entry of the pending entries list).
#[derive(Clone, Debug)]
pub(crate) struct PendingDelivery {
    pub(crate) consumer: Arc<str>,
    /// Unix ms of the last delivery or claim.
    pub(crate) delivery_time: u64,
    pub(crate) delivery_count: u64,
}

/// A consumer of a group.
#[derive(Clone, Debug)]
pub(crate) struct ConsumerState {
    /// Unix ms of the last interaction that refreshes it (reads and claims).
    pub(crate) seen_time: u64,
    pub(crate) pel: BTreeSet<EntryId>,
}

/// A consumer group.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub(crate) last_id: EntryId,
    /// `None` is Redis's `SCG_INVALID_ENTRIES_READ`; signed and wrapping, as Redis's counter (see `GroupInfo`).
    pub(crate) entries_read: Option<i64>,
    pub(crate) pel: BTreeMap<EntryId, PendingDelivery>,
    pub(crate) consumers: BTreeMap<Arc<str>, ConsumerState>,
}

/// How a claim treats each id (the XCLAIM options, resolved against the clock).
#[derive(Clone, Copy)]
pub(crate) struct ClaimRule {
    pub(crate) now: u64,
    pub(crate) min_idle: u64,
    pub(crate) delivery_time: u64,
    pub(crate) retry_count: Option<u64>,
    pub(crate) force: bool,
    pub(crate) just_id: bool,
}

fn idle(now: u64, since: u64) -> std::time::Duration {
    std::time::Duration::from_millis(now.saturating_sub(since))
}

fn to_claimed(just_id: bool, entries: Vec<Entry>) -> Claimed {
    if just_id {
        Claimed::Ids(entries.into_iter().map(|e| e.id).collect())
    } else {
        Claimed::Entries(entries)
    }
}

impl Group {
    /// A group at `last_id`; `entries_read` is an ENTRIESREAD the caller validated (at most `i64::MAX`).
    pub(crate) fn new(last_id: EntryId, entries_read: Option<u64>) -> Group {
        let mut group = Group {
            last_id,
            entries_read: None,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        };
        group.set_position(last_id, entries_read);
        group
    }

    /// XGROUP SETID's effect: the last-delivered id and the counter, an ENTRIESREAD the caller validated (at
    /// most `i64::MAX`, so it fits Redis's signed counter).
    pub(crate) fn set_position(&mut self, last_id: EntryId, entries_read: Option<u64>) {
        self.last_id = last_id;
        self.entries_read = entries_read.and_then(|n| i64::try_from(n).ok());
    }

    /// Redis's `streamLookupConsumer` (refreshing) falling back to `streamCreateConsumer`.
    fn touch_consumer(&mut self, name: &str, now: u64) -> Arc<str> {
        if let Some(state) = self.consumers.get_mut(name) {
            state.seen_time = now;
        } else {
            self.create_consumer(name, now);
        }
        match self.consumers.get_key_value(name) {
            Some((key, _)) => key.clone(),
            None => Arc::from(name),
        }
    }

    /// XGROUP CREATECONSUMER: true if it did not exist.
    pub(crate) fn create_consumer(&mut self, name: &str, now: u64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        let state = ConsumerState {
            seen_time: now,
            pel: BTreeSet::new(),
        };
        self.consumers.insert(Arc::from(name), state);
        true
    }

    /// XGROUP DELCONSUMER: drops the consumer and its pending entries; returns how many it had.
    pub(crate) fn delete_consumer(&mut self, name: &str) -> u64 {
        let Some(consumer) = self.consumers.remove(name) else {
            return 0;
        };
        for id in &consumer.pel {
            self.pel.remove(id);
        }
        consumer.pel.len() as u64
    }

    /// Deletes the consumer only if it owns nothing and was idle at least `min_idle` ms (see
    /// `Backend::consumer_delete_if_idle`); the caller holds the topic's lock, which makes it atomic.
    pub(crate) fn delete_consumer_if_idle(&mut self, name: &str, min_idle: u64, now: u64) -> ConsumerDelete {
        let Some(state) = self.consumers.get(name) else {
            return ConsumerDelete::NoSuchConsumer;
        };
        if !state.pel.is_empty() {
            return ConsumerDelete::HasPending(state.pel.len() as u64);
        }
        let idle_ms = now.saturating_sub(state.seen_time);
        if idle_ms < min_idle {
            return ConsumerDelete::NotIdle(idle(now, state.seen_time));
        }
        self.consumers.remove(name);
        ConsumerDelete::Deleted
    }

    /// Whether a `>` read would find entries (Redis serves synchronously only then).
    pub(crate) fn has_new(&self, stream: &Stream) -> bool {
        stream.last_live_id().is_some_and(|last| last > self.last_id)
    }

    /// XREADGROUP `>`: delivers up to `count` entries after the group's last id to `consumer`.
    pub(crate) fn deliver_new(
        &mut self,
        stream: &Stream,
        consumer: &str,
        count: usize,
        no_ack: bool,
        now: u64,
    ) -> Vec<GroupEntry> {
        let consumer = self.touch_consumer(consumer, now);
        let Some(start) = self.last_id.next() else {
            return Vec::new();
        };
        let entries = stream.range(start, EntryId::MAX, count);
        for entry in &entries {
            self.advance_last_id(stream, entry.id);
            if !no_ack {
                self.assign(entry.id, &consumer, now);
            }
        }
        entries.into_iter().map(GroupEntry::Present).collect()
    }

    /// The entries-read bookkeeping of `streamReplyWithRange`, for each entry delivered past the last id.
    fn advance_last_id(&mut self, stream: &Stream, id: EntryId) {
        if id <= self.last_id {
            return;
        }
        match self.entries_read {
            Some(read) if !stream.has_tombstones_from(id) => self.entries_read = entries_read(read.wrapping_add(1)),
            _ if stream.entries_added != 0 => self.entries_read = stream.estimate_entries_read(id),
            _ => {}
        }
        self.last_id = id;
    }

    /// Makes `consumer` the owner of a freshly delivered entry. An entry already pending (possible after SETID
    /// rewinds the group) moves to the new consumer with its delivery count reset to 1, as in Redis.
    fn assign(&mut self, id: EntryId, consumer: &Arc<str>, now: u64) {
        let previous = self.pel.insert(
            id,
            PendingDelivery {
                consumer: consumer.clone(),
                delivery_time: now,
                delivery_count: 1,
            },
        );
        if let Some(previous) = previous
            && let Some(owner) = self.consumers.get_mut(&previous.consumer)
        {
            owner.pel.remove(&id);
        }
        if let Some(owner) = self.consumers.get_mut(consumer) {
            owner.pel.insert(id);
        }
    }

    /// XREADGROUP with an id: the consumer's own pending entries after `after`. Entries still in the stream get
    /// their delivery time reset and count incremented; deleted ones are reported as such.
    pub(crate) fn history(
        &mut self,
        stream: &Stream,
        consumer: &str,
        after: EntryId,
        count: usize,
        now: u64,
    ) -> Vec<GroupEntry> {
        let consumer = self.touch_consumer(consumer, now);
        let Some(start) = after.next() else {
            return Vec::new();
        };
        let limit = if count == 0 { usize::MAX } else { count };
        let ids: Vec<EntryId> = match self.consumers.get(&consumer) {
            Some(state) => state.pel.range(start..).take(limit).copied().collect(),
            None => Vec::new(),
        };
        ids.into_iter()
            .map(|id| match stream.get(id) {
                Some(fields) => {
                    if let Some(pending) = self.pel.get_mut(&id) {
                        pending.delivery_time = now;
                        pending.delivery_count += 1;
                    }
                    GroupEntry::Present(Entry::new(id, fields.clone()))
                }
                None => GroupEntry::Deleted(id),
            })
            .collect()
    }

    /// XACK: removes the ids from the PEL; returns how many were pending.
    pub(crate) fn ack(&mut self, ids: &[EntryId]) -> u64 {
        let mut acked = 0;
        for id in ids {
            if let Some(pending) = self.pel.remove(id) {
                if let Some(owner) = self.consumers.get_mut(&pending.consumer) {
                    owner.pel.remove(id);
                }
                acked += 1;
            }
        }
        acked
    }

    /// Removes a pending entry whose stream entry no longer exists (what claims do on meeting one).
    fn drop_pending(&mut self, id: EntryId) {
        if let Some(pending) = self.pel.remove(&id)
            && let Some(owner) = self.consumers.get_mut(&pending.consumer)
        {
            owner.pel.remove(&id);
        }
    }

    /// Moves a pending entry to `consumer` with the given delivery time and count rule.
    fn transfer(&mut self, id: EntryId, consumer: &Arc<str>, delivery_time: u64, count: CountRule) {
        let Some(pending) = self.pel.get_mut(&id) else {
            return;
        };
        let previous = std::mem::replace(&mut pending.consumer, consumer.clone());
        pending.delivery_time = delivery_time;
        match count {
            CountRule::Set(value) => pending.delivery_count = value,
            CountRule::Increment => pending.delivery_count += 1,
            CountRule::Keep => {}
        }
        if previous != *consumer {
            if let Some(owner) = self.consumers.get_mut(&previous) {
                owner.pel.remove(&id);
            }
            if let Some(owner) = self.consumers.get_mut(consumer) {
                owner.pel.insert(id);
            }
        }
    }

    /// XCLAIM, after argument parsing (see `xclaimCommand`).
    pub(crate) fn claim(&mut self, stream: &Stream, consumer: &str, ids: &[EntryId], rule: &ClaimRule) -> Claimed {
        let mut owner: Option<Arc<str>> = None;
        let mut claimed = Vec::new();
        for &id in ids {
            let Some(fields) = stream.get(id) else {
                self.drop_pending(id);
                continue;
            };
            let forced = rule.force && !self.pel.contains_key(&id);
            if !forced {
                let Some(pending) = self.pel.get(&id) else {
                    continue;
                };
                if rule.min_idle > 0 && rule.now.saturating_sub(pending.delivery_time) < rule.min_idle {
                    continue;
                }
            }
            let owner = owner
                .get_or_insert_with(|| self.touch_consumer(consumer, rule.now))
                .clone();
            if forced {
                // FORCE creates the pending entry as a fresh delivery (count 1) before the claim rules apply.
                self.assign(id, &owner, rule.now);
            }
            let count = match (rule.retry_count, rule.just_id) {
                (Some(value), _) => CountRule::Set(value),
                (None, false) => CountRule::Increment,
                (None, true) => CountRule::Keep,
            };
            self.transfer(id, &owner, rule.delivery_time, count);
            claimed.push(Entry::new(id, fields.clone()));
        }
        to_claimed(rule.just_id, claimed)
    }

    /// XAUTOCLAIM: scans the PEL from `start`, examining at most `count * 10` entries and claiming at most
    /// `count`; pending entries no longer in the stream are dropped and reported (they count towards `count`).
    pub(crate) fn auto_claim(
        &mut self,
        stream: &Stream,
        consumer: &str,
        start: EntryId,
        count: u64,
        rule: &ClaimRule,
    ) -> AutoClaimed {
        let ClaimRule {
            now, min_idle, just_id, ..
        } = *rule;
        let mut attempts = count.saturating_mul(10);
        let mut remaining = count;
        let mut owner: Option<Arc<str>> = None;
        let mut claimed = Vec::new();
        let mut deleted = Vec::new();
        let mut cursor = Some(start);
        let next = loop {
            let next_pending = cursor.and_then(|c| self.pel.range(c..).next().map(|(id, n)| (*id, n.delivery_time)));
            let Some((id, delivery_time)) = next_pending else {
                break EntryId::MIN;
            };
            if attempts == 0 || remaining == 0 {
                break id;
            }
            attempts -= 1;
            cursor = id.next();
            let Some(fields) = stream.get(id) else {
                self.drop_pending(id);
                deleted.push(id);
                remaining -= 1;
                continue;
            };
            if min_idle > 0 && now.saturating_sub(delivery_time) < min_idle {
                continue;
            }
            let owner = owner.get_or_insert_with(|| self.touch_consumer(consumer, now)).clone();
            let rule = if just_id { CountRule::Keep } else { CountRule::Increment };
            self.transfer(id, &owner, now, rule);
            claimed.push(Entry::new(id, fields.clone()));
            remaining -= 1;
        };
        AutoClaimed {
            next,
            claimed: to_claimed(just_id, claimed),
            deleted,
        }
    }

    /// XPENDING summary.
    pub(crate) fn pending_summary(&self) -> PendingSummary {
        let consumers = self
            .consumers
            .iter()
            .filter(|(_, state)| !state.pel.is_empty())
            .map(|(name, state)| (name.to_string(), state.pel.len() as u64))
            .collect();
        PendingSummary {
            count: self.pel.len() as u64,
            min: self.pel.keys().next().copied(),
            max: self.pel.keys().next_back().copied(),
            consumers,
        }
    }

    /// XPENDING extended form; `start..=end` already resolved to inclusive ids.
    pub(crate) fn pending(
        &self,
        start: EntryId,
        end: EntryId,
        count: u64,
        consumer: Option<&str>,
        min_idle: u64,
        now: u64,
    ) -> Vec<PendingEntry> {
        if start > end || count == 0 {
            return Vec::new();
        }
        let ids: Box<dyn Iterator<Item = EntryId> + '_> = match consumer {
            Some(name) => match self.consumers.get(name) {
                Some(state) => Box::new(state.pel.range(start..=end).copied()),
                None => return Vec::new(),
            },
            None => Box::new(self.pel.range(start..=end).map(|(id, _)| *id)),
        };
        ids.filter_map(|id| self.pel.get(&id).map(|pending| (id, pending)))
            .filter(|(_, pending)| min_idle == 0 || now.saturating_sub(pending.delivery_time) >= min_idle)
            .take(usize::try_from(count).unwrap_or(usize::MAX))
            .map(|(id, pending)| PendingEntry {
                id,
                consumer: pending.consumer.to_string(),
                idle: idle(now, pending.delivery_time),
                delivery_count: pending.delivery_count,
            })
            .collect()
    }

    /// Redis's `streamReplyWithCGLag`: the entries not yet delivered, when they can be told.
    pub(crate) fn lag(&self, stream: &Stream) -> Option<i64> {
        if stream.entries_added == 0 {
            return Some(0);
        }
        if let Some(read) = self.entries_read.filter(|_| !stream.has_tombstones_from(self.last_id)) {
            return Some(stream.lag_after(read));
        }
        stream
            .estimate_entries_read(self.last_id)
            .map(|read| stream.lag_after(read))
    }

    /// XINFO GROUPS row.
    pub(crate) fn info(&self, name: &str, stream: &Stream) -> GroupInfo {
        GroupInfo {
            name: name.to_owned(),
            consumers: self.consumers.len() as u64,
            pending: self.pel.len() as u64,
            last_delivered_id: self.last_id,
            entries_read: self.entries_read,
            lag: self.lag(stream),
        }
    }

    /// XINFO CONSUMERS rows.
    pub(crate) fn consumers_info(&self, now: u64) -> Vec<ConsumerInfo> {
        self.consumers
            .iter()
            .map(|(name, state)| ConsumerInfo {
                name: name.to_string(),
                pending: state.pel.len() as u64,
                idle: idle(now, state.seen_time),
            })
            .collect()
    }
}

/// What a claim does to the delivery count.
#[derive(Clone, Copy)]
enum CountRule {
    Set(u64),
    Increment,
    Keep,
}
