//! The [`Backend`] implementation: each method is one Redis command, checked in Redis's order and applied to
//! one topic under its lock.

use std::time::Duration;

use async_trait::async_trait;
use bus_core::options::{validate_entries_read, validate_ids, validate_min_idle};
use bus_core::{
    AppendOptions, AutoClaimOptions, AutoClaimed, Backend, ClaimOptions, Claimed, ConsumerDelete, ConsumerInfo, Entry,
    EntryId, Error, Fields, GroupCommand, GroupCreateOptions, GroupCursor, GroupEntry, GroupInfo, GroupStart, Message,
    PendingEntry, PendingQuery, PendingSummary, Published, RangeBound, ReadCursor, ReadGroupOptions, ReadOptions,
    ReadReply, Result, StreamInfo, Topic, TopicCommand, TopicEntries, Trim, Uuid,
};

use crate::MemoryBackend;
use crate::access::{no_group, no_topic};
use crate::blocking::{self, WaitFor};
use crate::group::{ClaimRule, Group};
use crate::info;
use crate::keyspace::{StreamData, TopicState};
use crate::read::count_len;
use crate::stream::Stream;

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

#[async_trait]
impl Backend for MemoryBackend {
    async fn append(&self, topic: &Topic, fields: Fields, options: &AppendOptions) -> Result<Option<EntryId>> {
        options.validate()?;
        Self::check_fields(&fields)?;
        if options.no_mkstream {
            return Ok(self
                .keyspace()
                .with(topic, |state| self.append_locked(topic, state, fields, options))
                .transpose()?
                .flatten());
        }
        self.keyspace()
            .with_or_create(topic, |state| self.append_locked(topic, state, fields, options))
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
            return Ok(self.keyspace().with(topic, publish).transpose()?.flatten());
        }
        self.keyspace().with_or_create(topic, publish)
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
        options.validate()?;
        options.validate_topics(cursors.len())?;
        let count = count_len(options.count);
        // `$` is resolved once, at call time, as Redis does.
        let resolved: Vec<(Topic, EntryId)> = cursors
            .iter()
            .map(|(topic, cursor)| {
                let after = match cursor {
                    ReadCursor::After(id) => *id,
                    ReadCursor::New => self.last_id(topic).unwrap_or(EntryId::MIN),
                };
                (topic.clone(), after)
            })
            .collect();
        let served: Vec<TopicEntries<Entry>> = resolved
            .iter()
            .filter_map(|(topic, after)| self.read_one(topic, *after, count))
            .collect();
        let Some(block) = options.block.filter(|_| served.is_empty()) else {
            return Ok(ReadReply::Topics(served));
        };
        let blocked_count = if count == 0 {
            blocking::BLOCKED_DEFAULT_COUNT
        } else {
            count
        };
        let registrations = resolved
            .into_iter()
            .map(|(topic, after)| (topic, WaitFor::Entries { after }))
            .collect();
        let woken = self.block_on(registrations, blocked_count, block).await?;
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

    async fn group_create(
        &self,
        topic: &Topic,
        group: &str,
        start: GroupStart,
        options: &GroupCreateOptions,
    ) -> Result<()> {
        options.validate()?;
        let create = |state: &mut TopicState| -> Result<()> {
            if state.data.is_none() && !options.mkstream {
                return Err(no_topic(topic, TopicCommand::Group));
            }
            let data = state.data.get_or_insert_with(StreamData::default);
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
            Ok(())
        };
        if options.mkstream {
            return self.keyspace().with_or_create(topic, create);
        }
        self.keyspace()
            .with(topic, create)
            .unwrap_or_else(|| Err(no_topic(topic, TopicCommand::Group)))
    }

    async fn group_destroy(&self, topic: &Topic, group: &str) -> Result<bool> {
        let now = self.now();
        self.keyspace()
            .with(topic, |state| {
                let data = state.data.as_mut()?;
                let existed = data.groups.remove(group).is_some();
                if existed {
                    // Blocked readers of the group learn it is gone (NOGROUP), as in Redis.
                    blocking::serve_waiters(topic, state, now);
                }
                Some(existed)
            })
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
        options.validate()?;
        options.validate_topics(cursors.len())?;
        let count = count_len(options.count);
        // Redis checks every topic's group before serving any of them; with one topic, serving it checks it.
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
        let blocked_count = if count == 0 {
            blocking::BLOCKED_DEFAULT_COUNT
        } else {
            count
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
            .block_on(registrations, blocked_count, block)
            .await?
            .map_or(ReadReply::TimedOut, |entries| ReadReply::Topics(vec![entries])))
    }

    async fn ack(&self, topic: &Topic, group: &str, ids: &[EntryId]) -> Result<u64> {
        validate_ids(ids, "xack")?;
        // XACK answers 0 for a missing key or group rather than an error.
        Ok(self
            .with_group(topic, group, GroupCommand::Pending, |group, _| group.ack(ids))
            .unwrap_or(0))
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
            let stream = &mut state.data.as_mut()?.stream;
            let mut deleted = 0;
            for &id in ids {
                if let Some(fields) = stream.delete(id) {
                    self.keyspace().unindex(topic, id, &fields);
                    stream.max_deleted_id = stream.max_deleted_id.max(id);
                    deleted += 1;
                }
            }
            Some(deleted)
        });
        Ok(deleted.flatten().unwrap_or(0))
    }

    async fn trim(&self, topic: &Topic, trim: &Trim) -> Result<u64> {
        trim.validate()?;
        let trimmed = self.keyspace().with(topic, |state| {
            let stream = &mut state.data.as_mut()?.stream;
            Some(self.trim_locked(topic, stream, trim))
        });
        Ok(trimmed.flatten().unwrap_or(0))
    }

    async fn len(&self, topic: &Topic) -> Result<u64> {
        Ok(self
            .keyspace()
            .with(topic, |state| state.data.as_ref().map(|data| data.stream.len()))
            .flatten()
            .unwrap_or(0))
    }

    async fn drop_topic(&self, topic: &Topic) -> Result<bool> {
        let existed = self
            .keyspace()
            .with(topic, |state| self.keyspace().remove_data(topic, state))
            .unwrap_or(false);
        self.keyspace().remove_if_vacant(topic);
        Ok(existed)
    }

    async fn expire_topic(&self, topic: &Topic, ttl: Duration) -> Result<bool> {
        let now = self.now();
        let deadline = now.saturating_add(millis(ttl));
        let set = self
            .keyspace()
            .with(topic, |state| {
                let data = state.data.as_mut()?;
                data.expires_at = Some(deadline);
                Some(())
            })
            .flatten()
            .is_some();
        if set {
            self.keyspace().expiry.schedule(topic, deadline);
            self.start_sweeper();
            // A deadline already reached deletes the key now, as PEXPIRE with a past time does.
            self.keyspace().with(topic, |_| ());
            self.keyspace().remove_if_vacant(topic);
        }
        Ok(set)
    }

    async fn topic_ttl(&self, topic: &Topic) -> Result<Option<Duration>> {
        let now = self.now();
        let ttl = self.keyspace().with(topic, |state| {
            let at = state.data.as_ref()?.expires_at?;
            Some(Duration::from_millis(at.saturating_sub(now)))
        });
        Ok(ttl.flatten())
    }

    async fn stream_info(&self, topic: &Topic) -> Result<StreamInfo> {
        self.keyspace()
            .with(topic, |state| state.data.as_ref().map(info::stream_info))
            .flatten()
            .ok_or_else(|| no_topic(topic, TopicCommand::Info))
    }

    async fn groups_info(&self, topic: &Topic) -> Result<Vec<GroupInfo>> {
        self.keyspace()
            .with(topic, |state| {
                let data = state.data.as_ref()?;
                Some(
                    data.groups
                        .iter()
                        .map(|(name, group)| group.info(name, &data.stream))
                        .collect(),
                )
            })
            .flatten()
            .ok_or_else(|| no_topic(topic, TopicCommand::Info))
    }

    async fn consumers_info(&self, topic: &Topic, group: &str) -> Result<Vec<ConsumerInfo>> {
        let now = self.now();
        self.with_group_for_info(topic, group, |group| group.consumers_info(now))
    }
}
