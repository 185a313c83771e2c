//! The operations of the property suite, their results, and how they run on a [`Backend`].
//!
//! An [`Op`] prints as `bus` commands ([`Op::commands`], in [`bus_command`]'s syntax: `append-raw t1 n 5
//! --entry-id 5-0 --maxlen 3`), one per line, so a failing run prints a sequence that can be pasted into `bus
//! shell` (on `memory://` or a Redis URL) to replay it by hand.

use std::fmt;
use std::time::Duration;

use bus_command::commands::{
    Ack, Append, AutoClaim, Claim, ConsumerCreate, ConsumerDelete, Delete, GroupCreate, GroupDestroy, GroupSetId,
    Pending, Publish, Range, Read, ReadAfterMessage, ReadGroup, RevRange,
};
use bus_command::{AppendArgs, Command, Streams, TrimArgs as TrimOptions};
use bus_core::{
    AppendId, AppendOptions, AutoClaimOptions, AutoClaimed, Backend, ClaimOptions, Claimed, Entry, EntryId, Fields,
    GroupCreateOptions, GroupCursor, GroupEntry, GroupStart, Message, PendingQuery, Published, RangeBound, ReadCursor,
    ReadGroupOptions, ReadOptions, ReadReply, Topic, Trim, Uuid,
};

/// One operation of a generated sequence.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(
    missing_docs,
    reason = "fields are the arguments of the command the variant is named after"
)]
pub enum Op {
    /// XADD with raw fields.
    Append {
        topic: Topic,
        id: AppendId,
        fields: Fields,
        trim: Option<Trim>,
        no_mkstream: bool,
    },
    /// `count` XADDs of ids `first_ms-0 ..`, fields `n <ms>` (fills nodes for approximate trimming).
    AppendMany { topic: Topic, first_ms: u64, count: u64 },
    /// Idempotent publish of a bus message.
    Publish {
        topic: Topic,
        id: AppendId,
        uuid: Uuid,
        payload: String,
        trim: Option<Trim>,
    },
    /// XRANGE.
    Range {
        topic: Topic,
        start: RangeBound,
        end: RangeBound,
        count: Option<u64>,
    },
    /// XREVRANGE.
    RevRange {
        topic: Topic,
        end: RangeBound,
        start: RangeBound,
        count: Option<u64>,
    },
    /// XREAD after an entry id.
    Read {
        topic: Topic,
        after: EntryId,
        count: Option<u64>,
    },
    /// Lookup of a message UUID, then XREAD after the entry found.
    ReadAfterUuid {
        topic: Topic,
        uuid: Uuid,
        count: Option<u64>,
    },
    /// XGROUP CREATE.
    GroupCreate {
        topic: Topic,
        group: String,
        start: GroupStart,
        mkstream: bool,
        entries_read: Option<u64>,
    },
    /// XGROUP DESTROY.
    GroupDestroy { topic: Topic, group: String },
    /// XGROUP SETID.
    GroupSetId {
        topic: Topic,
        group: String,
        id: GroupStart,
        entries_read: Option<u64>,
    },
    /// XGROUP CREATECONSUMER.
    ConsumerCreate {
        topic: Topic,
        group: String,
        consumer: String,
    },
    /// XGROUP DELCONSUMER.
    ConsumerDelete {
        topic: Topic,
        group: String,
        consumer: String,
    },
    /// XREADGROUP on one topic.
    ReadGroup {
        topic: Topic,
        group: String,
        consumer: String,
        cursor: GroupCursor,
        count: Option<u64>,
        no_ack: bool,
    },
    /// XACK.
    Ack {
        topic: Topic,
        group: String,
        ids: Vec<EntryId>,
    },
    /// XPENDING, extended form.
    Pending {
        topic: Topic,
        group: String,
        min_idle: Option<Duration>,
        start: RangeBound,
        end: RangeBound,
        count: u64,
        consumer: Option<String>,
    },
    /// XCLAIM.
    Claim {
        topic: Topic,
        group: String,
        consumer: String,
        min_idle: Duration,
        ids: Vec<EntryId>,
        options: ClaimOptions,
    },
    /// XAUTOCLAIM.
    AutoClaim {
        topic: Topic,
        group: String,
        consumer: String,
        min_idle: Duration,
        start: RangeBound,
        options: AutoClaimOptions,
    },
    /// XDEL.
    Delete { topic: Topic, ids: Vec<EntryId> },
    /// XTRIM.
    Trim { topic: Topic, trim: Trim },
}

/// What an operation returned, in a form both the model and any backend produce.
#[derive(Clone, Debug, PartialEq, Eq)]
#[allow(missing_docs, reason = "each variant holds the return value of the operations named")]
pub enum Outcome {
    /// The operation failed with this message (Redis's wording).
    Error(String),
    /// XADD.
    Appended(Option<EntryId>),
    /// The batch of XADDs: each id.
    AppendedMany(Vec<EntryId>),
    /// Publish.
    Published(Option<Published>),
    /// XRANGE / XREVRANGE.
    Entries(Vec<Entry>),
    /// XREAD, with the lookup result for a UUID cursor (`None` when the cursor was an id); the reply is `None`
    /// when the lookup found nothing, so no read was made.
    Read {
        lookup: Option<Option<EntryId>>,
        reply: Option<ReadReply<Entry>>,
    },
    /// XREADGROUP.
    GroupRead(ReadReply<GroupEntry>),
    /// Commands answering OK.
    Done,
    /// Commands answering 0 or 1.
    Flag(bool),
    /// Commands answering a count.
    Count(u64),
    /// XPENDING (extended): id, owner, delivery count.
    Pending(Vec<(EntryId, String, u64)>),
    /// XCLAIM.
    Claimed(Claimed),
    /// XAUTOCLAIM.
    AutoClaimed(AutoClaimed),
}

impl Op {
    /// The topic the operation works on.
    pub fn topic(&self) -> &Topic {
        match self {
            Op::Append { topic, .. }
            | Op::AppendMany { topic, .. }
            | Op::Publish { topic, .. }
            | Op::Range { topic, .. }
            | Op::RevRange { topic, .. }
            | Op::Read { topic, .. }
            | Op::ReadAfterUuid { topic, .. }
            | Op::GroupCreate { topic, .. }
            | Op::GroupDestroy { topic, .. }
            | Op::GroupSetId { topic, .. }
            | Op::ConsumerCreate { topic, .. }
            | Op::ConsumerDelete { topic, .. }
            | Op::ReadGroup { topic, .. }
            | Op::Ack { topic, .. }
            | Op::Pending { topic, .. }
            | Op::Claim { topic, .. }
            | Op::AutoClaim { topic, .. }
            | Op::Delete { topic, .. }
            | Op::Trim { topic, .. } => topic,
        }
    }

    /// The approximate trim this operation does, if any.
    pub fn approx_trim(&self) -> Option<&Trim> {
        match self {
            Op::Append { trim: Some(trim), .. } | Op::Publish { trim: Some(trim), .. } | Op::Trim { trim, .. }
                if trim.approx =>
            {
                Some(trim)
            }
            _ => None,
        }
    }

    /// Runs the operation on a backend.
    pub async fn run(&self, backend: &dyn Backend) -> Outcome {
        match self.run_inner(backend).await {
            Ok(outcome) => outcome,
            Err(err) => Outcome::Error(err.to_string()),
        }
    }

    async fn run_inner(&self, b: &dyn Backend) -> bus_core::Result<Outcome> {
        Ok(match self {
            Op::Append {
                topic,
                id,
                fields,
                trim,
                no_mkstream,
            } => {
                let mut options = AppendOptions::new().id(*id);
                if *no_mkstream {
                    options = options.no_mkstream();
                }
                if let Some(trim) = trim {
                    options = options.trim(*trim);
                }
                Outcome::Appended(b.append(topic, fields.clone(), &options).await?)
            }
            Op::AppendMany { topic, first_ms, count } => {
                let mut ids = Vec::new();
                for ms in *first_ms..first_ms.saturating_add(*count) {
                    let options = AppendOptions::new().id(EntryId::new(ms, 0));
                    if let Some(id) = b.append(topic, many_fields(ms), &options).await? {
                        ids.push(id);
                    }
                }
                Outcome::AppendedMany(ids)
            }
            Op::Publish {
                topic,
                id,
                uuid,
                payload,
                trim,
            } => {
                let message = Message::from_json(*uuid, payload.clone())?;
                let mut options = AppendOptions::new().id(*id);
                if let Some(trim) = trim {
                    options = options.trim(*trim);
                }
                Outcome::Published(b.publish(topic, &message, &options).await?)
            }
            Op::Range {
                topic,
                start,
                end,
                count,
            } => Outcome::Entries(b.range(topic, *start, *end, *count).await?),
            Op::RevRange {
                topic,
                end,
                start,
                count,
            } => Outcome::Entries(b.rev_range(topic, *end, *start, *count).await?),
            Op::Read { topic, after, count } => {
                let reply = b
                    .read(&[(topic.clone(), ReadCursor::After(*after))], &read_options(*count))
                    .await?;
                Outcome::Read {
                    lookup: None,
                    reply: Some(reply),
                }
            }
            Op::ReadAfterUuid { topic, uuid, count } => {
                let found = b.lookup(topic, *uuid).await?;
                let reply = match found {
                    Some(after) => Some(
                        b.read(&[(topic.clone(), ReadCursor::After(after))], &read_options(*count))
                            .await?,
                    ),
                    None => None,
                };
                Outcome::Read {
                    lookup: Some(found),
                    reply,
                }
            }
            Op::GroupCreate {
                topic,
                group,
                start,
                mkstream,
                entries_read,
            } => {
                let mut options = GroupCreateOptions::new();
                if *mkstream {
                    options = options.mkstream();
                }
                if let Some(n) = entries_read {
                    options = options.entries_read(*n);
                }
                b.group_create(topic, group, *start, &options).await?;
                Outcome::Done
            }
            Op::GroupDestroy { topic, group } => Outcome::Flag(b.group_destroy(topic, group).await?),
            Op::GroupSetId {
                topic,
                group,
                id,
                entries_read,
            } => {
                b.group_set_id(topic, group, *id, *entries_read).await?;
                Outcome::Done
            }
            Op::ConsumerCreate { topic, group, consumer } => {
                Outcome::Flag(b.consumer_create(topic, group, consumer).await?)
            }
            Op::ConsumerDelete { topic, group, consumer } => {
                Outcome::Count(b.consumer_delete(topic, group, consumer).await?)
            }
            Op::ReadGroup {
                topic,
                group,
                consumer,
                cursor,
                count,
                no_ack,
            } => {
                let mut options = ReadGroupOptions::new();
                if let Some(n) = count {
                    options = options.count(*n);
                }
                if *no_ack {
                    options = options.no_ack();
                }
                let cursors = [(topic.clone(), *cursor)];
                Outcome::GroupRead(b.read_group(group, consumer, &cursors, &options).await?)
            }
            Op::Ack { topic, group, ids } => Outcome::Count(b.ack(topic, group, ids).await?),
            Op::Pending {
                topic,
                group,
                min_idle,
                start,
                end,
                count,
                consumer,
            } => {
                let mut query = PendingQuery::new(*start, *end, *count);
                if let Some(consumer) = consumer {
                    query = query.consumer(consumer.clone());
                }
                if let Some(idle) = min_idle {
                    query = query.min_idle(*idle);
                }
                let pending = b.pending(topic, group, &query).await?;
                Outcome::Pending(
                    pending
                        .into_iter()
                        .map(|p| (p.id, p.consumer, p.delivery_count))
                        .collect(),
                )
            }
            Op::Claim {
                topic,
                group,
                consumer,
                min_idle,
                ids,
                options,
            } => Outcome::Claimed(b.claim(topic, group, consumer, *min_idle, ids, options).await?),
            Op::AutoClaim {
                topic,
                group,
                consumer,
                min_idle,
                start,
                options,
            } => Outcome::AutoClaimed(b.auto_claim(topic, group, consumer, *min_idle, *start, options).await?),
            Op::Delete { topic, ids } => Outcome::Count(b.delete(topic, ids).await?),
            Op::Trim { topic, trim } => Outcome::Count(b.trim(topic, trim).await?),
        })
    }
}

/// The fields of the entries an [`Op::AppendMany`] writes.
pub fn many_fields(ms: u64) -> Fields {
    Fields::from_pairs([("n".to_owned(), ms.to_string())])
}

fn read_options(count: Option<u64>) -> ReadOptions {
    match count {
        Some(n) => ReadOptions::new().count(n),
        None => ReadOptions::new(),
    }
}

/// A trim's options in the `bus` syntax (`--maxlen 3 --approx --limit 10`), for messages.
pub struct TrimArgs<'a>(pub &'a Trim);

impl fmt::Display for TrimArgs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = bus_command::commands::Trim {
            topic: Topic::new("t").map_err(|_| fmt::Error)?,
            trim: TrimOptions::from_trim(Some(self.0)),
        }
        .to_string();
        f.write_str(line.strip_prefix("trim t ").unwrap_or(&line))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// A raw field map as `append-raw` takes it: FIELD VALUE … (bytes read as UTF-8, lossily).
fn field_words(fields: &Fields) -> Vec<String> {
    fields
        .iter()
        .flat_map(|(name, value)| {
            [
                String::from_utf8_lossy(name).into_owned(),
                String::from_utf8_lossy(value).into_owned(),
            ]
        })
        .collect()
}

impl Op {
    /// The `bus` commands that do what this operation does: one, except for [`Op::AppendMany`] (one `append-raw`
    /// per entry). Printed one per line, they replay the operation in `bus shell`.
    pub fn commands(&self) -> Vec<Command> {
        let one = match self {
            Op::Append {
                topic,
                id,
                fields,
                trim,
                no_mkstream,
            } => Append {
                topic: topic.clone(),
                fields: field_words(fields),
                options: AppendArgs::new(*id, trim.as_ref(), *no_mkstream),
            }
            .into(),
            Op::AppendMany { topic, first_ms, count } => {
                return (*first_ms..first_ms.saturating_add(*count))
                    .map(|ms| {
                        Append {
                            topic: topic.clone(),
                            fields: field_words(&many_fields(ms)),
                            options: AppendArgs::new(AppendId::Explicit(EntryId::new(ms, 0)), None, false),
                        }
                        .into()
                    })
                    .collect();
            }
            Op::Publish {
                topic,
                id,
                uuid,
                payload,
                trim,
            } => Publish {
                topic: topic.clone(),
                json: payload.clone(),
                id: Some(*uuid),
                options: AppendArgs::new(*id, trim.as_ref(), false),
            }
            .into(),
            Op::Range {
                topic,
                start,
                end,
                count,
            } => Range {
                topic: topic.clone(),
                start: *start,
                end: *end,
                count: *count,
            }
            .into(),
            Op::RevRange {
                topic,
                end,
                start,
                count,
            } => RevRange {
                topic: topic.clone(),
                end: *end,
                start: *start,
                count: *count,
            }
            .into(),
            Op::Read { topic, after, count } => Read {
                streams: Streams::one(topic.clone(), ReadCursor::After(*after)),
                count: *count,
                block: None,
            }
            .into(),
            Op::ReadAfterUuid { topic, uuid, count } => ReadAfterMessage {
                topic: topic.clone(),
                uuid: *uuid,
                count: *count,
            }
            .into(),
            Op::GroupCreate {
                topic,
                group,
                start,
                mkstream,
                entries_read,
            } => GroupCreate {
                topic: topic.clone(),
                group: group.clone(),
                start: *start,
                mkstream: *mkstream,
                entries_read: *entries_read,
            }
            .into(),
            Op::GroupDestroy { topic, group } => GroupDestroy {
                topic: topic.clone(),
                group: group.clone(),
            }
            .into(),
            Op::GroupSetId {
                topic,
                group,
                id,
                entries_read,
            } => GroupSetId {
                topic: topic.clone(),
                group: group.clone(),
                id: *id,
                entries_read: *entries_read,
            }
            .into(),
            Op::ConsumerCreate { topic, group, consumer } => ConsumerCreate {
                topic: topic.clone(),
                group: group.clone(),
                consumer: consumer.clone(),
            }
            .into(),
            Op::ConsumerDelete { topic, group, consumer } => ConsumerDelete {
                topic: topic.clone(),
                group: group.clone(),
                consumer: consumer.clone(),
            }
            .into(),
            Op::ReadGroup {
                topic,
                group,
                consumer,
                cursor,
                count,
                no_ack,
            } => ReadGroup {
                group: group.clone(),
                consumer: consumer.clone(),
                streams: Streams::one(topic.clone(), *cursor),
                count: *count,
                block: None,
                noack: *no_ack,
            }
            .into(),
            Op::Ack { topic, group, ids } => Ack {
                topic: topic.clone(),
                group: group.clone(),
                ids: ids.clone(),
            }
            .into(),
            Op::Pending {
                topic,
                group,
                min_idle,
                start,
                end,
                count,
                consumer,
            } => Pending {
                topic: topic.clone(),
                group: group.clone(),
                start: *start,
                end: *end,
                count: *count,
                consumer: consumer.clone(),
                idle: min_idle.map(millis),
            }
            .into(),
            Op::Claim {
                topic,
                group,
                consumer,
                min_idle,
                ids,
                options,
            } => Claim {
                topic: topic.clone(),
                group: group.clone(),
                consumer: consumer.clone(),
                min_idle_ms: millis(*min_idle),
                ids: ids.clone(),
                idle: options.idle.map(millis),
                time: options.time,
                retrycount: options.retry_count,
                force: options.force,
                justid: options.just_id,
                lastid: options.last_id,
            }
            .into(),
            Op::AutoClaim {
                topic,
                group,
                consumer,
                min_idle,
                start,
                options,
            } => AutoClaim {
                topic: topic.clone(),
                group: group.clone(),
                consumer: consumer.clone(),
                min_idle_ms: millis(*min_idle),
                start: *start,
                count: Some(options.count),
                justid: options.just_id,
            }
            .into(),
            Op::Delete { topic, ids } => Delete {
                topic: topic.clone(),
                ids: ids.clone(),
            }
            .into(),
            Op::Trim { topic, trim } => bus_command::commands::Trim {
                topic: topic.clone(),
                trim: TrimOptions::from_trim(Some(trim)),
            }
            .into(),
        };
        vec![one]
    }
}

impl fmt::Display for Op {
    /// The operation's [`Op::commands`], one per line, in the `bus` syntax.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, command) in self.commands().iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{command}")?;
        }
        Ok(())
    }
}

/// A sequence of operations, one command per line.
pub struct Script<'a>(pub &'a [Op]);

impl fmt::Display for Script<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for op in self.0 {
            writeln!(f, "{op}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ops_print_as_bus_commands() -> Result<(), bus_core::Error> {
        let t = Topic::new("t1")?;
        let op = Op::Append {
            topic: t.clone(),
            id: AppendId::Explicit(EntryId::new(5, 0)),
            fields: Fields::from_pairs([("n", "a b")]),
            trim: Some(Trim::maxlen(3).approx().limit(10)),
            no_mkstream: true,
        };
        assert_eq!(
            op.to_string(),
            "append t1 n 'a b' --entry-id 5-0 --maxlen 3 --approx --limit 10 --nomkstream"
        );
        let op = Op::Claim {
            topic: t.clone(),
            group: "g1".into(),
            consumer: "c2".into(),
            min_idle: Duration::ZERO,
            ids: vec![EntryId::new(1, 0), EntryId::new(2, 0)],
            options: ClaimOptions::new().retry_count(4).force().just_id(),
        };
        assert_eq!(
            op.to_string(),
            "claim t1 g1 c2 0 1-0 2-0 --retrycount 4 --force --justid"
        );
        let op = Op::AppendMany {
            topic: t.clone(),
            first_ms: 7,
            count: 2,
        };
        assert_eq!(
            op.to_string(),
            "append t1 n 7 --entry-id 7-0\nappend t1 n 8 --entry-id 8-0"
        );
        let op = Op::Publish {
            topic: t,
            id: AppendId::AutoSeq(3),
            uuid: Uuid::from_u128(1),
            payload: r#"{"n":1}"#.into(),
            trim: None,
        };
        assert_eq!(
            op.to_string(),
            r#"publish t1 '{"n":1}' --id 00000000-0000-0000-0000-000000000001 --entry-id '3-*'"#
        );
        for command in op.commands() {
            assert_eq!(bus_command::parse_line(&command.to_string()).ok(), Some(command));
        }
        Ok(())
    }
}
