//! The reads: XRANGE and XREVRANGE scans, and XREAD and XREADGROUP, which serve every topic of the call
//! without blocking first and block (see `blocking`) only when none of them had anything to serve.

use bus_core::options::validate_count;
use bus_core::{
    Entry, EntryId, GroupCommand, GroupCursor, GroupEntry, RangeBound, ReadCursor, ReadGroupOptions, ReadOptions,
    ReadReply, Result, Topic, TopicEntries,
};

use crate::MemoryBackend;
use crate::blocking::{self, WaitFor};
use crate::stream::Stream;
use crate::unblock::Unblocker;

/// A COUNT that the options' `validate` accepted, as a length (0: no limit).
pub(crate) fn count_len(count: Option<u64>) -> usize {
    usize::try_from(count.unwrap_or(0)).unwrap_or(usize::MAX)
}

/// The COUNT of a blocked read: Redis caps one that gave none at `XREAD_BLOCKED_DEFAULT_COUNT`.
fn blocked_count(count: usize) -> usize {
    if count == 0 {
        blocking::BLOCKED_DEFAULT_COUNT
    } else {
        count
    }
}

impl MemoryBackend {
    /// XREAD, whose block `unblocker` (if any) can release.
    pub(crate) async fn xread(
        &self,
        cursors: &[(Topic, ReadCursor)],
        options: &ReadOptions,
        unblocker: Option<&Unblocker>,
    ) -> Result<ReadReply<Entry>> {
        options.validate()?;
        options.validate_topics(cursors.len())?;
        let count = count_len(options.count);
        // Every key's type is checked, and `$` resolved, once, at call time and in order, as Redis does.
        let mut resolved = Vec::with_capacity(cursors.len());
        for (topic, cursor) in cursors {
            let last = self
                .keyspace()
                .with(topic, |state| state.stream().map(|data| data.stream.last_id))?
                .flatten();
            let after = match cursor {
                ReadCursor::After(id) => *id,
                ReadCursor::New => last.unwrap_or(EntryId::MIN),
            };
            resolved.push((topic.clone(), after));
        }
        let mut served = Vec::new();
        for (topic, after) in &resolved {
            served.extend(self.read_one(topic, *after, count)?);
        }
        let Some(block) = options.block.filter(|_| served.is_empty()) else {
            return Ok(ReadReply::Topics(served));
        };
        let registrations = resolved
            .into_iter()
            .map(|(topic, after)| (topic, WaitFor::Entries { after }))
            .collect();
        let woken = self
            .block_on(registrations, blocked_count(count), block, unblocker)
            .await?;
        Ok(woken.map_or(ReadReply::TimedOut, |topic_entries| {
            let entries = topic_entries
                .entries
                .into_iter()
                .filter_map(|e| e.entry().cloned())
                .collect();
            ReadReply::Topics(vec![TopicEntries {
                topic: topic_entries.topic,
                entries,
            }])
        }))
    }

    /// XREADGROUP, whose block `unblocker` (if any) can release.
    pub(crate) async fn xreadgroup(
        &self,
        group: &str,
        consumer: &str,
        cursors: &[(Topic, GroupCursor)],
        options: &ReadGroupOptions,
        unblocker: Option<&Unblocker>,
    ) -> Result<ReadReply<GroupEntry>> {
        options.validate()?;
        options.validate_topics(cursors.len())?;
        let count = count_len(options.count);
        // Redis checks every topic's type and group before serving any of them; with one topic, serving it
        // checks it.
        if cursors.len() > 1 {
            for (topic, _) in cursors {
                self.with_group(topic, group, GroupCommand::ReadGroup, |_, _| ())?;
            }
        }
        let mut served = Vec::new();
        for (topic, cursor) in cursors {
            if let Some(entries) = self.read_group_one(topic, group, consumer, *cursor, options, count)? {
                served.push(entries);
            }
        }
        let Some(block) = options.block.filter(|_| served.is_empty()) else {
            return Ok(ReadReply::Topics(served));
        };
        let wait_for = WaitFor::Group {
            group: group.to_owned(),
            consumer: consumer.to_owned(),
            no_ack: options.no_ack,
        };
        let registrations = cursors
            .iter()
            .map(|(topic, _)| (topic.clone(), wait_for.clone()))
            .collect();
        Ok(self
            .block_on(registrations, blocked_count(count), block, unblocker)
            .await?
            .map_or(ReadReply::TimedOut, |entries| ReadReply::Topics(vec![entries])))
    }

    /// XRANGE and XREVRANGE: argument checks in Redis's order, then `scan` over the resolved inclusive bounds.
    pub(crate) fn range_locked(
        &self,
        topic: &Topic,
        start: RangeBound,
        end: RangeBound,
        count: Option<u64>,
        scan: fn(&Stream, EntryId, EntryId, usize) -> Vec<Entry>,
    ) -> Result<Vec<Entry>> {
        let (start, end) = (start.resolve_start()?, end.resolve_end()?);
        validate_count(count)?;
        // Redis checks the key's type before it looks at the count or the bounds' order.
        let entries = self.keyspace().with(topic, |state| {
            let data = state.stream()?;
            (count != Some(0) && start <= end).then(|| scan(&data.stream, start, end, count_len(count)))
        })?;
        Ok(entries.flatten().unwrap_or_default())
    }

    /// One topic of an XREAD: entries after the cursor, or `None` when there is nothing to serve.
    pub(crate) fn read_one(&self, topic: &Topic, after: EntryId, count: usize) -> Result<Option<TopicEntries<Entry>>> {
        Ok(self
            .keyspace()
            .with(topic, |state| {
                let stream = &state.stream()?.stream;
                let start = after.next()?;
                let entries = stream.range(start, EntryId::MAX, count);
                (!entries.is_empty()).then(|| TopicEntries {
                    topic: topic.clone(),
                    entries,
                })
            })?
            .flatten())
    }

    /// One topic of an XREADGROUP: history (always answered) or new entries (only when there are some).
    pub(crate) fn read_group_one(
        &self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        cursor: GroupCursor,
        options: &ReadGroupOptions,
        count: usize,
    ) -> Result<Option<TopicEntries<GroupEntry>>> {
        let now = self.now();
        self.with_group(topic, group, GroupCommand::ReadGroup, |group, stream| match cursor {
            // Redis encodes `>` as the maximum id, so a history read from the maximum id is a `>` read.
            GroupCursor::History(after) if after != EntryId::MAX => Some(TopicEntries {
                topic: topic.clone(),
                entries: group.history(stream, consumer, after, count, now),
            }),
            _ if group.has_new(stream) => Some(TopicEntries {
                topic: topic.clone(),
                entries: group.deliver_new(stream, consumer, count, options.no_ack, now),
            }),
            _ => None,
        })
    }
}
