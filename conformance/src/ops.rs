//! The operations of the property suite, their results, and how they run on a [`Backend`].
//!
//! [`Op`]'s `Display` is a redis-cli-like command line (`XADD t1 MAXLEN = 3 5-0 n 5`), one per operation, so a
//! failing run prints a sequence that reads like a redis-cli session and that the `bus` CLI's shell can replay.
//! Extensions beyond redis-cli are few and spelled as commands: `PUBLISH` (idempotent publish of a bus message)
//! and a message UUID written where XREAD expects an id (read after the entry holding that message).

use std::fmt;
use std::time::Duration;

use bus_core::{
    AppendId, AppendOptions, AutoClaimOptions, AutoClaimed, Backend, ClaimOptions, Claimed, Entry, EntryId, Fields,
    GroupCreateOptions, GroupCursor, GroupEntry, GroupStart, Message, PendingQuery, Published, RangeBound, ReadCursor,
    ReadGroupOptions, ReadOptions, ReadReply, Topic, Trim, TrimStrategy, Uuid,
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
    /// XREAD, with the lookup result for a UUID cursor (`None` when the cursor was an id).
    Read {
        lookup: Option<Option<EntryId>>,
        reply: ReadReply<Entry>,
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
                Outcome::Read { lookup: None, reply }
            }
            Op::ReadAfterUuid { topic, uuid, count } => {
                let found = b.lookup(topic, *uuid).await?;
                let reply = match found {
                    Some(after) => {
                        b.read(&[(topic.clone(), ReadCursor::After(after))], &read_options(*count))
                            .await?
                    }
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

/// Quotes an argument the way redis-cli accepts it: bare when it has no spaces or quotes.
struct Arg<'a>(&'a [u8]);

impl fmt::Display for Arg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = String::from_utf8_lossy(self.0);
        let bare =
            !text.is_empty() && !text.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '\\');
        if bare {
            f.write_str(&text)
        } else {
            f.write_str("\"")?;
            for c in text.chars() {
                match c {
                    '"' => f.write_str("\\\"")?,
                    '\\' => f.write_str("\\\\")?,
                    '\n' => f.write_str("\\n")?,
                    c => write!(f, "{c}")?,
                }
            }
            f.write_str("\"")
        }
    }
}

/// `MAXLEN|MINID =|~ threshold [LIMIT n]`.
pub struct TrimArgs<'a>(pub &'a Trim);

impl fmt::Display for TrimArgs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let trim = self.0;
        let mode = if trim.approx { "~" } else { "=" };
        match trim.strategy {
            TrimStrategy::MaxLen(n) => write!(f, "MAXLEN {mode} {n}")?,
            TrimStrategy::MinId(id) => write!(f, "MINID {mode} {id}")?,
        }
        if let Some(limit) = trim.limit {
            write!(f, " LIMIT {limit}")?;
        }
        Ok(())
    }
}

fn count_arg(count: Option<u64>) -> String {
    count.map_or_else(String::new, |n| format!(" COUNT {n}"))
}

fn ids_arg(ids: &[EntryId]) -> String {
    ids.iter().map(|id| format!(" {id}")).collect()
}

fn start_arg(start: GroupStart) -> String {
    match start {
        GroupStart::Id(id) => id.to_string(),
        GroupStart::Last => "$".to_owned(),
    }
}

fn entries_read_arg(entries_read: Option<u64>) -> String {
    entries_read.map_or_else(String::new, |n| format!(" ENTRIESREAD {n}"))
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Append {
                topic,
                id,
                fields,
                trim,
                no_mkstream,
            } => {
                write!(f, "XADD {topic}")?;
                if *no_mkstream {
                    f.write_str(" NOMKSTREAM")?;
                }
                if let Some(trim) = trim {
                    write!(f, " {}", TrimArgs(trim))?;
                }
                write!(f, " {id}")?;
                for (name, value) in fields.iter() {
                    write!(f, " {} {}", Arg(name), Arg(value))?;
                }
                Ok(())
            }
            Op::AppendMany { topic, first_ms, count } => {
                for (i, ms) in (*first_ms..first_ms.saturating_add(*count)).enumerate() {
                    if i > 0 {
                        f.write_str("\n")?;
                    }
                    write!(f, "XADD {topic} {ms}-0 n {ms}")?;
                }
                Ok(())
            }
            Op::Publish {
                topic,
                id,
                uuid,
                payload,
                trim,
            } => {
                write!(f, "PUBLISH {topic}")?;
                if let Some(trim) = trim {
                    write!(f, " {}", TrimArgs(trim))?;
                }
                write!(f, " {id} {uuid} {}", Arg(payload.as_bytes()))
            }
            Op::Range {
                topic,
                start,
                end,
                count,
            } => write!(f, "XRANGE {topic} {start} {end}{}", count_arg(*count)),
            Op::RevRange {
                topic,
                end,
                start,
                count,
            } => write!(f, "XREVRANGE {topic} {end} {start}{}", count_arg(*count)),
            Op::Read { topic, after, count } => write!(f, "XREAD{} STREAMS {topic} {after}", count_arg(*count)),
            Op::ReadAfterUuid { topic, uuid, count } => {
                write!(f, "XREAD{} STREAMS {topic} {uuid}", count_arg(*count))
            }
            Op::GroupCreate {
                topic,
                group,
                start,
                mkstream,
                entries_read,
            } => write!(
                f,
                "XGROUP CREATE {topic} {} {}{}{}",
                Arg(group.as_bytes()),
                start_arg(*start),
                if *mkstream { " MKSTREAM" } else { "" },
                entries_read_arg(*entries_read)
            ),
            Op::GroupDestroy { topic, group } => write!(f, "XGROUP DESTROY {topic} {}", Arg(group.as_bytes())),
            Op::GroupSetId {
                topic,
                group,
                id,
                entries_read,
            } => write!(
                f,
                "XGROUP SETID {topic} {} {}{}",
                Arg(group.as_bytes()),
                start_arg(*id),
                entries_read_arg(*entries_read)
            ),
            Op::ConsumerCreate { topic, group, consumer } => write!(
                f,
                "XGROUP CREATECONSUMER {topic} {} {}",
                Arg(group.as_bytes()),
                Arg(consumer.as_bytes())
            ),
            Op::ConsumerDelete { topic, group, consumer } => write!(
                f,
                "XGROUP DELCONSUMER {topic} {} {}",
                Arg(group.as_bytes()),
                Arg(consumer.as_bytes())
            ),
            Op::ReadGroup {
                topic,
                group,
                consumer,
                cursor,
                count,
                no_ack,
            } => write!(
                f,
                "XREADGROUP GROUP {} {}{}{} STREAMS {topic} {cursor}",
                Arg(group.as_bytes()),
                Arg(consumer.as_bytes()),
                count_arg(*count),
                if *no_ack { " NOACK" } else { "" }
            ),
            Op::Ack { topic, group, ids } => write!(f, "XACK {topic} {}{}", Arg(group.as_bytes()), ids_arg(ids)),
            Op::Pending {
                topic,
                group,
                min_idle,
                start,
                end,
                count,
                consumer,
            } => {
                write!(f, "XPENDING {topic} {}", Arg(group.as_bytes()))?;
                if let Some(idle) = min_idle {
                    write!(f, " IDLE {}", idle.as_millis())?;
                }
                write!(f, " {start} {end} {count}")?;
                if let Some(consumer) = consumer {
                    write!(f, " {}", Arg(consumer.as_bytes()))?;
                }
                Ok(())
            }
            Op::Claim {
                topic,
                group,
                consumer,
                min_idle,
                ids,
                options,
            } => {
                write!(
                    f,
                    "XCLAIM {topic} {} {} {}{}",
                    Arg(group.as_bytes()),
                    Arg(consumer.as_bytes()),
                    min_idle.as_millis(),
                    ids_arg(ids)
                )?;
                if let Some(idle) = options.idle {
                    write!(f, " IDLE {}", idle.as_millis())?;
                }
                if let Some(time) = options.time {
                    write!(f, " TIME {time}")?;
                }
                if let Some(n) = options.retry_count {
                    write!(f, " RETRYCOUNT {n}")?;
                }
                if options.force {
                    f.write_str(" FORCE")?;
                }
                if options.just_id {
                    f.write_str(" JUSTID")?;
                }
                if let Some(id) = options.last_id {
                    write!(f, " LASTID {id}")?;
                }
                Ok(())
            }
            Op::AutoClaim {
                topic,
                group,
                consumer,
                min_idle,
                start,
                options,
            } => write!(
                f,
                "XAUTOCLAIM {topic} {} {} {} {start} COUNT {}{}",
                Arg(group.as_bytes()),
                Arg(consumer.as_bytes()),
                min_idle.as_millis(),
                options.count,
                if options.just_id { " JUSTID" } else { "" }
            ),
            Op::Delete { topic, ids } => write!(f, "XDEL {topic}{}", ids_arg(ids)),
            Op::Trim { topic, trim } => write!(f, "XTRIM {topic} {}", TrimArgs(trim)),
        }
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
    fn ops_print_as_redis_cli_commands() -> Result<(), bus_core::Error> {
        let t = Topic::new("t1")?;
        let op = Op::Append {
            topic: t.clone(),
            id: AppendId::Explicit(EntryId::new(5, 0)),
            fields: Fields::from_pairs([("n", "a b")]),
            trim: Some(Trim::maxlen(3).approx().limit(10)),
            no_mkstream: true,
        };
        assert_eq!(op.to_string(), r#"XADD t1 NOMKSTREAM MAXLEN ~ 3 LIMIT 10 5-0 n "a b""#);
        let op = Op::Claim {
            topic: t,
            group: "g1".into(),
            consumer: "c2".into(),
            min_idle: Duration::ZERO,
            ids: vec![EntryId::new(1, 0), EntryId::new(2, 0)],
            options: ClaimOptions::new().retry_count(4).force().just_id(),
        };
        assert_eq!(op.to_string(), "XCLAIM t1 g1 c2 0 1-0 2-0 RETRYCOUNT 4 FORCE JUSTID");
        Ok(())
    }
}
