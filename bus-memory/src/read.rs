//! The non-blocking side of the reads: XRANGE and XREVRANGE scans, and the step of XREAD and XREADGROUP that
//! serves one topic.
//!
//! The trait methods run these first, over every topic of the call, and block (see `blocking`) only when none
//! of them had anything to serve.

use bus_core::options::validate_count;
use bus_core::{
    Entry, EntryId, GroupCommand, GroupCursor, GroupEntry, RangeBound, ReadGroupOptions, Result, Topic, TopicEntries,
};

use crate::MemoryBackend;
use crate::stream::Stream;

/// A COUNT that the options' `validate` accepted, as a length (0: no limit).
pub(crate) fn count_len(count: Option<u64>) -> usize {
    usize::try_from(count.unwrap_or(0)).unwrap_or(usize::MAX)
}

impl MemoryBackend {
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
        if count == Some(0) || start > end {
            return Ok(Vec::new());
        }
        let entries = self.keyspace().with(topic, |state| {
            let data = state.data.as_ref()?;
            Some(scan(&data.stream, start, end, count_len(count)))
        });
        Ok(entries.flatten().unwrap_or_default())
    }

    /// One topic of an XREAD: entries after the cursor, or `None` when there is nothing to serve.
    pub(crate) fn read_one(&self, topic: &Topic, after: EntryId, count: usize) -> Option<TopicEntries<Entry>> {
        self.keyspace()
            .with(topic, |state| {
                let stream = &state.data.as_ref()?.stream;
                let start = after.next()?;
                let entries = stream.range(start, EntryId::MAX, count);
                (!entries.is_empty()).then(|| TopicEntries {
                    topic: topic.clone(),
                    entries,
                })
            })
            .flatten()
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
