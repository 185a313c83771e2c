//! The model's group administration and pending list: the XGROUP subcommands, the conditional consumer delete,
//! XACK and XPENDING.

use std::time::Duration;

use bus_core::{
    ConsumerDelete, EntryId, Error, GroupCommand, GroupCreateOptions, GroupStart, PendingEntry, PendingQuery, Topic,
    TopicCommand,
};

use super::group::GroupModel;
use super::{Model, NoOutput, idle_enough, no_group, no_topic};

impl Model {
    /// XGROUP CREATE.
    pub(super) fn group_create(
        &mut self,
        topic: &Topic,
        group: &str,
        start: GroupStart,
        options: &GroupCreateOptions,
    ) -> Result<(), NoOutput> {
        if self.stream(topic).is_none() && !options.mkstream {
            return Err(NoOutput::Redis(no_topic(topic, TopicCommand::Group)));
        }
        let stream = self.stream_or_create(topic);
        let last_id = match start {
            GroupStart::Id(id) => id,
            GroupStart::Last => stream.last_id,
        };
        if stream.group(group).is_some() {
            return Err(Error::GroupExists {
                topic: topic.to_string(),
                group: group.to_owned(),
            }
            .into());
        }
        stream
            .groups
            .push(GroupModel::new(group, last_id, options.entries_read));
        stream.groups.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(())
    }

    /// XGROUP DESTROY.
    pub(super) fn group_destroy(&mut self, topic: &Topic, group: &str) -> Result<bool, NoOutput> {
        let stream = self
            .stream_mut(topic)
            .ok_or_else(|| NoOutput::Redis(no_topic(topic, TopicCommand::Group)))?;
        let before = stream.groups.len();
        stream.groups.retain(|g| g.name != group);
        Ok(stream.groups.len() != before)
    }

    /// XGROUP SETID.
    pub(super) fn group_set_id(
        &mut self,
        topic: &Topic,
        group: &str,
        id: GroupStart,
        entries_read: Option<u64>,
    ) -> Result<(), NoOutput> {
        let stream_last = self.stream(topic).map_or(EntryId::MIN, |s| s.last_id);
        let g = self.admin_group(topic, group)?;
        g.last_id = match id {
            GroupStart::Id(id) => id,
            GroupStart::Last => stream_last,
        };
        g.entries_read = super::group::counter_from_option(entries_read);
        Ok(())
    }

    /// The group of an XGROUP subcommand other than CREATE and DESTROY (their wording of a missing key or group).
    pub(super) fn admin_group(&mut self, topic: &Topic, group: &str) -> Result<&mut GroupModel, NoOutput> {
        let stream = self
            .stream_mut(topic)
            .ok_or_else(|| NoOutput::Redis(no_topic(topic, TopicCommand::Group)))?;
        stream
            .group_mut(group)
            .ok_or_else(|| NoOutput::Redis(no_group(topic, group, GroupCommand::Admin)))
    }

    /// XGROUP DELCONSUMER: the consumer goes with its pending entries; their number is the answer.
    pub(super) fn consumer_delete(&mut self, topic: &Topic, group: &str, consumer: &str) -> Result<u64, NoOutput> {
        let g = self.admin_group(topic, group)?;
        let Some(index) = g.consumers.iter().position(|c| c == consumer) else {
            return Ok(0);
        };
        g.consumers.remove(index);
        let before = g.pending.len();
        g.pending.retain(|p| p.owner != consumer);
        Ok((before - g.pending.len()) as u64)
    }

    /// DELCONSUMER only for a consumer that owns nothing and was seen at least `min_idle` ago; it fails like XINFO
    /// CONSUMERS. Consumers are always recently seen in the model, so any positive `min_idle` keeps them.
    pub(super) fn consumer_delete_if_idle(
        &mut self,
        topic: &Topic,
        group: &str,
        consumer: &str,
        min_idle: Duration,
    ) -> Result<ConsumerDelete, NoOutput> {
        self.info_group(topic, group)?;
        let g = self.admin_group(topic, group)?;
        if !g.consumers.iter().any(|c| c == consumer) {
            return Ok(ConsumerDelete::NoSuchConsumer);
        }
        let owned = g.owned_by(consumer);
        if owned > 0 {
            return Ok(ConsumerDelete::HasPending(owned));
        }
        if !min_idle.is_zero() {
            return Ok(ConsumerDelete::NotIdle(Duration::ZERO));
        }
        g.consumers.retain(|c| c != consumer);
        Ok(ConsumerDelete::Deleted)
    }

    /// XACK: 0 when the topic or group is missing.
    pub(super) fn ack(&mut self, topic: &Topic, group: &str, ids: &[EntryId]) -> u64 {
        let Some(g) = self.stream_mut(topic).and_then(|s| s.group_mut(group)) else {
            return 0;
        };
        let mut acked = 0;
        for id in ids {
            if let Some(pos) = g.pending.iter().position(|p| p.id == *id) {
                g.pending.remove(pos);
                acked += 1;
            }
        }
        acked
    }

    /// The group of XPENDING (its wording of a missing key or group).
    pub(super) fn pending_query_group(&self, topic: &Topic, group: &str) -> Result<&GroupModel, NoOutput> {
        self.stream(topic)
            .and_then(|s| s.group(group))
            .ok_or_else(|| NoOutput::Redis(no_group(topic, group, GroupCommand::Pending)))
    }

    /// XPENDING, extended form.
    pub(super) fn pending(
        &self,
        topic: &Topic,
        group: &str,
        query: &PendingQuery,
    ) -> Result<Vec<PendingEntry>, NoOutput> {
        // The interval is parsed before the key is looked up (`xpendingCommand`).
        let start = query.start.resolve_start()?;
        let end = query.end.resolve_end()?;
        let g = self.pending_query_group(topic, group)?;
        if let Some(name) = &query.consumer
            && !g.consumers.contains(name)
        {
            return Ok(Vec::new());
        }
        Ok(g.pending
            .iter()
            .filter(|p| p.id >= start && p.id <= end)
            .filter(|p| query.consumer.as_ref().is_none_or(|c| &p.owner == c))
            .filter(|p| query.min_idle.is_none_or(|idle| idle_enough(idle, p.long_idle)))
            .take(usize::try_from(query.count).unwrap_or(usize::MAX))
            .map(|p| p.row())
            .collect())
    }
}
