//! Reaching a topic's stream or one of its groups under the topic's lock, with Redis's error when either is
//! missing (and WRONGTYPE when the key holds another type).
//!
//! Redis words a missing key or group differently for each command family: XREADGROUP and the pending-entry
//! commands answer one NOGROUP for either, while XINFO CONSUMERS and the XGROUP subcommands report a missing key
//! first, in their own words, and a missing group after. These lookups carry those rules, so each command only
//! names its family.

use bus_core::{Error, GroupCommand, Result, Topic, TopicCommand};

use crate::MemoryBackend;
use crate::group::Group;
use crate::keyspace::StreamData;
use crate::stream::Stream;

pub(crate) fn no_group(topic: &Topic, group: &str, command: GroupCommand) -> Error {
    Error::NoGroup {
        topic: topic.to_string(),
        group: group.to_owned(),
        command,
    }
}

pub(crate) fn no_topic(topic: &Topic, command: TopicCommand) -> Error {
    Error::NoSuchTopic {
        topic: topic.to_string(),
        command,
    }
}

impl MemoryBackend {
    /// Runs `f` on the stream and the named group, or fails with NOGROUP worded for `command`.
    pub(crate) fn with_group<R>(
        &self,
        topic: &Topic,
        group: &str,
        command: GroupCommand,
        f: impl FnOnce(&mut Group, &Stream) -> R,
    ) -> Result<R> {
        self.keyspace()
            .with(topic, |state| {
                let StreamData { stream, groups, .. } = state.stream_mut()?;
                Some(f(groups.get_mut(group)?, stream))
            })?
            .flatten()
            .ok_or_else(|| no_group(topic, group, command))
    }

    /// Runs `f` on a group, failing as XINFO CONSUMERS does for a missing topic or group.
    pub(crate) fn with_group_for_info<R>(
        &self,
        topic: &Topic,
        group: &str,
        f: impl FnOnce(&mut Group) -> R,
    ) -> Result<R> {
        let found = self.keyspace().with(topic, |state| {
            let data = state.stream_mut()?;
            Some(data.groups.get_mut(group).map(f))
        })?;
        match found.flatten() {
            None => Err(no_topic(topic, TopicCommand::Info)),
            Some(None) => Err(no_group(topic, group, GroupCommand::Admin)),
            Some(Some(result)) => Ok(result),
        }
    }

    /// Runs `f` on an existing stream for an XGROUP subcommand (missing key: Redis's XGROUP error).
    pub(crate) fn with_stream_for_group_cmd<R>(
        &self,
        topic: &Topic,
        f: impl FnOnce(&mut StreamData) -> Result<R>,
    ) -> Result<R> {
        self.keyspace()
            .with(topic, |state| state.stream_mut().map(f))?
            .flatten()
            .unwrap_or_else(|| Err(no_topic(topic, TopicCommand::Group)))
    }
}
