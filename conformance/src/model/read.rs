//! The model's reads: XRANGE and XREVRANGE, XREAD and XREADGROUP over one or several topics (`xreadCommand`
//! with `streamReplyWithRange` and `streamReplyWithRangeFromConsumerPEL`).

use bus_command::Output;
use bus_core::{
    Entry, EntryId, Error, GroupCommand, GroupCursor, GroupEntry, RangeBound, ReadCursor, ReadReply, Topic,
    TopicEntries,
};

use super::group::PendingEntryModel;
use super::{Model, Reply, no_group};

/// A COUNT where `None` and 0 both mean no limit (XREAD, XREADGROUP).
fn per_topic_limit(count: Option<u64>) -> usize {
    match count {
        Some(0) | None => usize::MAX,
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
    }
}

impl Model {
    /// XRANGE, or XREVRANGE with `rev`.
    pub(super) fn xrange(
        &self,
        topic: &Topic,
        start: RangeBound,
        end: RangeBound,
        count: Option<u64>,
        rev: bool,
    ) -> Result<Vec<Entry>, String> {
        let (start, end) = match (start.resolve_start(), end.resolve_end()) {
            (Ok(start), Ok(end)) => (start, end),
            (Err(err), _) | (_, Err(err)) => return Err(err.to_string()),
        };
        let Some(stream) = self.stream(topic) else {
            return Ok(Vec::new());
        };
        let limit = match count {
            Some(0) => return Ok(Vec::new()),
            Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
            None => usize::MAX,
        };
        Ok(if rev {
            stream.range(start, end).rev().take(limit).cloned().collect()
        } else {
            stream.range(start, end).take(limit).cloned().collect()
        })
    }

    /// Entries after `after` on one topic, at most `limit`.
    pub(super) fn after(&self, topic: &Topic, after: EntryId, limit: usize) -> Vec<Entry> {
        self.stream(topic).map_or_else(Vec::new, |stream| {
            stream
                .entries
                .iter()
                .filter(|e| e.id > after)
                .take(limit)
                .cloned()
                .collect()
        })
    }

    /// XREAD without BLOCK: a topic is listed only when it has entries to give (`$` never has: it means "after
    /// the last id"), in the order asked for.
    pub(super) fn xread(&self, cursors: &[(Topic, ReadCursor)], count: Option<u64>) -> ReadReply<Entry> {
        let limit = per_topic_limit(count);
        let topics = cursors
            .iter()
            .filter_map(|(topic, cursor)| {
                let ReadCursor::After(after) = cursor else {
                    return None;
                };
                let entries = self.after(topic, *after, limit);
                (!entries.is_empty()).then(|| TopicEntries {
                    topic: topic.clone(),
                    entries,
                })
            })
            .collect();
        ReadReply::Topics(topics)
    }

    /// XREADGROUP without BLOCK: every topic's group is checked before any is served; a history read lists its
    /// topic even when empty, a `>` read only when it delivered something.
    pub(super) fn xreadgroup(
        &mut self,
        group: &str,
        consumer: &str,
        cursors: &[(Topic, GroupCursor)],
        count: Option<u64>,
        no_ack: bool,
    ) -> Reply {
        for (topic, _) in cursors {
            if self.stream(topic).and_then(|s| s.group(group)).is_none() {
                return Err(no_group(topic, group, GroupCommand::ReadGroup));
            }
        }
        let limit = per_topic_limit(count);
        let mut topics = Vec::new();
        for (topic, cursor) in cursors {
            let entries = match cursor {
                GroupCursor::History(after) => Some(self.history(topic, group, consumer, *after, limit)),
                GroupCursor::New => self.deliver_new(topic, group, consumer, limit, no_ack),
            };
            if let Some(entries) = entries {
                topics.push(TopicEntries {
                    topic: topic.clone(),
                    entries,
                });
            }
        }
        Ok(Output::GroupRead(ReadReply::Topics(topics)))
    }

    /// `streamReplyWithRangeFromConsumerPEL`: the consumer's own pending entries from `after`+1, each delivered
    /// again (or reported deleted when the entry is gone).
    fn history(&mut self, topic: &Topic, group: &str, consumer: &str, after: EntryId, limit: usize) -> Vec<GroupEntry> {
        let start = after.next().unwrap_or(EntryId::MIN);
        let Some(stream) = self.stream_mut(topic) else {
            return Vec::new();
        };
        let live = stream.entries.clone();
        let Some(g) = stream.group_mut(group) else {
            return Vec::new();
        };
        g.ensure_consumer(consumer);
        let mut out = Vec::new();
        for pending in g.pending.iter_mut().filter(|p| p.owner == consumer && p.id >= start) {
            if out.len() >= limit {
                break;
            }
            match live.iter().find(|e| e.id == pending.id) {
                Some(entry) => {
                    pending.delivery_count += 1;
                    pending.long_idle = false;
                    out.push(GroupEntry::Present(entry.clone()));
                }
                None => out.push(GroupEntry::Deleted(pending.id)),
            }
        }
        out
    }

    /// `>`: served only when the last live entry is above the group's last id (`streamLastValidID`), then the
    /// entries after it, each moving the group's last id and entries-read (`streamReplyWithRange`).
    fn deliver_new(
        &mut self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        limit: usize,
        no_ack: bool,
    ) -> Option<Vec<GroupEntry>> {
        let stream = self.stream_mut(topic)?;
        let group_last = stream.group_mut(group)?.last_id;
        let last_valid = stream.entries.last().map(|e| e.id);
        if last_valid.is_none_or(|last| last <= group_last) {
            return None;
        }
        let start = group_last.next().unwrap_or(EntryId::MIN);
        let candidates: Vec<Entry> = stream.entries.iter().filter(|e| e.id >= start).cloned().collect();
        stream.group_mut(group)?.ensure_consumer(consumer);
        let mut out = Vec::new();
        for entry in candidates {
            let (has_tombstones, estimate, added) = (
                stream.has_tombstones_from(entry.id),
                stream.estimate_distance(entry.id),
                stream.entries_added,
            );
            let g = stream.group_mut(group)?;
            if entry.id > g.last_id {
                match g.entries_read {
                    Some(read) if !has_tombstones => g.entries_read = super::group::counter_after_one_more(read),
                    _ if added != 0 => g.entries_read = estimate,
                    _ => {}
                }
                g.last_id = entry.id;
            }
            if !no_ack {
                match g.pending_entry(entry.id) {
                    // Already pending (after a SETID): reassigned, with its delivery count reset.
                    Some(pending) => *pending = PendingEntryModel::delivered(entry.id, consumer),
                    None => g.insert_pending(PendingEntryModel::delivered(entry.id, consumer)),
                }
            }
            out.push(GroupEntry::Present(entry));
            if out.len() >= limit {
                break;
            }
        }
        Some(out)
    }

    /// The entries after the entry holding a message UUID (`read-after-message`): the lookup, then XREAD.
    pub(super) fn read_after_message(
        &self,
        topic: &Topic,
        uuid: bus_core::Uuid,
        count: Option<u64>,
    ) -> Result<Vec<Entry>, String> {
        let Some(after) = self.stream(topic).and_then(|s| s.lookup(uuid)) else {
            return Err(Error::UnknownCursor {
                topic: topic.to_string(),
                uuid,
            }
            .to_string());
        };
        Ok(self.after(topic, after, per_topic_limit(count)))
    }
}
