//! The reference model of the property suite: Redis 7.0 Streams semantics written for clarity, not speed.
//!
//! [`Model::apply`] takes the same [`bus_command::Command`]s the backends run and answers what Redis would: the
//! same typed [`Output`], or Redis's error text. Everything is a `Vec` searched linearly. The model shares no
//! code with any backend; where Redis's own algorithm is intricate (entries-read, lag, trimming by nodes) it
//! follows `t_stream.c` of Redis 7.0 step by step, and says which function it follows. It reads the commands'
//! arguments through their own accessors (`to_options`, `to_fields`, …), which are the command syntax, not
//! semantics.
//!
//! Time is modelled coarsely: a pending entry is either "recently delivered" or "idle for hours" (after
//! `XCLAIM … IDLE` with a large value), a consumer is always "recently seen", and a topic's TTL is the deadline
//! as set (a backend's PTTL must lie within the minute below it), so min-idle arguments of 0 or of an hour and
//! TTLs of hours give the same answer on every backend without a controllable clock.

mod claim;
mod group;
mod groups;
mod read;
mod stream;

use std::time::Duration;

use bus_command::{Command, DEFAULT_TAIL, Output, PublishedMessage};
use bus_core::{
    AppendId, AppendOptions, EntryId, Error, Fields, GroupCommand, Message, Published, RangeBound, Topic, TopicCommand,
    Uuid,
};

pub use group::{GroupModel, PendingEntryModel};
pub use stream::StreamModel;

/// Entries per node (`stream-node-max-entries` 100 with `stream-node-max-bytes 0`).
pub const NODE_ENTRIES: usize = 100;

/// Idle times at least this long are "idle for hours"; shorter ones are "recent".
pub const LONG_IDLE: Duration = Duration::from_secs(3600);

/// Redis's default work bound of approximate trims without LIMIT (`100 * stream-node-max-entries`).
const DEFAULT_APPROX_LIMIT: u64 = 100 * NODE_ENTRIES as u64;

/// What a command answered: its output, or the error Redis replies (its text).
pub type Reply = Result<Output, String>;

/// The whole keyspace: topics that exist, by name.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Model {
    /// Streams that exist.
    pub streams: Vec<(Topic, StreamModel)>,
}

/// What the runner observed of an approximate trim on a backend without exact node emulation.
#[derive(Clone, Copy, Debug, Default)]
pub struct Hint {
    /// Entries the approximate trim removed on the backend (checked against bounds, then applied).
    pub approx_removed: Option<u64>,
}

/// Why a command has no output: Redis replies an error, or the model cannot say what Redis would do.
#[derive(Debug)]
enum NoOutput {
    /// Redis's error reply.
    Redis(String),
    /// Outside the model: an input it does not generate (a `*` id, a random UUID), or an observed approximate
    /// trim outside Redis's bounds.
    Outside(String),
}

impl From<String> for NoOutput {
    fn from(message: String) -> NoOutput {
        NoOutput::Redis(message)
    }
}

impl From<Error> for NoOutput {
    fn from(err: Error) -> NoOutput {
        NoOutput::Redis(err.to_string())
    }
}

/// The UUID in an entry's `id` field, if it holds exactly one canonical one (what a lookup matches).
pub fn uuid_in(fields: &Fields) -> Option<Uuid> {
    let mut ids = fields.iter().filter(|(name, _)| name.as_ref() == b"id");
    let (Some((_, value)), None) = (ids.next(), ids.next()) else {
        return None;
    };
    let text = std::str::from_utf8(value).ok()?;
    let uuid = Uuid::parse_str(text).ok()?;
    (uuid.hyphenated().to_string() == text).then_some(uuid)
}

fn no_group(topic: &Topic, group: &str, command: GroupCommand) -> String {
    Error::NoGroup {
        topic: topic.to_string(),
        group: group.to_owned(),
        command,
    }
    .to_string()
}

fn no_topic(topic: &Topic, command: TopicCommand) -> String {
    Error::NoSuchTopic {
        topic: topic.to_string(),
        command,
    }
    .to_string()
}

/// Whether a pending entry passes a min-idle filter: always for 0, else only when idle for hours.
fn idle_enough(min_idle: Duration, long_idle: bool) -> bool {
    min_idle.is_zero() || (long_idle && min_idle <= LONG_IDLE)
}

impl Model {
    /// The stream of a topic, if it exists.
    pub fn stream(&self, topic: &Topic) -> Option<&StreamModel> {
        self.streams.iter().find(|(t, _)| t == topic).map(|(_, s)| s)
    }

    fn stream_mut(&mut self, topic: &Topic) -> Option<&mut StreamModel> {
        self.streams.iter_mut().find(|(t, _)| t == topic).map(|(_, s)| s)
    }

    fn stream_or_create(&mut self, topic: &Topic) -> &mut StreamModel {
        if let Some(pos) = self.streams.iter().position(|(t, _)| t == topic) {
            return &mut self.streams[pos].1;
        }
        self.streams.push((topic.clone(), StreamModel::default()));
        let last = self.streams.len() - 1;
        &mut self.streams[last].1
    }

    /// DEL: true if the topic existed.
    fn remove(&mut self, topic: &Topic) -> bool {
        let before = self.streams.len();
        self.streams.retain(|(t, _)| t != topic);
        self.streams.len() != before
    }

    /// Applies one command and returns what Redis would answer; `Err` when the model cannot tell (an observed
    /// approximate trim broke its bounds, or the command has an input the suite never generates).
    pub fn apply(&mut self, command: &Command, hint: Hint) -> Result<Reply, String> {
        match self.answer(command, hint) {
            Ok(output) => Ok(Ok(output)),
            Err(NoOutput::Redis(message)) => Ok(Err(message)),
            Err(NoOutput::Outside(why)) => Err(why),
        }
    }

    fn answer(&mut self, command: &Command, hint: Hint) -> Result<Output, NoOutput> {
        Ok(match command {
            Command::Append(c) => {
                let (fields, options) = (c.to_fields()?, c.options.to_options()?);
                if options.no_mkstream && self.stream(&c.topic).is_none() {
                    return Ok(Output::Id(None));
                }
                Output::Id(Some(self.xadd(&c.topic, fields, &options, hint)?))
            }
            Command::Publish(c) => {
                let message = Message::from_json(given_uuid(c.id)?, c.json.clone())?;
                let published = self.publish(&c.topic, &message, &c.options.to_options()?, hint)?;
                Output::Published(PublishedMessage {
                    id: message.id(),
                    published,
                })
            }
            Command::PublishBatch(c) => {
                if c.ids.is_empty() {
                    given_uuid(None)?;
                }
                let (messages, options) = (c.to_messages()?, c.options.to_options()?);
                let mut batch = Vec::with_capacity(messages.len());
                // One by one, as the trait's contract says; a failure ends the batch (every later message of a
                // generated batch would fail the same way: same id argument, no state changed since).
                for message in &messages {
                    batch.push(PublishedMessage {
                        id: message.id(),
                        published: self.publish(&c.topic, message, &options, hint)?,
                    });
                }
                Output::PublishedBatch(batch)
            }
            Command::Lookup(c) => Output::Id(self.stream(&c.topic).and_then(|s| s.lookup(c.uuid))),
            Command::Range(c) => Output::Entries(self.xrange(&c.topic, c.start, c.end, c.count, false)?),
            Command::RevRange(c) => Output::Entries(self.xrange(&c.topic, c.start, c.end, c.count, true)?),
            Command::Read(c) => Output::Read(self.xread(c.streams.cursors(), c.count)),
            Command::Tail(c) => {
                let count = Some(c.count.unwrap_or(DEFAULT_TAIL));
                let mut entries = self.xrange(&c.topic, RangeBound::MIN, RangeBound::MAX, count, true)?;
                entries.reverse();
                Output::Entries(entries)
            }
            Command::ReadAfterMessage(c) => Output::Entries(self.read_after_message(&c.topic, c.uuid, c.count)?),
            Command::ReadGroup(c) => self.xreadgroup(&c.group, &c.consumer, c.streams.cursors(), c.count, c.noack)?,
            Command::GroupCreate(c) => {
                self.group_create(&c.topic, &c.group, c.start, &c.to_options())?;
                Output::Done
            }
            Command::GroupDestroy(c) => Output::Flag(self.group_destroy(&c.topic, &c.group)?),
            Command::GroupSetId(c) => {
                self.group_set_id(&c.topic, &c.group, c.id, c.entries_read)?;
                Output::Done
            }
            Command::ConsumerCreate(c) => {
                Output::Flag(self.admin_group(&c.topic, &c.group)?.ensure_consumer(&c.consumer))
            }
            Command::ConsumerDelete(c) => Output::Count(self.consumer_delete(&c.topic, &c.group, &c.consumer)?),
            Command::ConsumerDeleteIfIdle(c) => Output::ConsumerDelete(self.consumer_delete_if_idle(
                &c.topic,
                &c.group,
                &c.consumer,
                Duration::from_millis(c.min_idle_ms),
            )?),
            Command::Ack(c) => Output::Count(self.ack(&c.topic, &c.group, &c.ids)),
            Command::PendingSummary(c) => {
                Output::PendingSummary(self.pending_query_group(&c.topic, &c.group)?.summary())
            }
            Command::Pending(c) => Output::Pending(self.pending(&c.topic, &c.group, &c.to_query())?),
            Command::Claim(c) => Output::Claimed(self.xclaim(
                &c.topic,
                &c.group,
                &c.consumer,
                Duration::from_millis(c.min_idle_ms),
                &c.ids,
                &c.to_options(),
            )?),
            Command::AutoClaim(c) => Output::AutoClaimed(self.xautoclaim(
                &c.topic,
                &c.group,
                &c.consumer,
                Duration::from_millis(c.min_idle_ms),
                c.start,
                &c.to_options(),
            )?),
            Command::Delete(c) => Output::Count(self.stream_mut(&c.topic).map_or(0, |stream| {
                let mut deleted = 0;
                for id in &c.ids {
                    if stream.delete(*id) {
                        stream.max_deleted = stream.max_deleted.max(*id);
                        deleted += 1;
                    }
                }
                deleted
            })),
            Command::Trim(c) => {
                let trim = c.to_trim()?;
                match self.stream_mut(&c.topic) {
                    None => Output::Count(0),
                    Some(stream) => Output::Count(stream.trim(&trim, hint).map_err(NoOutput::Outside)?),
                }
            }
            Command::Len(c) => Output::Count(self.stream(&c.topic).map_or(0, |s| s.entries.len() as u64)),
            Command::DropTopic(c) => Output::Flag(self.remove(&c.topic)),
            Command::ExpireTopic(c) => Output::Flag(self.expire(&c.topic, Duration::from_millis(c.ttl_ms))),
            Command::TopicTtl(c) => Output::Ttl(self.stream(&c.topic).and_then(|s| s.ttl)),
            Command::StreamInfo(c) => Output::StreamInfo(self.info_stream(&c.topic)?.info()),
            Command::GroupsInfo(c) => Output::GroupsInfo(self.info_stream(&c.topic)?.groups_info()),
            Command::ConsumersInfo(c) => Output::ConsumersInfo(self.info_group(&c.topic, &c.group)?.consumers_info()),
        })
    }

    /// XADD's id checks and append, then its trim.
    fn xadd(
        &mut self,
        topic: &Topic,
        fields: Fields,
        options: &AppendOptions,
        hint: Hint,
    ) -> Result<EntryId, NoOutput> {
        let last = self.stream(topic).map_or(EntryId::MIN, |s| s.last_id);
        // `streamAppendItem`'s id generation (only explicit and `ms-*` ids are generated by the suite).
        let new_id = match options.id {
            AppendId::Explicit(id) => id,
            AppendId::AutoSeq(ms) if ms == last.ms => match last.seq.checked_add(1) {
                Some(seq) => EntryId::new(ms, seq),
                None => last,
            },
            AppendId::AutoSeq(ms) => EntryId::new(ms, 0),
            AppendId::Auto => return Err(NoOutput::Outside("the model does not generate `*` ids".into())),
        };
        if new_id <= last {
            // Redis creates the key before failing (streamTypeLookupWriteOrCreate), but an empty stream it
            // just created is never seen: XADD with an id not above 0-0 is only `0-0` itself, rejected earlier.
            return Err(Error::IdNotGreater {
                topic: topic.to_string(),
                last_id: last,
            }
            .into());
        }
        let stream = self.stream_or_create(topic);
        stream.push(new_id, fields);
        if let Some(trim) = &options.trim {
            stream.trim(trim, hint).map_err(NoOutput::Outside)?;
        }
        Ok(new_id)
    }

    /// The idempotent publish: the oldest live entry holding the UUID if there is one, else XADD (nothing with
    /// NOMKSTREAM on a missing topic).
    fn publish(
        &mut self,
        topic: &Topic,
        message: &Message,
        options: &AppendOptions,
        hint: Hint,
    ) -> Result<Option<Published>, NoOutput> {
        if let Some(existing) = self.stream(topic).and_then(|s| s.lookup(message.id())) {
            return Ok(Some(Published {
                entry_id: existing,
                duplicate: true,
            }));
        }
        if options.no_mkstream && self.stream(topic).is_none() {
            return Ok(None);
        }
        let fields = Fields::from_pairs([
            ("id".to_owned(), message.id().hyphenated().to_string()),
            ("payload".to_owned(), message.payload().to_owned()),
        ]);
        let entry_id = self.xadd(topic, fields, options, hint)?;
        Ok(Some(Published {
            entry_id,
            duplicate: false,
        }))
    }

    /// PEXPIRE: false for a missing topic; a zero TTL deletes it at once.
    fn expire(&mut self, topic: &Topic, ttl: Duration) -> bool {
        if ttl.is_zero() {
            return self.remove(topic);
        }
        match self.stream_mut(topic) {
            Some(stream) => {
                stream.ttl = Some(ttl);
                true
            }
            None => false,
        }
    }

    /// The stream of XINFO STREAM and XINFO GROUPS (`ERR no such key`).
    fn info_stream(&self, topic: &Topic) -> Result<&StreamModel, NoOutput> {
        self.stream(topic)
            .ok_or_else(|| NoOutput::Redis(no_topic(topic, TopicCommand::Info)))
    }

    /// The group of XINFO CONSUMERS (and of the conditional consumer delete, which fails like it).
    fn info_group(&self, topic: &Topic, group: &str) -> Result<&GroupModel, NoOutput> {
        self.info_stream(topic)?
            .group(group)
            .ok_or_else(|| NoOutput::Redis(no_group(topic, group, GroupCommand::Admin)))
    }
}

/// The UUID of a message the suite publishes: always given, since the model cannot guess a random one.
fn given_uuid(id: Option<Uuid>) -> Result<Uuid, NoOutput> {
    id.ok_or_else(|| NoOutput::Outside("the model needs every published message's --id".into()))
}
