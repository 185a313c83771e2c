//! The [`Backend`] implementation: each method is one Redis command, checked in Redis's order and applied to
//! one topic under its lock. A key of another type fails every stream command with WRONGTYPE (through the
//! keyspace's stream accessors); `drop_topic`, `expire_topic` and `topic_ttl` are DEL, PEXPIRE and PTTL, which
//! Redis applies to a key of any type.

use std::time::Duration;

use async_trait::async_trait;
use bus_core::options::{validate_entries_read, validate_ids, validate_min_idle};
use bus_core::{
    AppendOptions, AutoClaimOptions, AutoClaimed, Backend, ClaimOptions, Claimed, ConsumerDelete, ConsumerInfo, Entry,
    EntryId, Error, Fields, GroupCommand, GroupCreateOptions, GroupCursor, GroupEntry, GroupInfo, GroupStart, Message,
    PendingEntry, PendingQuery, PendingSummary, Published, RangeBound, ReadCursor, ReadGroupOptions, ReadOptions,
    ReadReply, Result, StreamInfo, Topic, TopicCommand, Trim, Uuid,
};

use crate::access::{no_group, no_topic};
use crate::group::{ClaimRule, Group};
use crate::info;
use crate::keyspace::{TopicState, wrong_type};
use crate::stream::Stream;
use crate::{ExpireCondition, KeyTtl, MemoryBackend};

pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl MemoryBackend {
    /// Drops the empty state a rejected write created for a missing key (nothing else is left behind).
    fn forget_if_rejected<T>(&self, topic: &Topic, result: Result<T>) -> Result<T> {
        if result.is_err() {
            self.keyspace().remove_if_vacant(topic);
        }
        result
    }
}

#[async_trait]
impl Backend for MemoryBackend {
    async fn append(&self, topic: &Topic, fields: Fields, options: &AppendOptions) -> Result<Option<EntryId>> {
        options.validate()?;
        Self::check_fields(&fields)?;
        if options.no_mkstream {
            return Ok(self
                .keyspace()
                .with(topic, |state| self.append_locked(topic, state, fields, options))?
                .transpose()?
                .flatten());
        }
        let appended = self
            .keyspace()
            .with_or_create(topic, |state| self.append_locked(topic, state, fields, options))?;
        self.forget_if_rejected(topic, appended)
    }

    async fn publish(&self, topic: &Topic, message: &Message, options: &AppendOptions) -> Result<Option<Published>> {
        options.validate()?;
        let publish = |state: &mut TopicState| -> Result<Option<Published>> {
            // Under the topic's lock, so a concurrent publish of the same UUID cannot slip in between.
            if let Some(entry_id) = self.index().lookup(topic, &message.id()) {
                return Ok(Some(Published {
                    entry_id,
                    duplicate: true,
                }));
            }
            let appended = self.append_locked(topic, state, message.to_fields(), options)?;
            Ok(appended.map(|entry_id| Published {
                entry_id,
                duplicate: false,
            }))
        };
        if options.no_mkstream {
            return Ok(self.keyspace().with(topic, publish)?.transpose()?.flatten());
        }
        let published = self.keyspace().with_or_create(topic, publish)?;
        self.forget_if_rejected(topic, published)
    }

    async fn lookup(&self, topic: &Topic, uuid: Uuid) -> Result<Option<EntryId>> {
        MemoryBackend::lookup(self, topic, uuid).await
    }

    async fn range(&self, topic: &Topic, start: RangeBound, end: RangeBound, count: Option<u64>) -> Result<Vec<Entry>> {
        self.range_locked(topic, start, end, count, Stream::range)
    }

    async fn rev_range(
        &self,
        topic: &Topic,
        end: RangeBound,
        start: RangeBound,
        count: Option<u64>,
    ) -> Result<Vec<Entry>> {
        self.range_locked(topic, start, end, count, Stream::rev_range)
    }

    async fn read(&self, cursors: &[(Topic, ReadCursor)], options: &ReadOptions) -> Result<ReadReply<Entry>> {
        self.xread(cursors, options, None).await
    }

    async fn group_create(
        &self,
        topic: &Topic,
        group: &str,
        start: GroupStart,
        options: &GroupCreateOptions,
    ) -> Result<()> {
        options.validate()?;
        let create = |state: &mut TopicState| -> Result<()> {
            let created = state.value.is_none();
            if created && !options.mkstream {
                return Err(no_topic(topic, TopicCommand::Group));
            }
            let data = state.stream_or_insert().ok_or_else(|| wrong_type(topic))?;
            if data.groups.contains_key(group) {
                return Err(Error::GroupExists {
                    topic: topic.to_string(),
                    group: group.to_owned(),
                });
            }
            let last_id = match start {
                GroupStart::Id(id) => id,
                GroupStart::Last => data.stream.last_id,
            };
            data.groups
                .insert(group.to_owned(), Group::new(last_id, options.entries_read));
            // Redis reports only the stream MKSTREAM created as a change of the key, not the new group.
            if created {
                state.touch();
            }
            Ok(())
        };
        if options.mkstream {
            let created = self.keyspace().with_or_create(topic, create)?;
            return self.forget_if_rejected(topic, created);
        }
        self.keyspace()
            .with(topic, create)?
            .unwrap_or_else(|| Err(no_topic(topic, TopicCommand::Group)))
    }

    async fn group_destroy(&self, topic: &Topic, group: &str) -> Result<bool> {
        self.keyspace()
            .with(topic, |state| {
                let data = state.stream_mut()?;
                let existed = data.groups.remove(group).is_some();
                if existed {
                    // Blocked readers of the group learn it is gone (NOGROUP), as in Redis.
                    self.keyspace().signal(topic, state);
                }
                Some(existed)
            })?
            .flatten()
            .ok_or_else(|| no_topic(topic, TopicCommand::Group))
    }

    async fn group_set_id(&self, topic: &Topic, group: &str, id: GroupStart, entries_read: Option<u64>) -> Result<()> {
        validate_entries_read(entries_read)?;
        self.with_stream_for_group_cmd(topic, |data| {
            let last_generated = data.stream.last_id;
            let group = data
                .groups
                .get_mut(group)
                .ok_or_else(|| no_group(topic, group, GroupCommand::Admin))?;
            let last_id = match id {
                GroupStart::Id(id) => id,
                GroupStart::Last => last_generated,
            };
            group.set_position(last_id, entries_read);
            Ok(())
        })
    }

    async fn consumer_create(&self, topic: &Topic, group: &str, consumer: &str) -> Result<bool> {
        let now = self.now();
        self.with_stream_for_group_cmd(topic, |data| {
            let group = data
                .groups
                .get_mut(group)
                .ok_or_else(|| no_group(topic, group, GroupCommand::Admin))?;
            Ok(group.create_consumer(consumer, now))
        })
    }

    async fn consumer_delete(&self, topic: &Topic, group: &str, consumer: &str) -> Result<u64> {
        self.with_stream_for_group_cmd(topic, |data| {
            let group = data
                .groups
                .get_mut(group)
                .ok_or_else(|| no_group(topic, group, GroupCommand::Admin))?;
            Ok(group.delete_consumer(consumer))
        })
    }

    async fn consumer_delete_if_idle(
        &self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
    ) -> Result<ConsumerDelete> {
        let now = self.now();
        self.with_group_for_info(topic, group, |group| {
            group.delete_consumer_if_idle(consumer, millis(min_idle), now)
        })
    }

    async fn read_group(
        &self,
        group: &str,
        consumer: &str,
        cursors: &[(Topic, GroupCursor)],
        options: &ReadGroupOptions,
    ) -> Result<ReadReply<GroupEntry>> {
        self.xreadgroup(group, consumer, cursors, options, None).await
    }

    async fn ack(&self, topic: &Topic, group: &str, ids: &[EntryId]) -> Result<u64> {
        validate_ids(ids, "xack")?;
        // XACK answers 0 for a missing key or group rather than an error (but WRONGTYPE for another type).
        match self.with_group(topic, group, GroupCommand::Pending, |group, _| group.ack(ids)) {
            Err(Error::NoGroup { .. }) => Ok(0),
            acked => acked,
        }
    }

    async fn pending_summary(&self, topic: &Topic, group: &str) -> Result<PendingSummary> {
        self.with_group(topic, group, GroupCommand::Pending, |group, _| group.pending_summary())
    }

    async fn pending(&self, topic: &Topic, group: &str, query: &PendingQuery) -> Result<Vec<PendingEntry>> {
        query.validate()?;
        let (start, end) = (query.start.resolve_start()?, query.end.resolve_end()?);
        let count = query.count;
        let min_idle = query.min_idle.map_or(0, millis);
        let now = self.now();
        self.with_group(topic, group, GroupCommand::Pending, |group, _| {
            group.pending(start, end, count, query.consumer.as_deref(), min_idle, now)
        })
    }

    async fn claim(
        &self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        ids: &[EntryId],
        options: &ClaimOptions,
    ) -> Result<Claimed> {
        validate_ids(ids, "xclaim")?;
        // Redis looks the key and the group up before it parses min-idle-time and the options.
        self.with_group(topic, group, GroupCommand::Pending, |_, _| ())?;
        validate_min_idle(min_idle, "XCLAIM")?;
        options.validate()?;
        let now = self.now();
        // Redis clamps a delivery time in the future, or before the epoch, to now.
        let delivery_time = match (options.time, options.idle) {
            (Some(time), _) => time,
            (None, Some(idle)) => now.checked_sub(millis(idle)).unwrap_or(now),
            (None, None) => now,
        };
        let rule = ClaimRule {
            now,
            min_idle: millis(min_idle),
            delivery_time: if delivery_time > now { now } else { delivery_time },
            retry_count: options.retry_count,
            force: options.force,
            just_id: options.just_id,
        };
        self.with_group(topic, group, GroupCommand::Pending, |group, stream| {
            if let Some(last_id) = options.last_id
                && last_id > group.last_id
            {
                group.last_id = last_id;
            }
            group.claim(stream, consumer, ids, &rule)
        })
    }

    async fn auto_claim(
        &self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        start: RangeBound,
        options: &AutoClaimOptions,
    ) -> Result<AutoClaimed> {
        validate_min_idle(min_idle, "XAUTOCLAIM")?;
        let start = start.resolve_start()?;
        options.validate()?;
        let now = self.now();
        self.with_group(topic, group, GroupCommand::Pending, |group, stream| {
            let rule = ClaimRule {
                now,
                min_idle: millis(min_idle),
                delivery_time: now,
                retry_count: None,
                force: false,
                just_id: options.just_id,
            };
            group.auto_claim(stream, consumer, start, options.count, &rule)
        })
    }

    async fn delete(&self, topic: &Topic, ids: &[EntryId]) -> Result<u64> {
        validate_ids(ids, "xdel")?;
        let deleted = self.keyspace().with(topic, |state| {
            let stream = &mut state.stream_mut()?.stream;
            let mut deleted = 0;
            for &id in ids {
                if let Some(fields) = stream.delete(id) {
                    self.keyspace().unindex(topic, id, &fields);
                    stream.max_deleted_id = stream.max_deleted_id.max(id);
                    deleted += 1;
                }
            }
            if deleted > 0 {
                state.touch();
            }
            Some(deleted)
        })?;
        Ok(deleted.flatten().unwrap_or(0))
    }

    async fn trim(&self, topic: &Topic, trim: &Trim) -> Result<u64> {
        trim.validate()?;
        let trimmed = self.keyspace().with(topic, |state| {
            let stream = &mut state.stream_mut()?.stream;
            let trimmed = self.trim_locked(topic, stream, trim);
            if trimmed > 0 {
                state.touch();
            }
            Some(trimmed)
        })?;
        Ok(trimmed.flatten().unwrap_or(0))
    }

    async fn len(&self, topic: &Topic) -> Result<u64> {
        Ok(self
            .keyspace()
            .with(topic, |state| state.stream().map(|data| data.stream.len()))?
            .flatten()
            .unwrap_or(0))
    }

    async fn drop_topic(&self, topic: &Topic) -> Result<bool> {
        Ok(self.del(std::slice::from_ref(topic)) == 1)
    }

    async fn expire_topic(&self, topic: &Topic, ttl: Duration) -> Result<bool> {
        let deadline = i64::try_from(self.now().saturating_add(millis(ttl))).unwrap_or(i64::MAX);
        Ok(self.pexpire_at(topic, deadline, ExpireCondition::default()))
    }

    async fn topic_ttl(&self, topic: &Topic) -> Result<Option<Duration>> {
        Ok(match self.pttl(topic) {
            KeyTtl::Expires(ttl) => Some(ttl),
            KeyTtl::Missing | KeyTtl::Persistent => None,
        })
    }

    async fn stream_info(&self, topic: &Topic) -> Result<StreamInfo> {
        self.keyspace()
            .with(topic, |state| state.stream().map(info::stream_info))?
            .flatten()
            .ok_or_else(|| no_topic(topic, TopicCommand::Info))
    }

    async fn groups_info(&self, topic: &Topic) -> Result<Vec<GroupInfo>> {
        self.keyspace()
            .with(topic, |state| {
                let data = state.stream()?;
                Some(
                    data.groups
                        .iter()
                        .map(|(name, group)| group.info(name, &data.stream))
                        .collect(),
                )
            })?
            .flatten()
            .ok_or_else(|| no_topic(topic, TopicCommand::Info))
    }

    async fn consumers_info(&self, topic: &Topic, group: &str) -> Result<Vec<ConsumerInfo>> {
        let now = self.now();
        self.with_group_for_info(topic, group, |group| group.consumers_info(now))
    }
}
